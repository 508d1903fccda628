package rpc_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// Every program version the generated packages describe is registered,
// listed in order by RegisteredPrograms and found by LookupProgram; each
// procedure is found by number, and gives new values of its argument and
// result types.
func TestRegisteredPrograms(t *testing.T) {
	want := []*rpc.Program{
		portmap.PMAPVERSProgram, portmap.RPCBVERSProgram, portmap.RPCBVERS4Program,
		nfs3.NFSV3Program, nfs4.NFSV4Program, mount.MOUNTV3Program,
		nlm.NLMVERSProgram, nlm.NLMVERSXProgram, nlm.NLM4VERSProgram,
		nsm.SMVERSProgram, nfs4.NFSCBProgram,
	}
	names := func(ps []*rpc.Program) []string {
		var out []string
		for _, p := range ps {
			out = append(out, fmt.Sprintf("%s %d/%d", p.VersionName, p.Prog, p.Vers))
		}
		return out
	}
	got := rpc.RegisteredPrograms()
	require.Equal(t, names(want), names(got))
	for i := range want {
		require.Same(t, want[i], got[i])
	}
	for _, p := range want {
		got, ok := rpc.LookupProgram(p.Prog, p.Vers)
		require.True(t, ok, p.Name)
		require.Same(t, p, got)
		require.NotEmpty(t, p.Procedures, p.Name)
		seen := map[uint32]bool{}
		for _, proc := range p.Procedures {
			require.False(t, seen[proc.Num], "%s: procedure %d twice", p.Name, proc.Num)
			seen[proc.Num] = true
			found, ok := p.Procedure(proc.Num)
			require.True(t, ok)
			require.Equal(t, proc.Name, found.Name)
			for what, newValue := range map[string]func() xdr.Codec{"args": proc.NewArgs, "result": proc.NewResult} {
				if newValue == nil {
					continue // void
				}
				a, b := newValue(), newValue()
				require.NotNil(t, a, "%s %s %s", p.Name, proc.Name, what)
				require.NotSame(t, a, b, "%s %s %s: a new value each time", p.Name, proc.Name, what)
			}
		}
		_, ok = p.Procedure(1 << 20)
		require.False(t, ok, "%s has no procedure %d", p.Name, 1<<20)
	}
	_, ok := rpc.LookupProgram(nfs3.NFS_PROGRAM, 2)
	require.False(t, ok, "NFS version 2 is described nowhere")
}
