package nfsd

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
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
	a := c.clientID("a")
	require.Equal(t, nfs4.NFS4_OK, c.open(a, "oa", true))
	require.Equal(t, nfs4.NFS4ERR_GRACE, c.open(b, "ob3", false), "a 4.0 client may have more to reclaim")
	// A 4.0 client has reclaimed all it held once it asks for new state.
	require.Equal(t, nfs4.NFS4ERR_GRACE, c.open(a, "oa2", false))
	require.Equal(t, nfs4.NFS4_OK, c.open(b, "ob4", false), "grace ended when the last client finished reclaiming")
}

// openFile opens the existing file name at the export's root by a new
// owner of id and confirms the open: its stateid and handle.
func (c *v4client) openFile(id nfs4.Clientid4, owner, name string) (nfs4.Stateid4, []byte) {
	c.t.Helper()
	res := c.call(nfs4.NfsArgop4{Argop: nfs4.OP_PUTROOTFH}, nfs4.NfsArgop4{Argop: nfs4.OP_OPEN, Opopen: &nfs4.OPEN4args{
		ShareAccess: nfs4.OPEN4_SHARE_ACCESS_BOTH, Owner: nfs4.OpenOwner4{Clientid: id, Owner: []byte(owner)},
		Claim: nfs4.OpenClaim4{Claim: nfs4.CLAIM_NULL, File: nfs4.Component4(name)}}}, nfs4.NfsArgop4{Argop: nfs4.OP_GETFH})
	require.Equal(c.t, nfs4.NFS4_OK, res.Status)
	ok, fh := res.Resarray[1].Opopen.Resok4, res.Resarray[2].Opgetfh.Resok4.Object
	res = c.call(nfs4.NfsArgop4{Argop: nfs4.OP_PUTFH, Opputfh: &nfs4.PUTFH4args{Object: fh}},
		nfs4.NfsArgop4{Argop: nfs4.OP_OPEN_CONFIRM, OpopenConfirm: &nfs4.OPENCONFIRM4args{OpenStateid: ok.Stateid, Seqid: 1}})
	require.Equal(c.t, nfs4.NFS4_OK, res.Status)
	return res.Resarray[1].OpopenConfirm.Resok4.OpenStateid, fh
}

// TestNFSv4AndNLMLocks locks one file of a Server through its lock
// manager (NLM, from an NFSv3 client) and with NFSv4 LOCK: each is
// refused while the other holds a conflicting lock, and DENIED names
// the NLM client.
func TestNFSv4AndNLMLocks(t *testing.T) {
	srv := startServer(t, testServer(t, "/", memfs.New(&memfs.Options{RootMode: 0o777})))
	ctx, cancel := context.WithTimeout(t.Context(), testWait)
	defer cancel()
	v3 := mountLocking(t, ctx, srv, "tcp", "client-a", nil)
	f, err := v3.Create(ctx, "shared", 0o666)
	require.NoError(t, err)
	_, err = f.Write([]byte("0123456789"))
	require.NoError(t, err)

	c := dialV4(t, srv)
	id := c.clientID("v4")
	open, fh := c.openFile(id, "o", "shared")
	lock := func(off, length uint64, openSeqid uint32) *nfs4.COMPOUND4res {
		return c.call(nfs4.NfsArgop4{Argop: nfs4.OP_PUTFH, Opputfh: &nfs4.PUTFH4args{Object: fh}},
			nfs4.NfsArgop4{Argop: nfs4.OP_LOCK, Oplock: &nfs4.LOCK4args{Locktype: nfs4.WRITE_LT, Offset: nfs4.Offset4(off), Length: nfs4.Length4(length),
				Locker: nfs4.Locker4{NewLockOwner: true, OpenOwner: &nfs4.OpenToLockOwner4{OpenSeqid: nfs4.Seqid4(openSeqid), OpenStateid: open,
					LockOwner: nfs4.LockOwner4{Clientid: id, Owner: []byte("l")}}}}})
	}

	// NLM first: NFSv4 is denied, and told who holds the lock.
	require.NoError(t, f.Lock(ctx, vfs.WriteLock, 0, 10))
	res := lock(5, 1, 2)
	require.Equal(t, nfs4.NFS4ERR_DENIED, res.Status)
	denied := res.Resarray[1].Oplock.Denied
	require.Equal(t, nfs4.Offset4(0), denied.Offset)
	require.Equal(t, nfs4.Length4(10), denied.Length)
	require.Equal(t, []byte("client-a"), denied.Owner.Owner)
	require.NoError(t, f.Unlock(ctx, 0, 10))

	// NFSv4 first: NLM is denied.
	res = lock(0, 100, 3)
	require.Equal(t, nfs4.NFS4_OK, res.Status)
	require.ErrorIs(t, f.TryLock(ctx, vfs.ReadLock, 50, 1), vfs.ErrLocked)
	require.NoError(t, f.TryLock(ctx, vfs.ReadLock, 100, 1))
}
