package etcd

import (
	"context"
	"errors"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/nfskit/nfskit/nfsd"
)

// errCompare is what write returns when the caller's comparisons failed
// while the address was still the node's.
var errCompare = errors.New("etcd: comparison failed")

// Address is an address a Node claimed: the stores and the grace
// coordinator of the nfsd.Server that serves it. It is safe for
// concurrent use.
type Address struct {
	node     *Node
	addr     string
	ownerKey string
	ownerRev int64  // CreateRevision of ownerKey: our claim
	dir      string // "/nfskit/CLUSTER/addr/ADDR/"

	// reclaimed holds a token once Reclaimed was called and the need
	// key not yet removed.
	reclaimed chan struct{}
}

// Addr returns the address.
func (a *Address) Addr() string { return a.addr }

// Configure sets s up to serve the address with the cluster: it sets
// s.Addr, s.NFSv4Store, s.StatusStore and s.GraceCoordinator.
func (a *Address) Configure(s *nfsd.Server) {
	s.Addr = a.addr
	s.NFSv4Store = a.RecoveryStore()
	s.StatusStore = a.StatusStore()
	s.GraceCoordinator = a
}

// Release gives the address up: another node may claim it. Its records
// stay, for the node that takes it over.
func (a *Address) Release(ctx context.Context) error {
	_, err := a.write(ctx, "release", nil, clientv3.OpDelete(a.ownerKey))
	return err
}

// fence is the comparison every write for the address makes: the
// address's key is still the one this node's claim created.
func (a *Address) fence() clientv3.Cmp {
	return clientv3.Compare(clientv3.CreateRevision(a.ownerKey), "=", a.ownerRev)
}

// write commits ops if the address is still the node's and cmps hold,
// and returns the revision of the write. It fails with ErrFenced when
// the address is no longer the node's, errCompare when cmps failed, or
// an *Error.
func (a *Address) write(ctx context.Context, op string, cmps []clientv3.Cmp, ops ...clientv3.Op) (int64, error) {
	resp, err := a.node.cli.Txn(ctx).If(append([]clientv3.Cmp{a.fence()}, cmps...)...).
		Then(ops...).Else(clientv3.OpGet(a.ownerKey)).Commit()
	if err != nil {
		return 0, requestError(ctx, op, a.dir, err)
	}
	if resp.Succeeded {
		return resp.Header.Revision, nil
	}
	kvs := resp.Responses[0].GetResponseRange().Kvs
	if len(kvs) == 0 || kvs[0].CreateRevision != a.ownerRev {
		return 0, ErrFenced
	}
	return 0, errCompare
}

// requestError wraps the failure of an etcd request; a request that
// failed because ctx ended says so with ctx's error.
func requestError(ctx context.Context, op, key string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		err = cerr
	}
	return &Error{Op: op, Key: key, Err: err}
}
