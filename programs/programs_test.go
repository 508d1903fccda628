package programs_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/programs"
)

func TestTable(t *testing.T) {
	table := programs.Table()
	tests := []struct {
		prog, vers uint32
		name       string
		version    string
	}{
		{portmap.PMAP_PROG, portmap.PMAP_VERS, "PMAP_PROG", "PMAP_VERS"},
		{portmap.PMAP_PROG, portmap.RPCBVERS4, "PMAP_PROG", "RPCBVERS4"},
		{mount.MOUNT_PROGRAM, mount.MOUNT_V3, "MOUNT_PROGRAM", "MOUNT_V3"},
		{nfs3.NFS_PROGRAM, nfs3.NFS_V3, "NFS_PROGRAM", "NFS_V3"},
		{nfs4.NFS4_PROGRAM, nfs4.NFS_V4, "NFS4_PROGRAM", "NFS_V4"},
		{nfs4.NFS4_CALLBACK, nfs4.NFS_CB, "NFS4_CALLBACK", "NFS_CB"},
		{nlm.NLM_PROG, nlm.NLM_VERS, "NLM_PROG", "NLM_VERS"},
		{nlm.NLM_PROG, nlm.NLM4_VERS, "NLM_PROG", "NLM4_VERS"},
		{nsm.SM_PROG, nsm.SM_VERS, "SM_PROG", "SM_VERS"},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			p, ok := table.Lookup(tt.prog, tt.vers)
			require.True(t, ok)
			require.Equal(t, tt.name, p.Name)
			require.Equal(t, tt.version, p.VersionName)
		})
	}
	_, ok := table.Lookup(nfs3.NFS_PROGRAM, 2)
	require.False(t, ok, "NFSv2 is not described")
	require.Len(t, table.All(), 11, "3 of portmap, 1 of mount, 1 of nfs3, 2 of nfs4, 3 of nlm, 1 of nsm")
}
