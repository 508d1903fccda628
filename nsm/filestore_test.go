package nsm

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nfskit/nfskit/internal/atomicfile/atomicfiletest"
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

// requireOnlySnapshot checks that dir holds the snapshot file alone.
func requireOnlySnapshot(t *testing.T, dir string) {
	t.Helper()
	names, err := atomicfiletest.Names(dir)
	require.NoError(t, err)
	require.Equal(t, []string{FileName}, names)
}

// saveCalls are the calls of a Save over an existing snapshot that may
// fail, in the order it makes them (see package atomicfile).
var saveCalls = []string{
	"create tmp", "write tmp", "sync tmp", "close tmp",
	"link target backup", "rename tmp target", "sync dir",
}

// A Save whose write, sync, close, backup link, rename or directory sync
// fails returns the error and leaves the old snapshot on disk, byte for
// byte, for a reopened store; the next Save succeeds.
func TestFileStoreSaveFailure(t *testing.T) {
	for _, from := range []struct {
		name string
		snap *Snapshot
	}{{"over a snapshot", oldSnap}, {"into an empty store", nil}} {
		for _, op := range saveCalls {
			t.Run(from.name+"/"+op, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, FileName)
				if from.snap != nil {
					require.NoError(t, (&FileStore{Dir: dir}).Save(from.snap))
				}
				before, beforeErr := os.ReadFile(path)

				ops := &atomicfiletest.Ops{Dir: dir, Name: FileName, Fail: op}
				st := &FileStore{Dir: dir, ops: ops}
				err := st.Save(newSnap)
				require.ErrorIs(t, err, atomicfiletest.ErrInjected)
				require.Empty(t, ops.Fail, "%s was never made: %v", op, ops.Log)

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
