package proxy_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/proxy"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// TestInjectedDelayIsRetriedByASession answers the first COMPOUND with a
// PUTROOTFH with NFS4ERR_DELAY at its SEQUENCE: the session waits and
// sends it again on the same slot, and gets the root's handle.
func TestInjectedDelayIsRetriedByASession(t *testing.T) {
	nfsPort, _ := startNFSD(t)
	delay := &proxy.Rule{Prog: nfs4.NFS4_PROGRAM, Vers: nfs4.NFS_V4, Proc: "OP_PUTROOTFH", Action: proxy.Status,
		Status: int32(nfs4.NFS4ERR_DELAY), Count: 1}
	var logs logBuffer
	p := startProxy(t, nfsPort, proxy.Logger(slog.New(slog.NewJSONHandler(&logs, nil)), nil), proxy.Faults(nil, delay))
	ctx := context.Background()
	rc, err := rpc.Dial(ctx, "tcp", p.TCPAddr().String(), nil)
	require.NoError(t, err)
	defer rc.Close()
	s, err := nfs4.NewSession(ctx, rc, nil)
	require.NoError(t, err)
	res, err := s.Call(ctx, nfs4.NewCompound(1).PutRootFH().GetFH())
	require.NoError(t, err)
	require.NoError(t, res.Err())
	fh, err := res.GetFH(res.Len() - 1)
	require.NoError(t, err)
	require.NotEmpty(t, fh)
	require.Equal(t, int64(1), delay.Hits())
	require.Contains(t, logs.String(), `"op_status":[{"op":"OP_SEQUENCE","status":"NFS4ERR_DELAY"}]`)
	require.Contains(t, logs.String(), `"ops":["OP_SEQUENCE","OP_PUTROOTFH","OP_GETFH"]`)
}

// TestUnknownEnumPassesThrough puts the proxy in front of a server that
// answers GETATTR with a status no definition names: the reply reaches
// the client unchanged, the log shows the number, and the nfs3 client
// reports it as an error of that number.
func TestUnknownEnumPassesThrough(t *testing.T) {
	const unknown = 77777
	srv := &rpc.Server{Logger: slog.New(slog.DiscardHandler), Handler: rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		if c.Proc == 0 {
			w.Reply(nil)
			return
		}
		e := xdr.NewEncoder(nil)
		e.PutInt32(unknown)
		w.Reply(rpc.RawResults(e.Bytes()))
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	var logs logBuffer
	p := startProxy(t, portOf(l.Addr()), proxy.Logger(slog.New(slog.NewJSONHandler(&logs, nil)), nil))
	ctx := context.Background()
	rc, err := rpc.Dial(ctx, "tcp", p.TCPAddr().String(), nil)
	require.NoError(t, err)
	defer rc.Close()
	var raw rpc.RawResults
	require.NoError(t, rc.Call(ctx, nfs3.NFS_PROGRAM, nfs3.NFS_V3, nfs3.NFSPROC3_GETATTR, &nfs3.GETATTR3args{}, &raw))
	require.Equal(t, []byte{0, 0x01, 0x2f, 0xd1}, []byte(raw))

	res, err := (&nfs3.V3Client{Caller: rc}).Getattr(ctx, &nfs3.GETATTR3args{})
	require.NoError(t, err, "the client decodes a status newer than its definition")
	require.Equal(t, nfs3.Nfsstat3(unknown), res.Status)
	require.False(t, res.Status.Valid())
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), `"status":"Nfsstat3(77777)"`) }, 5*time.Second, 10*time.Millisecond)
}
