package etcd_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/nfskit/nfskit/etcd"
	"github.com/nfskit/nfskit/etcd/internal/etcdtest"
	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/nfs4/recovery/recoverytest"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/nsm/nsmtest"
)

// clusters names a new cluster for each use, so the tests of one etcd
// server do not share keys.
var clusters atomic.Int64

func newCluster() string { return fmt.Sprintf("c%d", clusters.Add(1)) }

// newNode joins cluster as name until the test ends.
func newNode(t *testing.T, cli *clientv3.Client, cluster, name string, opts *etcd.NodeOptions) *etcd.Node {
	t.Helper()
	n, err := etcd.NewNode(t.Context(), cli, cluster, name, opts)
	require.NoError(t, err)
	t.Cleanup(func() { n.Close(context.Background()) })
	return n
}

// claim claims addr for n.
func claim(t *testing.T, n *etcd.Node, addr string) *etcd.Address {
	t.Helper()
	a, err := n.Claim(t.Context(), addr)
	require.NoError(t, err)
	return a
}

func TestRecoveryStoreConformance(t *testing.T) {
	cli := etcdtest.Start(t).Client()
	recoverytest.Run(t, func(t *testing.T) func() recovery.RecoveryStore {
		a := claim(t, newNode(t, cli, newCluster(), "n1", nil), "127.0.0.1")
		return func() recovery.RecoveryStore { return a.RecoveryStore() }
	})
}

func TestStatusStoreConformance(t *testing.T) {
	cli := etcdtest.Start(t).Client()
	nsmtest.Run(t, func(t *testing.T) func() nsm.Store {
		a := claim(t, newNode(t, cli, newCluster(), "n1", nil), "127.0.0.1")
		return func() nsm.Store { return a.StatusStore() }
	})
}

// TestFencing: a node whose address was taken over, or whose lease is
// gone, writes nothing for it: ErrFenced, and the records stay as the
// new owner wrote them.
func TestFencing(t *testing.T) {
	ctx := t.Context()
	cli := etcdtest.Start(t).Client()
	cluster := newCluster()
	n1 := newNode(t, cli, cluster, "n1", nil)
	a1 := claim(t, n1, "127.0.0.1")
	st1 := a1.RecoveryStore()
	v, err := st1.Add(ctx, 0, recovery.Record{Owner: []byte("a")})
	require.NoError(t, err)

	n2 := newNode(t, cli, cluster, "n2", nil)
	_, err = n2.Claim(ctx, "127.0.0.1")
	var inUse *etcd.InUseError
	require.ErrorAs(t, err, &inUse)
	require.Equal(t, &etcd.InUseError{What: "address", Name: "127.0.0.1", Holder: "n1"}, inUse)
	_, err = etcd.NewNode(ctx, cli, cluster, "n1", nil)
	require.ErrorAs(t, err, &inUse, "a live node's name")

	require.NoError(t, n1.Close(ctx))
	select {
	case <-n1.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("the closed node's lease is not lost")
	}
	_, err = n1.Claim(ctx, "127.0.0.2")
	require.ErrorIs(t, err, etcd.ErrClosed)
	a2 := claim(t, n2, "127.0.0.1")
	snap, err := a2.RecoveryStore().Load(ctx)
	require.NoError(t, err)
	require.Len(t, snap.Current, 1, "the record outlives its node")

	for name, write := range map[string]func() error{
		"add":       func() error { _, err := st1.Add(ctx, v, recovery.Record{Owner: []byte("b")}); return err },
		"remove":    func() error { _, err := st1.Remove(ctx, v, []byte("a")); return err },
		"end grace": func() error { _, err := st1.EndGrace(ctx, v); return err },
		"nsm save":  func() error { return a1.StatusStore().SaveContext(ctx, &nsm.Snapshot{State: 3}) },
		"release":   func() error { return a1.Release(ctx) },
	} {
		require.ErrorIs(t, write(), etcd.ErrFenced, name)
	}
	snap, err = a2.RecoveryStore().Load(ctx)
	require.NoError(t, err)
	require.Equal(t, []byte("a"), snap.Current[0].Owner)
	require.NoError(t, a2.Release(ctx))
	claim(t, n2, "127.0.0.1")
}

// TestBadValues: a value in etcd that does not decode is an *etcd.Error,
// not a panic nor an empty store.
func TestBadValues(t *testing.T) {
	ctx := t.Context()
	cli := etcdtest.Start(t).Client()
	cluster := newCluster()
	a := claim(t, newNode(t, cli, cluster, "n1", nil), "127.0.0.1")
	for _, kv := range [][2]string{
		{"addr/127.0.0.1/meta", "{"},
		{"addr/127.0.0.1/client/0000000000000000/61", `{"owner":"Yg=="}`},
		{"addr/127.0.0.1/client/zz/61", `{"owner":"YQ=="}`},
		{"nsm/127.0.0.1", "[]"},
	} {
		t.Run(kv[0], func(t *testing.T) {
			key := "/nfskit/" + cluster + "/" + kv[0]
			_, err := cli.Put(ctx, key, kv[1])
			require.NoError(t, err)
			defer cli.Delete(ctx, key)
			_, err = a.RecoveryStore().Load(ctx)
			if kv[0] == "nsm/127.0.0.1" {
				_, err = a.StatusStore().Load()
			}
			var e *etcd.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, "decode", e.Op)
			require.Equal(t, key, e.Key)
		})
	}
	_, err := etcd.NewNode(ctx, cli, "a/b", "n", nil)
	require.Error(t, err)
	_, err = etcd.NewNode(ctx, cli, cluster, "", nil)
	require.Error(t, err)
	require.False(t, errors.Is(err, etcd.ErrFenced))
}
