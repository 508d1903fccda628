package nfs4

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"
)

// leaseState is the Client's client id, and session in 4.1 and 4.2, of
// the current generation: a recovery after a server restart replaces
// them and moves the generation on.
type leaseState struct {
	// minor is the minor version, fixed once negotiated; name and verf
	// are the client owner, the same across recoveries so that the
	// server lets the client reclaim.
	minor uint32
	name  []byte
	verf  Verifier4

	mu       sync.Mutex
	gen      uint64
	session  *Session  // 4.1 and 4.2
	clientID *ClientID // 4.0
	period   time.Duration
}

// current returns the generation and its session (nil in 4.0) and
// client id.
func (l *leaseState) current() (gen uint64, s *Session, id Clientid4) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.session != nil {
		return l.gen, l.session, l.session.ClientID
	}
	if l.clientID != nil {
		return l.gen, nil, l.clientID.ID
	}
	return l.gen, nil, 0
}

// generation returns the current generation.
func (l *leaseState) generation() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.gen
}

// clientid returns the current client id.
func (l *leaseState) clientid() Clientid4 {
	_, _, id := l.current()
	return id
}

// install makes s (or id, in 4.0) the lease of a new generation.
func (l *leaseState) install(s *Session, id *ClientID) {
	l.mu.Lock()
	l.session, l.clientID = s, id
	l.gen++
	l.mu.Unlock()
}

// setTime records the server's lease time.
func (l *leaseState) setTime(d time.Duration) {
	l.mu.Lock()
	l.period = d
	l.mu.Unlock()
}

// renewEvery is how often the lease is renewed: a third of it.
func (l *leaseState) renewEvery() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.period <= 0 {
		return DefaultLeaseTime * time.Second / 3
	}
	return max(l.period/3, 100*time.Millisecond)
}

// negotiate establishes the lease in the first minor version of the
// options that the server does not refuse.
func (c *Client) negotiate(ctx context.Context) error {
	c.lease.name = c.opts.Name
	if c.lease.name == nil {
		var b [8]byte
		rand.Read(b[:])
		c.lease.name = []byte("nfskit-" + hex.EncodeToString(b[:]))
	}
	rand.Read(c.lease.verf[:])
	var err error
	for _, minor := range c.opts.Versions {
		c.lease.minor = minor
		err = c.establish(ctx, false)
		if !errors.Is(err, NFS4ERR_MINOR_VERS_MISMATCH) {
			return err
		}
	}
	return err
}

// establish makes a client id (4.0) or session (4.1, 4.2) of the
// Client's owner and installs it as a new generation; reclaiming says
// the Client will reclaim state before it sends RECLAIM_COMPLETE itself.
// NFS4ERR_DELAY and a refusal of the credential's flavor are retried.
func (c *Client) establish(ctx context.Context, reclaiming bool) error {
	wait := retryFirstWait
	for {
		var err error
		if c.lease.minor == 0 {
			var id *ClientID
			id, err = SetClientID(ctx, c.rc, &ClientIDOptions{Owner: c.lease.name, Verifier: c.lease.verf})
			if err == nil {
				c.lease.install(nil, id)
				return nil
			}
		} else {
			var s *Session
			s, err = NewSession(ctx, c.rc, &SessionOptions{Minor: c.lease.minor, Owner: c.lease.name, Verifier: c.lease.verf})
			if err == nil {
				c.lease.install(s, nil)
				if reclaiming {
					return nil
				}
				return c.reclaimComplete(ctx, s)
			}
		}
		if !errors.Is(err, NFS4ERR_DELAY) {
			return err
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(2*wait, retryMaxWait)
	}
}

// reclaimComplete sends RECLAIM_COMPLETE on s, which a server that has
// it already answers NFS4ERR_COMPLETE_ALREADY.
func (c *Client) reclaimComplete(ctx context.Context, s *Session) error {
	wait := retryFirstWait
	for {
		err := s.ReclaimComplete(ctx)
		switch {
		case err == nil, errors.Is(err, NFS4ERR_COMPLETE_ALREADY):
			return nil
		case errors.Is(err, NFS4ERR_DELAY):
		default:
			return err
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(2*wait, retryMaxWait)
	}
}

// startRenewal starts renewing the lease in the background, each third
// of it: RENEW in 4.0, a COMPOUND of SEQUENCE alone in 4.1 and 4.2. A
// renewal that finds the server restarted recovers the state at once.
func (c *Client) startRenewal() {
	ctx, cancel := context.WithCancel(context.Background())
	c.stopRenew, c.renewDone = cancel, make(chan struct{})
	go func() {
		defer close(c.renewDone)
		for {
			t := time.NewTimer(c.lease.renewEvery())
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			if err := c.renew(ctx); err != nil && ctx.Err() == nil {
				c.logger.Warn("nfs4: renewing the lease", "err", err)
			}
		}
	}()
}

// stopRenewal stops the renewals and waits for the last to end.
func (c *Client) stopRenewal() {
	if c.stopRenew != nil {
		c.stopRenew()
		<-c.renewDone
	}
}

// renew renews the lease once.
func (c *Client) renew(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.lease.renewEvery())
	defer cancel()
	_, err := c.exec(ctx, &request{renew: true, build: func() (*Compound, error) {
		comp := c.compound("renew")
		if c.lease.minor == 0 {
			comp.Renew(c.lease.clientid())
		}
		return comp, nil
	}})
	return err
}

// endLease gives the lease back: DESTROY_SESSION and DESTROY_CLIENTID in
// 4.1 and 4.2. A 4.0 client id just lapses.
func (c *Client) endLease(ctx context.Context) error {
	_, s, _ := c.lease.current()
	if s == nil {
		return nil
	}
	err := s.Close(ctx)
	if errors.Is(err, NFS4ERR_BADSESSION) || errors.Is(err, NFS4ERR_STALE_CLIENTID) {
		return nil // the server forgot it already
	}
	return err
}
