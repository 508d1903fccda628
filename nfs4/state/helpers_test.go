package state

import (
	"context"
	"testing"
	"time"

	"github.com/nfskit/nfskit/internal/testclock"
	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/locktable"
	"github.com/stretchr/testify/require"
)

// tableLocker is a vfs.Locker over a locktable, as a file system (and
// NLM) would keep it.
type tableLocker struct{ t *locktable.Table[string] }

func (l tableLocker) Lock(_ context.Context, _ *vfs.Cred, h vfs.Handle, lk vfs.Lock) error {
	return l.t.Lock(string(h), lk)
}
func (l tableLocker) Unlock(_ context.Context, _ *vfs.Cred, h vfs.Handle, o vfs.LockOwner, off, n uint64) error {
	l.t.Unlock(string(h), o, off, n)
	return nil
}
func (l tableLocker) TestLock(_ context.Context, _ *vfs.Cred, h vfs.Handle, lk vfs.Lock) (vfs.Lock, bool, error) {
	return l.t.Test(string(h), lk)
}

const testLease = 90 * time.Second

type env struct {
	m     *Manager
	clock *testclock.Clock
	store *recovery.MemStore
	lock  tableLocker
}

func newEnv(t *testing.T, mod ...func(*Config)) *env {
	t.Helper()
	e := &env{
		clock: testclock.New(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)),
		store: &recovery.MemStore{},
		lock:  tableLocker{locktable.New[string](nil)},
	}
	cfg := Config{Now: e.clock.Now, Lease: testLease, Epoch: 7, Node: 1, Locker: e.lock, Store: e.store}
	for _, f := range mod {
		f(&cfg)
	}
	e.m = New(cfg)
	return e
}

// client40 makes and confirms a 4.0 client.
func (e *env) client40(t *testing.T, name string) ClientID {
	t.Helper()
	id, v, err := e.m.SetClientID(SetClientIDArgs{Owner: []byte(name), Verifier: Verifier{1}, Principal: "p"})
	require.NoError(t, err)
	require.NoError(t, e.m.SetClientIDConfirm(t.Context(), id, v, "p"))
	return id
}

// client41 makes a 4.1 client with a session.
func (e *env) client41(t *testing.T, name string) (ClientID, SessionID) {
	t.Helper()
	r, err := e.m.ExchangeID(ExchangeIDArgs{Owner: []byte(name), Verifier: Verifier{1}, Principal: "p"})
	require.NoError(t, err)
	s, err := e.m.CreateSession(t.Context(), CreateSessionArgs{ClientID: r.ClientID, Seqid: r.SequenceID, Principal: "p"})
	require.NoError(t, err)
	return r.ClientID, s.SessionID
}

// open40 opens file for a 4.0 client and confirms the owner.
func (e *env) open40(t *testing.T, id ClientID, owner, file string, access, deny uint32, seqid uint32) Stateid {
	t.Helper()
	r, err := e.m.Open(t.Context(), OpenArgs{ClientID: id, Owner: []byte(owner), Seqid: seqid, File: vfs.Handle(file), Access: access, Deny: deny})
	require.NoError(t, err)
	if !r.Confirm {
		return r.Stateid
	}
	sid, err := e.m.OpenConfirm(t.Context(), r.Stateid, seqid+1, vfs.Handle(file))
	require.NoError(t, err)
	return sid
}

func (e *env) open41(t *testing.T, id ClientID, owner, file string, access, deny uint32) Stateid {
	t.Helper()
	r, err := e.m.Open(t.Context(), OpenArgs{ClientID: id, Minor: 1, Owner: []byte(owner), File: vfs.Handle(file), Access: access, Deny: deny})
	require.NoError(t, err)
	require.False(t, r.Confirm)
	return r.Stateid
}
