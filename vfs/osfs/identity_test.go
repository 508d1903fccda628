//go:build linux

package osfs

import (
	"bufio"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Identities the tests act as, as vfstest's: alice is in group 100
// besides her own, bob in 3000 (carol's group); dave is in none.
var (
	su    = &vfs.Cred{}
	alice = &vfs.Cred{UID: 1000, GID: 1000, Groups: []uint32{100}}
	bob   = &vfs.Cred{UID: 2000, GID: 2000, Groups: []uint32{3000}}
	carol = &vfs.Cred{UID: 3000, GID: 3000}
	dave  = &vfs.Cred{UID: 4000, GID: 4000}
)

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// owner returns the owner and group of path on disk.
func owner(t *testing.T, path string) (uid, gid uint32) {
	t.Helper()
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	st := fi.Sys().(*syscall.Stat_t)
	return st.Uid, st.Gid
}

// pubDir makes a directory open to all (0777) in the root, as root.
func pubDir(t testing.TB, fs *FS, name string) vfs.Handle {
	t.Helper()
	ctx := t.Context()
	root, err := fs.Root(ctx)
	require.NoError(t, err)
	h, _, err := fs.Mkdir(ctx, su, root, name, vfs.SetAttr{Mode: ptr[uint32](0o777)})
	require.NoError(t, err)
	return h
}

// New files belong to their maker on disk, in both modes.
func TestNewFilesBelongToCaller(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		fs, dir := newFS(t, opts)
		ctx := t.Context()
		d := pubDir(t, fs, "pub")
		makers := []struct {
			name string
			make func() error
		}{
			{"file", func() error {
				_, _, err := fs.Create(ctx, alice, d, "file", vfs.CreateHow{Attr: vfs.SetAttr{Mode: ptr[uint32](0o640)}})
				return err
			}},
			{"exclusive", func() error {
				_, _, err := fs.Create(ctx, alice, d, "exclusive", vfs.CreateHow{Mode: vfs.Exclusive, Verifier: [8]byte{9}})
				return err
			}},
			{"dir", func() error {
				_, _, err := fs.Mkdir(ctx, alice, d, "dir", vfs.SetAttr{Mode: ptr[uint32](0o750)})
				return err
			}},
			{"link", func() error {
				_, _, err := fs.Symlink(ctx, alice, d, "link", "../outside/passwd", vfs.SetAttr{})
				return err
			}},
			{"fifo", func() error {
				_, _, err := fs.Mknod(ctx, alice, d, "fifo", vfs.TypeFIFO, 0, 0, vfs.SetAttr{})
				return err
			}},
		}
		for _, mk := range makers {
			require.NoError(t, mk.make(), mk.name)
			uid, gid := owner(t, filepath.Join(dir, "pub", mk.name))
			require.Equal(t, alice.UID, uid, mk.name)
			require.Equal(t, alice.GID, gid, mk.name)
		}
		fi, err := os.Stat(filepath.Join(dir, "pub", "file"))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o640), fi.Mode().Perm(), "the umask takes nothing")
		fi, err = os.Stat(filepath.Join(dir, "pub", "dir"))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o750), fi.Mode().Perm())
		target, err := os.Readlink(filepath.Join(dir, "pub", "link"))
		require.NoError(t, err)
		require.Equal(t, "../outside/passwd", target)

		// In a set-group-id directory, the directory's group.
		sg := pubDir(t, fs, "sg")
		_, err = fs.SetAttr(ctx, su, sg, vfs.SetAttr{Mode: ptr[uint32](0o2777), GID: ptr[uint32](100)})
		require.NoError(t, err)
		_, a, err := fs.Create(ctx, alice, sg, "f", vfs.CreateHow{})
		require.NoError(t, err)
		require.Equal(t, uint32(100), a.GID)
		_, a, err = fs.Mkdir(ctx, alice, sg, "sub", vfs.SetAttr{Mode: ptr[uint32](0o755)})
		require.NoError(t, err)
		require.Equal(t, uint32(100), a.GID)
		require.Equal(t, uint32(0o2755), a.Mode, "a directory inherits set-group-id")
	})
}

// A file root made 0600 is not another user's to read or write, in both
// modes; group permission comes through supplementary groups.
func TestCallerPermissions(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		fs, dir := newFS(t, opts)
		ctx := t.Context()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "secret"), []byte("top"), 0o600))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "shared"), []byte("group"), 0o640))
		require.NoError(t, os.Chown(filepath.Join(dir, "shared"), 0, 3000))
		root, err := fs.Root(ctx)
		require.NoError(t, err)
		secret, _, err := fs.Lookup(ctx, alice, root, "secret")
		require.NoError(t, err)
		shared, _, err := fs.Lookup(ctx, alice, root, "shared")
		require.NoError(t, err)

		cases := []struct {
			who   *vfs.Cred
			h     vfs.Handle
			read  error
			write error
		}{
			{alice, secret, vfs.ErrPermission, vfs.ErrPermission},
			{su, secret, nil, nil},
			{bob, shared, nil, vfs.ErrPermission}, // group 3000 is a supplementary group of bob's
			{dave, shared, vfs.ErrPermission, vfs.ErrPermission},
		}
		for _, c := range cases {
			_, _, err := fs.Read(ctx, c.who, c.h, 0, make([]byte, 8))
			require.ErrorIs(t, err, c.read, "read as %d", c.who.UID)
			if c.read == nil {
				require.NoError(t, err)
			}
			_, _, err = fs.Write(ctx, c.who, c.h, 0, []byte("x"), vfs.Unstable)
			require.ErrorIs(t, err, c.write, "write as %d", c.who.UID)
			if c.write == nil {
				require.NoError(t, err)
			}
			a, err := fs.GetAttr(ctx, c.who, c.h)
			require.NoError(t, err, "anyone may get attributes")
			require.Equal(t, uint32(0), a.UID)
		}
	})
}

// posixACL is a system.posix_acl_access value: the owner may read and
// write, user uid may read, nobody else anything.
func posixACL(uid uint32) []byte {
	const (
		userObj  = 0x01
		user     = 0x02
		groupObj = 0x04
		mask     = 0x10
		other    = 0x20
		undef    = 0xffffffff
	)
	b := binary.LittleEndian.AppendUint32(nil, 2) // version
	for _, e := range []struct {
		tag, perm uint16
		id        uint32
	}{{userObj, 6, undef}, {user, 4, uid}, {groupObj, 0, undef}, {mask, 4, undef}, {other, 0, undef}} {
		b = binary.LittleEndian.AppendUint16(b, e.tag)
		b = binary.LittleEndian.AppendUint16(b, e.perm)
		b = binary.LittleEndian.AppendUint32(b, e.id)
	}
	return b
}

// With ActAsCaller the kernel checks permissions, ACLs included: an ACL
// entry lets alice read a 0600 file (0640 with the mask) that the mode
// bits alone, which is all osfs checks as root, keep from her.
func TestActAsCallerKernelChecks(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		fs, dir := newFS(t, opts)
		ctx := t.Context()
		path := filepath.Join(dir, "acl")
		require.NoError(t, os.WriteFile(path, []byte("acl"), 0o600))
		if err := unix.Setxattr(path, "system.posix_acl_access", posixACL(alice.UID), 0); err != nil {
			t.Skipf("no POSIX ACLs here: %v", err)
		}
		root, err := fs.Root(ctx)
		require.NoError(t, err)
		h, _, err := fs.Lookup(ctx, alice, root, "acl")
		require.NoError(t, err)
		p := make([]byte, 8)
		n, _, err := fs.Read(ctx, alice, h, 0, p)
		if opts.ActAsCaller {
			require.NoError(t, err)
			require.Equal(t, "acl", string(p[:n]))
		} else {
			require.ErrorIs(t, err, vfs.ErrPermission)
		}
		_, _, err = fs.Read(ctx, bob, h, 0, p)
		require.ErrorIs(t, err, vfs.ErrPermission)
	})
}

// threadFsuids counts the process's threads by file system uid.
func threadFsuids(t *testing.T) map[int]int {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	require.NoError(t, err)
	count := map[int]int{}
	for _, task := range tasks {
		f, err := os.Open(filepath.Join("/proc/self/task", task.Name(), "status"))
		if err != nil {
			continue // the thread ended
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "Uid:"); ok {
				ids := strings.Fields(rest) // real, effective, saved, file system
				fsuid, err := strconv.Atoi(ids[3])
				require.NoError(t, err)
				count[fsuid]++
			}
		}
		f.Close()
	}
	return count
}

// awaitThreads waits until the counts of the process's threads by file
// system uid are as ok wants.
func awaitThreads(t *testing.T, ok func(fsuids map[int]int) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		fsuids := threadFsuids(t)
		if ok(fsuids) {
			return
		}
		require.True(t, time.Now().Before(deadline), "threads by file system uid: %v", fsuids)
		time.Sleep(10 * time.Millisecond)
	}
}

// Calls of different callers, and of one caller, run at once, each on a
// thread of its own holding the caller's identity while no other thread
// does: two calls block inside the backend reading a FIFO while a third
// call goes through.
func TestActAsCallerParallel(t *testing.T) {
	cases := []struct {
		name    string
		blocked [2]*vfs.Cred
	}{
		{"two users", [2]*vfs.Cred{alice, bob}},
		{"one user twice", [2]*vfs.Cred{alice, alice}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs, dir := newFS(t, Options{ActAsCaller: true})
			ctx := t.Context()
			d := pubDir(t, fs, "pub")
			fifo := filepath.Join(dir, "fifo")
			require.NoError(t, unix.Mkfifo(fifo, 0o666))
			// Held open for writing, so that opening the FIFO for reading
			// does not block, and reading does until the test writes.
			w, err := os.OpenFile(fifo, os.O_RDWR, 0)
			require.NoError(t, err)
			defer w.Close()
			r, err := unix.Open(fifo, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			require.NoError(t, err)
			defer unix.Close(r)

			type entry struct{ uid, fsuid int }
			entered := make(chan entry, 2)
			fs.hook = func(cred *vfs.Cred) {
				if cred != c.blocked[0] && cred != c.blocked[1] {
					return
				}
				fsuid, _ := unix.SetfsuidRetUid(-1)
				entered <- entry{int(cred.UID), fsuid}
				// A blocking system call: the thread waits in the kernel
				// (an os.File would wait in the Go runtime's poller).
				unix.Read(r, make([]byte, 1))
			}

			var wg sync.WaitGroup
			for _, cred := range c.blocked {
				wg.Go(func() {
					_, _, err := fs.Lookup(ctx, cred, d, "missing")
					require.ErrorIs(t, err, vfs.ErrNotExist)
				})
			}
			for range 2 {
				select {
				case e := <-entered:
					require.Equal(t, e.uid, e.fsuid, "the call runs as its caller")
				case <-time.After(10 * time.Second):
					require.FailNow(t, "the two calls are not in the backend at once")
				}
			}
			// Both are blocked inside, on threads of their own: exactly
			// those threads hold their callers' identities.
			want := map[int]int{int(c.blocked[0].UID): 1}
			want[int(c.blocked[1].UID)]++
			fsuids := threadFsuids(t)
			for uid, n := range want {
				require.Equal(t, n, fsuids[uid], "threads acting as %d", uid)
			}
			// Another caller goes through meanwhile.
			_, _, err = fs.Create(ctx, carol, d, "carols", vfs.CreateHow{})
			require.NoError(t, err)
			uid, _ := owner(t, filepath.Join(dir, "pub", "carols"))
			require.Equal(t, carol.UID, uid)

			_, err = w.Write([]byte{1, 2})
			require.NoError(t, err)
			wg.Wait()
		})
	}
}

// A thread gets its identity back after every call, and no other thread
// ever takes the caller's.
func TestActAsCallerRestores(t *testing.T) {
	fs, dir := newFS(t, Options{ActAsCaller: true})
	ctx := t.Context()
	d := pubDir(t, fs, "pub")
	var wg sync.WaitGroup
	for i := range 60 {
		cred := []*vfs.Cred{alice, bob, carol}[i%3]
		wg.Go(func() {
			name := "f" + strconv.Itoa(i)
			h, _, err := fs.Create(ctx, cred, d, name, vfs.CreateHow{})
			require.NoError(t, err)
			_, _, err = fs.Write(ctx, cred, h, 0, []byte(name), vfs.FileSync)
			require.NoError(t, err)
		})
	}
	// Meanwhile files made by the test's goroutines are root's.
	for i := range 20 {
		wg.Go(func() {
			path := filepath.Join(dir, "mine"+strconv.Itoa(i))
			require.NoError(t, os.WriteFile(path, nil, 0o644))
			uid, gid := owner(t, path)
			require.Zero(t, uid)
			require.Zero(t, gid)
		})
	}
	wg.Wait()
	fsuids := threadFsuids(t)
	require.Equal(t, 1, len(fsuids), "threads by file system uid: %v", fsuids)
	require.NotZero(t, fsuids[0])
	for i := range 60 {
		uid, _ := owner(t, filepath.Join(dir, "pub", "f"+strconv.Itoa(i)))
		require.Equal(t, []*vfs.Cred{alice, bob, carol}[i%3].UID, uid)
	}
}

// A thread whose identity cannot be restored is never handed to another
// goroutine: it stays locked to the caller's, and ends with it.
func TestActAsCallerDiscardsThread(t *testing.T) {
	fs, _ := newFS(t, Options{ActAsCaller: true})
	root, err := fs.Root(t.Context())
	require.NoError(t, err)
	defer func() { setIdent = setThreadIdent }()
	setIdent = func(cred *vfs.Cred) error {
		if cred.UID == 0 {
			return unix.EPERM // restoring fails
		}
		return setThreadIdent(cred)
	}
	tid := make(chan int, 1)
	fs.hook = func(*vfs.Cred) { tid <- unix.Gettid() }
	done := make(chan error, 1)
	call := func() {
		_, _, err := fs.Lookup(t.Context(), alice, root, "missing")
		// Still on the thread, which still acts as alice.
		fsuid, _ := unix.SetfsuidRetUid(-1)
		require.Equal(t, int(alice.UID), fsuid)
		require.Equal(t, <-tid, unix.Gettid())
		setIdent = setThreadIdent
		done <- err
	}
	// Off the main thread, which the runtime cannot end (it would keep
	// it, wedged, running nothing): a goroutine that holds the main
	// thread makes the call on another goroutine, which cannot be there.
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() != unix.Getpid() {
			call()
			return
		}
		finished := make(chan struct{})
		go func() { call(); close(finished) }()
		<-finished
		runtime.UnlockOSThread()
	}()
	err = <-done
	require.ErrorIs(t, err, vfs.ErrIO)
	require.ErrorContains(t, err, "cannot give a thread back its identity")
	awaitThreads(t, func(fsuids map[int]int) bool { return fsuids[int(alice.UID)] == 0 })
}

// A create whose attributes cannot be applied makes nothing.
func TestFailedCreateMakesNothing(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		fs, dir := newFS(t, opts)
		ctx := t.Context()
		d := pubDir(t, fs, "pub")
		givenAway := vfs.SetAttr{UID: &bob.UID}
		makers := map[string]func() error{
			"file": func() error {
				_, _, err := fs.Create(ctx, alice, d, "file", vfs.CreateHow{Attr: givenAway})
				return err
			},
			"dir": func() error { _, _, err := fs.Mkdir(ctx, alice, d, "dir", givenAway); return err },
			"link": func() error {
				_, _, err := fs.Symlink(ctx, alice, d, "link", "t", givenAway)
				return err
			},
			"fifo": func() error {
				_, _, err := fs.Mknod(ctx, alice, d, "fifo", vfs.TypeFIFO, 0, 0, givenAway)
				return err
			},
		}
		for name, make := range makers {
			require.ErrorIs(t, make(), vfs.ErrNotPermit, name)
		}
		ents, err := os.ReadDir(filepath.Join(dir, "pub"))
		require.NoError(t, err)
		require.Empty(t, ents)
	})
}
