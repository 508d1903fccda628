package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/nfskit/nfskit/etcd"
	"github.com/nfskit/nfskit/nfsd"
)

// clusterFlags are the flags the cluster node adds to nfsd's.
type clusterFlags struct {
	endpoints string
	node      string
	cluster   string
	ttl       time.Duration
}

// define defines the flags on fs; host is the default node name.
func (f *clusterFlags) define(fs *flag.FlagSet, host string) {
	fs.StringVar(&f.endpoints, "etcd", "", "etcd client endpoints, separated by commas (required)")
	fs.StringVar(&f.node, "node", host, "this node's name in the cluster")
	fs.StringVar(&f.cluster, "cluster", "nfskit", "the cluster's name: its keys are under /nfskit/NAME/")
	fs.DurationVar(&f.ttl, "etcd-ttl", etcd.DefaultTTL, "the node's session lease: how long after it dies its address can be taken over")
}

// configure joins the cluster as the node of the flags, claims srv's
// address and sets srv up to keep its state there; cleanup leaves the
// cluster.
func (f *clusterFlags) configure(ctx context.Context, srv *nfsd.Server, logger *slog.Logger) (cleanup func(), err error) {
	switch {
	case f.endpoints == "":
		return nil, errors.New("-etcd is required: etcd's client endpoints")
	case srv.StatusStore != nil || srv.NFSv4Store != nil:
		return nil, errors.New("-state-dir cannot be combined with -etcd: the state is kept in etcd")
	case len(srv.ExtraAddrs) > 0 || srv.Addr == "":
		return nil, fmt.Errorf("-addr %q: a cluster node serves one address; run one process for each", strings.Join(append([]string{srv.Addr}, srv.ExtraAddrs...), ","))
	}
	var endpoints []string
	for _, e := range strings.Split(f.endpoints, ",") {
		endpoints = append(endpoints, strings.TrimSpace(e))
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return nil, fmt.Errorf("-etcd %s: %w", f.endpoints, err)
	}
	n, err := etcd.NewNode(ctx, cli, f.cluster, f.node, &etcd.NodeOptions{TTL: f.ttl, Logger: logger})
	if err != nil {
		cli.Close()
		return nil, fmt.Errorf("-etcd %s: %w", f.endpoints, err)
	}
	leave := func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := n.Close(cctx); err != nil {
			logger.Warn("leaving the cluster", "err", err)
		}
		cli.Close()
	}
	a, err := n.Claim(ctx, srv.Addr)
	if err != nil {
		leave()
		return nil, fmt.Errorf("-addr %s: %w", srv.Addr, err)
	}
	a.Configure(srv)
	logger.Info("cluster node", "cluster", f.cluster, "node", f.node, "addr", srv.Addr, "etcd", f.endpoints)
	return leave, nil
}
