package nfsd

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// v4client sends 4.0 COMPOUNDs to a Server.
type v4client struct {
	t  *testing.T
	cl *nfs4.V4Client
}

func dialV4(t *testing.T, srv *Server) *v4client {
	rc, err := rpc.Dial(context.Background(), "tcp", srv.Endpoints(ServiceNFS)[0].TCP.String(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { rc.Close() })
	return &v4client{t: t, cl: nfs4.NewV4Client(rc)}
}

func (c *v4client) call(ops ...nfs4.NfsArgop4) *nfs4.COMPOUND4res {
	c.t.Helper()
	res, err := c.cl.Compound(context.Background(), &nfs4.COMPOUND4args{Argarray: ops})
	require.NoError(c.t, err)
	return res
}

// clientID makes and confirms a client id for name.
func (c *v4client) clientID(name string) nfs4.Clientid4 {
	c.t.Helper()
	res := c.call(nfs4.NfsArgop4{Argop: nfs4.OP_SETCLIENTID, Opsetclientid: &nfs4.SETCLIENTID4args{
		Client: nfs4.NfsClientId4{Id: []byte(name)}, Callback: nfs4.CbClient4{CbLocation: nfs4.Netaddr4{NaRNetid: "tcp", NaRAddr: "127.0.0.1.0.1"}}}})
	require.Equal(c.t, nfs4.NFS4_OK, res.Status)
	ok := res.Resarray[0].Opsetclientid.Resok4
	res = c.call(nfs4.NfsArgop4{Argop: nfs4.OP_SETCLIENTID_CONFIRM, OpsetclientidConfirm: &nfs4.SETCLIENTIDCONFIRM4args{
		Clientid: ok.Clientid, SetclientidConfirm: ok.SetclientidConfirm}})
	require.Equal(c.t, nfs4.NFS4_OK, res.Status)
	return ok.Clientid
}

// open opens f at the export's root by owner of id: created (CLAIM_NULL)
// or reclaimed (CLAIM_PREVIOUS), confirmed if it must be.
func (c *v4client) open(id nfs4.Clientid4, owner string, reclaim bool) nfs4.Nfsstat4 {
	c.t.Helper()
	a := &nfs4.OPEN4args{ShareAccess: nfs4.OPEN4_SHARE_ACCESS_BOTH, Owner: nfs4.OpenOwner4{Clientid: id, Owner: []byte(owner)}}
	ops := []nfs4.NfsArgop4{{Argop: nfs4.OP_PUTROOTFH}}
	if reclaim {
		ops = append(ops, nfs4.NfsArgop4{Argop: nfs4.OP_LOOKUP, Oplookup: &nfs4.LOOKUP4args{Objname: nfs4.Component4("f")}})
		a.Claim = nfs4.OpenClaim4{Claim: nfs4.CLAIM_PREVIOUS}
	} else {
		a.Openhow = nfs4.Openflag4{Opentype: nfs4.OPEN4_CREATE, How: &nfs4.Createhow4{Mode: nfs4.UNCHECKED4, Createattrs: &nfs4.Fattr4{}}}
		a.Claim = nfs4.OpenClaim4{Claim: nfs4.CLAIM_NULL, File: nfs4.Component4("f")}
	}
	res := c.call(append(ops, nfs4.NfsArgop4{Argop: nfs4.OP_OPEN, Opopen: a}, nfs4.NfsArgop4{Argop: nfs4.OP_GETFH})...)
	if res.Status != nfs4.NFS4_OK {
		return res.Status
	}
	ok := res.Resarray[len(ops)].Opopen.Resok4
	if ok.Rflags&nfs4.OPEN4_RESULT_CONFIRM != 0 {
		fh := res.Resarray[len(ops)+1].Opgetfh.Resok4.Object
		res = c.call(nfs4.NfsArgop4{Argop: nfs4.OP_PUTFH, Opputfh: &nfs4.PUTFH4args{Object: fh}},
			nfs4.NfsArgop4{Argop: nfs4.OP_OPEN_CONFIRM, OpopenConfirm: &nfs4.OPENCONFIRM4args{OpenStateid: ok.Stateid, Seqid: 1}})
	}
	return res.Status
}

// TestNFSv4Restart restarts a Server over the same NFSv4Store: the
// client that held an open reclaims it in the grace period, which an
// unknown client's reclaim (RECLAIM_BAD) and new open (GRACE) do not
// pass, and which ends once the one client that may reclaim has.
func TestNFSv4Restart(t *testing.T) {
	store, err := recovery.NewFileStore(t.TempDir())
	require.NoError(t, err)
	fsys := memfs.New(&memfs.Options{RootMode: 0o777})
	first := testServer(t, "/", fsys)
	first.NFSv4Store = store
	stop := launch(t, first)
	c := dialV4(t, first)
	require.Equal(t, nfs4.NFS4_OK, c.open(c.clientID("a"), "oa", false))
	require.NoError(t, stop())
	snap, err := store.Load(context.Background())
	require.NoError(t, err)
	require.Len(t, snap.Current, 1)

	second := testServer(t, "/", fsys)
	second.NFSv4Store = store
	second.Exports = first.Exports
	launch(t, second)
	c = dialV4(t, second)
	b := c.clientID("b")
	require.Equal(t, nfs4.NFS4ERR_RECLAIM_BAD, c.open(b, "ob", true))
	require.Equal(t, nfs4.NFS4ERR_GRACE, c.open(b, "ob2", false))
	require.Equal(t, nfs4.NFS4_OK, c.open(c.clientID("a"), "oa", true))
	require.Equal(t, nfs4.NFS4_OK, c.open(b, "ob3", false), "grace ended with the last reclaim")
}
