package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConstChains checks that constants may name constants and enum
// values defined later, through chains of any length.
func TestConstChains(t *testing.T) {
	src := "const A = B;\nconst B = C;\nconst C = 7;\nconst D = E2;\nenum e { E1 = A, E2 = 9 };\n"
	code, _, err := run("chain.x", src, "chain")
	require.NoError(t, err)
	for _, want := range []string{"A = 7", "B = 7", "C = 7", "D = 9", "E1 E = 7", "E2 E = 9"} {
		require.Contains(t, string(code), want)
	}
}
