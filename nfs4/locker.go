package nfs4

import (
	"context"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
)

// ExportLocker returns the vfs.Locker for state.Config.Locker over the
// exports of t: the state layer names files by their wire handles, which
// it resolves to the export's file system and its handle, locking in the
// file system's own table, the one the NLM server locks in, so NFSv3 and
// NFSv4 locks conflict. A file system that keeps no locks answers
// vfs.ErrNotSupported.
func ExportLocker(t *export.Table) vfs.Locker { return exportLocker{t} }

type exportLocker struct{ t *export.Table }

func (l exportLocker) resolve(fh vfs.Handle) (vfs.Locker, vfs.Handle, error) {
	ex, h, err := l.t.Resolve(fh)
	if err != nil {
		return nil, nil, err
	}
	lk, ok := ex.FS.(vfs.Locker)
	if !ok {
		return nil, nil, vfs.ErrNotSupported
	}
	return lk, h, nil
}

func (l exportLocker) Lock(ctx context.Context, cred *vfs.Cred, fh vfs.Handle, lock vfs.Lock) error {
	lk, h, err := l.resolve(fh)
	if err != nil {
		return err
	}
	return lk.Lock(ctx, cred, h, lock)
}

func (l exportLocker) Unlock(ctx context.Context, cred *vfs.Cred, fh vfs.Handle, owner vfs.LockOwner, off, length uint64) error {
	lk, h, err := l.resolve(fh)
	if err != nil {
		return err
	}
	return lk.Unlock(ctx, cred, h, owner, off, length)
}

func (l exportLocker) TestLock(ctx context.Context, cred *vfs.Cred, fh vfs.Handle, lock vfs.Lock) (vfs.Lock, bool, error) {
	lk, h, err := l.resolve(fh)
	if err != nil {
		return vfs.Lock{}, false, err
	}
	return lk.TestLock(ctx, cred, h, lock)
}
