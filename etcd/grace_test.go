package etcd_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/nfskit/nfskit/etcd"
	"github.com/nfskit/nfskit/etcd/internal/etcdtest"
	"github.com/nfskit/nfskit/nfs4/recovery"
)

// TestClusterGraceDeadline: n1 restarts with a client that never
// reclaims, n2 joins its grace period; n1 dies. The cluster's grace
// period is lifted at its deadline, by n2: n1's lift fails, its alive
// key being gone, and n1's need key goes with the lift. n1, fenced,
// stays in grace.
func TestClusterGraceDeadline(t *testing.T) {
	ctx := t.Context()
	cli := etcdtest.Start(t).Client()
	cluster := newCluster()
	const lease = time.Second
	opts := &etcd.NodeOptions{Lease: lease}
	n1 := newNode(t, cli, cluster, "n1", opts)
	n2 := newNode(t, cli, cluster, "n2", opts)
	start := func(a *etcd.Address, may ...recovery.Record) *recovery.Grace {
		g := recovery.NewGrace(time.Now, time.Hour, nil)
		g.Coordinate(a)
		g.Start(may)
		stop, err := a.Start(ctx, g)
		require.NoError(t, err)
		t.Cleanup(stop)
		return g
	}
	g2 := start(claim(t, n2, "127.0.0.2"))
	require.Eventually(t, func() bool { return !g2.InGrace() }, testWait, time.Millisecond, "nothing to reclaim")

	began := time.Now()
	g1 := start(claim(t, n1, "127.0.0.1"), recovery.Record{Owner: []byte("never")})
	require.Eventually(t, g2.InGrace, testWait, time.Millisecond, "n2 joins n1's grace period")
	require.True(t, g1.InGrace())
	require.NoError(t, n1.Close(ctx))
	require.Eventually(t, func() bool { return !g2.InGrace() }, testWait, time.Millisecond, "lifted at the deadline")
	require.GreaterOrEqual(t, time.Since(began), lease)

	resp, err := cli.Get(ctx, "/nfskit/"+cluster+"/grace")
	require.NoError(t, err)
	var st struct {
		InGrace bool   `json:"in_grace"`
		By      string `json:"by"`
	}
	require.NoError(t, json.Unmarshal(resp.Kvs[0].Value, &st))
	require.False(t, st.InGrace)
	require.Equal(t, "n2", st.By, "a dead node lifts nothing")
	require.True(t, g1.InGrace(), "a node that lost its lease grants no new state")
	need, err := cli.Get(ctx, "/nfskit/"+cluster+"/need/", clientv3.WithPrefix())
	require.NoError(t, err)
	require.Empty(t, need.Kvs)
}
