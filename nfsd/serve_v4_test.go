package nfsd

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// TestServeNFSv4 serves NFSv4 beside NFSv3 on the NFS port: a file
// written over NFSv3 is found by a 4.0 COMPOUND over TCP, PUTROOTFH,
// LOOKUP and GETATTR, and the port mapper lists version 4. With NoNFSv4
// version 4 is refused.
func TestServeNFSv4(t *testing.T) {
	for _, off := range []bool{false, true} {
		srv := testServer(t, "/", memfs.New(&memfs.Options{RootMode: 0o777}))
		srv.NoNFSv4 = off
		ls, ctx, cancel, done := serveHandedIn(t, srv)
		cl := mountServer(t, ctx, srv)
		require.NoError(t, cl.WriteFile(ctx, "f", []byte("written over v3"), 0o644))

		pm, err := portmap.Dial(ctx, "tcp", ls[ServicePortmap].Stream.Addr().String(), nil)
		require.NoError(t, err)
		maps, err := pm.PmapDump(ctx)
		pm.Close()
		require.NoError(t, err)
		var v4ports []int
		for _, m := range maps {
			if m.Prog == nfs4.NFS4_PROGRAM && m.Vers == nfs4.NFS_V4 {
				v4ports = append(v4ports, int(m.Port))
			}
		}
		if off {
			require.Empty(t, v4ports)
		} else {
			require.Equal(t, []int{srv.Port(ServiceNFS), srv.Port(ServiceNFS)}, v4ports, "TCP and UDP")
		}

		rc, err := rpc.Dial(ctx, "tcp", ls[ServiceNFS].Stream.Addr().String(), nil)
		require.NoError(t, err)
		res, err := nfs4.NewV4Client(rc).Compound(ctx, &nfs4.COMPOUND4args{Tag: nfs4.Utf8strCs("nfsd"), Argarray: []nfs4.NfsArgop4{
			{Argop: nfs4.OP_PUTROOTFH},
			{Argop: nfs4.OP_LOOKUP, Oplookup: &nfs4.LOOKUP4args{Objname: nfs4.Component4("f")}},
			{Argop: nfs4.OP_GETATTR, Opgetattr: &nfs4.GETATTR4args{AttrRequest: nfs4.Bitmap4{1 << nfs4.FATTR4_SIZE}}},
		}})
		rc.Close()
		if off {
			require.Error(t, err)
		} else {
			require.NoError(t, err)
			require.Equal(t, nfs4.NFS4_OK, res.Status)
			require.Len(t, res.Resarray, 3)
			vals := res.Resarray[2].Opgetattr.Resok4.ObjAttributes.AttrVals
			require.Len(t, vals, 8)
			require.Equal(t, uint64(len("written over v3")), binary.BigEndian.Uint64(vals))
		}
		require.NoError(t, cl.Close())
		cancel()
		require.NoError(t, <-done)
	}
}
