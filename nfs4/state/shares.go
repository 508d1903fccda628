package state

import (
	"sync"

	"github.com/nfskit/nfskit/vfs"
)

// Share access and deny bits (OPEN4_SHARE_ACCESS_*, OPEN4_SHARE_DENY_*).
const (
	ShareAccessRead  = 1
	ShareAccessWrite = 2
	ShareAccessBoth  = 3
	ShareDenyNone    = 0
	ShareDenyRead    = 1
	ShareDenyWrite   = 2
	ShareDenyBoth    = 3
)

// fileState is the share reservations on one file, of every client.
type fileState struct {
	mu     sync.Mutex
	shares map[*stateRec]share
	// delegs are the file's delegations, of every client.
	delegs map[*stateRec]*deleg
}

// empty reports whether the table holds nothing. File held.
func (f *fileState) empty() bool { return len(f.shares) == 0 && len(f.delegs) == 0 }

// share is one open's reservation, copied so other clients read it
// without their client's lock.
type share struct {
	client       ClientID
	owner        string
	access, deny uint32
}

// withFile runs fn on the share table of file, made if need be, with the
// table locked; a table left empty is dropped.
func (m *Manager) withFile(key string, fn func(f *fileState)) {
	m.filesMu.Lock()
	defer m.filesMu.Unlock()
	f := m.files[key]
	if f == nil {
		f = &fileState{shares: make(map[*stateRec]share), delegs: make(map[*stateRec]*deleg)}
		m.files[key] = f
	}
	f.mu.Lock()
	fn(f)
	empty := f.empty()
	f.mu.Unlock()
	if empty {
		delete(m.files, key)
	}
}

// conflicts returns the clients whose reservations on f conflict with
// access/deny for st (an open of client c by owner): another owner's
// deny covering access, or its access covered by deny. File held.
func (f *fileState) conflicts(st *stateRec, c ClientID, owner string, access, deny uint32) []ClientID {
	var out []ClientID
	for other, s := range f.shares {
		if other == st || (s.client == c && s.owner == owner) {
			continue
		}
		if s.deny&access != 0 || s.access&deny != 0 {
			out = append(out, s.client)
		}
	}
	return out
}

// denied reports whether an open denies access to file.
func (m *Manager) denied(file vfs.Handle, access uint32) bool {
	m.filesMu.Lock()
	f := m.files[string(file)]
	m.filesMu.Unlock()
	if f == nil {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.shares {
		if s.deny&access != 0 {
			return true
		}
	}
	return false
}

// unshare drops st's reservation, and the file's table once empty.
func (m *Manager) unshare(st *stateRec) {
	m.fromFile(st, func(f *fileState) { delete(f.shares, st) })
}

// fromFile runs drop on the table of st's file, if it has one, with the
// table locked, and forgets the table once empty.
func (m *Manager) fromFile(st *stateRec, drop func(f *fileState)) {
	m.filesMu.Lock()
	defer m.filesMu.Unlock()
	f := m.files[st.file]
	if f == nil {
		return
	}
	f.mu.Lock()
	drop(f)
	empty := f.empty()
	f.mu.Unlock()
	if empty {
		delete(m.files, st.file)
	}
}
