package nfs3_test

import (
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/race"
	. "github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// reusingWriter is an rpc.ReplyWriter that encodes each reply into a
// reused buffer, as the rpc server's connections do.
type reusingWriter struct {
	encodingWriter
	e   xdr.Encoder
	buf []byte
	// segments is how many segments the last reply was written in.
	segments int
}

func (w *reusingWriter) Reply(res xdr.Marshaler) error {
	if w.buf == nil {
		w.buf = make([]byte, 0, 64<<10)
	}
	w.e.Reset(w.buf)
	w.e.SetNoCopy(4096)
	w.err = nil
	if res != nil {
		w.err = res.MarshalXDR(&w.e)
	}
	w.segments = len(w.e.Buffers())
	return w.err
}

// TestHandlerAllocs: NULL, GETATTR and a 4 KiB READ through the handler
// Register installs allocate nothing once its pooled state is warm.
func TestHandlerAllocs(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	srv, fh := benchServer(t, 64<<10)
	h := srv.Handler()
	tests := []struct {
		name string
		proc uint32
		args xdr.Marshaler
		// check checks the reply's bytes.
		check func(t *testing.T, reply []byte)
	}{
		{"NULL", NFSPROC3_NULL, nil, func(t *testing.T, reply []byte) { require.Empty(t, reply) }},
		{"GETATTR", NFSPROC3_GETATTR, &GETATTR3args{Object: fh}, func(t *testing.T, reply []byte) {
			var res GETATTR3res
			require.NoError(t, xdr.Unmarshal(reply, &res))
			require.Equal(t, NFS3_OK, res.Status)
			require.Equal(t, Size3(64<<10), res.Resok.ObjAttributes.Size)
		}},
		{"READ 4 KiB", NFSPROC3_READ, &READ3args{File: fh, Offset: 4096, Count: 4096}, func(t *testing.T, reply []byte) {
			var res READ3res
			require.NoError(t, xdr.Unmarshal(reply, &res))
			require.Equal(t, NFS3_OK, res.Status)
			require.Equal(t, Count3(4096), res.Resok.Count)
			require.Len(t, res.Resok.Data, 4096)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var args []byte
			if tt.args != nil {
				var err error
				args, err = xdr.Marshal(tt.args)
				require.NoError(t, err)
			}
			call := &rpc.Call{Proc: tt.proc, Args: args, Transport: rpc.Transport{Network: "tcp",
				RemoteAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 700}}}
			var w reusingWriter
			allocs := testing.AllocsPerRun(100, func() { h.ServeRPC(bg, &w, call) })
			require.NoError(t, w.err)
			require.Zero(t, allocs)
			tt.check(t, w.e.Bytes())
		})
	}
}
