package nfs3_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/mount"
	. "github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// TestServerExportsFilePerClient serves one export from an exports file
// that gives two loopback addresses their own options, and calls it from
// each address (any 127/8 address is this host on Linux).
func TestServerExportsFilePerClient(t *testing.T) {
	if l, err := net.Listen("tcp", "127.0.0.2:0"); err != nil {
		t.Skipf("this host cannot use 127.0.0.2 (Linux routes all of 127/8 to loopback): %v", err)
	} else {
		l.Close()
	}
	const exports = "/export 127.0.0.1(rw,insecure) 127.0.0.2(ro,no_root_squash,insecure) 127.0.0.4(rw)\n"
	fs := memfs.New(&memfs.Options{RootMode: 0o777})
	root, err := fs.Root(bg)
	require.NoError(t, err)
	alice := &vfs.Cred{UID: uidAlice, GID: gidStaff}
	_, _, err = fs.Create(bg, alice, root, "f", vfs.CreateHow{Attr: vfs.SetAttr{Mode: new(uint32(0o666))}})
	require.NoError(t, err)
	_, _, err = fs.Create(bg, &vfs.Cred{}, root, "secret", vfs.CreateHow{Attr: vfs.SetAttr{Mode: new(uint32(0o600))}})
	require.NoError(t, err)

	entries, err := export.Parse("exports", strings.NewReader(exports))
	require.NoError(t, err)
	table, err := export.Build(entries, func(string) (vfs.FS, error) { return fs, nil })
	require.NoError(t, err)
	mux := rpc.NewMux()
	quiet := slog.New(slog.DiscardHandler)
	NewServer(table, &ServerOptions{Logger: quiet}).Register(mux)
	mount.NewServer(table, &mount.ServerOptions{Logger: quiet}).Register(mux)
	server := rpctest.Serve(t, mux, rpctest.TCPOnly()).TCP

	// from returns a MOUNT and an NFS client calling from the local
	// address with the given identity.
	from := func(local string, uid, gid uint32) (*mount.V3Client, *V3Client) {
		auth, err := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: local, Uid: uid, Gid: gid})
		require.NoError(t, err)
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
		c := rpc.NewClient(func(ctx context.Context) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", server.String())
		}, &rpc.ClientOptions{Auth: auth, Retransmit: 200 * time.Millisecond})
		t.Cleanup(func() { c.Close() })
		return mount.NewV3Client(c), NewV3Client(c)
	}
	mnt := func(m *mount.V3Client) (mount.Mountstat3, NfsFh3) {
		res, err := m.Mnt(bg, "/export")
		require.NoError(t, err)
		if res.FhsStatus != mount.MNT3_OK {
			return res.FhsStatus, NfsFh3{}
		}
		return res.FhsStatus, NfsFh3{Data: res.Mountinfo.Fhandle}
	}
	lookup := func(c *V3Client, dir NfsFh3, name string) NfsFh3 {
		res, err := c.Lookup(bg, &LOOKUP3args{What: Diropargs3{Dir: dir, Name: Filename3(name)}})
		require.NoError(t, err)
		require.Equal(t, NFS3_OK, res.Status)
		return res.Resok.Object
	}
	write := func(c *V3Client, fh NfsFh3) Nfsstat3 {
		res, err := c.Write(bg, &WRITE3args{File: fh, Count: 1, Data: []byte("x"), Stable: FILE_SYNC})
		require.NoError(t, err)
		return res.Status
	}
	read := func(c *V3Client, fh NfsFh3) Nfsstat3 {
		res, err := c.Read(bg, &READ3args{File: fh, Count: 10})
		require.NoError(t, err)
		return res.Status
	}

	cases := []struct {
		local      string
		writeF     Nfsstat3 // a WRITE by alice of her file f
		readSecret Nfsstat3 // a READ by root of root's 0600 file
		createUID  uint32   // the owner of a file root creates (0 if refused)
	}{
		{"127.0.0.1", NFS3_OK, NFS3ERR_ACCES, 65534},
		{"127.0.0.2", NFS3ERR_ROFS, NFS3_OK, 0},
	}
	for _, c := range cases {
		t.Run(c.local, func(t *testing.T) {
			m, aliceNFS := from(c.local, uidAlice, gidStaff)
			st, rootFH := mnt(m)
			require.Equal(t, mount.MNT3_OK, st)
			require.Equal(t, c.writeF, write(aliceNFS, lookup(aliceNFS, rootFH, "f")))

			_, rootNFS := from(c.local, 0, 0)
			require.Equal(t, c.readSecret, read(rootNFS, lookup(rootNFS, rootFH, "secret")))
			attrs := setMode(0o644)
			res, err := rootNFS.Create(bg, &CREATE3args{Where: Diropargs3{Dir: rootFH, Name: Filename3("by-root-" + c.local)},
				How: Createhow3{Mode: GUARDED, ObjAttributes: &attrs}})
			require.NoError(t, err)
			if c.writeF != NFS3_OK {
				require.Equal(t, NFS3ERR_ROFS, res.Status)
				return
			}
			require.Equal(t, NFS3_OK, res.Status)
			require.Equal(t, c.createUID, uint32(res.Resok.ObjAttributes.Attributes.Uid))
		})
	}

	t.Run("an address no rule names", func(t *testing.T) {
		m, nfs := from("127.0.0.3", uidAlice, gidStaff)
		st, _ := mnt(m)
		require.Equal(t, mount.MNT3ERR_ACCES, st)
		fh, err := table.Get(entries[0].ID).RootHandle(bg)
		require.NoError(t, err)
		res, err := nfs.Getattr(bg, &GETATTR3args{Object: NfsFh3{Data: fh}})
		require.NoError(t, err)
		require.Equal(t, NFS3ERR_ACCES, res.Status)
	})

	t.Run("a secure rule and an unprivileged port", func(t *testing.T) {
		m, nfs := from("127.0.0.4", uidAlice, gidStaff)
		st, _ := mnt(m)
		require.Equal(t, mount.MNT3ERR_ACCES, st)
		fh, err := table.Get(entries[0].ID).RootHandle(bg)
		require.NoError(t, err)
		_, err = nfs.Getattr(bg, &GETATTR3args{Object: NfsFh3{Data: fh}})
		require.ErrorIs(t, err, rpc.AUTH_TOOWEAK)
	})

	t.Run("EXPORT lists the clients", func(t *testing.T) {
		m, _ := from("127.0.0.1", uidAlice, gidStaff)
		list, err := m.Export(bg)
		require.NoError(t, err)
		require.Equal(t, mount.Exports{{ExDir: "/export", ExGroups: mount.Groups{{GrName: "127.0.0.1"}, {GrName: "127.0.0.2"}, {GrName: "127.0.0.4"}}}}, list)
	})
}
