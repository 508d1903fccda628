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
