package nfsd

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// exportLines is a slog handler that hands over the attributes of each
// "exporting" record as one line, key=value separated by spaces.
type exportLines chan string

// Enabled takes every record.
func (h exportLines) Enabled(context.Context, slog.Level) bool { return true }

// Handle hands over an "exporting" record.
func (h exportLines) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "exporting" {
		var attrs []string
		r.Attrs(func(a slog.Attr) bool {
			attrs = append(attrs, a.String())
			return true
		})
		h <- strings.Join(attrs, " ")
	}
	return nil
}

// WithAttrs returns h.
func (h exportLines) WithAttrs([]slog.Attr) slog.Handler { return h }

// WithGroup returns h.
func (h exportLines) WithGroup(string) slog.Handler { return h }

// TestLogExports starts a Server and checks that its log lists every
// export with each group of its clients and the options they get: one
// line per rule, one for an export without rules.
func TestLogExports(t *testing.T) {
	entries, err := export.Parse("exports", strings.NewReader(
		"/a 127.0.0.1(rw,no_root_squash,insecure,fsid=1) 192.0.2.0/24(fsid=1)\n"))
	require.NoError(t, err)
	fsys := memfs.New(nil)
	table, err := export.Build(entries, func(string) (vfs.FS, error) { return fsys, nil })
	require.NoError(t, err)
	require.NoError(t, table.Add(&export.Export{ID: 2, Path: "/b", FS: fsys, Policy: export.Policy{ReadOnly: true, AllSquash: true}}))
	require.NoError(t, table.Add(&export.Export{ID: 3, Path: "/c", FS: fsys, Policy: export.Policy{Clients: []string{"192.0.2.7", "192.0.2.8"}}}))

	lines := make(exportLines, 16)
	srv := testServer(t, "/", fsys)
	srv.Exports, srv.Logger = table, slog.New(lines)
	startServer(t, srv)

	// The exports are logged before the Server is ready.
	var got []string
	for len(lines) > 0 {
		got = append(got, <-lines)
	}
	require.Equal(t, []string{
		"path=/a id=1 clients=127.0.0.1 read-only=false squash=none secure=false",
		"path=/a id=1 clients=192.0.2.0/24 read-only=true squash=root secure=true",
		"path=/b id=2 clients=every host read-only=true squash=all secure=false",
		"path=/c id=3 clients=192.0.2.7 192.0.2.8 read-only=false squash=root secure=false",
	}, got)
}
