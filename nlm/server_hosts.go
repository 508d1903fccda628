package nlm

import (
	"context"
	"crypto/sha256"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
)

// monState is how far asking the status monitor to watch a host got.
type monState uint8

const (
	monNone    monState = iota // not asked
	monPending                 // a request is under way
	monOK                      // the monitor watches the host
	monFailed                  // the monitor could not be asked, or refused
)

// hostState is what the server knows of one client host.
type hostState struct {
	name    string   // caller_name as first seen
	priv    [16]byte // given to the status monitor, returned in its callback
	mon     monState
	monDone chan struct{} // closed when a pending request ends
	monErr  error
	monAt   time.Time // when the last request failed
	// held lists, per file handle, the owners of the host that were
	// granted locks on the file and have not unlocked it whole.
	held map[string]map[vfs.LockOwner]struct{}
	// shared lists the file handles the host has share reservations on.
	shared map[string]struct{}
}

// privOf returns the priv the server gives the status monitor for host
// key k: derived from the name, so that it means the same host across
// restarts of the server.
func privOf(k string) [16]byte {
	sum := sha256.Sum256([]byte("nfskit nlm host " + k))
	var p [16]byte
	copy(p[:], sum[:])
	return p
}

// hostLocked returns the state of host name, creating it. s.mu is held.
func (s *Server) hostLocked(name string) *hostState {
	k := hostKey(name)
	h := s.hosts[k]
	if h == nil {
		h = &hostState{name: name, priv: privOf(k), held: map[string]map[vfs.LockOwner]struct{}{}, shared: map[string]struct{}{}}
		s.hosts[k] = h
		s.byPriv[h.priv] = k
	}
	return h
}

// monitorHost makes sure the status monitor watches host name, asking it
// if nobody has yet (or the last failure is older than MonitorRetry).
// While the monitor is unreachable, new hosts are not asked for either
// for MonitorRetry.
// Concurrent requests of one host share one request to the monitor,
// which MonitorTimeout bounds. The first failure is logged as a warning.
func (s *Server) monitorHost(name string) error {
	s.mu.Lock()
	h := s.hostLocked(name)
	for h.mon == monPending {
		done := h.monDone
		s.mu.Unlock()
		<-done
		s.mu.Lock()
	}
	switch {
	case h.mon == monOK:
		s.mu.Unlock()
		return nil
	case h.mon == monFailed && time.Since(h.monAt) < s.opts.MonitorRetry:
		err := h.monErr
		s.mu.Unlock()
		return err
	case s.monDownErr != nil && time.Since(s.monDownAt) < s.opts.MonitorRetry:
		// The monitor itself could not be reached a moment ago: do not
		// make every new host wait for it to time out again.
		err := s.monDownErr
		s.mu.Unlock()
		return err
	}
	h.mon = monPending
	done := make(chan struct{})
	h.monDone = done
	priv := h.priv
	s.mu.Unlock()

	ctx, cancel := context.WithTimeout(s.ctx, s.opts.MonitorTimeout)
	err := s.monitor.Monitor(ctx, name, s.myID, priv)
	cancel()

	s.mu.Lock()
	if err == nil {
		h.mon = monOK
		s.monDownErr = nil
	} else {
		h.mon, h.monErr, h.monAt = monFailed, err, time.Now()
		if errors.Is(err, ErrMonitorUnreachable) {
			s.monDownErr, s.monDownAt = err, h.monAt
		}
	}
	close(done)
	s.mu.Unlock()
	if err != nil {
		s.warnOnce.Do(func() {
			effect := "granting locks anyway: a client that reboots without FREE_ALL keeps them"
			if s.opts.RefuseUnmonitored {
				effect = "refusing locks of unmonitored hosts (DENIED_NOLOCKS)"
			}
			s.logger.Warn("nlm: cannot monitor client hosts: "+strings.TrimPrefix(err.Error(), "nlm: "),
				"host", name, "effect", effect)
		})
		s.logger.Debug("nlm: monitoring host failed", "host", name, "err", err)
	}
	return err
}

// noteHeld records that owner was granted a lock on file fh.
func (s *Server) noteHeld(fh []byte, owner vfs.LockOwner) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hostLocked(owner.Host)
	owners := h.held[string(fh)]
	if owners == nil {
		owners = map[vfs.LockOwner]struct{}{}
		h.held[string(fh)] = owners
	}
	if _, ok := owners[owner]; !ok {
		owners[owner] = struct{}{}
	}
}

// noteReleased records that owner unlocked all of file fh.
func (s *Server) noteReleased(fh []byte, owner vfs.LockOwner) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hosts[hostKey(owner.Host)]
	if h == nil {
		return
	}
	owners := h.held[string(fh)]
	delete(owners, owner)
	if len(owners) == 0 {
		delete(h.held, string(fh))
	}
}

// releaseHost drops everything host name holds, as when it reboots: its
// locks, share reservations, queued requests and GRANTED calls in
// flight; then the requests other hosts queued on the files it held are
// tried again.
func (s *Server) releaseHost(ctx context.Context, name, why string) {
	k := hostKey(name)
	files := map[string]map[vfs.LockOwner]struct{}{}
	s.mu.Lock()
	if h := s.hosts[k]; h != nil {
		files, h.held = h.held, map[string]map[vfs.LockOwner]struct{}{}
		for fh := range h.shared {
			s.unshareLocked(fh, func(r *shareRes) bool { return r.host == k })
		}
		h.shared = map[string]struct{}{}
	}
	for fh, q := range s.queues {
		for _, w := range q.waiters {
			if w.host == k {
				if _, ok := files[fh]; !ok {
					files[fh] = nil
				}
				break
			}
		}
	}
	for c, g := range s.grants {
		if g.w.host == k {
			g.stop()
			delete(s.grants, c)
		}
	}
	s.graceHostDoneLocked(k)
	s.mu.Unlock()

	for fh, owners := range files {
		b := []byte(fh)
		mu := s.stripe(b)
		mu.Lock()
		s.mu.Lock()
		s.removeWaitersLocked(b, func(w *waiter) bool { return w.host == k })
		s.mu.Unlock()
		if len(owners) > 0 {
			if exp, h, err := s.exports.Resolve(b); err == nil {
				if locker, ok := exp.FS.(vfs.Locker); ok {
					for o := range owners {
						if err := locker.Unlock(ctx, &vfs.Root, h, o, 0, 0); err != nil {
							s.logger.Debug("nlm: releasing a lock of a host", "host", name, "err", err)
						}
					}
				}
			}
		}
		s.wake(b)
		mu.Unlock()
	}
	s.logger.Debug("nlm: released host", "host", name, "why", why, "files", len(files))
}

// statusCallback handles a status monitor callback: the host its priv
// (or, failing that, its mon_name) names has restarted.
func (s *Server) statusCallback(ctx context.Context, st nsm.Status) {
	s.mu.Lock()
	k, ok := s.byPriv[st.Priv]
	name := st.MonName
	if ok {
		name = s.hosts[k].name
	}
	s.mu.Unlock()
	s.releaseHost(ctx, name, "status monitor: host restarted")
}

// serveStatusCallback serves procedure 16, the status monitor's
// callback. Only a monitor on this machine may make it (a call from a
// loopback address): anyone else is denied with AUTH_TOOWEAK, as the
// callback releases a host's locks.
func (s *Server) serveStatusCallback(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
	var st nsm.Status
	if c.Decode(&st) != nil {
		w.Error(rpc.GARBAGE_ARGS)
		return
	}
	if !isLoopback(c.RemoteAddr) {
		s.logger.Warn("nlm: status callback from a remote address refused", "from", c.RemoteAddr, "host", st.MonName)
		w.AuthError(rpc.AUTH_TOOWEAK)
		return
	}
	st.MonName = strings.Clone(st.MonName)
	s.statusCallback(ctx, st)
	w.Reply(nil)
}

// isLoopback reports whether a is a loopback address or not an IP
// address at all (a unix socket, or a call made in process).
func isLoopback(a net.Addr) bool {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	case *net.UDPAddr:
		return a.IP.IsLoopback()
	}
	return true
}
