package recovery

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nfskit/nfskit/internal/atomicfile"
	"github.com/nfskit/nfskit/internal/atomicfile/atomicfiletest"
	"github.com/stretchr/testify/require"
)

func temps(t *testing.T, dir string) []string {
	names, err := atomicfiletest.Names(dir)
	require.NoError(t, err)
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, atomicfile.TempPrefix(FileName)) {
			out = append(out, n)
		}
	}
	return out
}

// A write failing at any step before the rename leaves the old snapshot
// and no temporary file; one failing after it reports the error over
// the new snapshot, which the next write builds on.
func TestFileStoreFaults(t *testing.T) {
	for _, tc := range []struct {
		fail    string
		wantNew bool
	}{
		{"create tmp", false},
		{"write tmp", false},
		{"sync tmp", false},
		{"close tmp", false},
		{"rename tmp target", false},
		{"sync dir", true},
	} {
		t.Run(tc.fail, func(t *testing.T) {
			ctx := t.Context()
			dir := t.TempDir()
			st, err := NewFileStore(dir)
			require.NoError(t, err)
			v, err := st.Add(ctx, 0, Record{Owner: []byte("old")})
			require.NoError(t, err)
			st.file.Ops = &atomicfiletest.Ops{Dir: dir, Name: FileName, Fail: tc.fail}
			_, err = st.Add(ctx, v, Record{Owner: []byte("new")})
			require.ErrorIs(t, err, atomicfiletest.ErrInjected)
			require.Empty(t, temps(t, dir))
			st.file.Ops = nil
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
