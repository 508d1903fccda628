package nfs4

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/vfs"
)

const (
	// asyncCopyMin is the smallest COPY done in the background when the
	// client asks for an asynchronous one; smaller ones are done before
	// the reply.
	asyncCopyMin = 1 << 20
	// asyncCopyChunk is how much of an asynchronous COPY one CopyRange
	// call moves, so OFFLOAD_STATUS sees progress and OFFLOAD_CANCEL
	// stops it between calls.
	asyncCopyChunk = 1 << 20
	// maxAsyncCopies bounds the asynchronous COPYs of one client; beyond
	// it a COPY is done before the reply.
	maxAsyncCopies = 16
)

// asyncCopy is one COPY under way in the background, named by its copy
// stateid (of type state.CopyState).
type asyncCopy struct {
	sid    Stateid4
	client state.ClientID
	minor  uint32
	fh     []byte // the destination's
	cancel context.CancelFunc

	copied atomic.Uint64 // bytes so far
	// status is the copy's outcome once ended is set.
	ended  atomic.Bool
	status atomic.Uint32
}

// asyncCopies are the asynchronous COPYs of a StateServer, per client.
type asyncCopies struct {
	mu    sync.Mutex
	n     uint32 // copy stateids made
	byCli map[state.ClientID]map[[12]byte]*asyncCopy
}

func newAsyncCopies() *asyncCopies {
	return &asyncCopies{byCli: make(map[state.ClientID]map[[12]byte]*asyncCopy)}
}

// add makes a copy of client id with a new copy stateid, or returns nil
// if the client has maxAsyncCopies under way.
func (t *asyncCopies) add(id state.ClientID, minor uint32, fh []byte, cancel context.CancelFunc) *asyncCopy {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.byCli[id]
	if len(m) >= maxAsyncCopies {
		return nil
	}
	if m == nil {
		m = make(map[[12]byte]*asyncCopy)
		t.byCli[id] = m
	}
	t.n++
	ac := &asyncCopy{client: id, minor: minor, fh: append([]byte(nil), fh...), cancel: cancel}
	ac.sid.Seqid = 1
	binary.BigEndian.PutUint64(ac.sid.Other[:8], uint64(id))
	binary.BigEndian.PutUint32(ac.sid.Other[8:], t.n<<8|uint32(state.CopyState))
	m[ac.sid.Other] = ac
	return ac
}

// get returns client id's copy named sid, nil if there is none.
func (t *asyncCopies) get(id state.ClientID, sid *Stateid4) *asyncCopy {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byCli[id][sid.Other]
}

// remove forgets ac and cancels it if it is still running; false if it
// was forgotten already.
func (t *asyncCopies) remove(ac *asyncCopy) bool {
	t.mu.Lock()
	m := t.byCli[ac.client]
	_, ok := m[ac.sid.Other]
	delete(m, ac.sid.Other)
	if len(m) == 0 {
		delete(t.byCli, ac.client)
	}
	t.mu.Unlock()
	ac.cancel()
	return ok
}

// forget cancels and forgets the copies of client id, which is gone.
func (t *asyncCopies) forget(id state.ClientID) {
	t.mu.Lock()
	m := t.byCli[id]
	delete(t.byCli, id)
	t.mu.Unlock()
	for _, ac := range m {
		ac.cancel()
	}
}

// cancelAll cancels and forgets every copy.
func (t *asyncCopies) cancelAll() {
	t.mu.Lock()
	all := t.byCli
	t.byCli = make(map[state.ClientID]map[[12]byte]*asyncCopy)
	t.mu.Unlock()
	for _, m := range all {
		for _, ac := range m {
			ac.cancel()
		}
	}
}

// copyJob is what a background COPY needs of its request.
type copyJob struct {
	cp             vfs.Copier
	cred           vfs.Cred
	src, dst       vfs.Handle
	srcOff, dstOff uint64
	count          uint64
	verf           Verifier4
}

// startAsyncCopy starts job in the background for the COMPOUND's client
// and returns its copy stateid, or false if the copy is to be done
// before the reply: no package state, a client with no usable back
// channel (CB_OFFLOAD could not reach it) or with maxAsyncCopies under
// way.
func (c *compound) startAsyncCopy(job copyJob) (Stateid4, bool) {
	ss := c.s.stateServer
	if ss == nil || !c.slot.active {
		return Stateid4{}, false
	}
	id := c.slot.sid.ClientID()
	if !ss.cb.up(id, c.minor) {
		return Stateid4{}, false
	}
	// The handles and the credential alias the request, which is reused.
	job.src, job.dst = bytes.Clone(job.src), bytes.Clone(job.dst)
	job.cred.Groups = slices.Clone(job.cred.Groups)
	ctx, cancel := context.WithCancel(context.Background())
	ac := ss.copies.add(id, c.minor, c.cur.wire(), cancel)
	if ac == nil {
		cancel()
		return Stateid4{}, false
	}
	go ss.runCopy(ctx, ac, job)
	return ac.sid, true
}

// runCopy does ac's copy in chunks and then reports it with CB_OFFLOAD,
// unless it was cancelled or its client went away; the copy is
// forgotten after that.
func (ss *StateServer) runCopy(ctx context.Context, ac *asyncCopy, job copyJob) {
	var err error
	var done uint64
	for done < job.count && err == nil {
		var n uint64
		n, err = job.cp.CopyRange(ctx, &job.cred, job.src, job.srcOff+done, job.dst, job.dstOff+done,
			min(asyncCopyChunk, job.count-done))
		done += n
		ac.copied.Store(done)
		if n == 0 && err == nil {
			break // the source ended
		}
		if err == nil {
			err = ctx.Err()
		}
	}
	st := NFS4_OK
	if err != nil && done == 0 {
		st = copyStatus(err)
	}
	ac.status.Store(uint32(st))
	ac.ended.Store(true)
	if ctx.Err() != nil {
		return // cancelled: OFFLOAD_CANCEL, the client gone or the server closing
	}
	info := OffloadInfo4{CoaStatus: st, CoaBytesCopied: Length4(done)}
	if st == NFS4_OK {
		info.CoaResok4 = &WriteResponse4{WrCount: Length4(done), WrCommitted: UNSTABLE4, WrWriteverf: job.verf}
	}
	cbctx, cancel := context.WithTimeout(context.Background(), cbTimeout)
	defer cancel()
	op := NfsCbArgop4{Argop: OP_CB_OFFLOAD, Opcboffload: &CBOFFLOAD4args{CoaFh: NfsFh4(ac.fh), CoaStateid: ac.sid, CoaOffloadInfo: info}}
	if _, err := ss.cb.compound(cbctx, ac.client, ac.minor, []NfsCbArgop4{op}); err != nil {
		ss.cb.log().Info("NFSv4 CB_OFFLOAD failed", "client", ac.client, "err", err)
	}
	ss.copies.remove(ac)
}

// copyStatus is the status of a background copy's failure.
func copyStatus(err error) Nfsstat4 {
	if st, ok := status42(err); ok {
		return st
	}
	return StatusOf(err)
}

// offloadCopy returns the COMPOUND's client's copy named by the
// operation's stateid argument, or the status to answer.
func (c *compound) offloadCopy() (*asyncCopy, Nfsstat4) {
	sid, ok := c.stateidArg()
	if !ok {
		return nil, NFS4ERR_BADXDR
	}
	ss := c.s.stateServer
	if ss == nil || !c.slot.active {
		return nil, NFS4ERR_BAD_STATEID
	}
	ac := ss.copies.get(c.slot.sid.ClientID(), sid)
	if ac == nil || ac.sid.Seqid != sid.Seqid && sid.Seqid != 0 {
		return nil, NFS4ERR_BAD_STATEID
	}
	return ac, NFS4_OK
}

// opOffloadStatus serves OFFLOAD_STATUS (RFC 7862 section 15.9): the
// bytes an asynchronous COPY has copied so far, and its status once it
// ended (until CB_OFFLOAD is answered). A stateid that names no copy of
// the client's under way is NFS4ERR_BAD_STATEID.
func opOffloadStatus(c *compound) Nfsstat4 {
	ac, st := c.offloadCopy()
	if st != NFS4_OK {
		return st
	}
	ended := ac.ended.Load() // before the count, which is then final
	c.out.PutUint64(ac.copied.Load())
	if !ended {
		c.out.PutUint32(0)
		return NFS4_OK
	}
	c.out.PutUint32(1)
	c.out.PutInt32(int32(ac.status.Load()))
	return NFS4_OK
}

// opOffloadCancel serves OFFLOAD_CANCEL (RFC 7862 section 15.8): the
// copy stops after the chunk under way and is forgotten, with no
// CB_OFFLOAD; what it copied stays.
func opOffloadCancel(c *compound) Nfsstat4 {
	ac, st := c.offloadCopy()
	if st != NFS4_OK {
		return st
	}
	if !c.s.stateServer.copies.remove(ac) {
		return NFS4ERR_BAD_STATEID
	}
	return NFS4_OK
}
