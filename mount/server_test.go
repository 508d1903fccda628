package mount_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

var bg = context.Background()

// mountEnv is a MOUNT server over three exports (/export, /private and
// /secure), on loopback TCP.
type mountEnv struct {
	t     *testing.T
	table *export.Table
	srv   *mount.Server
	addr  string
	fs    vfs.FS
}

func newMountEnv(t *testing.T, opts *mount.ServerOptions) *mountEnv {
	t.Helper()
	return newMountEnvFS(t, opts, memfs.New(&memfs.Options{RootMode: 0o755}))
}

// newMountEnvFS is newMountEnv with fs, of the test's choosing, exported
// at /export.
func newMountEnvFS(t *testing.T, opts *mount.ServerOptions, fs vfs.FS) *mountEnv {
	t.Helper()
	e := &mountEnv{t: t, fs: fs}
	var err error
	e.table, err = export.NewTable(
		&export.Export{ID: 1, Path: "/export", FS: e.fs, Policy: export.Policy{NoRootSquash: true}},
		&export.Export{ID: 2, Path: "/private", FS: memfs.New(nil), Policy: export.Policy{Clients: []string{"192.0.2.0/24", "2001:db8::1"}}},
		&export.Export{ID: 3, Path: "/secure", FS: memfs.New(nil), Policy: export.Policy{
			Flavors: []rpc.AuthFlavor{rpc.AUTH_SYS}, RequirePrivilegedPort: true}},
	)
	require.NoError(t, err)
	root, _ := e.fs.Root(bg)
	sub, _, err := e.fs.Mkdir(bg, &vfs.Root, root, "sub", vfs.SetAttr{})
	require.NoError(t, err)
	_, _, err = e.fs.Create(bg, &vfs.Root, sub, "file", vfs.CreateHow{})
	require.NoError(t, err)
	e.srv = mount.NewServer(e.table, opts)
	mux := rpc.NewMux()
	e.srv.Register(mux)
	e.addr = rpctest.Serve(t, mux, rpctest.TCPOnly()).TCP.String()
	return e
}

// client returns a MOUNT client calling as the given machine ("" for
// AUTH_NONE).
func (e *mountEnv) client(machine string) *mount.V3Client {
	e.t.Helper()
	var auth rpc.Auth = rpc.AuthNone{}
	if machine != "" {
		a, err := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: machine})
		require.NoError(e.t, err)
		auth = a
	}
	c, err := rpc.Dial(bg, "tcp", e.addr, &rpc.ClientOptions{Auth: auth})
	require.NoError(e.t, err)
	e.t.Cleanup(func() { c.Close() })
	return mount.NewV3Client(c)
}

func TestServerMnt(t *testing.T) {
	e := newMountEnv(t, nil)
	c := e.client("vm1")
	root, err := e.fs.Root(bg)
	require.NoError(t, err)
	rootFH, err := export.EncodeHandle(1, root)
	require.NoError(t, err)
	cases := []struct {
		path    string
		want    mount.Mountstat3
		fh      []byte
		flavors []int32
	}{
		{"/export", mount.MNT3_OK, rootFH, []int32{int32(rpc.AUTH_SYS), int32(rpc.AUTH_NONE)}},
		{"/export/", mount.MNT3_OK, rootFH, nil},
		{"//export/./", mount.MNT3_OK, rootFH, nil},
		{"/export/sub", mount.MNT3_OK, nil, nil},
		{"/export/sub/file", mount.MNT3ERR_NOTDIR, nil, nil},
		{"/export/nope", mount.MNT3ERR_NOENT, nil, nil},
		{"/export/../private", mount.MNT3ERR_NOENT, nil, nil},
		{"/nonexistent", mount.MNT3ERR_NOENT, nil, nil},
		{"relative", mount.MNT3ERR_NOENT, nil, nil},
		{"/private", mount.MNT3ERR_ACCES, nil, nil},
		{"/secure", mount.MNT3ERR_ACCES, nil, nil}, // from an unprivileged port
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			res, err := c.Mnt(bg, mount.Dirpath(tc.path))
			require.NoError(t, err)
			require.Equal(t, tc.want, res.FhsStatus)
			if tc.want != mount.MNT3_OK {
				require.Nil(t, res.Mountinfo)
				return
			}
			require.LessOrEqual(t, len(res.Mountinfo.Fhandle), export.MaxHandleSize)
			if tc.fh != nil {
				require.Equal(t, tc.fh, []byte(res.Mountinfo.Fhandle))
			}
			if tc.flavors != nil {
				require.Equal(t, tc.flavors, res.Mountinfo.AuthFlavors)
			}
			ex, _, err := e.table.Resolve(res.Mountinfo.Fhandle)
			require.NoError(t, err)
			require.Equal(t, uint32(1), ex.ID)
		})
	}
	// The handle of a subdirectory is the backend's.
	res, err := c.Mnt(bg, "/export/sub")
	require.NoError(t, err)
	_, h, err := e.table.Resolve(res.Mountinfo.Fhandle)
	require.NoError(t, err)
	a, err := e.fs.GetAttr(bg, &vfs.Root, h)
	require.NoError(t, err)
	require.Equal(t, vfs.TypeDirectory, a.Type)
}

func TestServerMntWalksAsTheCaller(t *testing.T) {
	e := newMountEnv(t, nil)
	root, _ := e.fs.Root(bg)
	_, _, err := e.fs.Mkdir(bg, &vfs.Root, root, "closed", vfs.SetAttr{Mode: ptr(uint32(0o700))})
	require.NoError(t, err)
	locked, _, err := e.fs.Mkdir(bg, &vfs.Root, root, "locked", vfs.SetAttr{Mode: ptr(uint32(0o700))})
	require.NoError(t, err)
	_, _, err = e.fs.Mkdir(bg, &vfs.Root, locked, "inner", vfs.SetAttr{})
	require.NoError(t, err)
	// AUTH_NONE callers are anonymous and may not search a 0700
	// directory of root's; an AUTH_SYS root (not squashed here) may.
	res, err := e.client("").Mnt(bg, "/export/locked/inner")
	require.NoError(t, err)
	require.Equal(t, mount.MNT3ERR_ACCES, res.FhsStatus)
	res, err = e.client("root").Mnt(bg, "/export/locked/inner")
	require.NoError(t, err)
	require.Equal(t, mount.MNT3_OK, res.FhsStatus)
	// The directory itself needs no search permission.
	res, err = e.client("").Mnt(bg, "/export/closed")
	require.NoError(t, err)
	require.Equal(t, mount.MNT3_OK, res.FhsStatus)
}

func ptr[T any](v T) *T { return &v }

func TestServerDumpUmnt(t *testing.T) {
	e := newMountEnv(t, &mount.ServerOptions{MaxMounts: 3})
	vm1, vm2, anon := e.client("vm1"), e.client("vm2"), e.client("")
	dump := func() []mount.Mountbody {
		list, err := vm1.Dump(bg)
		require.NoError(t, err)
		return list
	}
	require.Empty(t, dump())
	for _, p := range []string{"/export", "/export/sub/"} {
		res, err := vm1.Mnt(bg, mount.Dirpath(p))
		require.NoError(t, err)
		require.Equal(t, mount.MNT3_OK, res.FhsStatus)
	}
	_, err := anon.Mnt(bg, "/export")
	require.NoError(t, err)
	// All three come from 127.0.0.1: the anonymous one, of the same
	// address and directory as vm1's first, replaces it.
	require.Equal(t, []mount.Mountbody{
		{MlHostname: "vm1", MlDirectory: "/export/sub"},
		{MlHostname: "127.0.0.1", MlDirectory: "/export"},
	}, dump())
	// A failed mount is not listed.
	_, err = vm2.Mnt(bg, "/nonexistent")
	require.NoError(t, err)
	require.Len(t, dump(), 2)

	require.NoError(t, vm2.Umnt(bg, "/export/sub"))
	require.Equal(t, []mount.Mountbody{{MlHostname: "127.0.0.1", MlDirectory: "/export"}}, dump())
	require.NoError(t, vm2.Umnt(bg, "/never/mounted"))
	require.NoError(t, vm2.Umnt(bg, "relative"))

	for _, p := range []string{"/export", "/export/sub", "/export/sub/"} {
		_, err := vm1.Mnt(bg, mount.Dirpath(p))
		require.NoError(t, err)
	}
	require.Len(t, dump(), 2)
	require.NoError(t, vm2.Umntall(bg))
	require.Empty(t, dump())
	require.Empty(t, e.srv.Mounts())
}

func TestServerDumpBounded(t *testing.T) {
	e := newMountEnv(t, &mount.ServerOptions{MaxMounts: 2})
	root, _ := e.fs.Root(bg)
	c := e.client("vm")
	for _, name := range []string{"a", "b", "c"} {
		_, _, err := e.fs.Mkdir(bg, &vfs.Root, root, name, vfs.SetAttr{})
		require.NoError(t, err)
		res, err := c.Mnt(bg, mount.Dirpath("/export/"+name))
		require.NoError(t, err)
		require.Equal(t, mount.MNT3_OK, res.FhsStatus)
	}
	require.Equal(t, mount.Mountlist{{MlHostname: "vm", MlDirectory: "/export/b"}, {MlHostname: "vm", MlDirectory: "/export/c"}}, e.srv.Mounts())
}

func TestServerExport(t *testing.T) {
	e := newMountEnv(t, nil)
	list, err := e.client("").Export(bg)
	require.NoError(t, err)
	require.Equal(t, mount.Exports{
		{ExDir: "/export"},
		{ExDir: "/private", ExGroups: mount.Groups{{GrName: "192.0.2.0/24"}, {GrName: "2001:db8::1"}}},
		{ExDir: "/secure"},
	}, list)
	e.table.Remove(2)
	list, err = e.client("").Export(bg)
	require.NoError(t, err)
	require.Len(t, list, 2)
}

func TestServerMountGarbageArgs(t *testing.T) {
	e := newMountEnv(t, nil)
	raw := e.client("vm").Caller
	for _, proc := range []uint32{mount.MOUNTPROC3_MNT, mount.MOUNTPROC3_UMNT} {
		for _, body := range [][]byte{nil, {0, 0, 0}, {0, 0, 4, 1}, {0, 0, 0, 1, 'a', 0, 0, 0, 0}} {
			err := raw.Call(bg, mount.MOUNT_PROGRAM, mount.MOUNT_V3, proc, rpc.RawResults(body), nil)
			require.ErrorIs(t, err, rpc.GARBAGE_ARGS, "proc %d %x", proc, body)
		}
	}
	for _, proc := range []uint32{mount.MOUNTPROC3_NULL, mount.MOUNTPROC3_DUMP, mount.MOUNTPROC3_UMNTALL, mount.MOUNTPROC3_EXPORT} {
		err := raw.Call(bg, mount.MOUNT_PROGRAM, mount.MOUNT_V3, proc, rpc.RawResults{0, 0, 0, 0}, nil)
		require.ErrorIs(t, err, rpc.GARBAGE_ARGS, "proc %d", proc)
	}
	require.ErrorIs(t, raw.Call(bg, mount.MOUNT_PROGRAM, mount.MOUNT_V3, 6, nil, nil), rpc.PROC_UNAVAIL)
	require.NoError(t, e.client("vm").Null(bg))
}
