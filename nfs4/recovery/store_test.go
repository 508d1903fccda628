package recovery_test

import (
	"testing"

	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/nfs4/recovery/recoverytest"
)

func TestMemStoreConformance(t *testing.T) {
	recoverytest.Run(t, func(t *testing.T) func() recovery.RecoveryStore {
		s := &recovery.MemStore{}
		return func() recovery.RecoveryStore { return s }
	})
}

func TestFileStoreConformance(t *testing.T) {
	recoverytest.Run(t, func(t *testing.T) func() recovery.RecoveryStore {
		dir := t.TempDir()
		return func() recovery.RecoveryStore {
			s, err := recovery.NewFileStore(dir)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	})
}
