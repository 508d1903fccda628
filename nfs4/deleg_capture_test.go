package nfs4

import (
	"context"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
)

// portOf returns the port of a "host:port" address.
func portOf(t *testing.T, addr string) int {
	_, p, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	n, err := strconv.Atoi(p)
	require.NoError(t, err)
	return n
}

// TestInteropTsharkCBRecall captures a recall by the 4.0 path (the
// server's connection to the client's callback address: CB_NULL, then
// CB_COMPOUND with CB_RECALL) and by the 4.1 back channel (CB_COMPOUND
// with CB_SEQUENCE and CB_RECALL on the session's connection), with
// CB_GETATTR and CB_NOTIFY_LOCK beside, and requires that tshark decodes
// them as NFS callbacks and finds no malformed packet.
func TestInteropTsharkCBRecall(t *testing.T) {
	d := newDelegEnv(t)
	cb40, cb41, cbLock := newFakeCB(0x40000000), newFakeCB(0x40000000), newFakeCB(0x40000000)
	uaddr := cb40.listen(t)
	parts := strings.Split(uaddr, ".")
	hi, _ := strconv.Atoi(parts[4])
	lo, _ := strconv.Atoi(parts[5])
	c := peers.StartCapture(t, portOf(t, d.addr), hi<<8|lo)

	// 4.0: a write delegation, CB_GETATTR, then a recall.
	a := d.dial(t, nil)
	sc := a.ok(0, NfsArgop4{Argop: OP_SETCLIENTID, Opsetclientid: &SETCLIENTID4args{
		Client:        NfsClientId4{Verifier: Verifier4{1}, Id: []byte("a")},
		Callback:      CbClient4{CbProgram: cb40.prog, CbLocation: Netaddr4{NaRNetid: "tcp", NaRAddr: uaddr}},
		CallbackIdent: 7}}).Resarray[0].Opsetclientid.Resok4
	a.ok(0, setclientidConfirm(sc.Clientid, sc.SetclientidConfirm))
	a.id = sc.Clientid
	_, err := d.ss.CallbackUp(bg, 0)
	require.Error(t, err) // no such client
	up, err := d.ss.CallbackUp(bg, stateClient(a.id))
	require.NoError(t, err)
	require.True(t, up)
	okA, fh := a.open40("f", "oa", 1, OPEN4_SHARE_ACCESS_BOTH)
	require.Equal(t, OPEN_DELEGATE_WRITE, okA.Delegation.DelegationType)
	b := d.client41(t, "b", cb41, true)
	b.seq41(putfh(fh), getattr(FATTR4_SIZE, FATTR4_CHANGE))
	cb40.next(t)
	st, _, _ := b.open41("f", OPEN4_SHARE_ACCESS_WRITE)
	require.Equal(t, NFS4ERR_DELAY, st)
	a.ok(0, putfh(fh), delegReturn(recallStateid(t, cb40.next(t))))

	// 4.1: a read delegation recalled on the back channel.
	st, okB, fh2 := b.open41("g", OPEN4_SHARE_ACCESS_READ|OPEN4_SHARE_ACCESS_WANT_READ_DELEG)
	require.Equal(t, NFS4_OK, st)
	dsid := okB.Delegation.Read.Stateid
	k := d.client41(t, "k", cbLock, true)
	st, okK, _ := k.open41("g", OPEN4_SHARE_ACCESS_BOTH|OPEN4_SHARE_ACCESS_WANT_NO_DELEG)
	require.Equal(t, NFS4ERR_DELAY, st)
	recallOf(t, cb41.next(t), 1, dsid, fh2)
	b.seq41(putfh(fh2), delegReturn(dsid))

	// CB_NOTIFY_LOCK.
	st, okB2, _ := b.open41("g", OPEN4_SHARE_ACCESS_BOTH|OPEN4_SHARE_ACCESS_WANT_NO_DELEG)
	require.Equal(t, NFS4_OK, st)
	res, _ := b.seq41(putfh(fh2), lockNew(WRITE_LT, 0, 1, okB2.Stateid, 0, b.id, "lb"))
	require.Equal(t, NFS4_OK, res.Status)
	lockB := res.Resarray[1].Oplock.Resok4.LockStateid
	st, okK, _ = k.open41("g", OPEN4_SHARE_ACCESS_BOTH|OPEN4_SHARE_ACCESS_WANT_NO_DELEG)
	require.Equal(t, NFS4_OK, st)
	res, _ = k.seq41(putfh(fh2), lockNew(WRITEW_LT, 0, 1, okK.Stateid, 0, k.id, "lk"))
	require.Equal(t, NFS4ERR_DENIED, res.Status)
	b.seq41(putfh(fh2), locku(lockB, 0, 0, 1))
	cbLock.next(t)
	c.Stop()

	c.RequireClean(20)
	// Each callback operation in a call and a reply (a frame may carry
	// more than one message, so frames are not counted).
	for _, op := range []NfsCbOpnum4{OP_CB_RECALL, OP_CB_SEQUENCE, OP_CB_GETATTR, OP_CB_NOTIFY_LOCK} {
		filter := "nfs.cb.operation == " + strconv.Itoa(int(op))
		require.NotEmpty(t, c.Read(filter+" && rpc.msgtyp == 0"), op.String())
		require.NotEmpty(t, c.Read(filter+" && rpc.msgtyp == 1"), op.String())
	}
	require.NotEmpty(t, c.Read("rpc.program == 0x40000000 && rpc.procedure == 0"), "CB_NULL")
}

// TestInteropLibnfsDelegations: libnfs (nfs-cat, NFSv4.0) reads a file
// from a server that gives delegations. libnfs takes none (its
// SETCLIENTID names no callback service the server can reach), so its
// OPEN gets none and nothing is recalled from it; a file another client
// holds a delegation on is read once that client has returned it.
// (libnfs does not retry an OPEN answered NFS4ERR_DELAY, so the read is
// made after the return.)
func TestInteropLibnfsDelegations(t *testing.T) {
	peers.Require(t, "nfs-cat")
	d := newDelegEnv(t)
	cbA := newFakeCB(0x40000801)
	a := d.client40(t, "a", cbA)
	okA, fh := a.open40("f", "oa", 1, OPEN4_SHARE_ACCESS_BOTH)
	require.Equal(t, OPEN_DELEGATE_WRITE, okA.Delegation.DelegationType)
	dsid := okA.Delegation.Write.Stateid
	a.ok(0, putfh(fh), writeS(dsid, 0, "written under a delegation\n"))

	url := "nfs://127.0.0.1/e/f?version=4&nfsport=" + strconv.Itoa(portOf(t, d.addr))
	cat := func() (string, error) {
		ctx, cancel := context.WithTimeout(bg, 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "nfs-cat", url).CombinedOutput()
		return string(out), err
	}
	out, err := cat()
	require.Error(t, err, "libnfs's OPEN meets the delegation: %s", out)
	require.Contains(t, out, "NFS4ERR_DELAY")
	require.Equal(t, dsid, recallStateid(t, cbA.next(t)))
	a.ok(0, putfh(fh), delegReturn(dsid))

	out, err = cat()
	require.NoError(t, err, out)
	require.Equal(t, "written under a delegation\n", out)
	require.False(t, d.m.Delegating(), "libnfs took no delegation")
}
