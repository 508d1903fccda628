package nfs3

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/xdrtest"
	"github.com/nfskit/nfskit/xdr"
)

// TestEncodeIntoReusedBufferDoesNotAllocate encodes each benchmark reply
// into a buffer reused from the last call.
func TestEncodeIntoReusedBufferDoesNotAllocate(t *testing.T) {
	g, _ := sampleGetattr()
	r, _ := sampleReaddirplus()
	rd, _ := sampleRead()
	for name, v := range map[string]xdr.Marshaler{"GETATTR": &g, "READDIRPLUS": &r, "READ": &rd} {
		t.Run(name, func(t *testing.T) {
			buf := make([]byte, 0, 64<<10)
			e := xdr.NewEncoder(buf)
			e.SetNoCopy(4096)
			allocs := testing.AllocsPerRun(50, func() {
				e.Reset(buf)
				require.NoError(t, v.MarshalXDR(e))
				_ = e.Buffers()
			})
			require.Zero(t, allocs)
		})
	}
}

func TestDecodeGetattrReplyIntoReusedValueDoesNotAllocate(t *testing.T) {
	g, _ := sampleGetattr()
	b := xdrtest.Encode(t, &g)
	var res GETATTR3res
	d := xdr.NewDecoder(b)
	require.NoError(t, res.UnmarshalXDR(d))
	allocs := testing.AllocsPerRun(100, func() {
		d.Reset(b)
		require.NoError(t, res.UnmarshalXDR(d))
	})
	require.Zero(t, allocs)
	require.Equal(t, g, res)
}

// TestDecodeReadReplyCopiesNoData decodes a 1 MiB READ reply in no-copy
// mode: the data must be the record's own bytes, not a copy.
func TestDecodeReadReplyCopiesNoData(t *testing.T) {
	rd, _ := sampleRead()
	b := xdrtest.Encode(t, &rd)
	var res READ3res
	d := xdr.NewDecoder(b)
	d.SetNoCopy(true)
	allocs := testing.AllocsPerRun(20, func() {
		d.Reset(b)
		require.NoError(t, res.UnmarshalXDR(d))
	})
	require.Zero(t, allocs)
	data := res.Resok.Data
	require.Len(t, data, 1<<20)
	start := uintptr(unsafe.Pointer(&b[0]))
	p := uintptr(unsafe.Pointer(&data[0]))
	require.True(t, p > start && p+uintptr(len(data)) <= start+uintptr(len(b)), "data aliases the record")
	require.Equal(t, rd.Resok.Data, data)
}
