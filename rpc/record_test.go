package rpc_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/rpc"
)

// TestAppendReadRecord checks the fragments AppendRecord cuts and that
// ReadRecord joins them back, refusing records over its bound and
// records cut short.
func TestAppendReadRecord(t *testing.T) {
	msg := []byte("0123456789")
	for _, tc := range []struct {
		frag  int
		sizes []int
	}{{0, []int{10}}, {4, []int{4, 4, 2}}, {5, []int{5, 5}}, {100, []int{10}}} {
		rec := rpc.AppendRecord([]byte("x"), msg, tc.frag)
		require.Equal(t, byte('x'), rec[0], "appended to dst")
		var sizes []int
		for b := rec[1:]; len(b) > 0; {
			h := binary.BigEndian.Uint32(b)
			n := int(h &^ rpc.LastFragment)
			sizes = append(sizes, n)
			b = b[4+n:]
			require.Equal(t, len(b) == 0, h&rpc.LastFragment != 0, "only the last fragment is marked")
		}
		require.Equal(t, tc.sizes, sizes, "fragment size %d", tc.frag)
		got, err := rpc.ReadRecord(bytes.NewReader(rec[1:]), nil, 10)
		require.NoError(t, err)
		require.Equal(t, msg, got)
		_, err = rpc.ReadRecord(bytes.NewReader(rec[1:]), nil, 9)
		require.ErrorIs(t, err, rpc.ErrRecordTooLarge)
		_, err = rpc.ReadRecord(bytes.NewReader(rec[1:len(rec)-1]), nil, 10)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	}
}
