package main

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/xdr"
)

// TestListWire checks, on types generated from mount.x, that a linked list
// held as a slice goes on the wire exactly as the linked list would: each
// element preceded by TRUE (the non-null link to it) and the list ended
// by FALSE (the null link), here two levels deep.
func TestListWire(t *testing.T) {
	exports := mount.Exports{
		{ExDir: "/a", ExGroups: mount.Groups{{GrName: "h1"}, {GrName: "net"}}},
		{ExDir: "/srv/b"},
	}
	want := strings.Join([]string{
		"00000001",             // TRUE: an exportnode follows
		"00000002", "2f610000", //   ex_dir "/a"
		"00000001",             //   TRUE: a groupnode follows
		"00000002", "68310000", //     gr_name "h1"
		"00000001",             //   TRUE: a groupnode follows
		"00000003", "6e657400", //     gr_name "net"
		"00000000",                     //   FALSE: end of ex_groups
		"00000001",                     // TRUE: an exportnode follows
		"00000006", "2f7372762f620000", // ex_dir "/srv/b"
		"00000000", //   FALSE: ex_groups is empty
		"00000000", // FALSE: end of the exports
	}, "")

	b, err := xdr.Marshal(&exports)
	require.NoError(t, err)
	require.Equal(t, want, hex.EncodeToString(b))

	var got mount.Exports
	require.NoError(t, xdr.Unmarshal(b, &got))
	require.Equal(t, exports, got)

	// The empty list is a single FALSE, whether nil or empty.
	for _, empty := range []mount.Exports{nil, {}} {
		e, err := xdr.Marshal(&empty)
		require.NoError(t, err)
		require.Equal(t, "00000000", hex.EncodeToString(e))
	}
	require.NoError(t, xdr.Unmarshal([]byte{0, 0, 0, 0}, &got))
	require.Empty(t, got)

	// A list whose last link is missing is cut short, not ended.
	require.ErrorIs(t, xdr.Unmarshal(b[:len(b)-4], &got), xdr.ErrShortBuffer)
	// A link that is neither TRUE nor FALSE is rejected.
	bad, err := hex.DecodeString("00000002")
	require.NoError(t, err)
	require.ErrorIs(t, xdr.Unmarshal(bad, &got), xdr.ErrBadBool)
}
