package nfs4

import (
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
)

// fileHandle is a current or saved filehandle: its wire bytes and what
// they name, an exported object or a pseudo directory. It holds its bytes
// itself, so saving and restoring it are copies.
type fileHandle struct {
	n    int // 0: none
	buf  [NFS4_FHSIZE]byte
	ex   *export.Export // the export of an exported object
	node *pseudoNode    // the pseudo directory, for a pseudo handle
}

func (f *fileHandle) clear()       { f.n, f.ex, f.node = 0, nil, nil }
func (f *fileHandle) valid() bool  { return f.n > 0 }
func (f *fileHandle) wire() []byte { return f.buf[:f.n] }

// backend returns the backend's handle of an exported object.
func (f *fileHandle) backend() vfs.Handle { return vfs.Handle(f.buf[export.HandleOverhead:f.n]) }

// setExported makes f the handle of the backend handle h in ex.
func (f *fileHandle) setExported(ex *export.Export, h vfs.Handle) error {
	b, err := export.AppendHandle(f.buf[:0], ex.ID, h)
	if err != nil {
		return err
	}
	f.n, f.ex, f.node = len(b), ex, nil
	return nil
}

// setPseudo makes f the handle of a pseudo directory.
func (f *fileHandle) setPseudo(n *pseudoNode) {
	f.n = copy(f.buf[:], n.handle[:])
	f.ex, f.node = nil, n
}
