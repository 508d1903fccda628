package state

import (
	"errors"
	"testing"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
)

const toEOF = ^uint64(0)

func TestLockLifecycle(t *testing.T) {
	e := newEnv(t)
	a, b := e.client40(t, "a"), e.client40(t, "b")
	oa := e.open40(t, a, "oa", "f", ShareAccessBoth, ShareDenyNone, 1)
	ob := e.open40(t, b, "ob", "f", ShareAccessBoth, ShareDenyNone, 1)

	// A new lock owner: open stateid and open seqid (3, after OPEN and
	// OPEN_CONFIRM).
	la, err := e.m.Lock(t.Context(), LockArgs{File: fileF, Type: vfs.WriteLock, Offset: 0, Length: 100,
		New: true, OpenStateid: oa, OpenSeqid: 3, ClientID: a, Owner: []byte("la"), LockSeqid: 1})
	require.NoError(t, err)
	require.Equal(t, LockState, la.Type())
	require.Equal(t, uint32(1), la.Seqid)

	// b's lock conflicts; the holder is reported, with a's client id.
	_, err = e.m.Lock(t.Context(), LockArgs{File: fileF, Type: vfs.ReadLock, Offset: 50, Length: 10,
		New: true, OpenStateid: ob, OpenSeqid: 3, ClientID: b, Owner: []byte("lb"), LockSeqid: 1})
	var denied *LockDenied
	require.ErrorAs(t, err, &denied)
	require.ErrorIs(t, err, ErrDenied)
	require.Equal(t, a, denied.ClientID)
	require.Equal(t, []byte("la"), denied.Owner)
	require.Equal(t, uint64(0), denied.Holder.Offset)
	require.Equal(t, uint64(100), denied.Holder.Length)

	err = e.m.LockT(t.Context(), LockTArgs{ClientID: b, Owner: []byte("lb"), File: fileF, Type: vfs.ReadLock, Offset: 99, Length: 1})
	require.ErrorAs(t, err, &denied)
	require.NoError(t, e.m.LockT(t.Context(), LockTArgs{ClientID: b, Owner: []byte("lb"), File: fileF, Type: vfs.WriteLock, Offset: 100, Length: toEOF}))

	// The existing lock owner extends its lock: lock stateid and seqid.
	la2, err := e.m.Lock(t.Context(), LockArgs{File: fileF, Type: vfs.WriteLock, Offset: 100, Length: toEOF, LockStateid: la, LockSeqid: 2})
	require.NoError(t, err)
	require.Equal(t, la.Seqid+1, la2.Seqid)
	_, err = e.m.Lock(t.Context(), LockArgs{File: fileF, Type: vfs.WriteLock, Offset: 0, Length: 1, LockStateid: la, LockSeqid: 3})
	require.ErrorIs(t, err, ErrOldStateid, "an old stateid moves the owner's seqid on (to 3)")

	// CLOSE and RELEASE_LOCKOWNER wait for the locks to go.
	_, err = e.m.Close(oa, 4, 0, fileF)
	require.ErrorIs(t, err, ErrLocksHeld)
	require.ErrorIs(t, e.m.ReleaseLockOwner(a, []byte("la")), ErrLocksHeld)
	la3, err := e.m.LockU(t.Context(), la2, 4, 0, fileF, nil, 0, 50)
	require.NoError(t, err)
	e.m.SaveReplyFor(la3, 4, []byte("locku-reply"))
	_, err = e.m.LockU(t.Context(), la2, 4, 0, fileF, nil, 0, 50)
	var replay *ReplayError
	require.ErrorAs(t, err, &replay, "a retransmitted LOCKU")
	require.Equal(t, []byte("locku-reply"), replay.Reply)
	require.ErrorIs(t, e.m.ReleaseLockOwner(a, []byte("la")), ErrLocksHeld, "the rest is still locked")
	require.NoError(t, e.m.LockT(t.Context(), LockTArgs{ClientID: b, Owner: []byte("lb"), File: fileF, Type: vfs.WriteLock, Offset: 0, Length: 50}))
	la4, err := e.m.LockU(t.Context(), la3, 5, 0, fileF, nil, 50, toEOF)
	require.NoError(t, err)
	require.NoError(t, e.m.ReleaseLockOwner(a, []byte("la")))
	require.ErrorIs(t, e.m.CheckIO(IOArgs{Stateid: la4, File: fileF}), ErrBadStateid)
	_, err = e.m.Close(oa, 5, 0, fileF)
	require.NoError(t, err)
}

func TestLockRanges(t *testing.T) {
	e := newEnv(t)
	id, _ := e.client41(t, "a")
	o := e.open41(t, id, "o", "f", ShareAccessBoth, ShareDenyNone)
	for _, tc := range []struct {
		name        string
		off, length uint64
	}{
		{"zero length", 0, 0},
		{"past the end", toEOF - 1, 10},
	} {
		_, err := e.m.Lock(t.Context(), LockArgs{Minor: 1, File: fileF, Type: vfs.ReadLock, Offset: tc.off, Length: tc.length,
			New: true, OpenStateid: o, ClientID: id, Owner: []byte("l")})
		require.ErrorIs(t, err, ErrInval, tc.name)
	}
	_, err := e.m.Lock(t.Context(), LockArgs{Minor: 1, File: vfs.Handle("g"), Type: vfs.ReadLock, Length: 1,
		New: true, OpenStateid: o, ClientID: id, Owner: []byte("l")})
	require.ErrorIs(t, err, ErrBadStateid, "an open stateid of another file")
	require.Equal(t, []lockRange{{0, 9}, {20, 29}}, subRange([]lockRange{{0, 29}}, lockRange{10, 19}))
	require.Equal(t, []lockRange{{0, 29}}, addRange([]lockRange{{0, 9}, {20, 29}}, lockRange{10, 19}))
}

// An NLM (NFSv3) lock in the same table conflicts with an NFSv4 lock and
// is reported without a v4 client.
func TestLockConflictsWithNLM(t *testing.T) {
	e := newEnv(t)
	nlm := vfs.LockOwner{Host: "v3client.test", Pid: 42, Owner: "oh"}
	require.NoError(t, e.lock.Lock(t.Context(), nil, fileF, vfs.Lock{Owner: nlm, Type: vfs.WriteLock, Offset: 10, Length: 10}))
	id, _ := e.client41(t, "a")
	o := e.open41(t, id, "o", "f", ShareAccessBoth, ShareDenyNone)
	_, err := e.m.Lock(t.Context(), LockArgs{Minor: 1, File: fileF, Type: vfs.ReadLock, Offset: 0, Length: 15,
		New: true, OpenStateid: o, ClientID: id, Owner: []byte("l")})
	var denied *LockDenied
	require.ErrorAs(t, err, &denied)
	require.Equal(t, nlm, denied.Holder.Owner)
	require.Zero(t, denied.ClientID)
	ls, err := e.m.Lock(t.Context(), LockArgs{Minor: 1, File: fileF, Type: vfs.ReadLock, Offset: 0, Length: 10,
		New: true, OpenStateid: o, ClientID: id, Owner: []byte("l")})
	require.NoError(t, err)
	err = e.lock.Lock(t.Context(), nil, fileF, vfs.Lock{Owner: nlm, Type: vfs.WriteLock, Offset: 0, Length: 5})
	require.True(t, errors.Is(err, vfs.ErrLocked))

	// FREE_STATEID: not while locks are held, nor an open stateid.
	require.ErrorIs(t, e.m.FreeStateid(t.Context(), ls), ErrLocksHeld)
	require.ErrorIs(t, e.m.FreeStateid(t.Context(), o), ErrLocksHeld)
	ls, err = e.m.LockU(t.Context(), ls, 0, 1, fileF, nil, 0, toEOF)
	require.NoError(t, err)
	require.NoError(t, e.m.FreeStateid(t.Context(), ls))
	require.Equal(t, []error{ErrBadStateid}, e.m.TestStateid(id, []Stateid{ls}))
}
