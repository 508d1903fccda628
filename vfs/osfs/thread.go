//go:build linux

package osfs

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"unsafe"

	"github.com/nfskit/nfskit/vfs"
	"golang.org/x/sys/unix"
)

// as runs fn as cred. Without ActAsCaller, or where cred is the process's
// own identity, it just calls fn. Otherwise it locks the calling
// goroutine to its OS thread, gives that thread (and no other) cred's
// identity, runs fn and gives the thread back its own identity before
// unlocking it; calls run in parallel on as many threads as there are
// callers. If the thread's identity cannot be restored, the goroutine
// stays locked to it, so that no other goroutine ever runs there and the
// thread ends when the goroutine does (as after runtime.Goexit; the main
// thread, which cannot end, the runtime keeps parked, running nothing).
// fn must not call as.
func (fs *FS) as(cred *vfs.Cred, fn func() error) (err error) {
	if !fs.actAsCaller || fs.self.is(cred) {
		return fn()
	}
	runtime.LockOSThread()
	defer func() {
		if rerr := setIdent(fs.home); rerr != nil {
			err = fmt.Errorf("%w: osfs: cannot give a thread back its identity: %v", vfs.ErrIO, rerr)
			return // and stay locked
		}
		runtime.UnlockOSThread()
	}()
	if err := setIdent(cred); err != nil {
		return fmt.Errorf("%w: osfs: cannot act as uid %d gid %d: %v", vfs.ErrIO, cred.UID, cred.GID, err)
	}
	if fs.hook != nil {
		fs.hook(cred)
	}
	return fn()
}

// ident is an identity a thread can take: file system uid and gid and
// supplementary groups.
type ident struct {
	uid, gid uint32
	groups   []uint32
}

// is reports whether cred is id as far as the kernel's checks go: the
// same uid and gid, and the same groups besides the gid.
func (id *ident) is(cred *vfs.Cred) bool {
	if cred.UID != id.uid || cred.GID != id.gid {
		return false
	}
	for _, g := range cred.Groups {
		if g != id.gid && !slices.Contains(id.groups, g) {
			return false
		}
	}
	for _, g := range id.groups {
		if g != id.gid && !slices.Contains(cred.Groups, g) {
			return false
		}
	}
	return true
}

// processIdent is the identity of the calling thread (and, but while as
// runs, of every thread).
func processIdent() (ident, error) {
	groups, err := unix.Getgroups()
	if err != nil {
		return ident{}, err
	}
	id := ident{uid: uint32(unix.Geteuid()), gid: uint32(unix.Getegid())}
	for _, g := range groups {
		id.groups = append(id.groups, uint32(g))
	}
	return id, nil
}

// errIdent is returned when the kernel does not take an identity.
var errIdent = errors.New("identity not taken")

// setIdent is setThreadIdent, or a stand-in in tests.
var setIdent = setThreadIdent

// setThreadIdent gives the calling thread, which is locked, cred's
// supplementary groups, file system gid and uid. These are the thread's
// own: setgroups is the raw system call, not syscall.Setgroups, which the
// Go runtime applies to every thread.
func setThreadIdent(cred *vfs.Cred) error {
	var p unsafe.Pointer
	if len(cred.Groups) > 0 {
		p = unsafe.Pointer(&cred.Groups[0])
	}
	if _, _, e := unix.RawSyscall(sysSetgroups, uintptr(len(cred.Groups)), uintptr(p), 0); e != 0 {
		return e
	}
	// setfsgid and setfsuid return the old id whatever happens: ask
	// again (with -1, which changes nothing) to know.
	unix.SetfsgidRetGid(int(cred.GID))
	if got, _ := unix.SetfsgidRetGid(-1); got != int(cred.GID) {
		return errIdent
	}
	unix.SetfsuidRetUid(int(cred.UID))
	if got, _ := unix.SetfsuidRetUid(-1); got != int(cred.UID) {
		return errIdent
	}
	return nil
}
