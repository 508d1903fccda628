package nsm_test

import (
	"testing"

	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/nsm/nsmtest"
	"github.com/stretchr/testify/require"
)

// Every Store keeps the promises of the conformance suite.
func TestStoreConformance(t *testing.T) {
	stores := []struct {
		name  string
		store func(t *testing.T) func() nsm.Store
	}{
		{"MemStore", func(t *testing.T) func() nsm.Store {
			st := &nsm.MemStore{}
			return func() nsm.Store { return st }
		}},
		{"FileStore", func(t *testing.T) func() nsm.Store {
			dir := t.TempDir()
			return func() nsm.Store {
				st, err := nsm.NewFileStore(dir)
				require.NoError(t, err)
				return st
			}
		}},
	}
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) { nsmtest.Run(t, s.store) })
	}
}
