package state

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/vfs"
)

// recalls collects what the Manager asks to recall.
type recalls struct {
	mu sync.Mutex
	rs []Recall
}

func (r *recalls) recall(x Recall) {
	r.mu.Lock()
	r.rs = append(r.rs, x)
	r.mu.Unlock()
}

func (r *recalls) take() []Recall {
	r.mu.Lock()
	defer r.mu.Unlock()
	rs := r.rs
	r.rs = nil
	return rs
}

// The state model of delegations, without the engine: a grant, the
// recall another client's conflicting open begins (ErrDelay, the reaper
// woken for the deadline), a return, a recall not answered within a
// lease (revoked: the 4.1 stateid kept until FREE_STATEID), and the
// count of delegations out that lets callers skip the lookup.
func TestDelegationState(t *testing.T) {
	e := newEnv(t)
	var rc recalls
	e.m.SetRecaller(rc.recall)
	a, sa := e.client41(t, "a")
	b, _ := e.client41(t, "b")
	open := func(id ClientID, file string, access uint32, want DelegWant) (OpenResult, error) {
		return e.m.Open(t.Context(), OpenArgs{ClientID: id, Minor: 1, Owner: []byte("o"), File: vfs.Handle(file),
			Access: access, Want: want, CallbackUp: true})
	}
	require.False(t, e.m.Delegating())

	r, err := open(a, "f", ShareAccessRead, WantDefault)
	require.NoError(t, err)
	require.Equal(t, DelegRead, r.Deleg.Type)
	require.Equal(t, DelegState, r.Deleg.Stateid.Type())
	require.True(t, e.m.Delegating())
	require.NoError(t, e.m.CheckIO(IOArgs{Stateid: r.Deleg.Stateid, Minor: 1, File: vfs.Handle("f")}))
	require.ErrorIs(t, e.m.CheckIO(IOArgs{Stateid: r.Deleg.Stateid, Minor: 1, File: vfs.Handle("f"), Write: true}), ErrOpenMode)
	require.NoError(t, e.m.BreakDelegations(t.Context(), vfs.Handle("f"), 0, false), "a read does not conflict")
	require.NoError(t, e.m.BreakDelegations(t.Context(), vfs.Handle("f"), a, true), "nor the holder's own change")

	_, err = open(b, "f", ShareAccessWrite, WantNoDeleg)
	require.ErrorIs(t, err, ErrDelay)
	require.Equal(t, []Recall{{Client: a, Minor: 1, Stateid: r.Deleg.Stateid, File: vfs.Handle("f")}}, rc.take())
	select {
	case <-e.m.kick:
	default:
		t.Fatal("the reaper was not woken")
	}
	_, err = open(b, "f", ShareAccessWrite, WantNoDeleg)
	require.ErrorIs(t, err, ErrDelay)
	require.Empty(t, rc.take(), "recalled once")
	require.NoError(t, e.m.DelegReturn(r.Deleg.Stateid, 1, vfs.Handle("f")))
	require.False(t, e.m.Delegating())
	_, err = open(b, "f", ShareAccessWrite, WantNoDeleg)
	require.NoError(t, err)

	// A write delegation, recalled by a change, not returned.
	r, err = open(a, "g", ShareAccessBoth, WantDefault)
	require.NoError(t, err)
	require.Equal(t, DelegWrite, r.Deleg.Type)
	holder, _, sid, ok := e.m.WriteDelegation(vfs.Handle("g"))
	require.True(t, ok)
	require.Equal(t, a, holder)
	require.Equal(t, r.Deleg.Stateid, sid)
	require.ErrorIs(t, e.m.BreakDelegations(t.Context(), vfs.Handle("g"), 0, false), ErrDelay)
	require.Len(t, rc.take(), 1)
	deadline := e.clock.Now().Add(testLease)
	require.Equal(t, deadline, e.m.Reap(t.Context()))
	e.clock.Advance(testLease)
	_, err = e.m.Sequence(SequenceArgs{SessionID: sa, Seqid: 1})
	require.NoError(t, err)
	e.m.Finish(sa, 0, nil)
	e.m.Reap(t.Context())
	require.False(t, e.m.Delegating())
	require.NoError(t, e.m.BreakDelegations(t.Context(), vfs.Handle("g"), 0, true))
	sq, err := e.m.Sequence(SequenceArgs{SessionID: sa, Seqid: 2})
	require.NoError(t, err)
	e.m.Finish(sa, 0, nil)
	require.Equal(t, StatusRecallableStateRevoked, sq.Flags&StatusRecallableStateRevoked)
	require.Equal(t, []error{ErrDelegRevoked}, e.m.TestStateid(a, []Stateid{r.Deleg.Stateid}))
	require.ErrorIs(t, e.m.DelegReturn(r.Deleg.Stateid, 1, vfs.Handle("g")), ErrDelegRevoked)
	require.NoError(t, e.m.FreeStateid(t.Context(), r.Deleg.Stateid))
	require.Equal(t, []error{ErrBadStateid}, e.m.TestStateid(a, []Stateid{r.Deleg.Stateid}))

	// No delegation without a recaller, with the callback path down, or
	// when turned off.
	e.m.SetRecaller(nil)
	r, err = open(b, "h", ShareAccessRead, WantDefault)
	require.NoError(t, err)
	require.Equal(t, Delegation{Why: WhyResource}, r.Deleg)
}

// A client whose delegations are being recalled may still open the file
// under one (CLAIM_DELEGATE_CUR); another client's delegation stateid,
// or one of another file, is refused.
func TestDelegationClaimCur(t *testing.T) {
	e := newEnv(t)
	var rc recalls
	e.m.SetRecaller(rc.recall)
	a, _ := e.client41(t, "a")
	b, _ := e.client41(t, "b")
	r, err := e.m.Open(t.Context(), OpenArgs{ClientID: a, Minor: 1, Owner: []byte("o"), File: vfs.Handle("f"),
		Access: ShareAccessRead, CallbackUp: true})
	require.NoError(t, err)
	d := r.Deleg.Stateid
	require.ErrorIs(t, e.m.BreakDelegations(t.Context(), vfs.Handle("f"), b, true), ErrDelay)
	for _, tc := range []struct {
		client ClientID
		file   string
		err    error
	}{
		{a, "f", nil},
		{a, "other", ErrBadStateid},
		{b, "f", ErrBadStateid},
	} {
		_, err := e.m.Open(t.Context(), OpenArgs{ClientID: tc.client, Minor: 1, Owner: []byte("o2"), File: vfs.Handle(tc.file),
			Access: ShareAccessRead, DelegCur: &d})
		if tc.err == nil {
			require.NoError(t, err)
		} else {
			require.ErrorIs(t, err, tc.err)
		}
	}
}

// RENEW answers ErrCBPathDown, renewing all the same, only while the
// client holds delegations its callback path cannot recall; a client
// without any needs no callbacks.
func TestRenewCallbackPathDown(t *testing.T) {
	e := newEnv(t)
	var rc recalls
	e.m.SetRecaller(rc.recall)
	a := e.client40(t, "a")
	r, err := e.m.Open(t.Context(), OpenArgs{ClientID: a, Owner: []byte("o"), Seqid: 1, File: fileF,
		Access: ShareAccessRead, Want: WantDefault, CallbackUp: true})
	require.NoError(t, err)
	require.Equal(t, DelegRead, r.Deleg.Type)
	require.NoError(t, e.m.Renew(a), "the callback path works")
	require.NoError(t, e.m.SetCallbackDown(a, true))
	require.ErrorIs(t, e.m.Renew(a), ErrCBPathDown)

	require.NoError(t, e.m.DelegReturn(r.Deleg.Stateid, 0, fileF))
	require.NoError(t, e.m.Renew(a), "no delegation left to recall")
}
