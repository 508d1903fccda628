package nfs4

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/xdr"
)

// discard is an rpc.ReplyWriter that encodes replies into a reused
// buffer, as the rpc server's connection does.
type discard struct {
	recorder
	e xdr.Encoder
}

func (d *discard) Reply(m xdr.Marshaler) error {
	d.e.Reset(d.e.Bytes()[:0])
	return m.MarshalXDR(&d.e)
}

// BenchmarkServerPutfhGetattr runs a PUTFH+GETATTR COMPOUND (the
// attributes a Linux client asks for on revalidation) through the
// handler Register installs, against the typed Compound method over the
// same server (arguments and results as Go values), the reference.
func BenchmarkServerPutfhGetattr(b *testing.B) {
	e := newEnvT(nil, b, "/data")
	fh := e.mkfileT(b, "/data", "f", "data")
	args := COMPOUND4args{Tag: Utf8strCs("bench"), Argarray: []NfsArgop4{putfh(fh),
		getattr(FATTR4_TYPE, FATTR4_CHANGE, FATTR4_SIZE, FATTR4_FSID, FATTR4_FILEID, FATTR4_MODE, FATTR4_NUMLINKS,
			FATTR4_OWNER, FATTR4_OWNER_GROUP, FATTR4_RAWDEV, FATTR4_SPACE_USED, FATTR4_TIME_ACCESS,
			FATTR4_TIME_METADATA, FATTR4_TIME_MODIFY, FATTR4_MOUNTED_ON_FILEID)}}
	body, err := xdr.Marshal(&args)
	require.NoError(b, err)
	call := e.callB(b, body)
	b.Run("handler", func(b *testing.B) {
		var w discard
		h := e.srv.Handler()
		b.ReportAllocs()
		for b.Loop() {
			h.ServeRPC(bg, &w, call)
		}
		var res COMPOUND4res
		require.NoError(b, xdr.Unmarshal(w.e.Bytes(), &res))
		require.Equal(b, NFS4_OK, res.Status)
	})
	b.Run("typed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res, err := e.srv.Compound(bg, call, &args)
			if err != nil || res.Status != NFS4_OK {
				b.Fatal(err, res.Status)
			}
		}
	})
}

// TestHandlerAllocs: a PUTFH+GETATTR COMPOUND through the handler
// allocates nothing once its pooled state is warm.
func TestHandlerAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	e := newEnv(t, "/data")
	fh := e.mkfile("/data", "f", "data")
	body, err := xdr.Marshal(&COMPOUND4args{Argarray: []NfsArgop4{putfh(fh), getattr(FATTR4_TYPE, FATTR4_CHANGE, FATTR4_SIZE,
		FATTR4_FSID, FATTR4_FILEID, FATTR4_MODE, FATTR4_OWNER, FATTR4_TIME_MODIFY, FATTR4_MOUNTED_ON_FILEID)}})
	require.NoError(t, err)
	call := e.call(body)
	var w discard
	h := e.srv.Handler()
	allocs := testing.AllocsPerRun(100, func() { h.ServeRPC(bg, &w, call) })
	require.Zero(t, allocs)
}

// sessionCall returns a SEQUENCE+PUTFH+GETATTR COMPOUND on a session of
// e's (which must keep state) and a function that sets its slot's seqid.
func sessionCall(t require.TestingT, e *env, fh []byte) (body []byte, setSeqid func(uint32)) {
	return sessionCompound(t, e, 1, putfh(fh),
		getattr(FATTR4_TYPE, FATTR4_CHANGE, FATTR4_SIZE, FATTR4_FSID, FATTR4_FILEID, FATTR4_MODE, FATTR4_OWNER,
			FATTR4_TIME_MODIFY, FATTR4_MOUNTED_ON_FILEID))
}

// sessionCompound is sessionCall for a COMPOUND of minor version minor
// with ops after the SEQUENCE.
func sessionCompound(t require.TestingT, e *env, minor uint32, ops ...NfsArgop4) (body []byte, setSeqid func(uint32)) {
	run := func(op NfsArgop4) NfsResop4 {
		b, err := xdr.Marshal(&COMPOUND4args{Minorversion: 1, Argarray: []NfsArgop4{op}})
		require.NoError(t, err)
		var r recorder
		e.h.ServeRPC(bg, &r, e.callB(t, b))
		var res COMPOUND4res
		require.NoError(t, xdr.Unmarshal(r.body, &res))
		require.Equal(t, NFS4_OK, res.Status)
		return res.Resarray[0]
	}
	ex := run(exchangeID("bench", 1)).OpexchangeId.EirResok4
	cs := run(createSession(ex.EirClientid, uint32(ex.EirSequenceid))).OpcreateSession.CsrResok4
	const marker = 0x5e91d
	body, err := xdr.Marshal(&COMPOUND4args{Tag: Utf8strCs("bench"), Minorversion: minor,
		Argarray: append([]NfsArgop4{sequence(cs.CsrSessionid, marker, 0, false)}, ops...)})
	require.NoError(t, err)
	at := bytes.Index(body, binary.BigEndian.AppendUint32(nil, marker))
	require.Positive(t, at)
	return body, func(seq uint32) { binary.BigEndian.PutUint32(body[at:], seq) }
}

// BenchmarkServerSequencePutfhGetattr runs SEQUENCE+PUTFH+GETATTR, a
// 4.1 client's revalidation, through the handler on a session's slot.
func BenchmarkServerSequencePutfhGetattr(b *testing.B) {
	e := newEnvT(nil, b, "/data")
	e.stateful(state.Config{})
	fh := e.mkfileT(b, "/data", "f", "data")
	body, setSeqid := sessionCall(b, e, fh)
	runSequenced(b, e, body, setSeqid)
}

// runSequenced runs the COMPOUND body with a SEQUENCE (whose seqid
// setSeqid sets) through e's handler b.N times, each one's reply
// NFS4_OK.
func runSequenced(b *testing.B, e *env, body []byte, setSeqid func(uint32)) {
	call := e.callB(b, body)
	var w discard
	h := e.srv.Handler()
	seq := uint32(0)
	b.ReportAllocs()
	for b.Loop() {
		seq++
		setSeqid(seq)
		h.ServeRPC(bg, &w, call)
	}
	var res COMPOUND4res
	require.NoError(b, xdr.Unmarshal(w.e.Bytes(), &res))
	require.Equal(b, NFS4_OK, res.Status)
}

// TestHandlerAllocsSession: SEQUENCE adds no allocation to a
// PUTFH+GETATTR COMPOUND.
func TestHandlerAllocsSession(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	e := newEnv(t, "/data")
	e.stateful(state.Config{})
	fh := e.mkfile("/data", "f", "data")
	body, setSeqid := sessionCall(t, e, fh)
	call := e.call(body)
	var w discard
	h := e.srv.Handler()
	seq := uint32(0)
	allocs := testing.AllocsPerRun(100, func() {
		seq++
		setSeqid(seq)
		h.ServeRPC(bg, &w, call)
	})
	var res COMPOUND4res
	require.NoError(t, xdr.Unmarshal(w.e.Bytes(), &res))
	require.Equal(t, NFS4_OK, res.Status)
	require.Zero(t, allocs)
}
