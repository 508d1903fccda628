package nfs4

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
)

func TestStatusOf(t *testing.T) {
	cases := []struct {
		err error
		st  Nfsstat4
	}{
		{nil, NFS4_OK},
		{vfs.ErrNotExist, NFS4ERR_NOENT},
		{vfs.ErrStale, NFS4ERR_STALE},
		{vfs.ErrBadHandle, NFS4ERR_BADHANDLE},
		{vfs.ErrPermission, NFS4ERR_ACCESS},
		{vfs.ErrNotPermit, NFS4ERR_PERM},
		{vfs.ErrExist, NFS4ERR_EXIST},
		{vfs.ErrNotDir, NFS4ERR_NOTDIR},
		{vfs.ErrIsDir, NFS4ERR_ISDIR},
		{vfs.ErrNotEmpty, NFS4ERR_NOTEMPTY},
		{vfs.ErrInvalid, NFS4ERR_INVAL},
		{vfs.ErrNoSpace, NFS4ERR_NOSPC},
		{vfs.ErrQuota, NFS4ERR_DQUOT},
		{vfs.ErrReadOnly, NFS4ERR_ROFS},
		{vfs.ErrNameTooLong, NFS4ERR_NAMETOOLONG},
		{vfs.ErrTooBig, NFS4ERR_FBIG},
		{vfs.ErrCrossDevice, NFS4ERR_XDEV},
		{vfs.ErrTooManyLinks, NFS4ERR_MLINK},
		{vfs.ErrNotSupported, NFS4ERR_NOTSUPP},
		{vfs.ErrBadType, NFS4ERR_BADTYPE},
		{vfs.ErrDelay, NFS4ERR_DELAY},
		{vfs.ErrIO, NFS4ERR_IO},
		{fmt.Errorf("wrapped: %w", vfs.ErrExist), NFS4ERR_EXIST},
		{export.ErrHandleTooLong, NFS4ERR_SERVERFAULT},
		{errors.New("other"), NFS4ERR_IO},
	}
	for _, tc := range cases {
		require.Equal(t, tc.st, StatusOf(tc.err), "%v", tc.err)
	}
}
