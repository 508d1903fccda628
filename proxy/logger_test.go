package proxy_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/programs"
	"github.com/nfskit/nfskit/proxy"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// nullWriter is a ReplyWriter that sends nothing.
type nullWriter struct{}

func (nullWriter) Reply(xdr.Marshaler) error           { return nil }
func (nullWriter) Error(rpc.AcceptStat) error          { return nil }
func (nullWriter) ProgMismatch(low, high uint32) error { return nil }
func (nullWriter) AuthError(rpc.AuthStat) error        { return nil }
func (nullWriter) Drop()                               {}

// TestLoggerNamesEveryProgram logs a call of the first procedure of every
// program version the library describes: each record names the program
// and procedure as the program's definition does, from the table alone.
func TestLoggerNamesEveryProgram(t *testing.T) {
	var logs logBuffer
	answer := rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) { w.Reply(nil) })
	h := proxy.Logger(slog.New(slog.NewJSONHandler(&logs, nil)), nil)(answer)
	all := programs.Table().All()
	require.NotEmpty(t, all)
	for _, p := range all {
		h.ServeRPC(context.Background(), nullWriter{}, &rpc.Call{Prog: p.Prog, Vers: p.Vers, Proc: p.Procedures[0].Num,
			Transport: rpc.Transport{Network: "tcp", RemoteAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 700}}})
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, len(all))
	for i, p := range all {
		var rec struct{ Prog, Proc, Reply string }
		require.NoError(t, json.Unmarshal([]byte(lines[i]), &rec))
		require.Equal(t, p.Name, rec.Prog)
		require.Equal(t, p.Procedures[0].Name, rec.Proc)
		require.Equal(t, "SUCCESS", rec.Reply)
	}
}
