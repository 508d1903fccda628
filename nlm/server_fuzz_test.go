package nlm_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/rpc"
)

// FuzzServerHandler feeds arbitrary argument bytes to every procedure of
// every version of the server's handler, seeded with valid arguments of
// each. Whatever the bytes, the call must be answered once (or dropped),
// never panic, and results must encode.
func FuzzServerHandler(f *testing.F) {
	e := newSrvEnv(f, srvEnvConfig{opts: nlm.ServerOptions{
		DialCallback: srvNoDial, GrantDeadline: time.Second, MaxWaiters: 64}})
	handlers := map[uint32]rpc.Handler{}
	for _, vers := range []uint32{nlm.NLM_VERS, nlm.NLM_VERSX, nlm.NLM4_VERS} {
		handlers[vers] = e.srv.Handler(vers)
		for _, proc := range srvProcs[vers] {
			var body []byte
			if m := srvBody(vers, proc, e.fh); m != nil {
				body = srvEncode(f, m)
			}
			f.Add(uint8(vers), uint8(proc), body)
		}
	}
	f.Add(uint8(4), uint8(2), srvRawLock([]byte("c"), "h", []byte{1, 0, 0, 0, 1}, nil))
	f.Fuzz(func(t *testing.T, vers, proc uint8, body []byte) {
		h := handlers[uint32(vers)%5]
		if h == nil {
			h = handlers[nlm.NLM4_VERS]
		}
		w := &srvWriter{}
		c := &rpc.Call{Prog: nlm.NLM_PROG, Vers: uint32(vers) % 5, Proc: uint32(proc) % 25, Args: body}
		c.Network, c.RemoteAddr = "udp", srvLoopback
		h.ServeRPC(context.Background(), w, c)
		w.mu.Lock()
		defer w.mu.Unlock()
		if !w.dropped {
			require.Equal(t, 1, w.answers, "one answer")
		}
		require.NoError(t, w.encErr, "results encode")
		require.NotEqual(t, rpc.SYSTEM_ERR, w.stat)
	})
}
