package mount

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/xdrtest/wiretest"
	"github.com/nfskit/nfskit/xdr"
)

// captureArgs returns a new value of the argument type of a MOUNT v3
// procedure, following mount.x; nil for void.
func captureArgs(vers, proc uint32) (xdr.Codec, bool) {
	if vers != MOUNT_V3 {
		return nil, false
	}
	switch proc {
	case MOUNTPROC3_NULL, MOUNTPROC3_DUMP, MOUNTPROC3_UMNTALL, MOUNTPROC3_EXPORT:
		return nil, true
	case MOUNTPROC3_MNT, MOUNTPROC3_UMNT:
		return new(Dirpath), true
	}
	return nil, false
}

// captureResults returns a new value of the result type of a MOUNT v3
// procedure, following mount.x; nil for void.
func captureResults(vers, proc uint32) (xdr.Codec, bool) {
	if vers != MOUNT_V3 {
		return nil, false
	}
	switch proc {
	case MOUNTPROC3_NULL, MOUNTPROC3_UMNT, MOUNTPROC3_UMNTALL:
		return nil, true
	case MOUNTPROC3_MNT:
		return new(Mountres3), true
	case MOUNTPROC3_DUMP:
		return new(Mountlist), true
	case MOUNTPROC3_EXPORT:
		return new(Exports), true
	}
	return nil, false
}

// The values below are those of the .txt beside each capture (tshark -V).
var captures = []wiretest.Capture{
	{
		Name: "export_call", Xid: 0x9c9ffd03,
		Prog: MOUNT_PROGRAM, Vers: MOUNT_V3, Proc: MOUNTPROC3_EXPORT,
		Cred:  &wiretest.AuthSys{Stamp: 0x6b0473c8, Machine: "vm", Gids: []uint32{0}},
		Check: func(t *testing.T, v xdr.Codec) { require.Nil(t, v, "EXPORT takes no arguments") },
	},
	{
		Name: "export_reply", Xid: 0x9c9ffd03,
		Prog: MOUNT_PROGRAM, Vers: MOUNT_V3, Proc: MOUNTPROC3_EXPORT,
		Check: func(t *testing.T, v xdr.Codec) {
			ex := *v.(*Exports)
			require.Len(t, ex, 1)
			require.Equal(t, Dirpath("/dev/shm/gexport"), ex[0].ExDir)
			require.Empty(t, ex[0].ExGroups, "groups: empty")
		},
	},
	{
		Name: "mnt_call", Xid: 0x127c2f0e,
		Prog: MOUNT_PROGRAM, Vers: MOUNT_V3, Proc: MOUNTPROC3_MNT,
		Cred: &wiretest.AuthSys{Stamp: 0x00032f0b, Machine: "libnfs"},
		Check: func(t *testing.T, v xdr.Codec) {
			require.Equal(t, Dirpath("/dev/shm/gexport/"), *v.(*Dirpath))
		},
	},
	{
		Name: "mnt_reply", Xid: 0x127c2f0e,
		Prog: MOUNT_PROGRAM, Vers: MOUNT_V3, Proc: MOUNTPROC3_MNT,
		Check: func(t *testing.T, v xdr.Codec) {
			res := v.(*Mountres3)
			require.Equal(t, MNT3_OK, res.FhsStatus)
			require.NotNil(t, res.Mountinfo)
			require.Equal(t, Fhandle3{
				0x43, 0x00, 0x00, 0x01, 0x16, 0x44, 0x37, 0xba,
				0xe5, 0x7e, 0xda, 0x1c, 0xbb, 0xb9, 0x01, 0xef,
				0xc3, 0xeb, 0x89, 0x02, 0x00, 0x00, 0x00, 0x00,
				0x00, 0x00, 0x00, 0x00,
			}, res.Mountinfo.Fhandle, "fhandle (28 bytes)")
			require.Equal(t, []int32{1}, res.Mountinfo.AuthFlavors, "flavors: AUTH_UNIX")
		},
	},
}

func TestCapture(t *testing.T) { wiretest.CheckCaptures(t, captures, captureArgs, captureResults) }
