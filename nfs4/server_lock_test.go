package nfs4

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/vfs"
)

func lockNew(t NfsLockType4, off, length uint64, open Stateid4, openSeqid uint32, id Clientid4, owner string) NfsArgop4 {
	return NfsArgop4{Argop: OP_LOCK, Oplock: &LOCK4args{Locktype: t, Offset: Offset4(off), Length: Length4(length),
		Locker: Locker4{NewLockOwner: true, OpenOwner: &OpenToLockOwner4{OpenSeqid: Seqid4(openSeqid), OpenStateid: open,
			LockOwner: LockOwner4{Clientid: id, Owner: []byte(owner)}}}}}
}

func lockExisting(t NfsLockType4, off, length uint64, sid Stateid4, seqid uint32) NfsArgop4 {
	return NfsArgop4{Argop: OP_LOCK, Oplock: &LOCK4args{Locktype: t, Offset: Offset4(off), Length: Length4(length),
		Locker: Locker4{LockOwner: &ExistLockOwner4{LockStateid: sid, LockSeqid: Seqid4(seqid)}}}}
}

func lockt(t NfsLockType4, off, length uint64, id Clientid4, owner string) NfsArgop4 {
	return NfsArgop4{Argop: OP_LOCKT, Oplockt: &LOCKT4args{Locktype: t, Offset: Offset4(off), Length: Length4(length),
		Owner: LockOwner4{Clientid: id, Owner: []byte(owner)}}}
}

func locku(sid Stateid4, seqid uint32, off, length uint64) NfsArgop4 {
	return NfsArgop4{Argop: OP_LOCKU, Oplocku: &LOCKU4args{Locktype: WRITE_LT, Seqid: Seqid4(seqid), LockStateid: sid,
		Offset: Offset4(off), Length: Length4(length)}}
}

func releaseLockowner(id Clientid4, owner string) NfsArgop4 {
	return NfsArgop4{Argop: OP_RELEASE_LOCKOWNER, OpreleaseLockowner: &RELEASELOCKOWNER4args{LockOwner: LockOwner4{Clientid: id, Owner: []byte(owner)}}}
}

// TestLock40 locks through the exports' file systems, the table NLM
// locks in: NFSv4 locks conflict with each other and with a lock taken
// there by an NLM owner, both ways, and DENIED names the holder.
func TestLock40(t *testing.T) {
	e := newEnv(t, "/e")
	e.stateful(state.Config{Locker: ExportLocker(e.table)})
	a, b := e.clientid40("a"), e.clientid40("b")
	openA, fh := e.open40(a, "oa", "f", 1, OPEN4_SHARE_ACCESS_BOTH, OPEN4_SHARE_DENY_NONE)

	res := e.ok(putfh(fh), lockNew(WRITE_LT, 0, 100, openA, 3, a, "la"))
	lk := *res.Resarray[1].Oplock.Resok4
	// The same LOCK again is a retransmission: the same answer.
	again := e.ok(putfh(fh), lockNew(WRITE_LT, 0, 100, openA, 3, a, "la"))
	require.Equal(t, lk, *again.Resarray[1].Oplock.Resok4)

	// Another client's LOCKT over it: DENIED, naming the holder.
	denied := e.fails(NFS4ERR_DENIED, putfh(fh), lockt(READ_LT, 50, 10, b, "lb")).Resarray[1].Oplockt.Denied
	require.Equal(t, LOCK4denied{Offset: 0, Length: 100, Locktype: WRITE_LT, Owner: LockOwner4{Clientid: a, Owner: []byte("la")}}, *denied)
	e.ok(putfh(fh), lockt(READ_LT, 100, 10, b, "lb"))

	// An NLM owner, locking in the file system's table, meets the lock.
	fs := e.fs["/e"]
	root, _ := fs.Root(bg)
	h, _, err := fs.Lookup(bg, &vfs.Root, root, "f")
	require.NoError(t, err)
	nlmOwner := vfs.LockOwner{Host: "nlm-client", Pid: 7}
	require.ErrorIs(t, fs.Lock(bg, &vfs.Root, h, vfs.Lock{Owner: nlmOwner, Type: vfs.WriteLock, Offset: 10, Length: 5}), vfs.ErrLocked)
	require.NoError(t, fs.Lock(bg, &vfs.Root, h, vfs.Lock{Owner: nlmOwner, Type: vfs.WriteLock, Offset: 200, Length: 100}))
	// And the other way: an NFSv4 LOCK meets the NLM owner's.
	denied2 := e.fails(NFS4ERR_DENIED, putfh(fh), lockExisting(WRITE_LT, 250, 1, lk.LockStateid, 1)).Resarray[1].Oplock.Denied
	require.Equal(t, Offset4(200), denied2.Offset)
	require.Equal(t, Length4(100), denied2.Length)
	require.Equal(t, []byte("nlm-client"), denied2.Owner.Owner)

	// Lock owners may not go while they hold locks.
	e.fails(NFS4ERR_LOCKS_HELD, releaseLockowner(a, "la"))
	e.fails(NFS4ERR_LOCKS_HELD, putfh(fh), closeOp(openA, 4))
	unlocked := e.ok(putfh(fh), locku(lk.LockStateid, 2, 0, 100)).Resarray[1].Oplocku.LockStateid
	require.Equal(t, lk.LockStateid.Seqid+1, unlocked.Seqid, "the DENIED LOCK moved the owner's seqid on, not the stateid")
	e.ok(putfh(fh), lockt(WRITE_LT, 0, 100, b, "lb"))
	require.NoError(t, fs.Lock(bg, &vfs.Root, h, vfs.Lock{Owner: nlmOwner, Type: vfs.WriteLock, Offset: 10, Length: 5}))
	e.ok(releaseLockowner(a, "la"))

	for _, tc := range []struct {
		name string
		op   NfsArgop4
		want Nfsstat4
	}{
		{"zero length", lockt(WRITE_LT, 0, 0, b, "lb"), NFS4ERR_INVAL},
		{"past the end", lockt(WRITE_LT, ^uint64(0)-1, 5, b, "lb"), NFS4ERR_INVAL},
	} {
		require.Equal(t, tc.want, e.compound(0, putfh(fh), tc.op).Status, tc.name)
	}
}
