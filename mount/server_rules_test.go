package mount_test

import (
	"log/slog"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// TestServerMntPerClient checks that MNT applies the rule of the caller:
// whether it may mount and which flavors it is offered.
func TestServerMntPerClient(t *testing.T) {
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/data", FS: memfs.New(nil),
		Policy: export.Policy{Flavors: []rpc.AuthFlavor{rpc.AUTH_SYS}},
		Rules: []export.Rule{
			{Clients: []string{"192.0.2.0/24"}},
			{Clients: []string{"192.0.2.9"}, Flavors: []rpc.AuthFlavor{rpc.AUTH_NONE, rpc.AUTH_SYS}},
			{Clients: []string{"198.51.100.0/24"}, Port: export.Secure},
		}})
	require.NoError(t, err)
	srv := mount.NewServer(table, &mount.ServerOptions{Logger: slog.New(slog.DiscardHandler)})
	cases := []struct {
		client  string
		want    mount.Mountstat3
		flavors []int32
	}{
		{"192.0.2.1:2000", mount.MNT3_OK, []int32{int32(rpc.AUTH_SYS)}},
		{"192.0.2.9:2000", mount.MNT3_OK, []int32{int32(rpc.AUTH_NONE), int32(rpc.AUTH_SYS)}},
		{"198.51.100.1:700", mount.MNT3_OK, []int32{int32(rpc.AUTH_SYS)}},
		{"198.51.100.1:2000", mount.MNT3ERR_ACCES, nil},
		{"203.0.113.1:700", mount.MNT3ERR_ACCES, nil},
	}
	for _, c := range cases {
		t.Run(c.client, func(t *testing.T) {
			addr, err := net.ResolveTCPAddr("tcp", c.client)
			require.NoError(t, err)
			res, err := srv.Mnt(bg, &rpc.Call{Transport: rpc.Transport{RemoteAddr: addr}}, "/data")
			require.NoError(t, err)
			require.Equal(t, c.want, res.FhsStatus)
			if c.want == mount.MNT3_OK {
				require.Equal(t, c.flavors, res.Mountinfo.AuthFlavors)
			}
		})
	}
	list, err := srv.Export(bg, &rpc.Call{})
	require.NoError(t, err)
	require.Equal(t, mount.Exports{{ExDir: "/data", ExGroups: mount.Groups{{GrName: "192.0.2.0/24"}, {GrName: "192.0.2.9"}, {GrName: "198.51.100.0/24"}}}}, list)
}
