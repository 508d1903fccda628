package rpc_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/rpc"
)

func TestProgramTable(t *testing.T) {
	a1 := &rpc.Program{Name: "A", VersionName: "A1", Prog: 7, Vers: 1}
	a2 := &rpc.Program{Name: "A", VersionName: "A2", Prog: 7, Vers: 2}
	b1 := &rpc.Program{Name: "B", VersionName: "B1", Prog: 3, Vers: 1}
	a2b := &rpc.Program{Name: "A", VersionName: "A2 again", Prog: 7, Vers: 2}
	table := rpc.NewProgramTable(a2, b1, a1, a2b)
	tests := []struct {
		name       string
		prog, vers uint32
		want       *rpc.Program
	}{
		{"first", 3, 1, b1},
		{"lower version", 7, 1, a1},
		{"later description wins", 7, 2, a2b},
		{"unknown version", 7, 3, nil},
		{"unknown program", 5, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := table.Lookup(tt.prog, tt.vers)
			require.Equal(t, tt.want != nil, ok)
			require.Same(t, tt.want, p)
		})
	}
	require.Equal(t, []*rpc.Program{b1, a1, a2b}, table.All())

	var empty *rpc.ProgramTable
	_, ok := empty.Lookup(3, 1)
	require.False(t, ok)
	require.Empty(t, empty.All())
}
