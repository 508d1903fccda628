package nsm

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// Snapshots the FileStore tests replace one with the other.
var (
	oldSnap = &Snapshot{State: 3, Monitors: []Monitor{
		{MonName: "old-a.test", MyId: MyId{MyName: "me.test", MyProg: 100021, MyVers: 4, MyProc: 16}, Priv: [16]byte{1, 2, 3}},
		{MonName: "old-b.test", MyId: MyId{MyName: "me.test", MyProg: 100021, MyVers: 4, MyProc: 16}, Priv: [16]byte{4, 5, 6}},
	}}
	newSnap = &Snapshot{State: 5, Monitors: []Monitor{
		{MonName: "new-a.test", MyId: MyId{MyName: "me.test", MyProg: 100021, MyVers: 3, MyProc: 17}, Priv: [16]byte{7, 8, 9}},
	}}
	nextSnap = &Snapshot{State: 7}
)

// The environment that makes TestFileStoreKilledChild a writer to kill.
const (
	killDirEnv  = "NFSKIT_NSM_KILL_DIR"
	killStepEnv = "NFSKIT_NSM_KILL_STEP"
)

// A writer killed (SIGKILL) at any step of a Save leaves the store holding
// the whole old snapshot before the rename and the whole new one after
// it, never a mix nor an error; the next Save clears what it left behind.
func TestFileStoreKilledMidSave(t *testing.T) {
	steps := []struct {
		step string
		want *Snapshot
	}{
		{stepCreated, oldSnap},
		{stepWritten, oldSnap},
		{stepSynced, oldSnap},
		{stepClosed, oldSnap},
		{stepBackedUp, oldSnap},
		{stepRenamed, newSnap},
		{stepDirSynced, newSnap},
	}
	for _, tc := range steps {
		t.Run(tc.step, func(t *testing.T) {
			dir := t.TempDir()
			st, err := NewFileStore(dir)
			require.NoError(t, err)
			require.NoError(t, st.Save(oldSnap))

			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestFileStoreKilledChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), killDirEnv+"="+dir, killStepEnv+"="+tc.step)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "the writer was not killed:\n%s", out)
			status := exit.Sys().(syscall.WaitStatus)
			require.True(t, status.Signaled(), "the writer exited by itself:\n%s", out)
			require.Equal(t, syscall.SIGKILL, status.Signal())

			reopened, err := NewFileStore(dir)
			require.NoError(t, err)
			got, err := reopened.Load()
			require.NoError(t, err)
			require.Equal(t, tc.want, got)

			require.NoError(t, reopened.Save(nextSnap))
			got, err = reopened.Load()
			require.NoError(t, err)
			require.Equal(t, nextSnap, got)
			requireOnlySnapshot(t, dir)
		})
	}
}

// TestFileStoreKilledChild is the writer TestFileStoreKilledMidSave runs
// in a process of its own: it kills itself at the step it is told.
func TestFileStoreKilledChild(t *testing.T) {
	dir, step := os.Getenv(killDirEnv), os.Getenv(killStepEnv)
	if dir == "" {
		t.Skip("run by TestFileStoreKilledMidSave in a child process")
	}
	saveStep = func(s string) {
		if s == step {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
	st := &FileStore{Dir: dir}
	require.NoError(t, st.Save(newSnap))
	t.Fatalf("Save finished without reaching step %q", step)
}

// requireOnlySnapshot checks that dir holds the snapshot file alone.
func requireOnlySnapshot(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	require.Equal(t, []string{FileName}, names)
}

// errInjected is the error faultOps make an operation fail with.
var errInjected = errors.New("injected fault")

// faultOps are the operating system's fileOps, recording each operation
// and failing the first one named fail.
type faultOps struct {
	osFileOps
	dir  string
	fail string
	log  []string
}

// do records op and returns errInjected if it is the one to fail.
func (o *faultOps) do(op string) error {
	o.log = append(o.log, op)
	if op == o.fail {
		o.fail = ""
		return errInjected
	}
	return nil
}

// role names a file of the store by what it is to Save.
func (o *faultOps) role(name string) string {
	switch base := filepath.Base(name); {
	case name == o.dir:
		return "dir"
	case base == FileName:
		return "snapshot"
	case base == backupName:
		return "backup"
	case strings.HasPrefix(base, tmpPrefix):
		return "tmp"
	default:
		return name
	}
}

func (o *faultOps) createTemp(dir, pattern string) (tempFile, error) {
	if err := o.do("create tmp"); err != nil {
		return nil, err
	}
	f, err := o.osFileOps.createTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &faultFile{tempFile: f, ops: o}, nil
}

func (o *faultOps) link(oldname, newname string) error {
	if err := o.do("link " + o.role(oldname) + " " + o.role(newname)); err != nil {
		return err
	}
	return o.osFileOps.link(oldname, newname)
}

func (o *faultOps) rename(oldname, newname string) error {
	if err := o.do("rename " + o.role(oldname) + " " + o.role(newname)); err != nil {
		return err
	}
	return o.osFileOps.rename(oldname, newname)
}

func (o *faultOps) remove(name string) error {
	if err := o.do("remove " + o.role(name)); err != nil {
		return err
	}
	return o.osFileOps.remove(name)
}

func (o *faultOps) syncDir(dir string) error {
	if err := o.do("sync " + o.role(dir)); err != nil {
		return err
	}
	return o.osFileOps.syncDir(dir)
}

// faultFile is a temporary file whose writes, syncs and close faultOps
// record and may fail; a failed write writes half of its bytes first.
type faultFile struct {
	tempFile
	ops *faultOps
}

func (f *faultFile) Write(p []byte) (int, error) {
	if err := f.ops.do("write tmp"); err != nil {
		n, _ := f.tempFile.Write(p[:len(p)/2])
		return n, err
	}
	return f.tempFile.Write(p)
}

func (f *faultFile) Sync() error {
	if err := f.ops.do("sync tmp"); err != nil {
		return err
	}
	return f.tempFile.Sync()
}

func (f *faultFile) Close() error {
	if err := f.ops.do("close tmp"); err != nil {
		f.tempFile.Close()
		return err
	}
	return f.tempFile.Close()
}

// saveSteps are the operations of a Save over an existing snapshot, in
// the order it must make them: the new file is on disk before it
// replaces the old one, and the directory after.
var saveSteps = []string{
	"create tmp", "write tmp", "sync tmp", "close tmp",
	"link snapshot backup", "rename tmp snapshot", "sync dir", "remove backup",
}

// Save writes and syncs the new file, then renames it over the old one,
// then syncs the directory.
func TestFileStoreSaveOrder(t *testing.T) {
	dir := t.TempDir()
	ops := &faultOps{dir: dir}
	st := &FileStore{Dir: dir, ops: ops}
	require.NoError(t, st.Save(oldSnap))
	ops.log = nil
	require.NoError(t, st.Save(newSnap))
	require.Equal(t, saveSteps, ops.log)
	got, err := (&FileStore{Dir: dir}).Load()
	require.NoError(t, err)
	require.Equal(t, newSnap, got)
	requireOnlySnapshot(t, dir)
}

// A Save whose write, sync, close, backup link, rename or directory sync
// fails returns the error and leaves the old snapshot on disk, byte for
// byte, for a reopened store; the next Save succeeds.
func TestFileStoreSaveFailure(t *testing.T) {
	for _, from := range []struct {
		name string
		snap *Snapshot
	}{{"over a snapshot", oldSnap}, {"into an empty store", nil}} {
		for _, op := range saveSteps[:len(saveSteps)-1] {
			t.Run(from.name+"/"+op, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, FileName)
				if from.snap != nil {
					require.NoError(t, (&FileStore{Dir: dir}).Save(from.snap))
				}
				before, beforeErr := os.ReadFile(path)

				ops := &faultOps{dir: dir, fail: op}
				st := &FileStore{Dir: dir, ops: ops}
				err := st.Save(newSnap)
				require.ErrorIs(t, err, errInjected)
				require.Empty(t, ops.fail, "%s was never made: %v", op, ops.log)

				after, afterErr := os.ReadFile(path)
				require.Equal(t, beforeErr == nil, afterErr == nil, "the snapshot file came or went")
				require.Equal(t, string(before), string(after))
				want := from.snap
				if want == nil {
					want = &Snapshot{}
				}
				for _, s := range []*FileStore{st, {Dir: dir}} {
					got, err := s.Load()
					require.NoError(t, err)
					require.Equal(t, want, got)
				}
				ents, err := os.ReadDir(dir)
				require.NoError(t, err)
				for _, e := range ents {
					require.Equal(t, FileName, e.Name(), "left behind")
				}

				require.NoError(t, st.Save(nextSnap))
				got, err := (&FileStore{Dir: dir}).Load()
				require.NoError(t, err)
				require.Equal(t, nextSnap, got)
				requireOnlySnapshot(t, dir)
			})
		}
	}
}
