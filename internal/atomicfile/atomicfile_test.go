package atomicfile_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/nfskit/nfskit/internal/atomicfile"
	"github.com/nfskit/nfskit/internal/atomicfile/atomicfiletest"
	"github.com/stretchr/testify/require"
)

// name is the file the tests replace.
const name = "state.json"

// The contents the tests replace one with the other.
var (
	oldData  = []byte("the old content, whole\n")
	newData  = []byte("the new content, longer than the old one and whole\n")
	nextData = []byte("the next content\n")
)

// The calls of a Replace over an existing file, in the order it must make
// them: the new file is on disk before it replaces the old one, and the
// directory after; with Restore the old file keeps a second name until
// the directory is synced.
var (
	replaceCalls = []string{
		"create tmp", "write tmp", "sync tmp", "close tmp",
		"rename tmp target", "sync dir",
	}
	restoreCalls = []string{
		"create tmp", "write tmp", "sync tmp", "close tmp",
		"link target backup", "rename tmp target", "sync dir", "remove backup",
	}
)

// modes are the two ways a File replaces its content and the calls each
// makes.
var modes = []struct {
	name    string
	restore bool
	calls   []string
}{
	{"plain", false, replaceCalls},
	{"restore", true, restoreCalls},
}

// requireOnly checks that dir holds the file alone, with content want.
func requireOnly(t *testing.T, dir string, want []byte) {
	t.Helper()
	names, err := atomicfiletest.Names(dir)
	require.NoError(t, err)
	require.Equal(t, []string{name}, names)
	got, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

// Replace writes and syncs the new file, then renames it over the old
// one, then syncs the directory.
func TestReplaceOrder(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			dir := t.TempDir()
			ops := &atomicfiletest.Ops{Dir: dir, Name: name}
			f := &atomicfile.File{Dir: dir, Name: name, Restore: m.restore, Ops: ops}
			require.NoError(t, f.Replace(oldData))
			ops.Log = nil
			require.NoError(t, f.Replace(newData))
			require.Equal(t, m.calls, ops.Log)
			requireOnly(t, dir, newData)
		})
	}
}

// A Replace whose write, sync, close, backup link or rename fails returns
// the error and leaves the old file (or none) byte for byte and no
// temporary file. One whose directory sync fails puts the old file back
// with Restore, and leaves the new one without. The next Replace
// succeeds.
func TestReplaceFailure(t *testing.T) {
	for _, m := range modes {
		for _, old := range []struct {
			name string
			data []byte
		}{{"over a file", oldData}, {"no file", nil}} {
			for _, call := range m.calls {
				if call == "remove backup" {
					continue
				}
				t.Run(m.name+"/"+old.name+"/"+call, func(t *testing.T) {
					dir := t.TempDir()
					path := filepath.Join(dir, name)
					if old.data != nil {
						require.NoError(t, os.WriteFile(path, old.data, 0o600))
					}
					before, beforeErr := os.ReadFile(path)

					ops := &atomicfiletest.Ops{Dir: dir, Name: name, Fail: call}
					f := &atomicfile.File{Dir: dir, Name: name, Restore: m.restore, Ops: ops}
					require.ErrorIs(t, f.Replace(newData), atomicfiletest.ErrInjected)
					require.Empty(t, ops.Fail, "%s was never made: %v", call, ops.Log)

					after, afterErr := os.ReadFile(path)
					if call == "sync dir" && !m.restore {
						require.NoError(t, afterErr)
						require.Equal(t, string(newData), string(after))
					} else {
						require.Equal(t, beforeErr == nil, afterErr == nil, "the file came or went")
						require.Equal(t, string(before), string(after))
					}
					got, err := f.ReadFile()
					require.NoError(t, err)
					require.Equal(t, string(after), string(got))
					ents, err := os.ReadDir(dir)
					require.NoError(t, err)
					for _, e := range ents {
						require.Equal(t, name, e.Name(), "left behind")
					}

					require.NoError(t, f.Replace(nextData))
					requireOnly(t, dir, nextData)
				})
			}
		}
	}
}

// ReadFile of a file that does not exist returns no content and no error.
func TestReadFileMissing(t *testing.T) {
	got, err := (&atomicfile.File{Dir: t.TempDir(), Name: name}).ReadFile()
	require.NoError(t, err)
	require.Nil(t, got)
}

// The environment that makes TestReplaceKilledChild a writer to kill.
const (
	killDirEnv     = "NFSKIT_ATOMICFILE_KILL_DIR"
	killAfterEnv   = "NFSKIT_ATOMICFILE_KILL_AFTER"
	killRestoreEnv = "NFSKIT_ATOMICFILE_KILL_RESTORE"
)

// A writer killed (SIGKILL) after any call of a Replace leaves the whole
// old file before the rename and the whole new one after it, never a mix;
// the next Replace clears what it left behind.
func TestReplaceKilled(t *testing.T) {
	for _, m := range modes {
		for i, call := range m.calls {
			t.Run(fmt.Sprintf("%s/%s", m.name, call), func(t *testing.T) {
				dir := t.TempDir()
				require.NoError(t, os.WriteFile(filepath.Join(dir, name), oldData, 0o600))

				cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestReplaceKilledChild$", "-test.count=1")
				cmd.Env = append(os.Environ(), killDirEnv+"="+dir, killAfterEnv+"="+call,
					killRestoreEnv+"="+strconv.FormatBool(m.restore))
				out, err := cmd.CombinedOutput()
				var exit *exec.ExitError
				require.ErrorAs(t, err, &exit, "the writer was not killed:\n%s", out)
				status := exit.Sys().(syscall.WaitStatus)
				require.True(t, status.Signaled(), "the writer exited by itself:\n%s", out)
				require.Equal(t, syscall.SIGKILL, status.Signal())

				want := oldData
				if i >= indexOf(m.calls, "rename tmp target") {
					want = newData
				}
				f := &atomicfile.File{Dir: dir, Name: name, Restore: m.restore}
				got, err := f.ReadFile()
				require.NoError(t, err)
				require.Equal(t, string(want), string(got))

				require.NoError(t, f.Replace(nextData))
				requireOnly(t, dir, nextData)
			})
		}
	}
}

func indexOf(calls []string, call string) int {
	for i, c := range calls {
		if c == call {
			return i
		}
	}
	panic("no call " + call)
}

// TestReplaceKilledChild is the writer TestReplaceKilled runs in a process
// of its own: it kills itself after the call it is told.
func TestReplaceKilledChild(t *testing.T) {
	dir, after := os.Getenv(killDirEnv), os.Getenv(killAfterEnv)
	if dir == "" {
		t.Skip("run by TestReplaceKilled in a child process")
	}
	restore, err := strconv.ParseBool(os.Getenv(killRestoreEnv))
	require.NoError(t, err)
	ops := &atomicfiletest.Ops{Dir: dir, Name: name, After: func(call string) {
		if call == after {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}}
	f := &atomicfile.File{Dir: dir, Name: name, Restore: restore, Ops: ops}
	require.NoError(t, f.Replace(newData))
	t.Fatalf("Replace finished without making %q", after)
}
