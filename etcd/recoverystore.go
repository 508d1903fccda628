package etcd

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/nfskit/nfskit/nfs4/recovery"
)

// RecoveryStore is a recovery.RecoveryStore of one address in etcd: one
// key per client record and epoch, and a meta key whose ModRevision is
// the store's version. Every write is one transaction conditioned on
// that revision and on the address being the node's (else ErrFenced).
type RecoveryStore struct{ a *Address }

var _ recovery.RecoveryStore = (*RecoveryStore)(nil)

// RecoveryStore returns the address's NFSv4 recovery store.
func (a *Address) RecoveryStore() *RecoveryStore { return &RecoveryStore{a: a} }

// meta is the value of the meta key.
type meta struct {
	// Epoch is the current epoch: its records are the current ones.
	Epoch   uint64 `json:"epoch"`
	InGrace bool   `json:"in_grace"`
	// Reclaim are the epochs whose records may reclaim.
	Reclaim []uint64 `json:"reclaim,omitempty"`
}

// record is the value of a client key.
type record struct {
	Owner     []byte    `json:"owner"`
	Principal string    `json:"principal"`
	Time      time.Time `json:"time"`
}

func (s *RecoveryStore) metaKey() string { return s.a.dir + "meta" }

func (s *RecoveryStore) clientsKey() string { return s.a.dir + "client/" }

// epochKey is the prefix of epoch e's records, which sort by epoch.
func (s *RecoveryStore) epochKey(e uint64) string { return fmt.Sprintf("%s%016x/", s.clientsKey(), e) }

func (s *RecoveryStore) recordKey(e uint64, owner []byte) string {
	return s.epochKey(e) + hex.EncodeToString(owner)
}

// Load returns the address's records at one revision.
func (s *RecoveryStore) Load(ctx context.Context) (recovery.Snapshot, error) {
	return s.load(ctx, 0)
}

// load loads at revision rev (0: the latest).
func (s *RecoveryStore) load(ctx context.Context, rev int64) (recovery.Snapshot, error) {
	opts := []clientv3.OpOption{clientv3.WithPrefix()}
	if rev > 0 {
		opts = append(opts, clientv3.WithRev(rev))
	}
	resp, err := s.a.node.cli.Get(ctx, s.a.dir, opts...)
	if err != nil {
		return recovery.Snapshot{}, requestError(ctx, "load", s.a.dir, err)
	}
	var m meta
	var snap recovery.Snapshot
	byEpoch := map[uint64][]recovery.Record{}
	for _, kv := range resp.Kvs {
		key := string(kv.Key)
		switch {
		case key == s.metaKey():
			if err := json.Unmarshal(kv.Value, &m); err != nil {
				return recovery.Snapshot{}, &Error{Op: "decode", Key: key, Err: err}
			}
			snap.Version = uint64(kv.ModRevision)
		case strings.HasPrefix(key, s.clientsKey()):
			epoch, r, err := decodeRecord(strings.TrimPrefix(key, s.clientsKey()), kv.Value)
			if err != nil {
				return recovery.Snapshot{}, &Error{Op: "decode", Key: key, Err: err}
			}
			byEpoch[epoch] = append(byEpoch[epoch], r)
		}
	}
	snap.Epoch, snap.InGrace, snap.Current = m.Epoch, m.InGrace, byEpoch[m.Epoch]
	for _, e := range m.Reclaim {
		for _, r := range byEpoch[e] {
			if !snap.MayReclaim(r.Owner) {
				snap.Reclaim = append(snap.Reclaim, r)
			}
		}
	}
	return snap, nil
}

// decodeRecord decodes a client key, less the clients' prefix
// ("EPOCH/OWNER", both in hex), and its value.
func decodeRecord(key string, value []byte) (epoch uint64, _ recovery.Record, err error) {
	e, owner, ok := strings.Cut(key, "/")
	if !ok {
		return 0, recovery.Record{}, errors.New("no owner in the key")
	}
	if epoch, err = strconv.ParseUint(e, 16, 64); err != nil {
		return 0, recovery.Record{}, err
	}
	var r record
	if err := json.Unmarshal(value, &r); err != nil {
		return 0, recovery.Record{}, err
	}
	if hex.EncodeToString(r.Owner) != owner {
		return 0, recovery.Record{}, errors.New("the record's owner is not the key's")
	}
	return epoch, recovery.Record{Owner: r.Owner, Principal: r.Principal, Time: r.Time}, nil
}

// loadMeta returns the meta key's value and revision (0 when absent).
func (s *RecoveryStore) loadMeta(ctx context.Context, op string) (meta, uint64, error) {
	resp, err := s.a.node.cli.Get(ctx, s.metaKey())
	if err != nil {
		return meta{}, 0, requestError(ctx, op, s.metaKey(), err)
	}
	var m meta
	if len(resp.Kvs) == 0 {
		return m, 0, nil
	}
	if err := json.Unmarshal(resp.Kvs[0].Value, &m); err != nil {
		return meta{}, 0, &Error{Op: "decode", Key: s.metaKey(), Err: err}
	}
	return m, uint64(resp.Kvs[0].ModRevision), nil
}

// update writes next as the meta, with ops, if the store is at version
// expect: the meta is rewritten on every write, so its ModRevision is
// the new version.
func (s *RecoveryStore) update(ctx context.Context, op string, expect uint64, next meta, ops ...clientv3.Op) (uint64, error) {
	b, err := json.Marshal(next)
	if err != nil {
		return 0, &Error{Op: op, Key: s.metaKey(), Err: err}
	}
	rev, err := s.a.write(ctx, op, []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(s.metaKey()), "=", int64(expect))},
		append([]clientv3.Op{clientv3.OpPut(s.metaKey(), string(b))}, ops...)...)
	if errors.Is(err, errCompare) {
		return 0, recovery.ErrConflict
	}
	return uint64(rev), err
}

// at loads the meta and checks it is at version expect.
func (s *RecoveryStore) at(ctx context.Context, op string, expect uint64) (meta, error) {
	m, v, err := s.loadMeta(ctx, op)
	if err == nil && v != expect {
		err = recovery.ErrConflict
	}
	return m, err
}

// StartGrace begins a new epoch (see recovery.RecoveryStore): the
// records of the current epoch, and of the epochs that could reclaim if
// the last grace period never ended, may reclaim.
func (s *RecoveryStore) StartGrace(ctx context.Context, expect uint64) (recovery.Snapshot, error) {
	m, err := s.at(ctx, "start grace", expect)
	if err != nil {
		return recovery.Snapshot{}, err
	}
	next := meta{Epoch: m.Epoch + 1, InGrace: true, Reclaim: []uint64{m.Epoch}}
	if m.InGrace {
		next.Reclaim = append(m.Reclaim, m.Epoch)
	}
	v, err := s.update(ctx, "start grace", expect, next)
	if err != nil {
		return recovery.Snapshot{}, err
	}
	return s.load(ctx, int64(v))
}

// Add records r in the current epoch (see recovery.RecoveryStore).
func (s *RecoveryStore) Add(ctx context.Context, expect uint64, r recovery.Record) (uint64, error) {
	m, err := s.at(ctx, "add", expect)
	if err != nil {
		return 0, err
	}
	b, err := json.Marshal(record{Owner: bytes.Clone(r.Owner), Principal: r.Principal, Time: r.Time})
	if err != nil {
		return 0, &Error{Op: "add", Key: s.a.dir, Err: err}
	}
	return s.update(ctx, "add", expect, m, clientv3.OpPut(s.recordKey(m.Epoch, r.Owner), string(b)))
}

// Remove drops owner's record from the current epoch (see
// recovery.RecoveryStore).
func (s *RecoveryStore) Remove(ctx context.Context, expect uint64, owner []byte) (uint64, error) {
	m, err := s.at(ctx, "remove", expect)
	if err != nil {
		return 0, err
	}
	return s.update(ctx, "remove", expect, m, clientv3.OpDelete(s.recordKey(m.Epoch, owner)))
}

// EndGrace ends the grace period and deletes the records of every epoch
// before the current one, in one transaction (see
// recovery.RecoveryStore): what was not reclaimed is gone.
func (s *RecoveryStore) EndGrace(ctx context.Context, expect uint64) (uint64, error) {
	m, err := s.at(ctx, "end grace", expect)
	if err != nil {
		return 0, err
	}
	return s.update(ctx, "end grace", expect, meta{Epoch: m.Epoch},
		clientv3.OpDelete(s.clientsKey(), clientv3.WithRange(s.epochKey(m.Epoch))))
}
