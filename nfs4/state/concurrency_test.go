package state

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
)

// Many 4.1 clients open, lock, unlock and close a few shared files at
// once while the reaper runs; every lock either succeeds or is refused
// with ErrDenied, and in the end no state is left.
func TestConcurrentClients(t *testing.T) {
	e := newEnv(t)
	const clients, rounds, files = 16, 30, 3
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	ids := make([]ClientID, clients)
	for i := range clients {
		ids[i], _ = e.client41(t, fmt.Sprint("client-", i))
	}
	for i := range clients {
		wg.Go(func() {
			id := ids[i]
			for r := range rounds {
				file := vfs.Handle(fmt.Sprint("file-", (i+r)%files))
				o, err := e.m.Open(t.Context(), OpenArgs{ClientID: id, Minor: 1, Owner: []byte("o"), File: file, Access: ShareAccessBoth})
				if err != nil {
					errs <- err
					return
				}
				ls, err := e.m.Lock(t.Context(), LockArgs{Minor: 1, File: file, Type: vfs.WriteLock, Offset: uint64(r % 4), Length: 2,
					New: true, OpenStateid: o.Stateid, ClientID: id, Owner: []byte("l")})
				if err == nil {
					if _, err := e.m.LockU(t.Context(), ls, 0, 1, file, nil, 0, toEOF); err != nil {
						errs <- err
						return
					}
				} else if !errors.Is(err, ErrDenied) {
					errs <- err
					return
				}
				if err := e.m.ReleaseLockOwner(id, []byte("l")); err != nil {
					errs <- err
					return
				}
				if _, err := e.m.Close(Stateid{Other: o.Stateid.Other}, 0, 1, file); err != nil {
					errs <- err
					return
				}
				e.m.Reap(t.Context())
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for _, id := range ids {
		c, err := e.m.Client(id)
		require.NoError(t, err)
		require.Zero(t, c.States)
	}
	e.m.filesMu.Lock()
	require.Empty(t, e.m.files)
	e.m.filesMu.Unlock()
	for i := range files {
		require.Empty(t, e.lock.t.Locks(fmt.Sprint("file-", i)))
	}
}

// Clients come and go through the registry at once: 4.0 clients set up,
// confirm and renew, 4.1 clients exchange ids, make and destroy sessions
// and destroy themselves, some under the same names, while the clock
// moves and the reaper runs. Every answer is one the RFCs allow for the
// race, and at the end no record is left but what was confirmed.
func TestConcurrentRegistry(t *testing.T) {
	e := newEnv(t)
	const workers, rounds = 12, 40
	allowed := []error{ErrStaleClientID, ErrClidInUse, ErrClientIDBusy, ErrBadSession, ErrSeqMisordered}
	errs := make(chan error, workers*rounds)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			name := []byte(fmt.Sprint("shared-", w%3))
			for r := range rounds {
				if w%2 == 0 {
					id, v, err := e.m.SetClientID(SetClientIDArgs{Owner: name, Verifier: Verifier{byte(r)}, Principal: "p"})
					if err == nil {
						err = e.m.SetClientIDConfirm(t.Context(), id, v, "p")
					}
					if err == nil {
						err = e.m.Renew(id)
					}
					errs <- err
					continue
				}
				x, err := e.m.ExchangeID(ExchangeIDArgs{Owner: []byte(fmt.Sprint("v41-", w)), Verifier: Verifier{1}, Principal: "p"})
				if err != nil {
					errs <- err
					continue
				}
				s, err := e.m.CreateSession(t.Context(), CreateSessionArgs{ClientID: x.ClientID, Seqid: x.SequenceID, Principal: "p"})
				if err == nil {
					if _, err = e.m.Sequence(SequenceArgs{SessionID: s.SessionID, Seqid: 1}); err == nil {
						e.m.Finish(s.SessionID, 0, nil)
					}
					if err == nil {
						err = e.m.DestroySession(s.SessionID)
					}
					if err == nil {
						err = e.m.DestroyClientID(t.Context(), x.ClientID)
					}
				}
				errs <- err
				if r%10 == 0 {
					e.clock.Advance(testLease / 4)
					e.m.Reap(t.Context())
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err == nil {
			continue
		}
		ok := false
		for _, a := range allowed {
			ok = ok || errors.Is(err, a)
		}
		require.True(t, ok, "unexpected %v", err)
	}
	e.clock.Advance(10 * testLease)
	require.True(t, e.m.Reap(t.Context()).IsZero())
	e.m.reg.Lock()
	defer e.m.reg.Unlock()
	require.Empty(t, e.m.byName)
	require.Zero(t, e.m.nclients)
	e.m.ids.RLock()
	defer e.m.ids.RUnlock()
	require.Empty(t, e.m.byID)
}
