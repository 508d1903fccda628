package nfs3_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/nfskit/nfskit/xdr"
	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/mount"
	. "github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// The identities the tests call with.
const (
	uidAlice = 1000 // owns what she makes
	uidBob   = 2000 // someone else
	gidStaff = 100  // both are in it
)

// srvEnv is an NFS server with memfs exports, served over TCP on loopback.
type srvEnv struct {
	t      *testing.T
	table  *export.Table
	srv    *Server
	addr   net.Addr
	exp    *export.Export // the export under test, id 1 at /export
	root   NfsFh3
	alice  *V3Client
	bob    *V3Client
	closed bool
}

// newSrvEnv serves a fresh memfs at /export (id 1, with the given policy and
// a root directory open to all) and another at /other (id 2).
func newSrvEnv(t *testing.T, policy export.Policy) *srvEnv {
	t.Helper()
	return newSrvEnvFS(t, policy, memfs.New(&memfs.Options{RootMode: 0o1777}))
}

// newSrvEnvFS is newSrvEnv over a file system of the test's own.
func newSrvEnvFS(t *testing.T, policy export.Policy, fs vfs.FS) *srvEnv {
	t.Helper()
	e := &srvEnv{t: t}
	e.exp = &export.Export{ID: 1, Path: "/export", FS: fs, Policy: policy}
	other := &export.Export{ID: 2, Path: "/other", FS: memfs.New(&memfs.Options{RootMode: 0o777})}
	var err error
	e.table, err = export.NewTable(e.exp, other)
	require.NoError(t, err)
	e.srv = NewServer(e.table, nil)
	mux := rpc.NewMux()
	e.srv.Register(mux)
	mount.NewServer(e.table, nil).Register(mux)
	e.addr = rpctest.Serve(t, mux, rpctest.TCPOnly()).TCP
	fh, err := e.exp.RootHandle(context.Background())
	require.NoError(t, err)
	e.root = NfsFh3{Data: fh}
	e.alice = e.client(uidAlice, gidStaff)
	e.bob = e.client(uidBob, gidStaff)
	return e
}

// dial returns an rpc.Client to the server with the given credentials.
func (e *srvEnv) dial(auth rpc.Auth) *rpc.Client {
	e.t.Helper()
	c, err := rpc.Dial(context.Background(), "tcp", e.addr.String(), &rpc.ClientOptions{Auth: auth, Retransmit: 200 * time.Millisecond})
	require.NoError(e.t, err)
	e.t.Cleanup(func() { c.Close() })
	return c
}

// client returns an NFS client calling as uid and gid over AUTH_SYS.
func (e *srvEnv) client(uid, gid uint32, groups ...uint32) *V3Client {
	e.t.Helper()
	auth, err := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: "test", Uid: uid, Gid: gid, Gids: groups})
	require.NoError(e.t, err)
	return NewV3Client(e.dial(auth))
}

// anonymous returns an NFS client calling with AUTH_NONE.
func (e *srvEnv) anonymous() *V3Client { return NewV3Client(e.dial(rpc.AuthNone{})) }

var bg = context.Background()

// mode returns settable attributes that set the permission bits.
func setMode(m uint32) Sattr3 { return Sattr3{Mode: SetMode3{SetIt: true, Mode: Mode3(m)}} }

// create makes a regular file named name in dir as c, with mode m.
func (e *srvEnv) create(c *V3Client, dir NfsFh3, name string, m uint32) NfsFh3 {
	e.t.Helper()
	attrs := setMode(m)
	res, err := c.Create(bg, &CREATE3args{Where: Diropargs3{Dir: dir, Name: Filename3(name)}, How: Createhow3{Mode: GUARDED, ObjAttributes: &attrs}})
	require.NoError(e.t, err)
	require.Equal(e.t, NFS3_OK, res.Status, "CREATE %s", name)
	require.True(e.t, res.Resok.Obj.HandleFollows)
	return *res.Resok.Obj.Handle
}

// mkdir makes a directory named name in dir as c, with mode m.
func (e *srvEnv) mkdir(c *V3Client, dir NfsFh3, name string, m uint32) NfsFh3 {
	e.t.Helper()
	res, err := c.Mkdir(bg, &MKDIR3args{Where: Diropargs3{Dir: dir, Name: Filename3(name)}, Attributes: setMode(m)})
	require.NoError(e.t, err)
	require.Equal(e.t, NFS3_OK, res.Status, "MKDIR %s", name)
	return *res.Resok.Obj.Handle
}

// write writes data at off as c, FILE_SYNC.
func (e *srvEnv) write(c *V3Client, fh NfsFh3, off uint64, data []byte) *WRITE3resok {
	e.t.Helper()
	res, err := c.Write(bg, &WRITE3args{File: fh, Offset: Offset3(off), Count: Count3(len(data)), Stable: FILE_SYNC, Data: data})
	require.NoError(e.t, err)
	require.Equal(e.t, NFS3_OK, res.Status)
	return res.Resok
}

// getattr returns a file's attributes.
func (e *srvEnv) getattr(c *V3Client, fh NfsFh3) Fattr3 {
	e.t.Helper()
	res, err := c.Getattr(bg, &GETATTR3args{Object: fh})
	require.NoError(e.t, err)
	require.Equal(e.t, NFS3_OK, res.Status)
	return res.Resok.ObjAttributes
}

// status returns the status of a GETATTR of fh.
func (e *srvEnv) status(c *V3Client, fh NfsFh3) Nfsstat3 {
	e.t.Helper()
	res, err := c.Getattr(bg, &GETATTR3args{Object: fh})
	require.NoError(e.t, err)
	return res.Status
}

// lookup returns the status and handle of a LOOKUP.
func (e *srvEnv) lookup(c *V3Client, dir NfsFh3, name string) (Nfsstat3, NfsFh3) {
	e.t.Helper()
	res, err := c.Lookup(bg, &LOOKUP3args{What: Diropargs3{Dir: dir, Name: Filename3(name)}})
	require.NoError(e.t, err)
	if res.Status != NFS3_OK {
		return res.Status, NfsFh3{}
	}
	return res.Status, res.Resok.Object
}

// where returns the diropargs of name in dir.
func dirop(dir NfsFh3, name string) Diropargs3 { return Diropargs3{Dir: dir, Name: Filename3(name)} }

// procCall is a call of a procedure with its arguments.
type procCall struct {
	proc uint32
	args xdr.Marshaler
}

// name returns the procedure's name.
func (pc procCall) name() string {
	p, _ := V3Program.Procedure(pc.proc)
	return p.Name
}

// statusOnly decodes the status of any NFSv3 result and skips the rest.
type statusOnly struct{ status Nfsstat3 }

func (s *statusOnly) UnmarshalXDR(d *xdr.Decoder) error {
	s.status = Nfsstat3(d.Int32())
	d.Skip(d.Remaining())
	return d.Err()
}

// call makes a call and returns the status of its result.
func (e *srvEnv) call(c *V3Client, pc procCall) Nfsstat3 {
	e.t.Helper()
	var res statusOnly
	require.NoError(e.t, c.Caller.Call(bg, NFS_PROGRAM, NFS_V3, pc.proc, pc.args, &res), pc.name())
	return res.status
}
