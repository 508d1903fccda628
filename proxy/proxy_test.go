package proxy_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/proxy"
	"github.com/nfskit/nfskit/rpc"
)

// TestThroughProxyMatchesDirect writes files directly and through the
// proxy, over TCP and UDP, and reads the same bytes, attributes and
// directory listing either way.
func TestThroughProxyMatchesDirect(t *testing.T) {
	nfsPort, mountPort := startNFSD(t)
	var logs logBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	pn := startProxy(t, nfsPort, proxy.Logger(log, nil))
	pm := startProxy(t, mountPort, proxy.Logger(log, nil))
	ctx := context.Background()
	direct := mount(t, "tcp", nfsPort, mountPort, nil)
	data := make([]byte, 300<<10)
	for i := range data {
		data[i] = byte(i * 7)
	}
	require.NoError(t, direct.WriteFile(ctx, "direct.bin", data, 0o644))
	for _, network := range []string{"tcp", "udp"} {
		t.Run(network, func(t *testing.T) {
			via := mount(t, network, portOf(pn.TCPAddr()), portOf(pm.TCPAddr()), nil)
			got, err := via.ReadFile(ctx, "direct.bin")
			require.NoError(t, err)
			require.Equal(t, data, got)

			name := "via-" + network + ".bin"
			require.NoError(t, via.WriteFile(ctx, name, data[:5000], 0o600))
			got, err = direct.ReadFile(ctx, name)
			require.NoError(t, err)
			require.Equal(t, data[:5000], got)

			a, err := direct.Stat(ctx, name)
			require.NoError(t, err)
			b, err := via.Stat(ctx, name)
			require.NoError(t, err)
			require.Equal(t, a.Size(), b.Size())
			require.Equal(t, a.Mode(), b.Mode())
			require.Equal(t, a.ModTime(), b.ModTime())

			da, err := direct.ReadDir(ctx, ".")
			require.NoError(t, err)
			db, err := via.ReadDir(ctx, ".")
			require.NoError(t, err)
			require.Equal(t, entryNames(da), entryNames(db))
		})
	}
	// An NFSv4.1 session reads the same handle and bytes either way.
	fhDirect, dataDirect := v4Read(t, net.JoinHostPort("127.0.0.1", itoa(nfsPort)), []string{"direct.bin"}, 64<<10)
	fhVia, dataVia := v4Read(t, pn.TCPAddr().String(), []string{"direct.bin"}, 64<<10)
	require.Equal(t, fhDirect, fhVia)
	require.Equal(t, data[:64<<10], dataDirect)
	require.Equal(t, dataDirect, dataVia)

	// Every call was logged as a JSON line with its names.
	var sawRead, sawMnt bool
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec struct {
			Prog, Proc, Reply, Status, Net, Client string
			Xid                                    uint32
			Cred                                   struct {
				Flavor string
				UID    *uint32
			}
			Latency int64
		}
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		require.NotEmpty(t, rec.Reply, line)
		require.NotZero(t, rec.Xid, line)
		require.Positive(t, rec.Latency, line)
		require.Contains(t, []string{"tcp", "udp"}, rec.Net, line)
		require.Contains(t, rec.Client, "127.0.0.1:", line)
		require.Equal(t, "AUTH_SYS", rec.Cred.Flavor, line)
		require.NotNil(t, rec.Cred.UID, line)
		if rec.Proc == "NFSPROC3_READ" {
			sawRead = true
			require.Equal(t, "NFS3_OK", rec.Status, line)
		}
		sawMnt = sawMnt || rec.Proc == "MOUNTPROC3_MNT"
	}
	require.True(t, sawRead)
	require.True(t, sawMnt)
}

func entryNames[E interface{ Name() string }](es []E) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestDroppedCallIsRetransmitted drops the first READ over UDP: the nfs3
// client sends it again and reads the file.
func TestDroppedCallIsRetransmitted(t *testing.T) {
	nfsPort, mountPort := startNFSD(t)
	drop := &proxy.Rule{Proc: "NFSPROC3_READ", Action: proxy.Drop, Count: 1}
	pn := startProxy(t, nfsPort, proxy.Faults(nil, drop))
	ctx := context.Background()
	direct := mount(t, "tcp", nfsPort, mountPort, nil)
	require.NoError(t, direct.WriteFile(ctx, "f", []byte("after a drop"), 0o644))
	via := mount(t, "udp", portOf(pn.UDPAddr()), mountPort, &rpc.ClientOptions{Retransmit: 100 * time.Millisecond})
	got, err := via.ReadFile(ctx, "f")
	require.NoError(t, err)
	require.Equal(t, "after a drop", string(got))
	require.Equal(t, int64(1), drop.Hits())
}

// TestInjectedStatusIsRetried answers GETATTR twice with NFS3ERR_JUKEBOX:
// the nfs3 client waits and asks again until the server answers.
func TestInjectedStatusIsRetried(t *testing.T) {
	nfsPort, mountPort := startNFSD(t)
	jukebox := &proxy.Rule{Prog: nfs3.NFS_PROGRAM, Proc: "NFSPROC3_GETATTR", Action: proxy.Status,
		Status: int32(nfs3.NFS3ERR_JUKEBOX), Count: 2}
	pn := startProxy(t, nfsPort, proxy.Faults(nil, jukebox))
	ctx := context.Background()
	via := mount(t, "tcp", portOf(pn.TCPAddr()), mountPort, nil)
	fi, err := via.Stat(ctx, ".")
	require.NoError(t, err)
	require.True(t, fi.IsDir())
	require.Equal(t, int64(2), jukebox.Hits())
}
