package nfs4

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/rpc"
)

// TestInteropServerTshark serves NFSv4 on port 2049 and sends it
// COMPOUNDs of every stateless operation family: tshark decodes every
// call and reply, malformed none, with the operations and statuses the
// server answered.
func TestInteropServerTshark(t *testing.T) {
	peers.Require(t, "tshark")
	e := newEnv(t, "/data", "/srv/www")
	mux := rpc.NewMux()
	e.srv.Register(mux)
	srv := &rpc.Server{Handler: mux}
	l, err := net.Listen("tcp", "127.0.0.1:2049")
	if err != nil {
		t.Skipf("port 2049 is taken: %v", err)
	}
	go srv.Serve(l)
	defer srv.Close()
	capture := peers.StartCapture(t, 2049)

	ctx := context.Background()
	auth, err := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: "tshark", Uid: 1000, Gid: 1000})
	require.NoError(t, err)
	rc, err := rpc.Dial(ctx, "tcp", l.Addr().String(), &rpc.ClientOptions{Auth: auth})
	require.NoError(t, err)
	defer rc.Close()
	client := NewV4Client(rc)
	compounds := []struct {
		ops    []NfsArgop4
		status Nfsstat4
	}{
		{[]NfsArgop4{putroot(), getfh(), getattr(FATTR4_TYPE, FATTR4_FSID, FATTR4_FILEID), readdir(0, Verifier4{}, 4096, FATTR4_TYPE, FATTR4_MOUNTED_ON_FILEID)}, NFS4_OK},
		{[]NfsArgop4{putroot(), lookup("data"), create(NF4DIR, "d", ""), getfh(), savefh(), lookupp(), access(accessBits)}, NFS4_OK},
		{[]NfsArgop4{putroot(), lookup("data"), create(NF4LNK, "l", "d"), NfsArgop4{Argop: OP_READLINK}}, NFS4_OK},
		{[]NfsArgop4{putroot(), lookup("data"), savefh(), rename("d", "e"), remove("e"), remove("l")}, NFS4_OK},
		{[]NfsArgop4{putroot(), lookup("srv"), lookup("www"), lookupp(), lookupp(), NfsArgop4{Argop: OP_SECINFO, Opsecinfo: &SECINFO4args{Name: Component4("srv")}}}, NFS4_OK},
		{[]NfsArgop4{putroot(), lookup("nope"), getfh()}, NFS4ERR_NOENT},
	}
	var want []peers.Exchange
	for i, c := range compounds {
		tag := "tshark-" + strconv.Itoa(i)
		res, err := client.Compound(ctx, &COMPOUND4args{Tag: Utf8strCs(tag), Argarray: c.ops})
		require.NoError(t, err)
		require.Equal(t, c.status, res.Status, tag)
		var ops []string
		for _, op := range c.ops {
			ops = append(ops, peers.Uint(int32(op.Argop)))
		}
		// The reply's statuses: the COMPOUND's, then each result's,
		// all NFS4_OK but the last.
		n := len(res.Resarray)
		stats := []string{peers.Uint(int32(c.status))}
		for j := 0; j < n; j++ {
			st := NFS4_OK
			if j == n-1 {
				st = c.status
			}
			stats = append(stats, peers.Uint(int32(st)))
		}
		want = append(want, peers.Exchange{Name: tag,
			Call:  peers.RPC(NFS4_PROGRAM, NFS_V4, NFSPROC4_COMPOUND, peers.Fields{"nfs.tag": tag, "nfs.opcode": strings.Join(ops, ",")}),
			Reply: peers.Fields{"nfs.tag": tag, "nfs.opcode": strings.Join(ops[:n], ","), "nfs.nfsstat4": strings.Join(stats, ",")},
		})
	}
	capture.Stop()
	capture.RequireClean(2 * len(compounds))
	capture.RequireExchanges(want)
}
