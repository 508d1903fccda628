package nfsd_test

import (
	"testing"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/vfstest"
)

// TestTinyFSConformance runs the vfs conformance suite on the file
// system of ExampleServer_ownFS.
func TestTinyFSConformance(t *testing.T) {
	vfstest.Run(t, func(t *testing.T) vfs.FS { return newTinyFS(0o755) })
}
