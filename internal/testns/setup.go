package testns

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// runDirs are the directories made in the private /run, with their mode
// and owner (a user name; "" for root): what the peers expect to find
// there on a Debian system.
var runDirs = []struct {
	path  string
	mode  os.FileMode
	owner string
}{
	{"/run/lock", 0o1777, ""},
	{"/run/rpcbind", 0o755, "_rpc"}, // rpcbind's warm-start files, written as _rpc
	{"/run/ganesha", 0o755, ""},
}

// nfsStateDir is nfs-common's state directory (statd's sm/ and sm.bak/,
// ganesha's default recovery directory). Tests give their peers state
// directories of their own; a private one here keeps a peer that falls
// back to the default off the machine's.
const nfsStateDir = "/var/lib/nfs"

// setUp runs in the re-executed binary, in its new namespaces: it makes
// every mount private (nothing mounted here shows outside), mounts fresh
// tmpfs on /run and nfs-common's state directory, and sets up loopback.
func setUp() error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making every mount private: %w", err)
	}
	if err := mountTmpfs("/run"); err != nil {
		return err
	}
	// On Debian /var/run is a link to /run; elsewhere it may be a
	// directory of its own.
	if fi, err := os.Lstat("/var/run"); err == nil && fi.IsDir() {
		if err := mountTmpfs("/var/run"); err != nil {
			return err
		}
	}
	for _, d := range runDirs {
		if err := makeDir(d.path, d.mode, d.owner); err != nil {
			return err
		}
	}
	if err := privateNFSState(); err != nil {
		return err
	}
	return setUpLoopback()
}

// mountTmpfs mounts a fresh tmpfs on dir.
func mountTmpfs(dir string) error {
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755"); err != nil {
		return fmt.Errorf("mounting a tmpfs on %s: %w", dir, err)
	}
	return nil
}

// privateNFSState mounts a tmpfs on nfs-common's state directory, if the
// machine has one, laid out as the package leaves it: sm/, sm.bak/ and
// state, owned by statd.
func privateNFSState() error {
	if fi, err := os.Stat(nfsStateDir); err != nil || !fi.IsDir() {
		return nil
	}
	if err := mountTmpfs(nfsStateDir); err != nil {
		return err
	}
	for _, sub := range []string{"sm", "sm.bak"} {
		if err := makeDir(filepath.Join(nfsStateDir, sub), 0o755, "statd"); err != nil {
			return err
		}
	}
	state := filepath.Join(nfsStateDir, "state")
	if err := os.WriteFile(state, nil, 0o644); err != nil {
		return fmt.Errorf("creating %s: %w", state, err)
	}
	return chown(state, "statd")
}

// makeDir makes dir with mode, owned by the named user when there is
// one.
func makeDir(dir string, mode os.FileMode, owner string) error {
	if err := os.MkdirAll(dir, mode); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	return chown(dir, owner)
}

// chown gives path to the named user, if the machine has that user.
func chown(path, owner string) error {
	if owner == "" {
		return nil
	}
	u, err := user.Lookup(owner)
	if err != nil {
		var unknown user.UnknownUserError
		if errors.As(err, &unknown) {
			return nil // the package that would use it is not installed
		}
		return fmt.Errorf("looking up user %s for %s: %w", owner, path, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return fmt.Errorf("user %s for %s: uid %q: %w", owner, path, u.Uid, err)
	}
	if err := os.Chown(path, uid, -1); err != nil {
		return fmt.Errorf("giving %s to %s: %w", path, owner, err)
	}
	return nil
}
