package portmap

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// DefaultSocket is where rpcbind listens on the local transport.
const DefaultSocket = "/run/rpcbind.sock"

// Errors a Client's operations wrap in *Error; test for them with
// errors.Is.
var (
	// ErrRefused means the port mapper answered SET or UNSET with FALSE:
	// the program version is registered at another address, or by
	// another owner, or the address is not one it accepts.
	ErrRefused = errors.New("refused by the port mapper")
	// ErrNotRegistered means a lookup found nothing: GETPORT answered 0,
	// GETADDR an empty address, GETADDRLIST no entry of the netid.
	ErrNotRegistered = errors.New("program not registered")
	// ErrNotConverted means UADDR2TADDR or TADDR2UADDR answered with an
	// empty address: the server could not convert it for the transport
	// the call came on.
	ErrNotConverted = errors.New("address not converted")
)

// Error is the failure of a port mapper operation: the RPC failed (Err
// is then the rpc package's error: an rpc.AcceptStat, *rpc.MismatchError,
// a context error, ...), or the answer means failure (Err is ErrRefused,
// ErrNotRegistered, ErrNotConverted), or the answer could not be used
// (an *AddrError, an xdr error).
type Error struct {
	// Proc names the procedure called, e.g. "RPCBPROC4_GETADDR".
	Proc string
	// Prog and Vers name the program version asked about, when the
	// procedure is about one.
	Prog, Vers uint32
	// Netid is the netid asked about, when there is one.
	Netid string
	// Err is the cause.
	Err error
}

// Error describes the failure.
func (e *Error) Error() string {
	s := "portmap: " + e.Proc
	if e.Prog != 0 {
		s += " of program " + strconv.FormatUint(uint64(e.Prog), 10) + " version " + strconv.FormatUint(uint64(e.Vers), 10)
	}
	if e.Netid != "" {
		s += " on " + e.Netid
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// op names a call for its errors.
type op struct {
	vers, proc uint32 // of program 100000
	prog, pv   uint32 // the registration asked about
	netid      string
}

func (o op) fail(err error) error {
	if err == nil {
		return nil
	}
	name := "procedure " + strconv.FormatUint(uint64(o.proc), 10)
	if p, ok := Programs().Lookup(PMAP_PROG, o.vers); ok {
		if pr, ok := p.Procedure(o.proc); ok {
			name = pr.Name
		}
	}
	return &Error{Proc: name, Prog: o.prog, Vers: o.pv, Netid: o.netid, Err: err}
}

// check turns a boolean answer into an error.
func (o op) check(ok bool, err error) error {
	if err == nil && !ok {
		err = ErrRefused
	}
	return o.fail(err)
}

// Client calls a port mapper: portmap version 2 and rpcbind versions 3
// and 4. Operations that versions 3 and 4 share are made in version 4
// and, once the server has answered that it lacks version 4, in version
// 3. Every error is an *Error. A Client is safe for concurrent use.
//
// CALLIT, BCAST and (for some failures) INDIRECT are answered only when
// they succeed, so give those calls a context with a deadline.
type Client struct {
	// Netid is the netid of the transport the calls travel on ("tcp",
	// "udp", "tcp6", "udp6", "local"), or "" when unknown. Dial
	// sets it. A port mapper answers GETADDR for the netid of the
	// transport it was asked on (RFC 1833), so GetAddr and GetVersAddr
	// use GETADDRLIST instead when asked for another netid.
	Netid string

	caller rpc.Caller
	closer io.Closer
	v2     *V2Client
	v3     *V3Client
	v4     *V4Client
	noV4   atomic.Bool
}

// NewClient returns a Client making its calls through c.
func NewClient(c rpc.Caller) *Client {
	return &Client{caller: c, v2: NewV2Client(c), v3: NewV3Client(c), v4: NewV4Client(c)}
}

// Dial connects to a port mapper. network is "tcp", "tcp4",
// "tcp6", "udp", "udp4", "udp6" or "unix". address is "host" or
// "host:port" (port 111 when not given; host 127.0.0.1 when address is
// empty), or for "unix" a socket path (DefaultSocket when empty). Close
// the Client when done. Over UDP the client's socket is not connected,
// so that the replies to forwarded calls reach it (see
// rpc.ClientOptions.Unconnected).
func Dial(ctx context.Context, network, address string, opts *rpc.ClientOptions) (*Client, error) {
	var netid string
	switch network {
	case "unix":
		if address == "" {
			address = DefaultSocket
		}
		netid = NetidLocal
	case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
		if address == "" {
			address = "127.0.0.1"
		}
		if _, _, err := net.SplitHostPort(address); err != nil {
			address = net.JoinHostPort(strings.Trim(address, "[]"), strconv.Itoa(PMAP_PORT))
		}
		var addr net.Addr
		var err error
		if strings.HasPrefix(network, "tcp") {
			addr, err = net.ResolveTCPAddr(network, address)
		} else {
			addr, err = net.ResolveUDPAddr(network, address)
		}
		if err != nil {
			return nil, err
		}
		if netid, _, err = AddrToUaddr(addr); err != nil {
			return nil, err
		}
		address = addr.String()
	default:
		return nil, &AddrError{Addr: network + " " + address, Reason: "unsupported network", Err: ErrUnsupportedAddr}
	}
	if strings.HasPrefix(network, "udp") {
		// A port mapper answers forwarded calls (CALLIT, INDIRECT) from
		// the socket it forwarded them on, not from its own port: the
		// client's socket must take replies from any port.
		o := rpc.ClientOptions{}
		if opts != nil {
			o = *opts
		}
		o.Unconnected = true
		opts = &o
	}
	rc, err := rpc.Dial(ctx, network, address, opts)
	if err != nil {
		return nil, err
	}
	c := NewClient(rc)
	c.Netid, c.closer = netid, rc
	return c, nil
}

// Caller returns the rpc.Caller the Client calls through, for the
// generated per-version clients (NewV4Client and the others).
func (c *Client) Caller() rpc.Caller { return c.caller }

// Close closes the connection Dial made; for a Client made by
// NewClient it does nothing.
func (c *Client) Close() error {
	if c.closer == nil {
		return nil
	}
	return c.closer.Close()
}

// lacksVersion reports whether err is a PROG_MISMATCH that leaves vers
// out.
func lacksVersion(err error, vers uint32) bool {
	var me *rpc.MismatchError
	return errors.As(err, &me) && !me.RPC && (vers < me.Low || vers > me.High)
}

// rpcb makes a call that rpcbind versions 3 and 4 share, in version 4
// unless the server lacks it. It returns the version that answered.
func rpcb[T any](c *Client, v4, v3 func() (T, error)) (T, uint32, error) {
	if !c.noV4.Load() {
		r, err := v4()
		if !lacksVersion(err, RPCBVERS4) {
			return r, RPCBVERS4, err
		}
		c.noV4.Store(true)
	}
	r, err := v3()
	return r, RPCBVERS, err
}

// Portmap version 2.

// PmapSet registers a mapping with PMAPPROC_SET.
func (c *Client) PmapSet(ctx context.Context, m Mapping) error {
	ok, err := c.v2.Set(ctx, &m)
	return op{PMAP_VERS, PMAPPROC_SET, m.Prog, m.Vers, protNetid(m.Prot)}.check(ok, err)
}

// PmapUnset removes the TCP and UDP mappings of a program version with
// PMAPPROC_UNSET.
func (c *Client) PmapUnset(ctx context.Context, prog, vers uint32) error {
	ok, err := c.v2.Unset(ctx, &Mapping{Prog: prog, Vers: vers})
	return op{PMAP_VERS, PMAPPROC_UNSET, prog, vers, ""}.check(ok, err)
}

// GetPort returns the port of a program version on "tcp" or "udp", with
// PMAPPROC_GETPORT. If that version is not registered, a port mapper
// answers with another version's port, if it has one.
func (c *Client) GetPort(ctx context.Context, prog, vers uint32, network string) (int, error) {
	o := op{PMAP_VERS, PMAPPROC_GETPORT, prog, vers, network}
	var prot uint32
	switch network {
	case "tcp":
		prot = IPPROTO_TCP
	case "udp":
		prot = IPPROTO_UDP
	default:
		return 0, o.fail(&AddrError{Netid: network, Reason: "portmap knows tcp and udp", Err: ErrUnknownNetid})
	}
	port, err := c.v2.Getport(ctx, &Mapping{Prog: prog, Vers: vers, Prot: prot})
	if err == nil && port == 0 {
		err = ErrNotRegistered
	}
	return int(port), o.fail(err)
}

// PmapDump lists the mappings with PMAPPROC_DUMP.
func (c *Client) PmapDump(ctx context.Context) ([]Mapping, error) {
	l, err := c.v2.Dump(ctx)
	if err != nil {
		return nil, op{vers: PMAP_VERS, proc: PMAPPROC_DUMP}.fail(err)
	}
	return unlist(l, func(e *Pmaplist) Mapping { return e.Map }), nil
}

// PmapCallit calls procedure proc of a program version registered on UDP
// through the port mapper (PMAPPROC_CALLIT), with args (nil for void),
// decodes its results into res (nil to ignore them), and returns the
// port the program was found at. A port mapper does not answer when the
// call fails, so the call ends with ctx.
func (c *Client) PmapCallit(ctx context.Context, prog, vers, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) (int, error) {
	o := op{PMAP_VERS, PMAPPROC_CALLIT, prog, vers, NetidUDP}
	b, err := encodeArgs(args)
	if err != nil {
		return 0, o.fail(err)
	}
	r, err := c.v2.Callit(ctx, &CallArgs{Prog: prog, Vers: vers, Proc: proc, Args: b})
	if err == nil {
		err = decodeResults(r.Res, res)
	}
	if err != nil {
		return 0, o.fail(err)
	}
	return int(r.Port), nil
}

// rpcbind versions 3 and 4.

// Set registers r with RPCBPROC_SET: program r.RProg version r.RVers at
// universal address r.RAddr of netid r.RNetid. The port mapper decides
// the owner (rpcbind ignores r.ROwner).
func (c *Client) Set(ctx context.Context, r Rpcb) error {
	ok, vers, err := rpcb(c,
		func() (bool, error) { return c.v4.Set(ctx, &r) },
		func() (bool, error) { return c.v3.Set(ctx, &r) })
	return op{vers, RPCBPROC_SET, r.RProg, r.RVers, r.RNetid}.check(ok, err)
}

// Unset removes the registrations of a program version on netid, or on
// every netid when netid is empty, with RPCBPROC_UNSET. rpcbind succeeds
// when there was nothing to remove, and refuses when a registration
// belongs to another owner.
func (c *Client) Unset(ctx context.Context, prog, vers uint32, netid string) error {
	r := Rpcb{RProg: prog, RVers: vers, RNetid: netid}
	ok, v, err := rpcb(c,
		func() (bool, error) { return c.v4.Unset(ctx, &r) },
		func() (bool, error) { return c.v3.Unset(ctx, &r) })
	return op{v, RPCBPROC_UNSET, prog, vers, netid}.check(ok, err)
}

// GetAddr returns the address of a program version on netid ("" for the
// Client's own Netid), with RPCBPROC_GETADDR: a *net.TCPAddr,
// *net.UDPAddr or *net.UnixAddr. If that version is not registered, a
// port mapper answers with another version's address, if it has one. When
// netid is not the transport's, it asks with GETADDRLIST (version 4),
// which lists only the exact version, and only netids of the transport's
// address family.
func (c *Client) GetAddr(ctx context.Context, prog, vers uint32, netid string) (net.Addr, error) {
	return c.lookup(ctx, prog, vers, netid, false)
}

// GetVersAddr is GetAddr for exactly the version asked, with
// RPCBPROC4_GETVERSADDR.
func (c *Client) GetVersAddr(ctx context.Context, prog, vers uint32, netid string) (net.Addr, error) {
	return c.lookup(ctx, prog, vers, netid, true)
}

func (c *Client) lookup(ctx context.Context, prog, vers uint32, netid string, exact bool) (net.Addr, error) {
	if netid == "" {
		netid = c.Netid
	}
	o := op{RPCBVERS4, RPCBPROC4_GETVERSADDR, prog, vers, netid}
	if !exact {
		o.proc = RPCBPROC_GETADDR
	}
	if netid == "" {
		return nil, o.fail(&AddrError{Reason: "no netid given and the transport's is unknown", Err: ErrUnknownNetid})
	}
	var uaddr Uaddr
	var err error
	switch {
	case c.Netid != "" && !strings.EqualFold(c.Netid, netid):
		o.proc = RPCBPROC4_GETADDRLIST
		var l RpcbEntryListPtr
		l, err = c.v4.Getaddrlist(ctx, &Rpcb{RProg: prog, RVers: vers, RNetid: netid})
		for i := range l {
			if e := &l[i].RpcbEntryMap; strings.EqualFold(e.RNcNetid, netid) && e.RMaddr != "" {
				uaddr = Uaddr(e.RMaddr)
				break
			}
		}
	case exact:
		uaddr, err = c.v4.Getversaddr(ctx, &Rpcb{RProg: prog, RVers: vers, RNetid: netid})
	default:
		args := Rpcb{RProg: prog, RVers: vers, RNetid: netid}
		uaddr, o.vers, err = rpcb(c,
			func() (Uaddr, error) { return c.v4.Getaddr(ctx, &args) },
			func() (Uaddr, error) { return c.v3.Getaddr(ctx, &args) })
	}
	if err == nil && uaddr == "" {
		err = ErrNotRegistered
	}
	if err != nil {
		return nil, o.fail(err)
	}
	a, err := UaddrToAddr(netid, string(uaddr))
	return a, o.fail(err)
}

// GetAddrList returns every address of a program version, on the netids
// of the transport's address family, with RPCBPROC4_GETADDRLIST. Each
// entry's Addr method converts its address.
func (c *Client) GetAddrList(ctx context.Context, prog, vers uint32) ([]RpcbEntry, error) {
	l, err := c.v4.Getaddrlist(ctx, &Rpcb{RProg: prog, RVers: vers})
	if err != nil {
		return nil, op{RPCBVERS4, RPCBPROC4_GETADDRLIST, prog, vers, ""}.fail(err)
	}
	return unlist(l, func(e *RpcbEntryList) RpcbEntry { return e.RpcbEntryMap }), nil
}

// Addr converts the entry's merged address for its netid.
func (e *RpcbEntry) Addr() (net.Addr, error) { return UaddrToAddr(e.RNcNetid, e.RMaddr) }

// Addr converts the registration's universal address for its netid.
func (r *Rpcb) Addr() (net.Addr, error) { return UaddrToAddr(r.RNetid, r.RAddr) }

// Dump lists the registrations with RPCBPROC_DUMP.
func (c *Client) Dump(ctx context.Context) ([]Rpcb, error) {
	l, vers, err := rpcb(c,
		func() (RpcblistPtr, error) { return c.v4.Dump(ctx) },
		func() (RpcblistPtr, error) { return c.v3.Dump(ctx) })
	if err != nil {
		return nil, op{vers: vers, proc: RPCBPROC_DUMP}.fail(err)
	}
	return unlist(l, func(e *RpList) Rpcb { return e.RpcbMap }), nil
}

// unlist copies the items out of the elements of a decoded XDR list.
func unlist[E, T any](l []E, item func(*E) T) []T {
	out := make([]T, len(l))
	for i := range l {
		out[i] = item(&l[i])
	}
	return out
}

// GetTime returns the server's clock, to the second, with
// RPCBPROC_GETTIME.
func (c *Client) GetTime(ctx context.Context) (time.Time, error) {
	t, vers, err := rpcb(c,
		func() (uint32, error) { return c.v4.Gettime(ctx) },
		func() (uint32, error) { return c.v3.Gettime(ctx) })
	if err != nil {
		return time.Time{}, op{vers: vers, proc: RPCBPROC_GETTIME}.fail(err)
	}
	return time.Unix(int64(t), 0), nil
}

// Uaddr2Taddr converts a universal address of the transport's netid to
// the server's transport address (its struct sockaddr), with
// RPCBPROC_UADDR2TADDR.
func (c *Client) Uaddr2Taddr(ctx context.Context, uaddr string) ([]byte, error) {
	nb, vers, err := rpcb(c,
		func() (*Netbuf, error) { return c.v4.Uaddr2taddr(ctx, Uaddr(uaddr)) },
		func() (*Netbuf, error) { return c.v3.Uaddr2taddr(ctx, Uaddr(uaddr)) })
	if err == nil && len(nb.Buf) == 0 {
		err = ErrNotConverted
	}
	if err != nil {
		return nil, op{vers: vers, proc: RPCBPROC_UADDR2TADDR}.fail(err)
	}
	return nb.Buf, nil
}

// Taddr2Uaddr converts the server's transport address (its struct
// sockaddr) to a universal address, with RPCBPROC_TADDR2UADDR.
func (c *Client) Taddr2Uaddr(ctx context.Context, taddr []byte) (string, error) {
	nb := Netbuf{Maxlen: uint32(len(taddr)), Buf: taddr}
	u, vers, err := rpcb(c,
		func() (Uaddr, error) { return c.v4.Taddr2uaddr(ctx, &nb) },
		func() (Uaddr, error) { return c.v3.Taddr2uaddr(ctx, &nb) })
	if err == nil && u == "" {
		err = ErrNotConverted
	}
	if err != nil {
		return "", op{vers: vers, proc: RPCBPROC_TADDR2UADDR}.fail(err)
	}
	return string(u), nil
}

// Callit calls procedure proc of a program version registered on UDP
// through the port mapper (RPCBPROC4_BCAST, or RPCBPROC_CALLIT of version
// 3), with args (nil for void), decodes its results into res (nil to
// ignore them), and returns the address the program was found at. A port
// mapper does not answer when the call fails, so the call ends with ctx.
func (c *Client) Callit(ctx context.Context, prog, vers, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) (net.Addr, error) {
	return c.rmtcall(ctx, false, prog, vers, proc, args, res)
}

// Indirect is Callit with RPCBPROC4_INDIRECT, which the port mapper
// answers with an error when the program or version is not registered
// (rpc.PROG_UNAVAIL, rpc.PROG_MISMATCH) or the call fails.
func (c *Client) Indirect(ctx context.Context, prog, vers, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) (net.Addr, error) {
	return c.rmtcall(ctx, true, prog, vers, proc, args, res)
}

func (c *Client) rmtcall(ctx context.Context, indirect bool, prog, vers, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) (net.Addr, error) {
	o := op{RPCBVERS4, RPCBPROC4_BCAST, prog, vers, ""}
	b, err := encodeArgs(args)
	if err != nil {
		return nil, o.fail(err)
	}
	a := RpcbRmtcallargs{Prog: prog, Vers: vers, Proc: proc, Args: b}
	var r *RpcbRmtcallres
	if indirect {
		o.proc = RPCBPROC4_INDIRECT
		r, err = c.v4.Indirect(ctx, &a)
	} else {
		r, o.vers, err = rpcb(c,
			func() (*RpcbRmtcallres, error) { return c.v4.Bcast(ctx, &a) },
			func() (*RpcbRmtcallres, error) { return c.v3.Callit(ctx, &a) })
	}
	if err == nil {
		err = decodeResults(r.Results, res)
	}
	if err != nil {
		return nil, o.fail(err)
	}
	ap, err := ParseUaddr(r.Addr)
	if err != nil {
		return nil, o.fail(err)
	}
	return net.UDPAddrFromAddrPort(netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())), nil
}

// GetStat returns the server's statistics with RPCBPROC4_GETSTAT.
func (c *Client) GetStat(ctx context.Context) (RpcbStatByvers, error) {
	st, err := c.v4.Getstat(ctx)
	return st, op{vers: RPCBVERS4, proc: RPCBPROC4_GETSTAT}.fail(err)
}

// encodeArgs encodes the arguments of a forwarded call.
func encodeArgs(args xdr.Marshaler) ([]byte, error) {
	if args == nil {
		return nil, nil
	}
	var e xdr.Encoder
	if err := args.MarshalXDR(&e); err != nil {
		return nil, err
	}
	return e.Bytes(), nil
}

// decodeResults decodes the results of a forwarded call into res, which
// must consume them exactly.
func decodeResults(b []byte, res xdr.Unmarshaler) error {
	if res == nil {
		return nil
	}
	var d xdr.Decoder
	d.Reset(b)
	if err := res.UnmarshalXDR(&d); err != nil {
		return err
	}
	if d.Remaining() != 0 {
		return &xdr.Error{Offset: d.Offset(), Item: "results", Value: int64(d.Remaining()), Err: xdr.ErrTrailingData}
	}
	return nil
}
