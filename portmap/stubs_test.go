package portmap

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
)

// stubServer implements two procedures of portmap v2 and leaves the rest
// to the generated base, which refuses them.
type stubServer struct {
	UnimplementedV2Server
	mu  sync.Mutex
	set []Mapping
}

func (s *stubServer) Set(ctx context.Context, call *rpc.Call, args *Mapping) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set = append(s.set, *args)
	return args.Port != 0, nil
}

func (s *stubServer) mappings() []Mapping {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.set
}

func (s *stubServer) Getport(ctx context.Context, call *rpc.Call, args *Mapping) (uint32, error) {
	if args.Prog == 404 {
		return 0, rpc.GARBAGE_ARGS
	}
	return 2049, nil
}

// TestTypedStubs runs the generated client against the generated handler
// adapter over a real connection.
func TestTypedStubs(t *testing.T) {
	srv := &stubServer{}
	mux := rpc.NewMux()
	mux.Handle(PMAP_PROG, PMAP_VERS, NewV2Handler(srv))
	sv := rpctest.Serve(t, mux, rpctest.TCPOnly())

	ctx := context.Background()
	rc, err := rpc.Dial(ctx, "tcp", sv.TCP.String(), nil)
	require.NoError(t, err)
	defer rc.Close()
	c := NewV2Client(rc)

	require.NoError(t, c.Null(ctx))
	ok, err := c.Set(ctx, &Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_TCP, Port: 2049})
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, []Mapping{{Prog: 100003, Vers: 3, Prot: IPPROTO_TCP, Port: 2049}}, srv.mappings())

	port, err := c.Getport(ctx, &Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_TCP})
	require.NoError(t, err)
	require.Equal(t, uint32(2049), port)

	_, err = c.Getport(ctx, &Mapping{Prog: 404})
	require.ErrorIs(t, err, rpc.GARBAGE_ARGS, "a method's error chooses the reply")
	_, err = c.Dump(ctx)
	require.ErrorIs(t, err, rpc.PROC_UNAVAIL, "the base refuses what is not implemented")
	err = rc.Call(ctx, PMAP_PROG, PMAP_VERS, PMAPPROC_GETPORT, nil, nil)
	require.ErrorIs(t, err, rpc.GARBAGE_ARGS, "missing arguments")
	err = rc.Call(ctx, PMAP_PROG, PMAP_VERS, 99, nil, nil)
	require.ErrorIs(t, err, rpc.PROC_UNAVAIL)
}

// TestProcedureTable checks that the generated tables list the programs and
// describe procedures well enough to decode their bodies.
func TestProcedureTable(t *testing.T) {
	p, ok := Programs().Lookup(PMAP_PROG, RPCBVERS4)
	require.True(t, ok)
	require.Equal(t, "RPCBVERS4", p.VersionName)
	pr, ok := p.Procedure(RPCBPROC4_GETADDR)
	require.True(t, ok)
	require.Equal(t, "RPCBPROC4_GETADDR", pr.Name)
	require.IsType(t, &Rpcb{}, pr.NewArgs())
	require.IsType(t, new(Uaddr), pr.NewResult())
	null, ok := p.Procedure(0)
	require.True(t, ok)
	require.Nil(t, null.NewArgs)
	require.Nil(t, null.NewResult)
	_, ok = p.Procedure(99)
	require.False(t, ok)
}
