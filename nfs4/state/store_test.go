package state

import (
	"context"
	"errors"
	"testing"

	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/stretchr/testify/require"
)

// failingStore fails the next fail writes of Add.
type failingStore struct {
	recovery.MemStore
	fail int
}

var errStore = errors.New("store down")

func (f *failingStore) Add(ctx context.Context, v uint64, r recovery.Record) (uint64, error) {
	if f.fail > 0 {
		f.fail--
		return 0, errStore
	}
	return f.MemStore.Add(ctx, v, r)
}

// A failed store write does not fail the request; it is reported and
// the client is recorded at its next state. A conflicting write of
// another node is retried on the new version.
func TestStoreFailureAndConflict(t *testing.T) {
	st := &failingStore{fail: 1}
	var reported []error
	e := newEnv(t, func(c *Config) {
		c.Store = st
		c.StoreError = func(err error) { reported = append(reported, err) }
	})
	id, _ := e.client41(t, "a")
	e.open41(t, id, "o", "f", ShareAccessRead, ShareDenyNone)
	require.Equal(t, []error{errStore}, reported)
	s, _ := st.Load(t.Context())
	require.Empty(t, s.Current)

	// Another writer moves the version on: the next record retries.
	_, err := st.MemStore.Add(t.Context(), s.Version, recovery.Record{Owner: []byte("other-node-client")})
	require.NoError(t, err)
	e.open41(t, id, "o", "g", ShareAccessRead, ShareDenyNone)
	s, _ = st.Load(t.Context())
	require.Len(t, s.Current, 2)
	require.Len(t, reported, 1)
}
