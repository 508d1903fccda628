package nfs4

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/testclock"
	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/nfs4/state"
)

const testLease = 90 * time.Second

// boot starts e's server over store as a restarted server does: a new
// epoch, and a grace period for the clients recorded before it.
func (e *env) boot(store recovery.RecoveryStore, clk *testclock.Clock) (*state.Manager, *recovery.Grace) {
	e.t.Helper()
	snap, err := store.Load(bg)
	require.NoError(e.t, err)
	snap, err = store.StartGrace(bg, snap.Version)
	require.NoError(e.t, err)
	g := recovery.NewGrace(clk.Now, testLease, func() {
		s, err := store.Load(bg)
		if err == nil {
			_, err = store.EndGrace(bg, s.Version)
		}
		require.NoError(e.t, err)
	})
	g.Start(snap.Reclaim)
	m := e.stateful(state.Config{Now: clk.Now, Lease: testLease, Epoch: uint32(snap.Epoch), Store: store, Grace: g})
	return m, g
}

func reclaimOp(id Clientid4, owner string, seqid uint32) NfsArgop4 {
	return openOp(id, openArg{seqid: seqid, access: OPEN4_SHARE_ACCESS_BOTH, owner: owner, claim: CLAIM_PREVIOUS})
}

// TestRestartGrace restarts a server over the same FileStore: the
// clients that held state reclaim it in the grace period, a client
// unknown to the store gets RECLAIM_BAD and its new opens GRACE, as do
// REMOVE, RENAME and SETATTR of size; grace ends early once the 4.0
// client has reclaimed and the 4.1 client sent RECLAIM_COMPLETE.
func TestRestartGrace(t *testing.T) {
	store, err := recovery.NewFileStore(t.TempDir())
	require.NoError(t, err)
	clk := testclock.New(time.Unix(1_700_000_000, 0))
	e := newEnv(t, "/e")
	_, g := e.boot(store, clk)
	require.False(t, g.InGrace(), "nothing to reclaim at the first start")

	a := e.clientid40("a")
	_, fhA := e.open40(a, "oa", "fa", 1, OPEN4_SHARE_ACCESS_BOTH, OPEN4_SHARE_DENY_NONE)
	_, sidC := e.session41("c")
	res := e.ok41(sequence(sidC, 1, 0, false), putroot(), lookup("e"),
		openOp(0, openArg{access: OPEN4_SHARE_ACCESS_READ, owner: "oc", create: true, mode: UNCHECKED4, name: "fc"}), getfh())
	fhC := fhOf(t, res.Resarray[4])
	snap, err := store.Load(bg)
	require.NoError(t, err)
	require.Len(t, snap.Current, 2, "both clients are recorded")

	// The restart.
	_, g = e.boot(store, clk)
	require.True(t, g.InGrace())

	b := e.clientid40("b")
	for _, tc := range []struct {
		name string
		ops  []NfsArgop4
		want Nfsstat4
	}{
		{"a new client's OPEN", []NfsArgop4{putroot(), lookup("e"), openOp(b, openArg{seqid: 1, access: OPEN4_SHARE_ACCESS_READ, owner: "ob", name: "fa"})}, NFS4ERR_GRACE},
		{"a new client's reclaim", []NfsArgop4{putfh(fhA), reclaimOp(b, "ob", 2)}, NFS4ERR_RECLAIM_BAD},
		{"REMOVE", []NfsArgop4{putroot(), lookup("e"), remove("fa")}, NFS4ERR_GRACE},
		{"RENAME", []NfsArgop4{putroot(), lookup("e"), savefh(), rename("fa", "fz")}, NFS4ERR_GRACE},
		{"SETATTR of size", []NfsArgop4{putfh(fhA), truncate(Stateid4{}, 0)}, NFS4ERR_GRACE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, e.with(t).compound(0, tc.ops...).Status)
		})
	}

	// The 4.0 client reclaims its open (its first reclaim completes it).
	a = e.clientid40("a")
	rec := e.ok(putfh(fhA), reclaimOp(a, "oa", 1)).Resarray[1].Opopen.Resok4
	e.ok(putfh(fhA), openConfirm(rec.Stateid, 2), readS(Stateid4{Seqid: rec.Stateid.Seqid + 1, Other: rec.Stateid.Other}, 0, 1))
	require.True(t, g.InGrace(), "the 4.1 client has not completed")

	// The 4.1 client reclaims and completes: grace ends early.
	_, sidC = e.session41("c")
	e.ok41(sequence(sidC, 1, 0, false), putfh(fhC), openOp(0, openArg{access: OPEN4_SHARE_ACCESS_READ, owner: "oc", claim: CLAIM_PREVIOUS}))
	e.ok41(sequence(sidC, 2, 0, false), NfsArgop4{Argop: OP_RECLAIM_COMPLETE, OpreclaimComplete: &RECLAIMCOMPLETE4args{}})
	e.ok(putroot(), lookup("e"), openOp(b, openArg{seqid: 3, access: OPEN4_SHARE_ACCESS_READ, owner: "ob", name: "fa"}))
	require.False(t, g.InGrace())
	require.Equal(t, NFS4ERR_NO_GRACE, e.compound(0, putfh(fhA), reclaimOp(a, "oa2", 1)).Status)
	e.ok(putroot(), lookup("e"), remove("fc"))
}
