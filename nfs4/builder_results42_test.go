package nfs4

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/xdr"
)

// readPlusResults wraps a READ_PLUS result as the first of Results.
func readPlusResults(res *READPLUS4res) *Results {
	r := newResults(0)
	r.Resarray = []NfsResop4{{Resop: OP_READ_PLUS, OpreadPlus: res}}
	return r
}

func TestReadPlusData(t *testing.T) {
	data := func(off uint64, b string) ReadPlusContent {
		return ReadPlusContent{RpcContent: NFS4_CONTENT_DATA, RpcData: &Data4{DOffset: Offset4(off), DData: []byte(b)}}
	}
	hole := func(off, n uint64) ReadPlusContent {
		return ReadPlusContent{RpcContent: NFS4_CONTENT_HOLE, RpcHole: &DataInfo4{DiOffset: Offset4(off), DiLength: Length4(n)}}
	}
	cases := []struct {
		name   string
		from   uint64
		limit  int
		segs   []ReadPlusContent
		want   string
		failed bool
	}{
		{"data, hole, data", 10, 100, []ReadPlusContent{data(10, "ab"), hole(12, 3), data(15, "c")}, "ab\x00\x00\x00c", false},
		{"nothing", 10, 100, nil, "", false},
		{"a gap", 0, 100, []ReadPlusContent{data(0, "ab"), data(5, "c")}, "", true},
		{"not from the offset", 3, 100, []ReadPlusContent{data(0, "ab")}, "", true},
		{"a hole past the limit", 0, 100, []ReadPlusContent{hole(0, 1<<62)}, "", true},
		{"data past the limit", 0, 1, []ReadPlusContent{data(0, "ab")}, "", true},
		{"a negative limit", 0, -5, []ReadPlusContent{data(0, "a")}, "", true},
		{"an empty arm", 0, 10, []ReadPlusContent{{RpcContent: NFS4_CONTENT_DATA}}, "", true},
	}
	for _, c := range cases {
		r := readPlusResults(&READPLUS4res{RpResok4: &ReadPlusRes4{RprEof: true, RprContents: c.segs}})
		got, eof, err := r.ReadPlusData(0, c.from, c.limit)
		if c.failed {
			require.ErrorIs(t, err, ErrReadPlusSegments, c.name)
			continue
		}
		require.NoError(t, err, c.name)
		require.True(t, eof)
		require.Equal(t, c.want, string(got), c.name)
	}
	r := readPlusResults(&READPLUS4res{RpStatus: NFS4ERR_ISDIR})
	_, _, err := r.ReadPlusData(0, 0, 10)
	require.ErrorIs(t, err, NFS4ERR_ISDIR)
}

// FuzzReadPlusData decodes arbitrary READ_PLUS results and reads their
// bytes: an error or at most the limit's bytes, never a panic or an
// allocation a hole's length asks for.
func FuzzReadPlusData(f *testing.F) {
	for _, res := range []READPLUS4res{
		{RpResok4: &ReadPlusRes4{RprEof: true, RprContents: []ReadPlusContent{
			{RpcContent: NFS4_CONTENT_DATA, RpcData: &Data4{DData: []byte("abc")}},
			{RpcContent: NFS4_CONTENT_HOLE, RpcHole: &DataInfo4{DiOffset: 3, DiLength: 5}}}}},
		{RpResok4: &ReadPlusRes4{RprContents: []ReadPlusContent{
			{RpcContent: NFS4_CONTENT_HOLE, RpcHole: &DataInfo4{DiLength: 1 << 40}}}}},
		{RpStatus: NFS4ERR_BAD_STATEID},
	} {
		b, err := xdr.Marshal(&res)
		require.NoError(f, err)
		f.Add(b)
	}
	const limit = 1 << 16
	f.Fuzz(func(t *testing.T, b []byte) {
		var res READPLUS4res
		if xdr.Unmarshal(b, &res) != nil {
			return
		}
		got, _, err := readPlusResults(&res).ReadPlusData(0, 0, limit)
		if err == nil {
			require.LessOrEqual(t, len(got), limit)
		}
	})
}
