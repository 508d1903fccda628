package nfs4

import (
	"testing"

	"github.com/stretchr/testify/require"

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
