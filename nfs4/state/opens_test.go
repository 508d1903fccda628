package state

import (
	"testing"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
)

var fileF = vfs.Handle("f")

// Share reservations conflict across owners and clients; the same owner
// upgrades its open, and the stateid's seqid moves on.
func TestShareReservations(t *testing.T) {
	for _, tc := range []struct {
		name           string
		access1, deny1 uint32
		access2, deny2 uint32
		want           error
	}{
		{"read and read", ShareAccessRead, ShareDenyNone, ShareAccessRead, ShareDenyNone, nil},
		{"deny write meets write", ShareAccessRead, ShareDenyWrite, ShareAccessWrite, ShareDenyNone, ErrShareDenied},
		{"write meets deny write", ShareAccessWrite, ShareDenyNone, ShareAccessRead, ShareDenyWrite, ErrShareDenied},
		{"deny read meets read", ShareAccessBoth, ShareDenyRead, ShareAccessRead, ShareDenyNone, ErrShareDenied},
		{"deny both meets anything", ShareAccessRead, ShareDenyBoth, ShareAccessRead, ShareDenyNone, ErrShareDenied},
		{"read meets deny write", ShareAccessRead, ShareDenyNone, ShareAccessRead, ShareDenyWrite, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			a, b := e.client40(t, "a"), e.client40(t, "b")
			e.open40(t, a, "o", "f", tc.access1, tc.deny1, 1)
			_, err := e.m.Open(t.Context(), OpenArgs{ClientID: b, Owner: []byte("o"), Seqid: 1, File: fileF, Access: tc.access2, Deny: tc.deny2})
			if tc.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.want)
			}
		})
	}
}

func TestOpenUpgradeDowngradeClose(t *testing.T) {
	e := newEnv(t)
	id, _ := e.client41(t, "a")
	s1 := e.open41(t, id, "o", "f", ShareAccessRead, ShareDenyNone)
	s2 := e.open41(t, id, "o", "f", ShareAccessWrite, ShareDenyWrite)
	require.Equal(t, s1.Other, s2.Other)
	require.Equal(t, s1.Seqid+1, s2.Seqid)
	opens, err := e.m.Opens(id)
	require.NoError(t, err)
	require.Len(t, opens, 1)
	require.Equal(t, uint32(ShareAccessBoth), opens[0].Access)

	for _, tc := range []struct {
		name         string
		access, deny uint32
		want         error
	}{
		{"to a deny mode never held", ShareAccessWrite, ShareDenyRead, ErrInval},
		{"beyond what is held", ShareAccessBoth, ShareDenyBoth, ErrInval},
		{"no access", 0, ShareDenyNone, ErrInval},
	} {
		_, err := e.m.OpenDowngrade(s2, 0, 1, fileF, tc.access, tc.deny)
		require.ErrorIs(t, err, tc.want, tc.name)
	}
	_, err = e.m.OpenDowngrade(s1, 0, 1, fileF, ShareAccessRead, ShareDenyNone)
	require.ErrorIs(t, err, ErrOldStateid)
	s3, err := e.m.OpenDowngrade(s2, 0, 1, fileF, ShareAccessRead, ShareDenyNone)
	require.NoError(t, err)
	require.ErrorIs(t, e.m.CheckIO(IOArgs{Stateid: s3, Minor: 1, File: fileF, Write: true}), ErrOpenMode)
	require.NoError(t, e.m.CheckIO(IOArgs{Stateid: s3, Minor: 1, File: fileF}))
	require.NoError(t, e.m.CheckIO(IOArgs{Stateid: Stateid{Other: s3.Other}, Minor: 1, File: fileF}), "seqid 0 is current")

	closed, err := e.m.Close(s3, 0, 1, fileF)
	require.NoError(t, err)
	require.Equal(t, s3.Seqid+1, closed.Seqid)
	require.ErrorIs(t, e.m.CheckIO(IOArgs{Stateid: s3, Minor: 1, File: fileF}), ErrBadStateid)
}

// Stateid checks: the wrong file, the wrong type, seqids ahead and
// behind, another boot epoch (stale in 4.0, bad in 4.1).
func TestStateidChecks(t *testing.T) {
	e := newEnv(t)
	id := e.client40(t, "a")
	sid := e.open40(t, id, "o", "f", ShareAccessBoth, ShareDenyNone, 1)
	ahead, behind := sid, sid
	ahead.Seqid++
	behind.Seqid--
	other := sid
	other.Other[11] = byte(LockState)
	stale := makeStateid(makeClientID(6, 1, 1), 1, OpenState)
	for _, tc := range []struct {
		name  string
		sid   Stateid
		minor uint32
		file  vfs.Handle
		want  error
	}{
		{"valid", sid, 0, fileF, nil},
		{"other file", sid, 0, vfs.Handle("g"), ErrBadStateid},
		{"seqid ahead", ahead, 0, fileF, ErrBadStateid},
		{"seqid behind", behind, 0, fileF, ErrOldStateid},
		{"type changed", other, 0, fileF, ErrBadStateid},
		{"old epoch 4.0", stale, 0, fileF, ErrStaleStateid},
		{"old epoch 4.1", stale, 1, fileF, ErrBadStateid},
		{"anonymous", AnonymousStateid, 0, fileF, nil},
		{"bypass", BypassStateid, 0, fileF, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := e.m.CheckIO(IOArgs{Stateid: tc.sid, Minor: tc.minor, File: tc.file})
			if tc.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.want)
			}
		})
	}
	require.Equal(t, []error{nil, ErrBadStateid, ErrBadStateid}, e.m.TestStateid(id, []Stateid{sid, ahead, stale}))
}

// 4.0 open owners: OPEN_CONFIRM, a retransmission answered from the saved
// reply, a bad seqid, and which errors move the seqid on.
func TestOpenOwnerSeqid(t *testing.T) {
	e := newEnv(t)
	id := e.client40(t, "a")
	r, err := e.m.Open(t.Context(), OpenArgs{ClientID: id, Owner: []byte("o"), Seqid: 10, File: fileF, Access: ShareAccessRead})
	require.NoError(t, err)
	require.True(t, r.Confirm)
	e.m.SaveReply(id, OpenState, []byte("o"), 10, []byte("open-reply"))
	_, err = e.m.Open(t.Context(), OpenArgs{ClientID: id, Owner: []byte("o"), Seqid: 10, File: fileF, Access: ShareAccessRead})
	var replay *ReplayError
	require.ErrorAs(t, err, &replay)
	require.Equal(t, []byte("open-reply"), replay.Reply)
	_, err = e.m.OpenConfirm(t.Context(), r.Stateid, 12, fileF)
	require.ErrorIs(t, err, ErrBadSeqid)
	sid, err := e.m.OpenConfirm(t.Context(), r.Stateid, 11, fileF)
	require.NoError(t, err)
	require.Equal(t, uint32(2), sid.Seqid)

	// A share conflict advances the seqid; a bad stateid does not.
	b := e.client40(t, "b")
	e.open40(t, b, "x", "g", ShareAccessRead, ShareDenyBoth, 1)
	_, err = e.m.Open(t.Context(), OpenArgs{ClientID: id, Owner: []byte("o"), Seqid: 12, File: vfs.Handle("g"), Access: ShareAccessRead})
	require.ErrorIs(t, err, ErrShareDenied)
	_, err = e.m.Close(Stateid{Seqid: 9, Other: sid.Other}, 13, 0, fileF)
	require.ErrorIs(t, err, ErrBadStateid)
	closed, err := e.m.Close(sid, 13, 0, fileF)
	require.NoError(t, err)
	e.m.SaveReplyFor(sid, 13, []byte("close-reply"))
	_, err = e.m.Close(sid, 13, 0, fileF)
	require.ErrorAs(t, err, &replay, "a retried CLOSE is answered")
	require.Equal(t, []byte("close-reply"), replay.Reply)
	require.Equal(t, sid.Seqid+1, closed.Seqid)

	// Recorded for reclaim at OPEN_CONFIRM.
	s, err := e.store.Load(t.Context())
	require.NoError(t, err)
	require.Len(t, s.Current, 2)
}

// The optional NLM SHARE hook can refuse an open.
func TestShareCheckHook(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.ShareCheck = func(f vfs.Handle, access, deny uint32) error {
			if string(f) == "nlm-shared" {
				return ErrShareDenied
			}
			return nil
		}
	})
	id, _ := e.client41(t, "a")
	_, err := e.m.Open(t.Context(), OpenArgs{ClientID: id, Minor: 1, Owner: []byte("o"), File: vfs.Handle("nlm-shared"), Access: ShareAccessRead})
	require.ErrorIs(t, err, ErrShareDenied)
	e.open41(t, id, "o", "other", ShareAccessRead, ShareDenyNone)
}

// I/O with the special stateids meets share reservations: the anonymous
// stateid is refused what an open denies (NFS4ERR_LOCKED); the READ
// bypass stateid reads anyway but writes like the anonymous one.
func TestSpecialStateidsMeetDenies(t *testing.T) {
	e := newEnv(t)
	id, _ := e.client41(t, "a")
	e.open41(t, id, "o", "f", ShareAccessRead, ShareDenyWrite)
	for _, tc := range []struct {
		name  string
		sid   Stateid
		write bool
		want  error
	}{
		{"anonymous read", AnonymousStateid, false, nil},
		{"anonymous write", AnonymousStateid, true, ErrLocked},
		{"bypass read", BypassStateid, false, nil},
		{"bypass write", BypassStateid, true, ErrLocked},
	} {
		err := e.m.CheckIO(IOArgs{Stateid: tc.sid, Minor: 1, File: fileF, Write: tc.write})
		if tc.want == nil {
			require.NoError(t, err, tc.name)
		} else {
			require.ErrorIs(t, err, tc.want, tc.name)
		}
	}
	other, _ := e.client41(t, "b")
	mine := e.open41(t, other, "o", "g", ShareAccessRead, ShareDenyNone)
	require.Equal(t, []error{ErrBadStateid}, e.m.TestStateid(id, []Stateid{mine}), "another client's stateid")
}

func TestOpenFailed(t *testing.T) {
	e := newEnv(t)
	id := e.client40(t, "a")
	require.NoError(t, e.m.OpenFailed(id, []byte("o"), 3))
	require.ErrorIs(t, e.m.OpenFailed(id, []byte("o"), 3), ErrBadSeqid, "a retransmission with no reply saved")
	e.m.SaveReply(id, OpenState, []byte("o"), 3, []byte{0, 0, 0, 2})
	var re *ReplayError
	require.ErrorAs(t, e.m.OpenFailed(id, []byte("o"), 3), &re)
	require.Equal(t, []byte{0, 0, 0, 2}, re.Reply)
	require.ErrorIs(t, e.m.OpenFailed(id, []byte("o"), 9), ErrBadSeqid)
	// The owner's next OPEN goes on from the seqid.
	e.open40(t, id, "o", "f", ShareAccessRead, ShareDenyNone, 4)
}

func TestCheckIOBeforeOpenConfirm(t *testing.T) {
	e := newEnv(t)
	id := e.client40(t, "a")
	res, err := e.m.Open(t.Context(), OpenArgs{ClientID: id, Owner: []byte("o"), Seqid: 1, File: fileF, Access: ShareAccessBoth})
	require.NoError(t, err)
	require.True(t, res.Confirm)
	require.ErrorIs(t, e.m.CheckIO(IOArgs{Stateid: res.Stateid, File: fileF}), ErrBadStateid)
	sid, err := e.m.OpenConfirm(t.Context(), res.Stateid, 2, fileF)
	require.NoError(t, err)
	require.NoError(t, e.m.CheckIO(IOArgs{Stateid: sid, File: fileF, Write: true}))
}
