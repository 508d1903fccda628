package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
)

// maxParallelProbes bounds the NULL calls in flight at once.
const maxParallelProbes = 16

// hostAddrs are the addresses a host name resolves to, used to reach
// services registered on a wildcard address.
type hostAddrs struct {
	name     string
	v4, v6   netip.Addr // the first of each family, or invalid
	loopback bool       // every address is a loopback one
}

// resolveHost looks up the addresses of host (a name or a literal).
func resolveHost(ctx context.Context, host string) (hostAddrs, error) {
	h := hostAddrs{name: host}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return h, err
	}
	h.loopback = len(ips) > 0
	for _, ip := range ips {
		ip = ip.Unmap()
		if ip.Is4() && !h.v4.IsValid() {
			h.v4 = ip
		}
		if ip.Is6() && !h.v6.IsValid() {
			h.v6 = ip
		}
		h.loopback = h.loopback && ip.IsLoopback()
	}
	return h, nil
}

// target works out where to send a NULL call for a registration: the
// registered address, with a wildcard host replaced by the host's own
// address of that family. It returns why not, when the call cannot be
// made.
func (h hostAddrs) target(r *Registration) (network, address, skipped string) {
	switch r.Netid {
	case portmap.NetidLocal, portmap.NetidUnix:
		if !h.loopback {
			return "", "", "local socket of another host"
		}
		return "unix", r.Uaddr, ""
	case portmap.NetidTCP, portmap.NetidUDP, portmap.NetidTCP6, portmap.NetidUDP6:
	default:
		return "", "", "transport " + r.Netid + " not probed"
	}
	network, err := portmap.NetidNetwork(r.Netid)
	if err != nil {
		return "", "", err.Error()
	}
	ap, err := portmap.ParseUaddr(r.Uaddr)
	if err != nil {
		return "", "", "malformed address " + r.Uaddr
	}
	ip := ap.Addr().Unmap()
	six := r.Netid == portmap.NetidTCP6 || r.Netid == portmap.NetidUDP6
	switch {
	case six && ip.Is4():
		return "", "", "IPv4 address registered for " + r.Netid
	case !six && ip.Is6():
		return "", "", "IPv6 address registered for " + r.Netid
	}
	if ip.IsUnspecified() || (ip.IsLoopback() && !h.loopback) {
		switch {
		case !six && h.v4.IsValid():
			ip = h.v4
		case six && h.v6.IsValid():
			ip = h.v6
		case !six && h.loopback:
			ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		case six && h.loopback:
			ip = netip.IPv6Loopback()
		case six:
			return "", "", h.name + " has no IPv6 address"
		default:
			return "", "", h.name + " has no IPv4 address"
		}
	}
	return network, netip.AddrPortFrom(ip, ap.Port()).String(), ""
}

// probeAll makes a NULL call to every registration, in parallel, each
// bounded by timeout, and records the outcomes in regs.
func probeAll(ctx context.Context, h hostAddrs, regs []Registration, timeout time.Duration, logger *slog.Logger) {
	sem := make(chan struct{}, maxParallelProbes)
	var wg sync.WaitGroup
	for i := range regs {
		r := &regs[i]
		r.Network, r.Target, r.Skipped = h.target(r)
		r.timeout = timeout
		if r.Target == "" {
			logger.DebugContext(ctx, "not probed", "prog", r.Prog, "vers", r.Vers, "netid", r.Netid, "why", r.Skipped)
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			start := time.Now()
			r.Err = nullCall(ctx, r.Network, r.Target, r.Prog, r.Vers, timeout, logger)
			r.Took = time.Since(start)
			logger.DebugContext(ctx, "NULL call", "prog", r.Prog, "vers", r.Vers, "network", r.Network,
				"target", r.Target, "took", r.Took, "err", r.Err)
		})
	}
	wg.Wait()
}

// nullCall calls procedure 0 of a program version at address, over a
// connection of its own, and returns nil when the server answered.
func nullCall(ctx context.Context, network, address string, prog, vers uint32, timeout time.Duration, logger *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := rpc.Dial(ctx, network, address, &rpc.ClientOptions{Retransmit: retransmitFor(timeout), Logger: logger})
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Call(ctx, prog, vers, 0, nil, nil)
}

// retransmitFor picks the first UDP retransmission wait so that a call
// is sent a few times within its timeout.
func retransmitFor(timeout time.Duration) time.Duration {
	return max(timeout/4, 50*time.Millisecond)
}

// describeError says in a few words why a call failed, in the terms an
// operator looks for: a timeout, a refused connection, a version the
// server lacks and the range it has, a program it does not serve.
func describeError(err error, timeout time.Duration) string {
	var me *rpc.MismatchError
	var ae *rpc.AuthError
	var as rpc.AcceptStat
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &me) && me.RPC:
		return fmt.Sprintf("RPC version mismatch: server speaks RPC %d to %d", me.Low, me.High)
	case errors.As(err, &me):
		return fmt.Sprintf("version mismatch: server has versions %d to %d", me.Low, me.High)
	case errors.As(err, &ae):
		return "denied: " + ae.Stat.String()
	case errors.As(err, &as) && as == rpc.PROG_UNAVAIL:
		return "program not served (PROG_UNAVAIL)"
	case errors.As(err, &as):
		return "call not accepted: " + as.String()
	case errors.Is(err, context.DeadlineExceeded), isNetTimeout(err):
		return "no answer within " + timeout.String()
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "host unreachable"
	case errors.Is(err, syscall.ENETUNREACH):
		return "network unreachable"
	case errors.Is(err, syscall.ENOENT):
		return "no such socket"
	case errors.Is(err, rpc.ErrClosed):
		return "connection closed by the server"
	case errors.Is(err, rpc.ErrBadReply):
		return "malformed reply"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "cannot resolve " + dnsErr.Name + ": " + dnsErr.Err
	}
	return err.Error()
}

// isNetTimeout reports whether err is a network timeout.
func isNetTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
