package nfs4

import (
	"context"
	"errors"
	"time"
)

// A COMPOUND the server answers NFS4ERR_DELAY or NFS4ERR_GRACE is sent
// again after a wait that starts here and doubles up to the maximum,
// for as long as the caller's context lasts.
const (
	retryFirstWait = 10 * time.Millisecond
	retryMaxWait   = time.Second
	// maxRecoveries bounds the recoveries one request goes through.
	maxRecoveries = 3
)

// request is one COMPOUND of the Client, as exec sends it.
type request struct {
	// build makes the COMPOUND; it is called again for each retry, so
	// that a retry after a recovery carries the new stateids. An error
	// (the file's state is lost, say) ends the request.
	build func() (*Compound, error)
	// seqids are the 4.0 owners whose sequence numbers the COMPOUND
	// uses; each moves on after the server's answer as RFC 7530 section
	// 9.1.7 says. Their callers hold them.
	seqids []*seqOwner
	// file is the File whose stateids the COMPOUND uses: state the
	// server says expired or revoked is lost for it.
	file *File
	// noGraceRetry returns NFS4ERR_GRACE to the caller instead of
	// waiting the grace period out.
	noGraceRetry bool
	// renew marks a lease renewal.
	renew bool
	// reclaim marks a reclaim inside a recovery, which holds the state
	// exclusively: it is sent as it is, and fails rather than recovers.
	reclaim bool
	// gen is the lease generation of the last send.
	gen uint64
}

// exec sends the request's COMPOUND and returns its results: an error
// is the transport's, an [*Error] of the operation that failed (with the
// results), or the file's lost state. It waits and sends again while the
// server answers NFS4ERR_DELAY or NFS4ERR_GRACE, and recovers the
// client's state and sends again when the server shows it restarted or
// forgot the client.
func (c *Client) exec(ctx context.Context, r *request) (*Results, error) {
	wait := retryFirstWait
	recoveries := 0
	for {
		res, gen, err := c.send(ctx, r)
		r.gen = gen
		if err != nil {
			return nil, err
		}
		switch st := res.Status; st {
		case NFS4_OK:
			return res, nil
		case NFS4ERR_DELAY, NFS4ERR_GRACE:
			if st == NFS4ERR_GRACE && (r.noGraceRetry || r.reclaim) {
				return res, res.Err()
			}
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
			wait = min(2*wait, retryMaxWait)
		case NFS4ERR_STALE_CLIENTID, NFS4ERR_BADSESSION, NFS4ERR_DEADSESSION, NFS4ERR_STALE_STATEID:
			if recoveries++; recoveries > maxRecoveries || r.reclaim {
				return res, res.Err()
			}
			if err := c.recover(ctx, gen); err != nil {
				return nil, err
			}
		case NFS4ERR_EXPIRED, NFS4ERR_ADMIN_REVOKED, NFS4ERR_BAD_STATEID, NFS4ERR_DELEG_REVOKED:
			if r.file != nil {
				if r.file.reclaimedSince(gen) {
					continue // the answer is about the state a recovery replaced
				}
				return res, r.file.stateLost(res.Err())
			}
			if r.renew && st == NFS4ERR_EXPIRED {
				// The lease lapsed and the server forgot the client: a
				// new client id, whose reclaims fail outside grace.
				if recoveries++; recoveries > maxRecoveries {
					return res, res.Err()
				}
				if err := c.recover(ctx, gen); err != nil {
					return nil, err
				}
				continue
			}
			return res, res.Err()
		default:
			return res, res.Err()
		}
	}
}

// send builds and sends the request's COMPOUND once, in the current
// generation, which it returns.
func (c *Client) send(ctx context.Context, r *request) (*Results, uint64, error) {
	if !r.reclaim {
		c.stateMu.RLock()
		defer c.stateMu.RUnlock()
	}
	gen, s, _ := c.lease.current()
	comp, err := r.build()
	if err != nil {
		return nil, gen, err
	}
	res, err := c.callIn(ctx, s, comp)
	if err != nil {
		for _, o := range r.seqids {
			o.broken = true // the server may or may not have seen it
		}
		return nil, gen, err
	}
	for _, o := range r.seqids {
		o.advance(res)
	}
	if sq := res.Sequence(); sq != nil && sq.SrStatus == NFS4_OK && sq.SrResok4 != nil {
		c.checkStatusFlags(sq.SrResok4.SrStatusFlags)
	}
	return res, gen, nil
}

// callIn sends comp in session s, or without one (4.0) when s is nil.
func (c *Client) callIn(ctx context.Context, s *Session, comp *Compound) (*Results, error) {
	if s != nil {
		return s.Call(ctx, comp)
	}
	return comp.Call(ctx, c.rc)
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// statusOf returns the NFS4 status err carries, NFS4_OK if none.
func statusOf(err error) Nfsstat4 {
	var st Nfsstat4
	if errors.As(err, &st) {
		return st
	}
	return NFS4_OK
}
