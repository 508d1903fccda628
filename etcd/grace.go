package etcd

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/nfskit/nfskit/nfs4/recovery"
)

// graceState is the value of the cluster's grace key.
type graceState struct {
	// Epoch counts the cluster's grace periods.
	Epoch   uint64 `json:"epoch"`
	InGrace bool   `json:"in_grace"`
	// Deadline is when any live node may lift the grace period though
	// some server still needs it.
	Deadline time.Time `json:"deadline"`
	// By is the node that last changed the state.
	By string `json:"by"`
}

var _ recovery.GraceCoordinator = (*Address)(nil)

func (n *Node) graceKey() string { return n.prefix + "grace" }

func (n *Node) needPrefix() string { return n.prefix + "need/" }

func (a *Address) needKey() string { return a.node.needPrefix() + a.addr }

// loadGrace returns the cluster's grace state and the grace key's
// ModRevision (0 when absent).
func (n *Node) loadGrace(ctx context.Context) (graceState, int64, error) {
	resp, err := n.cli.Get(ctx, n.graceKey())
	if err != nil {
		return graceState{}, 0, requestError(ctx, "load grace", n.graceKey(), err)
	}
	var st graceState
	if len(resp.Kvs) == 0 {
		return st, 0, nil
	}
	if err := json.Unmarshal(resp.Kvs[0].Value, &st); err != nil {
		return graceState{}, 0, &Error{Op: "decode", Key: n.graceKey(), Err: err}
	}
	return st, resp.Kvs[0].ModRevision, nil
}

// Start puts the cluster in grace for this address (a new cluster
// grace period, or the one on, with its deadline moved to one lease from
// now if that is later) and marks the address as needing it, in one
// transaction, then drives g from the cluster's events until stop: g
// joins every cluster grace period and is lifted with it. It implements
// recovery.GraceCoordinator.
func (a *Address) Start(ctx context.Context, g *recovery.Grace) (stop func(), err error) {
	n := a.node
	var rev int64
	for {
		st, grev, err := n.loadGrace(ctx)
		if err != nil {
			return nil, err
		}
		if !st.InGrace {
			st.Epoch++
			st.InGrace = true
		}
		if d := n.opts.Now().Add(n.opts.Lease); d.After(st.Deadline) {
			st.Deadline = d
		}
		st.By = n.name
		b, err := json.Marshal(st)
		if err != nil {
			return nil, &Error{Op: "start grace", Key: n.graceKey(), Err: err}
		}
		rev, err = a.write(ctx, "start grace", []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(n.graceKey()), "=", grev)},
			clientv3.OpPut(n.graceKey(), string(b)), clientv3.OpPut(a.needKey(), n.name))
		if err == nil {
			n.opts.Logger.Info("etcd: cluster grace period", "node", n.name, "addr", a.addr, "epoch", st.Epoch, "deadline", st.Deadline)
			break
		}
		if !errors.Is(err, errCompare) {
			return nil, err
		}
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.follow(wctx, g, rev)
	}()
	return func() { cancel(); <-done }, nil
}

// Reclaimed marks that the address needs the grace period no more; the
// need key goes in the background. It implements
// recovery.GraceCoordinator.
func (a *Address) Reclaimed() {
	select {
	case a.reclaimed <- struct{}{}:
	default:
	}
}

// retryDelay is how long follow waits before it tries a failed request
// again.
const retryDelay = 200 * time.Millisecond

// follow drives g from the cluster's grace key and need keys, watched
// from revision rev on, until ctx ends: it joins g to each grace period,
// lifts g when the cluster lifts, removes the address's need key once
// Reclaimed, and lifts the cluster's grace period when no need key is
// left or its deadline passed. If the node's lease is lost, it puts g in
// grace for good: a fenced node grants no new state.
func (a *Address) follow(ctx context.Context, g *recovery.Grace, rev int64) {
	n := a.node
	log := n.opts.Logger.With("node", n.name, "addr", a.addr)
	deadline := time.NewTimer(time.Hour)
	deadline.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	needReclaimed := false // a Reclaimed token is taken but the need key not yet removed
	for ctx.Err() == nil {
		// Catch up: act on the state at rev, then watch from there.
		st, grev, err := n.loadGrace(ctx)
		if err == nil {
			a.apply(g, st, deadline)
			if grev > rev {
				rev = grev
			}
		}
		wch := n.cli.Watch(clientv3.WithRequireLeader(ctx), n.prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1))
		for watching := true; watching; {
			select {
			case <-ctx.Done():
				return
			case <-n.lost:
				// Fenced: another node may take the address over. Grant
				// no new state from now on; only a restart lifts it.
				g.Join()
				log.Error("etcd: the node's lease is lost: in grace until restarted")
				return
			case resp, ok := <-wch:
				if !ok || resp.Err() != nil {
					watching = false
					break
				}
				rev = resp.Header.Revision
				lift := false
				for _, ev := range resp.Events {
					key := string(ev.Kv.Key)
					switch {
					case key == n.graceKey() && ev.Type == clientv3.EventTypePut:
						var st graceState
						if json.Unmarshal(ev.Kv.Value, &st) == nil {
							a.apply(g, st, deadline)
						}
					case len(key) > len(n.needPrefix()) && key[:len(n.needPrefix())] == n.needPrefix() && ev.Type == clientv3.EventTypeDelete:
						lift = true
					}
				}
				if lift {
					a.tryLift(ctx, false, log)
				}
			case <-a.reclaimed:
				needReclaimed = true
				retry.Reset(0)
			case <-retry.C:
				if needReclaimed {
					if _, err := a.write(ctx, "reclaimed", nil, clientv3.OpDelete(a.needKey())); err != nil && ctx.Err() == nil {
						log.Warn("etcd: removing the need key", "err", err)
						retry.Reset(retryDelay)
						break
					}
					needReclaimed = false
					a.tryLift(ctx, false, log)
				}
			case <-deadline.C:
				a.tryLift(ctx, true, log)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(retryDelay):
		}
	}
}

// apply joins g to the cluster's grace period or lifts it, and sets the
// deadline timer.
func (a *Address) apply(g *recovery.Grace, st graceState, deadline *time.Timer) {
	if !st.InGrace {
		deadline.Stop()
		g.Lift()
		return
	}
	g.Join()
	deadline.Reset(max(st.Deadline.Sub(a.node.opts.Now()), 0))
}

// tryLift lifts the cluster's grace period if no address needs it any
// more or, with overdue, if its deadline has passed; the need keys of
// servers that did not finish go with it. The transaction is
// conditioned on the grace key's revision and on the node being alive,
// so one node lifts each grace period and a dead one none.
func (a *Address) tryLift(ctx context.Context, overdue bool, log interface{ Warn(string, ...any) }) {
	n := a.node
	st, grev, err := n.loadGrace(ctx)
	if err != nil || !st.InGrace {
		return
	}
	if overdue && n.opts.Now().Before(st.Deadline) {
		return
	}
	st.InGrace, st.By = false, n.name
	b, err := json.Marshal(st)
	if err != nil {
		return
	}
	cmps := []clientv3.Cmp{
		clientv3.Compare(clientv3.ModRevision(n.graceKey()), "=", grev),
		clientv3.Compare(clientv3.CreateRevision(n.prefix+"alive/"+n.name), "=", n.aliveRev),
	}
	if !overdue {
		cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(n.needPrefix()), "=", 0).WithPrefix())
	}
	resp, err := n.cli.Txn(ctx).If(cmps...).
		Then(clientv3.OpPut(n.graceKey(), string(b)), clientv3.OpDelete(n.needPrefix(), clientv3.WithPrefix())).Commit()
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("etcd: lifting the cluster grace period", "err", err)
		}
		return
	}
	if resp.Succeeded {
		n.opts.Logger.Info("etcd: cluster grace period lifted", "node", n.name, "epoch", st.Epoch, "overdue", overdue)
	}
}
