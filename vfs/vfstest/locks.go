package vfstest

import (
	"errors"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
)

// The lock cases join the suite; each skips a backend that is not a
// vfs.Locker.
// Lock owners: two processes of one client and one of another.
var (
	owner1 = vfs.LockOwner{Host: "client-a", Pid: 1, Owner: "\x01owner"}
	owner2 = vfs.LockOwner{Host: "client-a", Pid: 2, Owner: "\x02owner"}
	owner3 = vfs.LockOwner{Host: "client-b", Pid: 1, Owner: "\x01owner"}
)

// locker returns the file system as a vfs.Locker, skipping the test if
// it is not one.
func (e *env) locker() vfs.Locker {
	e.t.Helper()
	lk, ok := e.fs.(vfs.Locker)
	if !ok {
		e.t.Skip("the file system keeps no byte-range locks")
	}
	return lk
}

func rl(o vfs.LockOwner, off, length uint64) vfs.Lock {
	return vfs.Lock{Owner: o, Type: vfs.ReadLock, Offset: off, Length: length}
}

func wl(o vfs.LockOwner, off, length uint64) vfs.Lock {
	return vfs.Lock{Owner: o, Type: vfs.WriteLock, Offset: off, Length: length}
}

// lock takes l on h, which must succeed.
func (e *env) lock(h vfs.Handle, l vfs.Lock) {
	e.t.Helper()
	require.NoError(e.t, e.locker().Lock(e.ctx, su, h, l), "lock %+v", l)
}

// denied asserts that l cannot be taken on h because of holder, both by
// Lock and by TestLock.
func (e *env) denied(h vfs.Handle, l vfs.Lock, holder vfs.Lock) {
	e.t.Helper()
	err := e.locker().Lock(e.ctx, su, h, l)
	require.ErrorIs(e.t, err, vfs.ErrLocked, "lock %+v", l)
	var c *vfs.LockConflict
	require.True(e.t, errors.As(err, &c), "a *vfs.LockConflict: %v", err)
	require.Equal(e.t, holder, c.Holder, "lock %+v", l)
	got, ok, err := e.locker().TestLock(e.ctx, su, h, l)
	require.NoError(e.t, err)
	require.False(e.t, ok, "test %+v", l)
	require.Equal(e.t, holder, got, "test %+v", l)
}

// free asserts that TestLock finds l could be taken on h.
func (e *env) free(h vfs.Handle, l vfs.Lock) {
	e.t.Helper()
	_, ok, err := e.locker().TestLock(e.ctx, su, h, l)
	require.NoError(e.t, err)
	require.True(e.t, ok, "test %+v", l)
}

// unlock releases owner's locks on length bytes from off of h.
func (e *env) unlock(h vfs.Handle, owner vfs.LockOwner, off, length uint64) {
	e.t.Helper()
	require.NoError(e.t, e.locker().Unlock(e.ctx, su, h, owner, off, length))
}

func testLockConflict(e *env) {
	e.locker()
	h := e.file(e.scratch(), "f", "data")
	e.lock(h, wl(owner1, 0, 10))
	// Another owner, even a process of the same client, gets no lock of
	// either type on the bytes.
	e.denied(h, wl(owner2, 5, 10), wl(owner1, 0, 10))
	e.denied(h, rl(owner2, 9, 1), wl(owner1, 0, 10))
	e.denied(h, wl(owner3, 0, 1), wl(owner1, 0, 10))
	// Next to them is free; the owner may lock its own bytes again.
	e.lock(h, wl(owner2, 10, 10))
	e.lock(h, wl(owner1, 0, 10))
	e.lock(h, rl(owner1, 2, 3))
	e.denied(h, wl(owner1, 5, 10), wl(owner2, 10, 10))
	// Once released, the bytes are anyone's.
	e.unlock(h, owner1, 0, 10)
	e.lock(h, wl(owner3, 0, 10))
	// Unlocking bytes not locked succeeds.
	e.unlock(h, owner1, 0, 100)
	e.unlock(h, owner2, 1000, 1)
}

func testLockShared(e *env) {
	e.locker()
	h := e.file(e.scratch(), "f", "")
	e.lock(h, rl(owner1, 0, 100))
	e.lock(h, rl(owner2, 50, 100))
	e.lock(h, rl(owner3, 200, 0))
	// Readers keep writers out.
	e.denied(h, wl(owner2, 0, 1), rl(owner1, 0, 100))
	e.denied(h, wl(owner1, 60, 10), rl(owner2, 50, 100))
	e.denied(h, wl(owner1, 1000, 1), rl(owner3, 200, 0))
	e.unlock(h, owner3, 0, 0)
	e.lock(h, wl(owner1, 0, 50))
	e.denied(h, wl(owner3, 0, 200), wl(owner1, 0, 50))
}

func testLockUpgrade(e *env) {
	e.locker()
	h := e.file(e.scratch(), "f", "")
	// An owner upgrades its own read lock...
	e.lock(h, rl(owner1, 0, 100))
	e.lock(h, wl(owner1, 0, 100))
	e.denied(h, rl(owner2, 0, 1), wl(owner1, 0, 100))
	// ...downgrades it...
	e.lock(h, rl(owner1, 0, 100))
	e.lock(h, rl(owner2, 0, 1))
	// ...and cannot upgrade it while another owner reads.
	e.denied(h, wl(owner1, 0, 100), rl(owner2, 0, 1))
	e.lock(h, wl(owner1, 10, 10))
	e.denied(h, rl(owner3, 15, 1), wl(owner1, 10, 10))
	// The rest of the read lock stays a read lock.
	e.lock(h, rl(owner3, 50, 1))
	e.denied(h, wl(owner3, 20, 10), rl(owner1, 20, 80))
}

func testLockSplit(e *env) {
	e.locker()
	h := e.file(e.scratch(), "f", "")
	e.lock(h, wl(owner1, 0, 100))
	// Unlocking the middle leaves both ends.
	e.unlock(h, owner1, 40, 20)
	e.lock(h, wl(owner2, 40, 20))
	e.denied(h, wl(owner3, 30, 1), wl(owner1, 0, 40))
	e.denied(h, rl(owner3, 70, 1), wl(owner1, 60, 40))
	e.denied(h, rl(owner3, 39, 2), wl(owner1, 0, 40))
	e.denied(h, rl(owner3, 40, 30), wl(owner2, 40, 20))
	// Unlocking across a boundary trims.
	e.unlock(h, owner1, 30, 40)
	e.lock(h, wl(owner3, 30, 10))
	e.lock(h, wl(owner3, 60, 10))
	e.denied(h, rl(owner2, 29, 1), wl(owner1, 0, 30))
	e.denied(h, rl(owner2, 70, 1), wl(owner1, 70, 30))
}

func testLockTest(e *env) {
	lk := e.locker()
	h := e.file(e.scratch(), "f", "")
	// Testing takes nothing.
	e.free(h, wl(owner1, 0, 0))
	e.lock(h, wl(owner2, 0, 0))
	e.unlock(h, owner2, 0, 0)
	// It names the conflicting lock of lowest offset.
	e.lock(h, wl(owner1, 100, 10))
	e.lock(h, rl(owner2, 10, 10))
	e.lock(h, rl(owner1, 50, 10))
	e.denied(h, wl(owner3, 0, 0), rl(owner2, 10, 10))
	e.denied(h, rl(owner3, 0, 0), wl(owner1, 100, 10))
	e.denied(h, wl(owner3, 40, 100), rl(owner1, 50, 10))
	// An owner's own locks never conflict with it.
	e.free(h, wl(owner1, 40, 100))
	e.free(h, wl(owner2, 10, 10))
	e.free(h, rl(owner3, 10, 10))
	e.free(h, wl(owner3, 20, 30))
	// A bad lock type is invalid.
	_, _, err := lk.TestLock(e.ctx, su, h, vfs.Lock{Owner: owner1, Offset: 0, Length: 1})
	require.ErrorIs(e.t, err, vfs.ErrInvalid)
}

func testLockToEOF(e *env) {
	e.locker()
	h := e.file(e.scratch(), "f", "short")
	// Length 0 reaches past the end of the file, however far.
	e.lock(h, wl(owner1, 100, 0))
	e.denied(h, rl(owner2, 1<<40, 1), wl(owner1, 100, 0))
	e.denied(h, rl(owner2, 1<<63, 0), wl(owner1, 100, 0))
	e.lock(h, wl(owner2, 0, 100))
	// So does a range that would pass 2^64-1.
	e.denied(h, rl(owner3, 1<<63, 1<<63+1), wl(owner1, 100, 0))
	// Unlocking to the end leaves the bytes before.
	e.unlock(h, owner1, 200, 0)
	e.lock(h, wl(owner3, 1<<40, 0))
	e.denied(h, rl(owner3, 150, 1), wl(owner1, 100, 100))
	e.unlock(h, owner3, 0, 0)
	e.unlock(h, owner2, 0, 0)
	e.unlock(h, owner1, 0, 0)
	e.lock(h, rl(owner3, 0, 0))
	e.lock(h, rl(owner2, 0, 0))
	e.denied(h, wl(owner2, 0, 0), rl(owner3, 0, 0))
}

func testLockStale(e *env) {
	lk := e.locker()
	d := e.scratch()
	h := e.file(d, "f", "data")
	e.lock(h, wl(owner1, 0, 0))
	e.unlink(d, "f")
	err := lk.Lock(e.ctx, su, h, wl(owner2, 0, 0))
	require.ErrorIs(e.t, err, vfs.ErrStale)
	_, _, err = lk.TestLock(e.ctx, su, h, wl(owner2, 0, 0))
	require.ErrorIs(e.t, err, vfs.ErrStale)
	require.ErrorIs(e.t, lk.Unlock(e.ctx, su, h, owner1, 0, 0), vfs.ErrStale)
	// A new file, even one that reuses the old one's id, starts unlocked.
	h2 := e.file(d, "f", "data")
	e.free(h2, wl(owner2, 0, 0))
	e.lock(h2, wl(owner2, 0, 0))

	// Locks stay while the file has another name.
	e.lock(h2, wl(owner2, 0, 0))
	require.NoError(e.t, e.fs.Link(e.ctx, su, h2, d, "g"))
	e.unlink(d, "f")
	e.denied(h2, rl(owner1, 0, 1), wl(owner2, 0, 0))
	// A rename over the last name removes the file and its locks.
	h3 := e.file(d, "h", "")
	require.NoError(e.t, e.fs.Rename(e.ctx, su, d, "h", d, "g"))
	require.ErrorIs(e.t, lk.Lock(e.ctx, su, h2, wl(owner1, 0, 0)), vfs.ErrStale)
	e.lock(h3, wl(owner1, 0, 0))
}

func testLockFiles(e *env) {
	e.locker()
	d := e.scratch()
	f1, f2 := e.file(d, "f1", ""), e.file(d, "f2", "")
	e.lock(f1, wl(owner1, 0, 0))
	e.lock(f2, wl(owner2, 0, 0))
	e.denied(f1, wl(owner2, 0, 1), wl(owner1, 0, 0))
	e.denied(f2, wl(owner1, 0, 1), wl(owner2, 0, 0))
	// Unlocking one file leaves the other alone.
	e.unlock(f1, owner1, 0, 0)
	e.lock(f1, rl(owner3, 0, 0))
	e.denied(f2, rl(owner3, 0, 1), wl(owner2, 0, 0))
	// Another handle of the same file (by lookup) sees the same locks.
	again, _ := e.lookup(d, "f2")
	e.denied(again, rl(owner3, 0, 1), wl(owner2, 0, 0))
}

func testLockErrors(e *env) {
	lk := e.locker()
	d := e.scratch()
	h := e.file(d, "f", "")
	// Directories take no locks.
	err := lk.Lock(e.ctx, su, d, wl(owner1, 0, 0))
	require.ErrorIs(e.t, err, vfs.ErrIsDir)
	_, _, err = lk.TestLock(e.ctx, su, d, wl(owner1, 0, 0))
	require.ErrorIs(e.t, err, vfs.ErrIsDir)
	require.ErrorIs(e.t, lk.Unlock(e.ctx, su, d, owner1, 0, 0), vfs.ErrIsDir)
	// A lock type other than read or write is invalid.
	err = lk.Lock(e.ctx, su, h, vfs.Lock{Owner: owner1, Type: 3, Offset: 0, Length: 1})
	require.ErrorIs(e.t, err, vfs.ErrInvalid)
	// A handle that is not the file system's is bad.
	bad := vfs.Handle("not a handle")
	require.ErrorIs(e.t, lk.Lock(e.ctx, su, bad, wl(owner1, 0, 0)), vfs.ErrBadHandle)
	require.ErrorIs(e.t, lk.Unlock(e.ctx, su, bad, owner1, 0, 0), vfs.ErrBadHandle)
	_, _, err = lk.TestLock(e.ctx, su, bad, wl(owner1, 0, 0))
	require.ErrorIs(e.t, err, vfs.ErrBadHandle)
}
