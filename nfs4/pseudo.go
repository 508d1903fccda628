package nfs4

import (
	"encoding/binary"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
)

// Pseudo directories have handles of their own: pseudoHandleVersion,
// which no export handle starts with, and a hash of the directory's path,
// so that they are the same after a restart.
const (
	pseudoHandleVersion = 0xf4
	pseudoHandleSize    = 9
)

// pseudoFSID is the fsid of the pseudo file system; an export's has a
// minor number of 0.
var pseudoFSID = Fsid4{Major: 0, Minor: 1}

// pseudoNode is a directory of the pseudo file system, or the place an
// export is mounted.
type pseudoNode struct {
	path     string
	name     string
	parent   *pseudoNode // nil for the root
	children []*pseudoNode
	// ex is the export mounted here, nil for a pure pseudo directory.
	ex *export.Export
	// root caches the backend handle of ex's root.
	root   atomic.Pointer[vfs.Handle]
	fileid uint64
	handle [pseudoHandleSize]byte
}

// child returns the child named name, or nil.
func (n *pseudoNode) child(name string) *pseudoNode {
	i, ok := slices.BinarySearchFunc(n.children, name, func(c *pseudoNode, name string) int { return strings.Compare(c.name, name) })
	if !ok {
		return nil
	}
	return n.children[i]
}

// pseudoTree is the pseudo file system of one generation of the export
// table.
type pseudoTree struct {
	gen    uint64
	root   *pseudoNode
	byHash map[uint64]*pseudoNode
	byPath map[string]*pseudoNode
	made   time.Time
}

// pseudoCache keeps the tree of the export table's current generation.
type pseudoCache struct {
	table *export.Table
	mu    sync.Mutex // serialises rebuilds
	tree  atomic.Pointer[pseudoTree]
}

// get returns the pseudo file system of the exports as they are now.
func (p *pseudoCache) get() *pseudoTree {
	gen := p.table.Generation()
	if t := p.tree.Load(); t != nil && t.gen == gen {
		return t
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.tree.Load()
	if t == nil || t.gen != gen {
		t = buildPseudo(gen, p.table.List())
		p.tree.Store(t)
	}
	return t
}

// pathHash is FNV-1a of a path: pseudo handles and file ids.
func pathHash(p string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(p); i++ {
		h ^= uint64(p[i])
		h *= 1099511628211
	}
	return h
}

// buildPseudo builds the pseudo file system of a list of exports: a
// directory for every ancestor of an export's path, and a node where each
// export is mounted.
func buildPseudo(gen uint64, list []*export.Export) *pseudoTree {
	t := &pseudoTree{gen: gen, byHash: make(map[uint64]*pseudoNode), byPath: make(map[string]*pseudoNode), made: time.Now()}
	t.root = t.node("/", "", nil)
	for _, ex := range list {
		n := t.root
		if ex.Path != "/" {
			for _, el := range strings.Split(ex.Path[1:], "/") {
				c := n.child(el)
				if c == nil {
					p := n.path + "/" + el
					if n.parent == nil {
						p = "/" + el
					}
					c = t.node(p, el, n)
					i, _ := slices.BinarySearchFunc(n.children, el, func(c *pseudoNode, name string) int { return strings.Compare(c.name, name) })
					n.children = slices.Insert(n.children, i, c)
				}
				n = c
			}
		}
		n.ex = ex
	}
	return t
}

func (t *pseudoTree) node(path, name string, parent *pseudoNode) *pseudoNode {
	h := pathHash(path)
	n := &pseudoNode{path: path, name: name, parent: parent, fileid: h | 1}
	n.handle[0] = pseudoHandleVersion
	binary.BigEndian.PutUint64(n.handle[1:], h)
	t.byHash[h] = n
	t.byPath[path] = n
	return n
}

// lookupHandle finds the pseudo directory a pseudo handle names.
func (t *pseudoTree) lookupHandle(fh []byte) *pseudoNode {
	if len(fh) != pseudoHandleSize || fh[0] != pseudoHandleVersion {
		return nil
	}
	return t.byHash[binary.BigEndian.Uint64(fh[1:])]
}
