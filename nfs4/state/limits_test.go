package state

import (
	"fmt"
	"testing"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
)

// Each limit refuses the request that would pass it, with ErrResource for
// 4.0 and ErrDelay for 4.1, and the state does not grow.
func TestLimits(t *testing.T) {
	t.Run("clients", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.Limits.Clients = 2 })
		e.client40(t, "a")
		e.client41(t, "b")
		_, _, err := e.m.SetClientID(SetClientIDArgs{Owner: []byte("c"), Principal: "p"})
		require.ErrorIs(t, err, ErrResource)
		_, err = e.m.ExchangeID(ExchangeIDArgs{Owner: []byte("c"), Principal: "p"})
		require.ErrorIs(t, err, ErrDelay)
	})
	t.Run("sessions", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.Limits.SessionsPerClient = 1 })
		r, err := e.m.ExchangeID(ExchangeIDArgs{Owner: []byte("a"), Principal: "p"})
		require.NoError(t, err)
		_, err = e.m.CreateSession(t.Context(), CreateSessionArgs{ClientID: r.ClientID, Seqid: 1, Principal: "p"})
		require.NoError(t, err)
		_, err = e.m.CreateSession(t.Context(), CreateSessionArgs{ClientID: r.ClientID, Seqid: 2, Principal: "p"})
		require.ErrorIs(t, err, ErrDelay)
	})
	t.Run("owners", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.Limits.OwnersPerClient = 2 })
		id := e.client40(t, "a")
		e.open40(t, id, "o1", "f", ShareAccessRead, ShareDenyNone, 1)
		e.open40(t, id, "o2", "f", ShareAccessRead, ShareDenyNone, 1)
		_, err := e.m.Open(t.Context(), OpenArgs{ClientID: id, Owner: []byte("o3"), Seqid: 1, File: fileF, Access: ShareAccessRead})
		require.ErrorIs(t, err, ErrResource)
	})
	t.Run("stateids", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.Limits.StateidsPerClient = 3 })
		id, _ := e.client41(t, "a")
		for i := range 3 {
			e.open41(t, id, "o", fmt.Sprint("f", i), ShareAccessRead, ShareDenyNone)
		}
		_, err := e.m.Open(t.Context(), OpenArgs{ClientID: id, Minor: 1, Owner: []byte("o"), File: vfs.Handle("f3"), Access: ShareAccessRead})
		require.ErrorIs(t, err, ErrDelay)
		c, err := e.m.Client(id)
		require.NoError(t, err)
		require.Equal(t, 3, c.States)
	})
}
