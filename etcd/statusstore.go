package etcd

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/nfskit/nfskit/nsm"
)

// DefaultStatusTimeout bounds each request of a StatusStore's Load and
// Save, which take no context.
const DefaultStatusTimeout = 10 * time.Second

// StatusStore is an nsm.Store of one address in etcd: the status
// monitor's state number and monitor list in one key, written only while
// the address is the node's (else ErrFenced). Load and Save, which
// nsm.Store gives no context, are bounded by Timeout; LoadContext and
// SaveContext take one.
type StatusStore struct {
	a *Address
	// Timeout bounds Load and Save (default DefaultStatusTimeout).
	Timeout time.Duration
}

var _ nsm.Store = (*StatusStore)(nil)

// StatusStore returns the address's status monitor store.
func (a *Address) StatusStore() *StatusStore { return &StatusStore{a: a} }

func (s *StatusStore) key() string { return s.a.node.prefix + "nsm/" + s.a.addr }

func (s *StatusStore) timeout() (context.Context, context.CancelFunc) {
	d := s.Timeout
	if d <= 0 {
		d = DefaultStatusTimeout
	}
	return context.WithTimeout(context.Background(), d)
}

// Load returns what was last saved, or an empty snapshot.
func (s *StatusStore) Load() (*nsm.Snapshot, error) {
	ctx, cancel := s.timeout()
	defer cancel()
	return s.LoadContext(ctx)
}

// Save replaces what is stored with snap.
func (s *StatusStore) Save(snap *nsm.Snapshot) error {
	ctx, cancel := s.timeout()
	defer cancel()
	return s.SaveContext(ctx, snap)
}

// LoadContext is Load with a context.
func (s *StatusStore) LoadContext(ctx context.Context) (*nsm.Snapshot, error) {
	resp, err := s.a.node.cli.Get(ctx, s.key())
	if err != nil {
		return nil, requestError(ctx, "load", s.key(), err)
	}
	snap := &nsm.Snapshot{}
	if len(resp.Kvs) > 0 {
		if err := json.Unmarshal(resp.Kvs[0].Value, snap); err != nil {
			return nil, &Error{Op: "decode", Key: s.key(), Err: err}
		}
	}
	return snap, nil
}

// SaveContext is Save with a context.
func (s *StatusStore) SaveContext(ctx context.Context, snap *nsm.Snapshot) error {
	b, err := json.Marshal(snap)
	if err != nil {
		return &Error{Op: "save", Key: s.key(), Err: err}
	}
	_, err = s.a.write(ctx, "save", nil, clientv3.OpPut(s.key(), string(b)))
	if errors.Is(err, errCompare) {
		err = ErrFenced // no comparison but the fence
	}
	return err
}
