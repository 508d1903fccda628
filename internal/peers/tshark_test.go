package peers

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDroppedPackets(t *testing.T) {
	for _, tc := range []struct {
		output string
		want   int
	}{
		{"Capturing on 'Loopback: lo'\n1266 packets captured\n", 0},
		{"Capturing on 'Loopback: lo'\n193 packets dropped from lo\n1266 packets captured\n", 193},
		{"1 packet dropped from lo\n", 1},
		{"0 packets dropped from lo\n", 0},
	} {
		require.Equal(t, tc.want, droppedPackets(tc.output), tc.output)
	}
}
