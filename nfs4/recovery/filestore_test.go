package recovery

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// recordingOps passes calls to the operating system, logging them and
// failing the one named by fail.
type recordingOps struct {
	osFileOps
	fail string
	log  []string
}

var errInjected = errors.New("injected fault")

func (r *recordingOps) step(name string) error {
	r.log = append(r.log, name)
	if name == r.fail {
		return errInjected
	}
	return nil
}

func (r *recordingOps) createTemp(dir, pattern string) (tempFile, error) {
	if err := r.step("create"); err != nil {
		return nil, err
	}
	f, err := r.osFileOps.createTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &recordingFile{tempFile: f, ops: r}, nil
}

func (r *recordingOps) rename(o, n string) error {
	if err := r.step("rename"); err != nil {
		return err
	}
	return r.osFileOps.rename(o, n)
}

func (r *recordingOps) syncDir(dir string) error {
	if err := r.step("syncdir"); err != nil {
		return err
	}
	return r.osFileOps.syncDir(dir)
}

type recordingFile struct {
	tempFile
	ops *recordingOps
}

func (f *recordingFile) Write(p []byte) (int, error) {
	if err := f.ops.step("write"); err != nil {
		return 0, err
	}
	return f.tempFile.Write(p)
}

func (f *recordingFile) Sync() error {
	if err := f.ops.step("fsync"); err != nil {
		return err
	}
	return f.tempFile.Sync()
}

func (f *recordingFile) Close() error {
	if err := f.ops.step("close"); err != nil {
		f.tempFile.Close()
		return err
	}
	return f.tempFile.Close()
}

func temps(t *testing.T, dir string) []string {
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// A write syncs the new file before it renames it and syncs the
// directory after.
func TestFileStoreWriteOrder(t *testing.T) {
	st, err := NewFileStore(t.TempDir())
	require.NoError(t, err)
	ops := &recordingOps{}
	st.ops = ops
	_, err = st.Add(t.Context(), 0, Record{Owner: []byte("a")})
	require.NoError(t, err)
	require.Equal(t, []string{"create", "write", "fsync", "close", "rename", "syncdir"}, ops.log)
}

// A write failing at any step before the rename leaves the old snapshot
// and no temporary file; one failing after it reports the error over
// the new snapshot, which the next write builds on.
func TestFileStoreFaults(t *testing.T) {
	for _, tc := range []struct {
		fail    string
		wantNew bool
	}{
		{"create", false},
		{"write", false},
		{"fsync", false},
		{"close", false},
		{"rename", false},
		{"syncdir", true},
	} {
		t.Run(tc.fail, func(t *testing.T) {
			ctx := t.Context()
			dir := t.TempDir()
			st, err := NewFileStore(dir)
			require.NoError(t, err)
			v, err := st.Add(ctx, 0, Record{Owner: []byte("old")})
			require.NoError(t, err)
			st.ops = &recordingOps{fail: tc.fail}
			_, err = st.Add(ctx, v, Record{Owner: []byte("new")})
			require.ErrorIs(t, err, errInjected)
			require.Empty(t, temps(t, dir))
			st.ops = osFileOps{}
			s, err := st.Load(ctx)
			require.NoError(t, err)
			if tc.wantNew {
				require.Len(t, s.Current, 2)
				require.Equal(t, v+1, s.Version)
			} else {
				require.Len(t, s.Current, 1)
				require.Equal(t, v, s.Version)
			}
		})
	}
}

// A file of an unknown format version is refused, not misread.
func TestFileStoreUnknownFormat(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, FileName), []byte(`{"format":99,"snapshot":{}}`), 0o600))
	st, err := NewFileStore(dir)
	require.NoError(t, err)
	_, err = st.Load(t.Context())
	require.ErrorContains(t, err, "unknown format version 99")
	_, err = st.Add(t.Context(), 0, Record{Owner: []byte("a")})
	require.Error(t, err)
}

const (
	killDirEnv  = "NFSKIT_RECOVERY_KILL_DIR"
	killStepEnv = "NFSKIT_RECOVERY_KILL_STEP"
)

// A writer killed (SIGKILL) at any step leaves the whole old snapshot
// before the rename and the whole new one after it; the next write
// removes the temporary file it left.
func TestFileStoreKilledMidWrite(t *testing.T) {
	for _, tc := range []struct {
		step    string
		wantNew bool
	}{
		{stepCreated, false},
		{stepWritten, false},
		{stepSynced, false},
		{stepClosed, false},
		{stepRenamed, true},
		{stepDirSynced, true},
	} {
		t.Run(tc.step, func(t *testing.T) {
			ctx := t.Context()
			dir := t.TempDir()
			st, err := NewFileStore(dir)
			require.NoError(t, err)
			_, err = st.Add(ctx, 0, Record{Owner: []byte("old")})
			require.NoError(t, err)

			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestFileStoreKilledChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), killDirEnv+"="+dir, killStepEnv+"="+tc.step)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "the writer was not killed:\n%s", out)
			require.Equal(t, syscall.SIGKILL, exit.Sys().(syscall.WaitStatus).Signal())

			st, err = NewFileStore(dir)
			require.NoError(t, err)
			s, err := st.Load(ctx)
			require.NoError(t, err)
			if tc.wantNew {
				require.Len(t, s.Current, 2)
			} else {
				require.Len(t, s.Current, 1)
			}
			_, err = st.Add(ctx, s.Version, Record{Owner: []byte("next")})
			require.NoError(t, err)
			require.Empty(t, temps(t, dir))
		})
	}
}

// TestFileStoreKilledChild is the writer TestFileStoreKilledMidWrite
// kills; it does nothing when run on its own.
func TestFileStoreKilledChild(t *testing.T) {
	dir, step := os.Getenv(killDirEnv), os.Getenv(killStepEnv)
	if dir == "" {
		t.Skip("run by TestFileStoreKilledMidWrite")
	}
	writeStep = func(s string) {
		if s == step {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
	st, err := NewFileStore(dir)
	require.NoError(t, err)
	s, err := st.Load(context.Background())
	require.NoError(t, err)
	st.Add(context.Background(), s.Version, Record{Owner: []byte("new")})
	t.Fatal("not killed")
}
