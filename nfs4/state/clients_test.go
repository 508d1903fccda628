package state

import (
	"testing"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
)

// RFC 7530 §16.33.5's SETCLIENTID and SETCLIENTID_CONFIRM cases.
func TestSetClientIDCases(t *testing.T) {
	cb1 := Callback{Program: 0x40000000, NetID: "tcp", Addr: "198.18.0.1.3.1"}
	cb2 := Callback{Program: 0x40000001, NetID: "tcp", Addr: "198.18.0.2.3.1"}
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, e *env)
	}{
		{"new client is confirmed by its verifier", func(t *testing.T, e *env) {
			id, v, err := e.m.SetClientID(SetClientIDArgs{Owner: []byte("a"), Verifier: Verifier{1}, Principal: "p", Callback: cb1})
			require.NoError(t, err)
			_, err = e.m.Open(t.Context(), OpenArgs{ClientID: id, Owner: []byte("o"), File: vfs.Handle("f"), Access: ShareAccessRead})
			require.ErrorIs(t, err, ErrStaleClientID, "unconfirmed")
			require.ErrorIs(t, e.m.SetClientIDConfirm(t.Context(), id, Verifier{9}, "p"), ErrStaleClientID)
			require.NoError(t, e.m.SetClientIDConfirm(t.Context(), id, v, "p"))
			require.NoError(t, e.m.SetClientIDConfirm(t.Context(), id, v, "p"), "a retransmitted confirm")
			c, err := e.m.Client(id)
			require.NoError(t, err)
			require.True(t, c.Confirmed)
			require.Equal(t, cb1, c.Callback)
		}},
		{"callback update takes effect at confirm, same id", func(t *testing.T, e *env) {
			id := e.client40(t, "a")
			sid := e.open40(t, id, "o", "f", ShareAccessRead, ShareDenyNone, 1)
			id2, v2, err := e.m.SetClientID(SetClientIDArgs{Owner: []byte("a"), Verifier: Verifier{1}, Principal: "p", Callback: cb2})
			require.NoError(t, err)
			require.Equal(t, id, id2)
			c, _ := e.m.Client(id)
			require.Equal(t, Callback{}, c.Callback, "not before confirm")
			require.NoError(t, e.m.SetClientIDConfirm(t.Context(), id2, v2, "p"))
			c, _ = e.m.Client(id)
			require.Equal(t, cb2, c.Callback)
			require.NoError(t, e.m.CheckIO(IOArgs{Stateid: sid, File: vfs.Handle("f")}), "state kept")
		}},
		{"client reboot supersedes only at confirm", func(t *testing.T, e *env) {
			id := e.client40(t, "a")
			sid := e.open40(t, id, "o", "f", ShareAccessRead, ShareDenyWrite, 1)
			id2, v2, err := e.m.SetClientID(SetClientIDArgs{Owner: []byte("a"), Verifier: Verifier{2}, Principal: "p"})
			require.NoError(t, err)
			require.NotEqual(t, id, id2)
			require.NoError(t, e.m.CheckIO(IOArgs{Stateid: sid, File: vfs.Handle("f")}), "old state lives until confirm")
			require.NoError(t, e.m.SetClientIDConfirm(t.Context(), id2, v2, "p"))
			require.ErrorIs(t, e.m.CheckIO(IOArgs{Stateid: sid, File: vfs.Handle("f")}), ErrExpired)
			require.ErrorIs(t, e.m.Renew(id), ErrStaleClientID)
			require.NoError(t, e.m.CheckIO(IOArgs{Stateid: AnonymousStateid, File: vfs.Handle("f"), Write: true}), "share released")
		}},
		{"another principal while the client holds state", func(t *testing.T, e *env) {
			id := e.client40(t, "a")
			e.open40(t, id, "o", "f", ShareAccessRead, ShareDenyNone, 1)
			_, _, err := e.m.SetClientID(SetClientIDArgs{Owner: []byte("a"), Verifier: Verifier{2}, Principal: "q"})
			require.ErrorIs(t, err, ErrClidInUse)
		}},
		{"another principal after the lease lapsed without state", func(t *testing.T, e *env) {
			e.client40(t, "a")
			e.clock.Advance(2 * testLease)
			_, _, err := e.m.SetClientID(SetClientIDArgs{Owner: []byte("a"), Verifier: Verifier{2}, Principal: "q"})
			require.NoError(t, err)
		}},
		{"confirm by another principal", func(t *testing.T, e *env) {
			id, v, err := e.m.SetClientID(SetClientIDArgs{Owner: []byte("a"), Verifier: Verifier{1}, Principal: "p"})
			require.NoError(t, err)
			require.ErrorIs(t, e.m.SetClientIDConfirm(t.Context(), id, v, "q"), ErrClidInUse)
		}},
		{"a second SETCLIENTID replaces the unconfirmed record", func(t *testing.T, e *env) {
			id1, v1, err := e.m.SetClientID(SetClientIDArgs{Owner: []byte("a"), Verifier: Verifier{1}, Principal: "p"})
			require.NoError(t, err)
			id2, v2, err := e.m.SetClientID(SetClientIDArgs{Owner: []byte("a"), Verifier: Verifier{2}, Principal: "p"})
			require.NoError(t, err)
			require.ErrorIs(t, e.m.SetClientIDConfirm(t.Context(), id1, v1, "p"), ErrStaleClientID)
			require.NoError(t, e.m.SetClientIDConfirm(t.Context(), id2, v2, "p"))
		}},
		{"an id of another boot epoch is stale", func(t *testing.T, e *env) {
			old := makeClientID(6, 1, 1)
			require.ErrorIs(t, e.m.SetClientIDConfirm(t.Context(), old, Verifier{}, "p"), ErrStaleClientID)
			require.ErrorIs(t, e.m.Renew(old), ErrStaleClientID)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newEnv(t)) })
	}
}

// RFC 5661 §18.35.4's EXCHANGE_ID cases.
func TestExchangeIDCases(t *testing.T) {
	args := func(v byte, principal string, update bool) ExchangeIDArgs {
		return ExchangeIDArgs{Owner: []byte("a"), Verifier: Verifier{v}, Principal: principal, Update: update}
	}
	for _, tc := range []struct {
		name      string
		confirmed bool // a confirmed client (v1, p) exists first
		state     bool // and holds an open
		args      ExchangeIDArgs
		want      error
		sameID    bool
		confirmR  bool
	}{
		{"new", false, false, args(1, "p", false), nil, false, false},
		{"update without record", false, false, args(1, "p", true), ErrNoEnt, false, false},
		{"non-update retry of a confirmed client", true, false, args(1, "p", false), nil, true, true},
		{"update of a confirmed client", true, false, args(1, "p", true), nil, true, true},
		{"update with another verifier", true, false, args(2, "p", true), ErrNotSame, false, false},
		{"update by another principal", true, false, args(1, "q", true), ErrPerm, false, false},
		{"client restart", true, true, args(2, "p", false), nil, false, false},
		{"another principal, client holds state", true, true, args(1, "q", false), ErrClidInUse, false, false},
		{"state protection other than none", false, false, ExchangeIDArgs{Owner: []byte("a"), Protect: SP4MachCred}, ErrNotSupp, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			var first ClientID
			if tc.confirmed {
				first, _ = e.client41(t, "a")
				if tc.state {
					e.open41(t, first, "o", "f", ShareAccessRead, ShareDenyNone)
				}
			}
			r, err := e.m.ExchangeID(tc.args)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.sameID, r.ClientID == first)
			require.Equal(t, tc.confirmR, r.Confirmed)
		})
	}
}

// A client restart seen by EXCHANGE_ID replaces the old client (state and
// all) only when CREATE_SESSION confirms the new one.
func TestExchangeIDRestartConfirmedByCreateSession(t *testing.T) {
	e := newEnv(t)
	old, _ := e.client41(t, "a")
	sid := e.open41(t, old, "o", "f", ShareAccessRead, ShareDenyBoth)
	r, err := e.m.ExchangeID(ExchangeIDArgs{Owner: []byte("a"), Verifier: Verifier{2}, Principal: "p"})
	require.NoError(t, err)
	require.NoError(t, e.m.CheckIO(IOArgs{Stateid: sid, Minor: 1, File: vfs.Handle("f")}))
	_, err = e.m.CreateSession(t.Context(), CreateSessionArgs{ClientID: r.ClientID, Seqid: r.SequenceID, Principal: "p"})
	require.NoError(t, err)
	require.ErrorIs(t, e.m.CheckIO(IOArgs{Stateid: sid, Minor: 1, File: vfs.Handle("f")}), ErrBadStateid)
	require.NoError(t, e.m.CheckIO(IOArgs{Stateid: AnonymousStateid, File: vfs.Handle("f")}))
}

// CREATE_SESSION's sequence slot: the next seqid creates, the same one
// replays the cached result, any other is misordered; the channel
// attributes are clamped.
func TestCreateSessionSequence(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.Slots = 8 })
	r, err := e.m.ExchangeID(ExchangeIDArgs{Owner: []byte("a"), Verifier: Verifier{1}, Principal: "p"})
	require.NoError(t, err)
	a := CreateSessionArgs{ClientID: r.ClientID, Seqid: r.SequenceID, Principal: "p", Fore: ChannelAttrs{MaxRequests: 1000, MaxOperations: 8}}
	_, err = e.m.CreateSession(t.Context(), CreateSessionArgs{ClientID: r.ClientID, Seqid: r.SequenceID + 1, Principal: "p"})
	require.ErrorIs(t, err, ErrSeqMisordered)
	_, err = e.m.CreateSession(t.Context(), CreateSessionArgs{ClientID: r.ClientID, Seqid: r.SequenceID, Principal: "q"})
	require.ErrorIs(t, err, ErrClidInUse)
	s1, err := e.m.CreateSession(t.Context(), a)
	require.NoError(t, err)
	require.Equal(t, uint32(8), s1.Fore.MaxRequests)
	require.Equal(t, uint32(8), s1.Fore.MaxOperations)
	require.Equal(t, DefaultLimits.MaxRequestSize, s1.Fore.MaxRequestSize)
	s2, err := e.m.CreateSession(t.Context(), a)
	require.NoError(t, err)
	require.Equal(t, s1, s2, "a replay answers the cached result")
	a.Seqid += 5
	_, err = e.m.CreateSession(t.Context(), a)
	require.ErrorIs(t, err, ErrSeqMisordered)
	a.Seqid = r.SequenceID + 1
	s3, err := e.m.CreateSession(t.Context(), a)
	require.NoError(t, err)
	require.NotEqual(t, s1.SessionID, s3.SessionID)
	_, err = e.m.CreateSession(t.Context(), CreateSessionArgs{ClientID: makeClientID(1, 1, 1), Seqid: 1})
	require.ErrorIs(t, err, ErrStaleClientID)
}

// DESTROY_CLIENTID is refused while the client has sessions or state.
func TestDestroyClientID(t *testing.T) {
	e := newEnv(t)
	id, sess := e.client41(t, "a")
	require.ErrorIs(t, e.m.DestroyClientID(t.Context(), id), ErrClientIDBusy)
	require.NoError(t, e.m.DestroySession(sess))
	require.ErrorIs(t, e.m.DestroySession(sess), ErrBadSession)
	require.NoError(t, e.m.DestroyClientID(t.Context(), id))
	require.ErrorIs(t, e.m.DestroyClientID(t.Context(), id), ErrStaleClientID)
}
