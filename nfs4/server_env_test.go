package nfs4

import (
	"context"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
	"github.com/nfskit/nfskit/xdr"
)

var bg = context.Background()

// recorder is an rpc.ReplyWriter that keeps what a handler answered.
type recorder struct {
	body    []byte
	replied bool
	accept  rpc.AcceptStat
	auth    rpc.AuthStat
}

func (r *recorder) Reply(m xdr.Marshaler) error {
	var e xdr.Encoder
	if m != nil {
		if err := m.MarshalXDR(&e); err != nil {
			return err
		}
	}
	r.body, r.replied = e.Bytes(), true
	return nil
}
func (r *recorder) Error(s rpc.AcceptStat) error        { r.accept = s; return nil }
func (r *recorder) ProgMismatch(low, high uint32) error { return nil }
func (r *recorder) AuthError(s rpc.AuthStat) error      { r.auth = s; return nil }
func (r *recorder) Drop()                               {}

// env is a server over memfs exports, called as AUTH_SYS uid 1000.
type env struct {
	t     *testing.T
	table *export.Table
	srv   *Server
	h     rpc.Handler
	fs    map[string]*memfs.FS
	uid   uint32
}

// newEnv serves a memfs at each path.
func newEnv(t *testing.T, paths ...string) *env { return newEnvT(t, t, paths...) }

func newEnvT(tt *testing.T, t require.TestingT, paths ...string) *env {
	e := &env{t: tt, table: new(export.Table), fs: map[string]*memfs.FS{}, uid: 1000}
	for i, p := range paths {
		fs := memfs.New(nil)
		e.fs[p] = fs
		root, err := fs.Root(bg)
		require.NoError(t, err)
		_, err = fs.SetAttr(bg, &vfs.Root, root, vfs.SetAttr{Mode: ptr(uint32(0o1777))})
		require.NoError(t, err)
		require.NoError(t, e.table.Add(&export.Export{ID: uint32(i + 1), Path: p, FS: fs, Policy: export.Policy{NoRootSquash: true}}))
	}
	e.srv = NewServer(e.table, nil)
	e.h = e.srv.Handler()
	return e
}

// call builds an AUTH_SYS call of uid with the given arguments.
func (e *env) call(args []byte) *rpc.Call { return e.callB(e.t, args) }

func (e *env) callB(t require.TestingT, args []byte) *rpc.Call {
	cred, err := xdr.Marshal(&rpc.AuthsysParms{Machinename: "client", Uid: e.uid, Gid: e.uid})
	require.NoError(t, err)
	return &rpc.Call{Prog: NFS4_PROGRAM, Vers: NFS_V4, Proc: NFSPROC4_COMPOUND, Args: args,
		Cred:      rpc.OpaqueAuth{Flavor: rpc.AUTH_SYS, Body: cred},
		Transport: rpc.Transport{Network: "tcp", RemoteAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 700}}}
}

// raw sends encoded COMPOUND arguments through the handler.
func (e *env) raw(args []byte) *recorder {
	var r recorder
	e.h.ServeRPC(bg, &r, e.call(args))
	return &r
}

// compound runs a COMPOUND of minor version minor and returns its reply.
func (e *env) compound(minor uint32, ops ...NfsArgop4) *COMPOUND4res {
	e.t.Helper()
	args := COMPOUND4args{Tag: Utf8strCs("t"), Minorversion: minor, Argarray: ops}
	b, err := xdr.Marshal(&args)
	require.NoError(e.t, err)
	r := e.raw(b)
	require.True(e.t, r.replied, "accept %v auth %v", r.accept, r.auth)
	res := new(COMPOUND4res)
	require.NoError(e.t, xdr.Unmarshal(r.body, res))
	require.Equal(e.t, Utf8strCs("t"), res.Tag)
	return res
}

// ok runs a 4.0 COMPOUND that must succeed.
func (e *env) ok(ops ...NfsArgop4) *COMPOUND4res {
	e.t.Helper()
	res := e.compound(0, ops...)
	require.Equal(e.t, NFS4_OK, res.Status, "results %+v", res.Resarray)
	require.Len(e.t, res.Resarray, len(ops))
	return res
}

// fails runs a 4.0 COMPOUND whose last operation must fail with st.
func (e *env) fails(st Nfsstat4, ops ...NfsArgop4) *COMPOUND4res {
	e.t.Helper()
	res := e.compound(0, ops...)
	require.Equal(e.t, st, res.Status)
	require.Len(e.t, res.Resarray, len(ops))
	return res
}

// Operations.
func putroot() NfsArgop4        { return NfsArgop4{Argop: OP_PUTROOTFH} }
func putfh(fh []byte) NfsArgop4 { return NfsArgop4{Argop: OP_PUTFH, Opputfh: &PUTFH4args{Object: fh}} }
func getfh() NfsArgop4          { return NfsArgop4{Argop: OP_GETFH} }
func savefh() NfsArgop4         { return NfsArgop4{Argop: OP_SAVEFH} }
func restorefh() NfsArgop4      { return NfsArgop4{Argop: OP_RESTOREFH} }
func lookupp() NfsArgop4        { return NfsArgop4{Argop: OP_LOOKUPP} }
func lookup(name string) NfsArgop4 {
	return NfsArgop4{Argop: OP_LOOKUP, Oplookup: &LOOKUP4args{Objname: Component4(name)}}
}
func getattr(attrs ...int) NfsArgop4 {
	m := maskOf(attrs...)
	return NfsArgop4{Argop: OP_GETATTR, Opgetattr: &GETATTR4args{AttrRequest: trim(m)}}
}
func trim(m attrMask) Bitmap4 {
	n := len(m)
	for n > 0 && m[n-1] == 0 {
		n--
	}
	return Bitmap4(append([]uint32(nil), m[:n]...))
}

// fhOf returns the handle a GETFH result holds.
func fhOf(t *testing.T, r NfsResop4) []byte {
	require.Equal(t, OP_GETFH, r.Resop)
	require.NotNil(t, r.Opgetfh.Resok4)
	return r.Opgetfh.Resok4.Object
}

// attrsOf decodes a GETATTR result into attribute values by number.
func attrsOf(t *testing.T, r NfsResop4) map[int]any {
	require.Equal(t, OP_GETATTR, r.Resop)
	require.NotNil(t, r.Opgetattr.Resok4)
	return decodeAttrs(t, &r.Opgetattr.Resok4.ObjAttributes)
}

// decodeAttrs decodes the attributes the tests look at; any other must
// not be in the bitmap.
func decodeAttrs(t *testing.T, f *Fattr4) map[int]any {
	d := xdr.NewDecoder(f.AttrVals)
	out := map[int]any{}
	for w, bits := range f.Attrmask {
		for b := 0; b < 32; b++ {
			if bits&(1<<b) == 0 {
				continue
			}
			n := w*32 + b
			switch n {
			case FATTR4_TYPE, FATTR4_MODE, FATTR4_NUMLINKS, FATTR4_RDATTR_ERROR, FATTR4_LEASE_TIME, FATTR4_FH_EXPIRE_TYPE, FATTR4_MAXNAME, FATTR4_MAXLINK:
				out[n] = d.Uint32()
			case FATTR4_SIZE, FATTR4_FILEID, FATTR4_CHANGE, FATTR4_MOUNTED_ON_FILEID, FATTR4_SPACE_USED, FATTR4_MAXREAD, FATTR4_MAXWRITE, FATTR4_MAXFILESIZE, FATTR4_SPACE_TOTAL, FATTR4_SPACE_FREE, FATTR4_SPACE_AVAIL, FATTR4_FILES_TOTAL, FATTR4_FILES_FREE, FATTR4_FILES_AVAIL:
				out[n] = d.Uint64()
			case FATTR4_FSID:
				out[n] = Fsid4{Major: d.Uint64(), Minor: d.Uint64()}
			case FATTR4_OWNER, FATTR4_OWNER_GROUP:
				out[n] = d.String(1024)
			case FATTR4_FILEHANDLE:
				out[n] = d.Opaque(nil, NFS4_FHSIZE)
			case FATTR4_LINK_SUPPORT, FATTR4_SYMLINK_SUPPORT, FATTR4_NAMED_ATTR, FATTR4_UNIQUE_HANDLES, FATTR4_CASE_PRESERVING, FATTR4_CASE_INSENSITIVE, FATTR4_HIDDEN, FATTR4_SYSTEM, FATTR4_HOMOGENEOUS, FATTR4_CANSETTIME, FATTR4_CHOWN_RESTRICTED, FATTR4_NO_TRUNC:
				out[n] = d.Bool()
			case FATTR4_SUPPORTED_ATTRS, FATTR4_SUPPATTR_EXCLCREAT:
				var m Bitmap4
				require.NoError(t, m.UnmarshalXDR(d))
				out[n] = m
			case FATTR4_TIME_ACCESS, FATTR4_TIME_MODIFY, FATTR4_TIME_METADATA, FATTR4_TIME_DELTA:
				out[n] = Nfstime4{Seconds: d.Int64(), Nseconds: d.Uint32()}
			case FATTR4_RAWDEV:
				out[n] = Specdata4{Specdata1: d.Uint32(), Specdata2: d.Uint32()}
			default:
				t.Fatalf("attribute %d not decoded by the test", n)
			}
		}
	}
	require.NoError(t, d.Err())
	require.Zero(t, d.Remaining(), "attribute values left over")
	return out
}

// mkfile makes a file in an export's backend and returns its wire handle.
func (e *env) mkfile(path, name string, data string) []byte { return e.mkfileT(e.t, path, name, data) }

func (e *env) mkfileT(t require.TestingT, path, name string, data string) []byte {
	fs := e.fs[path]
	root, err := fs.Root(bg)
	require.NoError(t, err)
	cred := vfs.Cred{UID: 1000, GID: 1000}
	h, _, err := fs.Create(bg, &cred, root, name, vfs.CreateHow{Attr: vfs.SetAttr{Mode: ptr(uint32(0o644))}})
	require.NoError(t, err)
	if data != "" {
		_, _, err = fs.Write(bg, &cred, h, 0, []byte(data), vfs.FileSync)
		require.NoError(t, err)
	}
	ex, _ := e.table.Lookup(path)
	fh, err := export.EncodeHandle(ex.ID, h)
	require.NoError(t, err)
	return fh
}

func ptr[T any](v T) *T { return &v }

// with returns e reporting to t, a subtest's.
func (e *env) with(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}
