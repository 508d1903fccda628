package addrwatch

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestResyncReportsWhatIsGone: after lost notifications the Watcher
// compares a fresh dump with what it knew and reports each address no
// interface has any more, once, and none that is still there.
func TestResyncReportsWhatIsGone(t *testing.T) {
	now, err := dump(nil)
	require.NoError(t, err)
	gone := netip.MustParseAddr("198.18.77.1")
	known := map[ifAddr]bool{{index: 1, addr: gone}: true, {index: 2, addr: gone}: true}
	for a := range now {
		known[a] = true
	}
	var removed []netip.Addr
	w := &Watcher{known: known, removed: func(a netip.Addr) { removed = append(removed, a) }}
	require.NoError(t, w.resync())
	require.Equal(t, []netip.Addr{gone}, removed)
	require.Equal(t, now, w.known)
}
