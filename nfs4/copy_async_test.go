package nfs4

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// gatedFS is a memfs whose CopyRange calls say where they start on
// entered and then wait for a token on gate.
type gatedFS struct {
	*memfs.FS
	entered chan uint64
	gate    chan struct{}
}

func (g *gatedFS) CopyRange(ctx context.Context, cred *vfs.Cred, src vfs.Handle, srcOff uint64, dst vfs.Handle, dstOff uint64, count uint64) (uint64, error) {
	g.entered <- srcOff
	select {
	case <-g.gate:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return g.FS.CopyRange(ctx, cred, src, srcOff, dst, dstOff, count)
}

// newCopyEnv is newDelegEnv with its export /e over a gatedFS.
func newCopyEnv(t *testing.T) (*delegEnv, *gatedFS) {
	mem := memfs.New(nil)
	root, err := mem.Root(bg)
	require.NoError(t, err)
	_, err = mem.SetAttr(bg, &vfs.Root, root, vfs.SetAttr{Mode: ptr(uint32(0o1777))})
	require.NoError(t, err)
	g := &gatedFS{FS: mem, entered: make(chan uint64, 64), gate: make(chan struct{})}
	e := &env{t: t, table: new(export.Table), fs: map[string]*memfs.FS{"/e": mem}, uid: 1000}
	require.NoError(t, e.table.Add(&export.Export{ID: 1, Path: "/e", FS: g, Policy: export.Policy{NoRootSquash: true}}))
	d := stateEnv(t, e)
	t.Cleanup(func() { d.ss.Close() })
	return d, g
}

// seq42 runs ops as 4.2 in the client's session (slot 0) and returns
// the results after SEQUENCE's.
func (k *tclient) seq42(ops ...NfsArgop4) *COMPOUND4res {
	k.t.Helper()
	k.seq++
	res := k.compound(2, append([]NfsArgop4{sequence(k.sess, k.seq, 0, false)}, ops...)...)
	require.NotEmpty(k.t, res.Resarray)
	require.NotNil(k.t, res.Resarray[0].Opsequence.SrResok4, "SEQUENCE failed: %v", res.Status)
	res.Resarray = res.Resarray[1:]
	return res
}

// copyFiles opens src, filled with n bytes of a pattern through the
// backend, and an empty dst for the client, and returns their handles,
// open stateids and src's data.
func copyFiles(t *testing.T, d *delegEnv, k *tclient, n int) (srcFH, dstFH []byte, srcSid, dstSid Stateid4, data []byte) {
	st, src, srcFH := k.open41("src", OPEN4_SHARE_ACCESS_BOTH)
	require.Equal(t, NFS4_OK, st)
	st, dst, dstFH := k.open41("dst", OPEN4_SHARE_ACCESS_BOTH)
	require.Equal(t, NFS4_OK, st)
	data = make([]byte, n)
	for i := range data {
		data[i] = byte(i*7 + i>>12)
	}
	mem := d.fs["/e"]
	root, err := mem.Root(bg)
	require.NoError(t, err)
	h, _, err := mem.Lookup(bg, &vfs.Root, root, "src")
	require.NoError(t, err)
	_, _, err = mem.Write(bg, &vfs.Root, h, 0, data, vfs.FileSync)
	require.NoError(t, err)
	return srcFH, dstFH, src.Stateid, dst.Stateid, data
}

// readBack returns the whole of the backend file name.
func readBack(t *testing.T, d *delegEnv, name string, n int) []byte {
	mem := d.fs["/e"]
	root, err := mem.Root(bg)
	require.NoError(t, err)
	h, _, err := mem.Lookup(bg, &vfs.Root, root, name)
	require.NoError(t, err)
	p := make([]byte, n+1)
	got, _, err := mem.Read(bg, &vfs.Root, h, 0, p)
	require.NoError(t, err)
	return p[:got]
}

func copyOp(src, dst Stateid4, count uint64, synchronous bool) NfsArgop4 {
	return NfsArgop4{Argop: OP_COPY, Opcopy: &COPY4args{CaSrcStateid: src, CaDstStateid: dst,
		CaCount: Length4(count), CaConsecutive: true, CaSynchronous: synchronous}}
}

func offloadStatus(sid Stateid4) NfsArgop4 {
	return NfsArgop4{Argop: OP_OFFLOAD_STATUS, OpoffloadStatus: &OFFLOADSTATUS4args{OsaStateid: sid}}
}

func offloadCancel(sid Stateid4) NfsArgop4 {
	return NfsArgop4{Argop: OP_OFFLOAD_CANCEL, OpoffloadCancel: &OFFLOADCANCEL4args{OcaStateid: sid}}
}

// copyResult runs COPY from srcFH to dstFH and returns its result.
func copyResult(t *testing.T, k *tclient, srcFH, dstFH []byte, src, dst Stateid4, count uint64, synchronous bool) *COPY4resok {
	res := k.seq42(putfh(srcFH), savefh(), putfh(dstFH), copyOp(src, dst, count, synchronous))
	require.Equal(t, NFS4_OK, res.Status, "results %+v", res.Resarray)
	return res.Resarray[3].Opcopy.CrResok4
}

// offloadOf checks that a CB_COMPOUND is CB_OFFLOAD of sid on fh after
// CB_SEQUENCE and returns its offload information.
func offloadOf(t *testing.T, a CBCOMPOUND4args, sid Stateid4, fh []byte) OffloadInfo4 {
	t.Helper()
	require.Len(t, a.Argarray, 2)
	require.Equal(t, OP_CB_SEQUENCE, a.Argarray[0].Argop)
	require.Equal(t, OP_CB_OFFLOAD, a.Argarray[1].Argop)
	op := a.Argarray[1].Opcboffload
	require.Equal(t, sid, op.CoaStateid)
	require.Equal(t, NfsFh4(fh), op.CoaFh)
	return op.CoaOffloadInfo
}

// An asynchronous COPY of 3 MiB is answered at once with a copy
// stateid; OFFLOAD_STATUS follows it chunk by chunk; CB_OFFLOAD reports
// the whole count with the server's verifier; OFFLOAD_STATUS tells the
// outcome until the client answers it, and the stateid is forgotten
// then; the data reads back.
func TestAsyncCopyCallback(t *testing.T) {
	const n = 3 * asyncCopyChunk
	d, g := newCopyEnv(t)
	cb := newFakeCB(0x40000d01)
	cb.gate = make(chan struct{})
	k := d.client41(t, "a", cb, true)
	srcFH, dstFH, src, dst, data := copyFiles(t, d, k, n)

	ok := copyResult(t, k, srcFH, dstFH, src, dst, 0, false)
	require.False(t, ok.CrRequirements.CrSynchronous)
	require.Len(t, ok.CrResponse.WrCallbackId, 1)
	sid := ok.CrResponse.WrCallbackId[0]
	require.Equal(t, state.CopyState, state.Stateid(sid).Type())
	require.Equal(t, state.ClientID(k.id), state.Stateid(sid).ClientID())

	status := func() *OFFLOADSTATUS4resok {
		res := k.seq42(putfh(dstFH), offloadStatus(sid))
		require.Equal(t, NFS4_OK, res.Status)
		return res.Resarray[1].OpoffloadStatus.OsrResok4
	}
	require.Equal(t, uint64(0), <-g.entered)
	require.Equal(t, &OFFLOADSTATUS4resok{OsrCount: 0}, status())
	g.gate <- struct{}{}
	require.Equal(t, uint64(asyncCopyChunk), <-g.entered)
	require.Equal(t, &OFFLOADSTATUS4resok{OsrCount: asyncCopyChunk}, status())
	g.gate <- struct{}{}
	require.Equal(t, uint64(2*asyncCopyChunk), <-g.entered)
	g.gate <- struct{}{}

	info := offloadOf(t, cb.next(t), sid, dstFH)
	require.Equal(t, NFS4_OK, info.CoaStatus)
	require.Equal(t, &WriteResponse4{WrCount: n, WrCommitted: UNSTABLE4, WrWriteverf: d.srv.verf}, info.CoaResok4)
	require.Equal(t, &OFFLOADSTATUS4resok{OsrCount: n, OsrComplete: []Nfsstat4{NFS4_OK}}, status(),
		"the outcome stays until CB_OFFLOAD is answered")
	cb.gate <- struct{}{}
	require.Eventually(t, func() bool { return d.ss.copies.get(state.ClientID(k.id), &sid) == nil },
		10*time.Second, time.Millisecond)
	res := k.seq42(putfh(dstFH), offloadStatus(sid))
	require.Equal(t, NFS4ERR_BAD_STATEID, res.Status)
	require.True(t, bytes.Equal(data, readBack(t, d, "dst", n)))
}

// OFFLOAD_CANCEL stops a copy between chunks and forgets its stateid: no
// CB_OFFLOAD follows, and what was copied stays.
func TestAsyncCopyCancel(t *testing.T) {
	const n = 2 * asyncCopyChunk
	d, g := newCopyEnv(t)
	cb := newFakeCB(0x40000d02)
	k := d.client41(t, "a", cb, true)
	srcFH, dstFH, src, dst, data := copyFiles(t, d, k, n)

	sid := copyResult(t, k, srcFH, dstFH, src, dst, 0, false).CrResponse.WrCallbackId[0]
	<-g.entered
	g.gate <- struct{}{}
	require.Equal(t, uint64(asyncCopyChunk), <-g.entered)
	res := k.seq42(putfh(dstFH), offloadCancel(sid))
	require.Equal(t, NFS4_OK, res.Status)
	for _, op := range []NfsArgop4{offloadCancel(sid), offloadStatus(sid)} {
		res = k.seq42(putfh(dstFH), op)
		require.Equal(t, NFS4ERR_BAD_STATEID, res.Status)
	}
	cb.none(t)
	require.Equal(t, data[:asyncCopyChunk], readBack(t, d, "dst", n))
}

// Copies that stay synchronous: a client without a back channel, a
// small copy, and one that asks for it; each is done before the reply
// with no callback stateid. A client's copies beyond maxAsyncCopies are
// synchronous too.
func TestAsyncCopyFallsBack(t *testing.T) {
	tests := []struct {
		name        string
		back        bool
		count       uint64
		synchronous bool
	}{
		{"no back channel", false, 2 * asyncCopyMin, false},
		{"small", true, asyncCopyMin - 1, false},
		{"synchronous asked", true, 2 * asyncCopyMin, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDelegEnv(t)
			cb := newFakeCB(0x40000d03)
			k := d.client41(t, "a", cb, tt.back)
			srcFH, dstFH, src, dst, data := copyFiles(t, d, k, int(tt.count))
			ok := copyResult(t, k, srcFH, dstFH, src, dst, tt.count, tt.synchronous)
			require.True(t, ok.CrRequirements.CrSynchronous)
			require.Empty(t, ok.CrResponse.WrCallbackId)
			require.Equal(t, Length4(tt.count), ok.CrResponse.WrCount)
			require.True(t, bytes.Equal(data, readBack(t, d, "dst", int(tt.count))))
			cb.none(t)
		})
	}
}

// A client has at most maxAsyncCopies copies (add refuses more; COPY is
// then synchronous), and its copies under way are cancelled and
// forgotten when it goes, with no CB_OFFLOAD.
func TestAsyncCopyBoundAndClientGone(t *testing.T) {
	d, g := newCopyEnv(t)
	cb := newFakeCB(0x40000d04)
	k := d.client41(t, "a", cb, true)
	srcFH, dstFH, src, dst, _ := copyFiles(t, d, k, asyncCopyMin)
	for range 2 {
		ok := copyResult(t, k, srcFH, dstFH, src, dst, 0, false)
		require.Len(t, ok.CrResponse.WrCallbackId, 1)
		<-g.entered
	}
	var added []*asyncCopy
	for range maxAsyncCopies - 2 {
		ac := d.ss.copies.add(state.ClientID(k.id), 2, dstFH, func() {})
		require.NotNil(t, ac)
		added = append(added, ac)
	}
	require.Nil(t, d.ss.copies.add(state.ClientID(k.id), 2, dstFH, func() {}), "over the bound")
	require.NotNil(t, d.ss.copies.add(state.ClientID(k.id+1), 2, dstFH, func() {}), "another client's own bound")

	d.ss.copies.forget(state.ClientID(k.id)) // what NewStateManager has run when a client goes
	d.ss.copies.mu.Lock()
	require.Len(t, d.ss.copies.byCli, 1, "only the other client's")
	d.ss.copies.mu.Unlock()
	cb.none(t)
}
