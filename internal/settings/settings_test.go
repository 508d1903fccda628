package settings

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestOr(t *testing.T) {
	for _, tc := range []struct{ v, def, want time.Duration }{
		{0, time.Second, time.Second},
		{-1, time.Second, time.Second},
		{time.Millisecond, time.Second, time.Millisecond},
	} {
		require.Equal(t, tc.want, Or(tc.v, tc.def), "Or(%v, %v)", tc.v, tc.def)
	}
	require.Equal(t, 7, Or(0, 7))
	require.Equal(t, 3, Or(3, 7))
}
