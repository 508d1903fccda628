package state

import (
	"bytes"
	"slices"

	"github.com/nfskit/nfskit/vfs"
)

// LockNotify asks the engine to tell a 4.1 client, with CB_NOTIFY_LOCK,
// that a lock on File it was denied may now be free: Owner is its lock
// owner.
type LockNotify struct {
	Client ClientID
	Minor  uint32
	File   vfs.Handle
	Owner  []byte
}

// maxLockWaiters bounds the clients remembered per file as waiting for
// a lock; more are not notified (they poll, as they must anyway).
const maxLockWaiters = 64

// lockWaiter is a 4.1 lock owner denied a blocking lock on a file.
type lockWaiter struct {
	client ClientID
	minor  uint32
	owner  string
}

// SetLockNotifier installs fn, which the Manager calls, holding no lock,
// when a lock on a file is released for each 4.1 lock owner that was
// denied a blocking lock (READW_LT, WRITEW_LT) on it since. fn must not
// block.
func (m *Manager) SetLockNotifier(fn func(LockNotify)) {
	m.waitMu.Lock()
	m.notifier = fn
	m.waitMu.Unlock()
}

// lockWaits remembers that a 4.1 client's lock owner was denied a
// blocking lock on file. No locks held.
func (m *Manager) lockWaits(file vfs.Handle, w lockWaiter) {
	if w.minor == 0 {
		return // 4.0 has no CB_NOTIFY_LOCK
	}
	m.waitMu.Lock()
	defer m.waitMu.Unlock()
	if m.notifier == nil {
		return
	}
	if m.waiters == nil {
		m.waiters = make(map[string][]lockWaiter)
	}
	ws := m.waiters[string(file)]
	if len(ws) >= maxLockWaiters || slices.Contains(ws, w) {
		return
	}
	m.waiters[string(file)] = append(ws, w)
}

// lockReleased notifies the owners waiting for a lock on file, and
// forgets them. No locks held.
func (m *Manager) lockReleased(file string) {
	m.waitMu.Lock()
	ws, fn := m.waiters[file], m.notifier
	delete(m.waiters, file)
	m.waitMu.Unlock()
	if fn == nil {
		return
	}
	for _, w := range ws {
		fn(LockNotify{Client: w.client, Minor: w.minor, File: vfs.Handle(bytes.Clone([]byte(file))), Owner: []byte(w.owner)})
	}
}
