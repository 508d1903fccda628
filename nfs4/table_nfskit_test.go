package nfs4_test

import (
	"context"
	"net"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// serveV4Nfskit serves nfskit's NFSv4 server, with state and locks,
// over loopback TCP, exporting an empty memfs at /path (root not
// squashed, as ganesha's export is), and returns its address.
func serveV4Nfskit(t *testing.T, path string) string { return serveV4NfskitTB(t, path) }

// serveV4NfskitTB is serveV4Nfskit for tests and benchmarks.
func serveV4NfskitTB(t testing.TB, path string) string {
	table := new(export.Table)
	require.NoError(t, table.Add(&export.Export{ID: 1, Path: "/" + path, FS: memfs.New(nil),
		Policy: export.Policy{NoRootSquash: true}}))
	m := state.New(state.Config{Locker: nfs4.ExportLocker(table)})
	mux := rpc.NewMux()
	nfs4.NewServer(table, &nfs4.ServerOptions{State: nfs4.NewStateManager(m, nil)}).Register(mux)
	srv := &rpc.Server{Handler: mux}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// TestV4TableNfskit runs the table of COMPOUNDs of builder_table_test.go
// against nfskit's own server in minor versions 0 and 1, with no quirks:
// where ganesha departs from the RFCs (v4Quirks), ours follows them.
// Where the two answer the table differently:
//   - WRITE under an open downgraded to read: ours fails it with
//     NFS4ERR_OPENMODE as the RFCs have it; ganesha lets it through
//     (v4Quirks.writeUnderReadOpen).
//   - a 4.1 COMPOUND whose first operation is not SEQUENCE: ours
//     answers NFS4ERR_OP_NOT_IN_SESSION with that operation's result,
//     as RFC 5661 sections 16.2.3 and 18.46.3 have it; ganesha sends no
//     result (v4Quirks.opNotInSessionNoResult).
//   - minor version 2: ours serves none, so a 4.2 COMPOUND gets
//     NFS4ERR_MINOR_VERS_MISMATCH and no results (the table's own check
//     with minor version 3, here with 2); ganesha runs the table in 4.2.
//
// Where the RFCs leave the server a choice, ours and ganesha may choose
// differently and the table takes either: ours too asks a 4.0 open-owner
// to confirm its first OPEN (RFC 7530 section 16.16.5), writes the owner
// of uid 0 as "0" (NumericIDs) where ganesha writes "root", and grants
// the 8 slots asked for.
func TestV4TableNfskit(t *testing.T) {
	for _, minor := range []uint32{0, 1} {
		t.Run("4."+strconv.Itoa(int(minor)), func(t *testing.T) {
			runV4Table(t, serveV4Nfskit(t, "export"), "export", minor, v4Quirks{})
		})
	}
	// Ours serves no 4.2: a 4.2 COMPOUND is refused whole, as RFC 5661
	// section 16.2.3 has it for a minor version the server lacks.
	t.Run("4.2", func(t *testing.T) {
		ctx := context.Background()
		c, err := rpc.Dial(ctx, "tcp", serveV4Nfskit(t, "export"), nil)
		require.NoError(t, err)
		defer c.Close()
		res, err := nfs4.NewCompound(2).PutRootFH().GetFH().Call(ctx, c)
		require.NoError(t, err)
		require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_MINOR_VERS_MISMATCH)
		require.Zero(t, res.Len())
	})
}
