package etcd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// DefaultTTL is the default time-to-live of a node's session lease: how
// long after a node dies its addresses can be taken over.
const DefaultTTL = 10 * time.Second

// DefaultLease is the default NFSv4 lease time, the longest a cluster
// grace period lasts.
const DefaultLease = 90 * time.Second

// NodeOptions configure a Node; nil or zero fields take defaults.
type NodeOptions struct {
	// TTL is the session lease's time-to-live, whole seconds (default
	// DefaultTTL).
	TTL time.Duration
	// Lease is the NFSv4 lease time: a cluster grace period is lifted at
	// the latest this long after it began or after the last server
	// joined it (default DefaultLease).
	Lease time.Duration
	// Logger receives the node's logs; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Node is one server process of a cluster: a name, unique in the
// cluster while the node lives, and an etcd session lease that keeps
// its alive key and the keys of the addresses it claimed.
type Node struct {
	cli      *clientv3.Client
	prefix   string // "/nfskit/CLUSTER/"
	name     string
	lease    clientv3.LeaseID
	aliveRev int64 // CreateRevision of alive/NAME
	opts     NodeOptions
	cancel   context.CancelFunc
	lost     chan struct{} // closed when the session lease is gone

	mu     sync.Mutex
	closed bool
}

// NewNode joins cluster as node name: it takes a session lease and puts
// the node's alive key on it, or returns an *InUseError if a live node
// has that name. The node keeps the lease alive until Close; cli must
// stay open until then.
func NewNode(ctx context.Context, cli *clientv3.Client, cluster, name string, opts *NodeOptions) (*Node, error) {
	if err := checkName("cluster", cluster); err != nil {
		return nil, err
	}
	if err := checkName("node", name); err != nil {
		return nil, err
	}
	n := &Node{cli: cli, prefix: "/nfskit/" + cluster + "/", name: name, lost: make(chan struct{})}
	if opts != nil {
		n.opts = *opts
	}
	if n.opts.TTL <= 0 {
		n.opts.TTL = DefaultTTL
	}
	if n.opts.Lease <= 0 {
		n.opts.Lease = DefaultLease
	}
	if n.opts.Logger == nil {
		n.opts.Logger = slog.Default()
	}
	if n.opts.Now == nil {
		n.opts.Now = time.Now
	}
	ttl := int64((n.opts.TTL + time.Second - 1) / time.Second)
	g, err := cli.Grant(ctx, ttl)
	if err != nil {
		return nil, &Error{Op: "grant a lease", Key: name, Err: err}
	}
	n.lease = g.ID
	key := n.prefix + "alive/" + name
	resp, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, name, clientv3.WithLease(g.ID))).Else(clientv3.OpGet(key)).Commit()
	if err == nil && !resp.Succeeded {
		err = &InUseError{What: "node", Name: name, Holder: name}
	}
	if err != nil {
		cli.Revoke(context.WithoutCancel(ctx), g.ID)
		var inUse *InUseError
		if errors.As(err, &inUse) {
			return nil, err
		}
		return nil, &Error{Op: "join", Key: key, Err: err}
	}
	n.aliveRev = resp.Header.Revision
	kctx, cancel := context.WithCancel(context.Background())
	keep, err := cli.KeepAlive(kctx, g.ID)
	if err != nil {
		cancel()
		cli.Revoke(context.WithoutCancel(ctx), g.ID)
		return nil, &Error{Op: "keep the lease alive", Key: key, Err: err}
	}
	n.cancel = cancel
	go func() {
		for range keep {
		}
		close(n.lost)
		if kctx.Err() == nil {
			n.opts.Logger.Error("etcd: the node's session lease is lost: it owns no address any more", "node", name)
		}
	}()
	return n, nil
}

// checkName refuses an empty name or one with a slash, which would mix
// keys up.
func checkName(what, name string) error {
	if name == "" || strings.ContainsAny(name, "/\x00") {
		return fmt.Errorf("etcd: bad %s name %q: it must be non-empty, without '/'", what, name)
	}
	return nil
}

// Name returns the node's name.
func (n *Node) Name() string { return n.name }

// Lost returns a channel closed once the node's session lease is gone:
// after Close, or when etcd could not be reached for longer than the
// TTL. A node whose lease is lost owns no address any more.
func (n *Node) Lost() <-chan struct{} { return n.lost }

// Close revokes the node's lease: its alive key and address claims go
// at once, so others may take its addresses over. Records and grace
// state stay.
func (n *Node) Close(ctx context.Context) error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	n.mu.Unlock()
	n.cancel()
	<-n.lost
	if _, err := n.cli.Revoke(ctx, n.lease); err != nil {
		return &Error{Op: "revoke the lease", Key: n.name, Err: err}
	}
	return nil
}

// Claim makes n the owner of addr, the IP address a server listens on
// (its restart or a takeover of the address), or returns an
// *InUseError if a live node owns it. The claim lasts as long as n's
// lease, or until Address.Release.
func (n *Node) Claim(ctx context.Context, addr string) (*Address, error) {
	if err := checkName("address", addr); err != nil {
		return nil, err
	}
	n.mu.Lock()
	closed := n.closed
	n.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	key := n.prefix + "owner/" + addr
	resp, err := n.cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, n.name, clientv3.WithLease(n.lease))).Else(clientv3.OpGet(key)).Commit()
	if err != nil {
		return nil, &Error{Op: "claim", Key: key, Err: err}
	}
	if !resp.Succeeded {
		holder := ""
		if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
			holder = string(kvs[0].Value)
		}
		return nil, &InUseError{What: "address", Name: addr, Holder: holder}
	}
	a := &Address{node: n, addr: addr, ownerKey: key, ownerRev: resp.Header.Revision,
		dir: n.prefix + "addr/" + addr + "/", reclaimed: make(chan struct{}, 1)}
	return a, nil
}
