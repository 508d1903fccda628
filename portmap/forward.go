package portmap

import (
	"context"
	"errors"
	"net"
	"slices"
	"time"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// Programs and procedures that must not be called through the port
// mapper, because the callee would take the port mapper's local address
// for the caller's (rpcbind's check_callit).
const (
	progYP            = 100004
	progMount         = 100005
	progYPBind        = 100007
	procMountMnt      = 1
	procMountUmnt     = 3
	procYPMatch       = 3
	procYPFirst       = 4
	procYPNext        = 5
	procYPAll         = 8
	procYPBindSetdom  = 2
	maxForwardRetrans = time.Second
)

// forwardAllowed reports whether a forwarded call may be made.
func forwardAllowed(a *RpcbRmtcallargs) bool {
	if a.Proc == 0 {
		return true
	}
	switch a.Prog {
	case PMAP_PROG:
		return false
	case progMount:
		return a.Proc != procMountMnt && a.Proc != procMountUmnt
	case progYPBind:
		return a.Proc != procYPBindSetdom
	case progYP:
		return !slices.Contains([]uint32{procYPMatch, procYPFirst, procYPNext, procYPAll}, a.Proc)
	}
	return true
}

// forward makes a call for CALLIT, BCAST or INDIRECT to the program's
// UDP registration on this host, in the caller's address family, with
// the caller's credential (AUTH_NONE or AUTH_SYS), and returns the
// callee's address as the caller reaches it and the encoded results.
//
// CALLIT and BCAST are silent when anything goes wrong, so that a
// broadcast is answered only by the hosts that have the program: the
// error returned is then rpc.ErrDrop. INDIRECT reports PROG_UNAVAIL when
// the program is not registered, PROG_MISMATCH when the version is not,
// the callee's own error when it answers with one, and SYSTEM_ERR when it
// does not answer within the forward timeout. Calls that would let the
// caller pass for the port mapper (SET through it, MOUNT's MNT) are
// denied with AUTH_TOOWEAK.
func (s *Server) forward(ctx context.Context, c *rpc.Call, vers uint32, indirect bool, a *RpcbRmtcallargs) (string, []byte, error) {
	fail := func(err error) (string, []byte, error) {
		if indirect {
			return "", nil, err
		}
		return "", nil, rpc.ErrDrop
	}
	if !forwardAllowed(a) {
		return "", nil, rpc.AUTH_TOOWEAK
	}
	netid := NetidUDP
	if n := transportNetid(c); n == NetidTCP6 || n == NetidUDP6 {
		netid = NetidUDP6
	}
	e, found := s.find(a.Prog, a.Vers, netid, false)
	s.countForward(vers, a, netid, indirect, found && e.RVers == a.Vers)
	switch {
	case !found:
		return fail(rpc.PROG_UNAVAIL)
	case e.RVers != a.Vers:
		low, high := s.versions(a.Prog, netid)
		return fail(&rpc.MismatchError{Stat: rpc.PROG_MISMATCH, Low: low, High: high})
	}
	target, err := UaddrToAddr(netid, e.RAddr)
	if err != nil {
		return fail(rpc.SYSTEM_ERR)
	}
	to := target.(*net.UDPAddr)
	if to.IP.IsUnspecified() {
		to.IP = net.IPv6loopback
		if netid == NetidUDP {
			to.IP = net.IPv4(127, 0, 0, 1)
		}
	}
	var auth rpc.Auth = rpc.AuthNone{}
	switch c.Cred.Flavor {
	case rpc.AUTH_NONE:
	case rpc.AUTH_SYS:
		auth = forwardAuth{rpc.OpaqueAuth{Flavor: rpc.AUTH_SYS, Body: slices.Clone(c.Cred.Body)}}
	default:
		return fail(rpc.AUTH_TOOWEAK)
	}
	res, err := s.call(ctx, to, auth, a)
	if err != nil {
		var stat rpc.AcceptStat
		var me *rpc.MismatchError
		var ae *rpc.AuthError
		if !errors.As(err, &stat) && !errors.As(err, &me) && !errors.As(err, &ae) {
			err = rpc.SYSTEM_ERR // no answer in time, or a malformed one
		}
		return fail(err)
	}
	return mergeAddr(c, netid, e.RAddr), res, nil
}

// call sends one forwarded call and waits for its reply.
func (s *Server) call(ctx context.Context, to *net.UDPAddr, auth rpc.Auth, a *RpcbRmtcallargs) ([]byte, error) {
	timeout := s.ForwardTimeout
	if timeout <= 0 {
		timeout = DefaultForwardTimeout
	}
	network := "udp4"
	if to.IP.To4() == nil {
		network = "udp6"
	}
	var pc *net.UDPConn
	open := func() error {
		var err error
		pc, err = net.ListenUDP(network, nil)
		return err
	}
	var err error
	if s.Enter != nil {
		err = s.Enter(open)
	} else {
		err = open()
	}
	if err != nil {
		return nil, err
	}
	cl := rpc.NewPacketClient(pc, to, &rpc.ClientOptions{
		Auth:          auth,
		Retransmit:    min(timeout/4, maxForwardRetrans),
		MaxRetransmit: timeout,
	})
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var res rawBody
	if err := cl.Call(ctx, a.Prog, a.Vers, a.Proc, rpc.RawResults(a.Args), &res); err != nil {
		return nil, err
	}
	return res, nil
}

// forwardAuth passes the caller's credential on.
type forwardAuth struct{ cred rpc.OpaqueAuth }

// Credential returns the caller's credential and no verifier.
func (f forwardAuth) Credential() (cred, verf rpc.OpaqueAuth) { return f.cred, rpc.OpaqueAuth{} }

// Verify accepts any verifier: the reply is relayed, not trusted.
func (forwardAuth) Verify(rpc.OpaqueAuth) error { return nil }

// Refresh declines: there is no other credential to send.
func (forwardAuth) Refresh(rpc.AuthStat) bool { return false }

// rawBody takes whatever bytes remain, undecoded: the results of a
// forwarded call.
type rawBody []byte

// UnmarshalXDR takes the rest of the input.
func (r *rawBody) UnmarshalXDR(d *xdr.Decoder) error {
	b := d.Rest()
	*r = append((*r)[:0], b...)
	d.Skip(len(b))
	return d.Err()
}
