package rpc

import (
	"context"
	"net"
	"slices"
	"sync"

	"github.com/nfskit/nfskit/xdr"
)

// A Handler answers RPC calls.
//
// ServeRPC is called on its own goroutine for each call, so a slow call
// never holds up the others on a connection. It answers through w: with
// results, with an RFC error, or not at all (Drop). It may also return
// without answering and answer later from another goroutine (a blocking
// lock is granted minutes later, say), but it must then copy what it needs
// from c first: c and the argument bytes it holds are valid only until
// ServeRPC returns. Every call must eventually be answered or dropped; the
// server counts it as in flight until then.
//
// ctx is done when the connection the call came on closes or the server
// shuts down.
type Handler interface {
	// ServeRPC answers c through w.
	ServeRPC(ctx context.Context, w ReplyWriter, c *Call)
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(ctx context.Context, w ReplyWriter, c *Call)

// ServeRPC calls f.
func (f HandlerFunc) ServeRPC(ctx context.Context, w ReplyWriter, c *Call) { f(ctx, w, c) }

// Middleware wraps a Handler with behaviour of its own: logging, metrics,
// authentication checks, fault injection.
type Middleware func(Handler) Handler

// ReplyWriter answers one call. Exactly one of its methods may be used,
// once; later calls return ErrReplied. It is safe to use from any
// goroutine.
type ReplyWriter interface {
	// Reply sends a successful reply with the given results; nil means the
	// procedure returns void.
	Reply(results xdr.Marshaler) error
	// Error sends an accepted reply with an error status: PROG_UNAVAIL,
	// PROC_UNAVAIL, GARBAGE_ARGS or SYSTEM_ERR.
	Error(stat AcceptStat) error
	// ProgMismatch sends PROG_MISMATCH with the lowest and highest
	// versions of the program that the server has.
	ProgMismatch(low, high uint32) error
	// AuthError denies the call with an authentication status.
	AuthError(stat AuthStat) error
	// Drop answers nothing: the caller will time out or retransmit.
	Drop()
}

// Transport describes how a call arrived.
type Transport struct {
	// Network is "tcp" or "udp".
	Network string
	// LocalAddr is the address the call was sent to; for UDP on a
	// wildcard socket it is the datagram's destination address.
	LocalAddr net.Addr
	// RemoteAddr is the caller's address.
	RemoteAddr net.Addr
	// Conn is the stream connection the call came on, through which the
	// server can call back to the client; nil for UDP.
	Conn *Conn
}

// FromLocalHost reports whether the caller is on this host: its address
// is a loopback IP address or a unix socket. A call with no address, or
// another kind of address, is not.
func (t *Transport) FromLocalHost() bool {
	switch a := t.RemoteAddr.(type) {
	case *net.UnixAddr:
		return true
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	case *net.UDPAddr:
		return a.IP.IsLoopback()
	}
	return false
}

// Call is an incoming call.
type Call struct {
	// Xid is the transaction id the caller chose; a retransmission of
	// the call carries the same one.
	Xid uint32
	// Prog, Vers and Proc are the program, version and procedure called.
	Prog, Vers, Proc uint32
	// Cred and Verf are the credential and verifier as sent. Their bodies
	// alias the record.
	Cred, Verf OpaqueAuth
	// Identity is what the server's Authenticator made of the
	// credential: the *AuthsysParms of an AUTH_SYS call, nil for
	// AUTH_NONE, a principal for a flavor that has one.
	Identity any
	// ReplyVerf is the verifier an accepted reply carries: the one the
	// Authenticator returned (AUTH_NONE for the built-in flavors), unless
	// the handler (or an authentication middleware) sets it before
	// answering, e.g. to an AUTH_SHORT handle the client may use in place
	// of its AUTH_SYS credential.
	ReplyVerf OpaqueAuth
	// Args holds the procedure's encoded arguments. It aliases the
	// record the call arrived in and is valid until ServeRPC returns.
	Args []byte
	Transport
	sys    AuthsysParms
	sysErr error
	sysSet bool
	dec    xdr.Decoder // Decode's, kept with the pooled call
}

// Decode decodes the arguments into v. Opaque data in them aliases the
// record (no copy), so it too is valid only until ServeRPC returns. The
// arguments must be consumed exactly; an error means the caller should get
// GARBAGE_ARGS.
func (c *Call) Decode(v xdr.Unmarshaler) error {
	d := &c.dec
	d.Reset(c.Args)
	d.SetNoCopy(true)
	defer d.Reset(nil)
	if err := v.UnmarshalXDR(d); err != nil {
		return err
	}
	if d.Remaining() != 0 {
		return &xdr.Error{Offset: d.Offset(), Item: "arguments", Value: int64(d.Remaining()), Err: xdr.ErrTrailingData}
	}
	return nil
}

// AuthSys returns the AUTH_SYS credential of the call, or false if the
// call has another flavor or a malformed AUTH_SYS body.
func (c *Call) AuthSys() (*AuthsysParms, bool) {
	if c.Cred.Flavor != AUTH_SYS {
		return nil, false
	}
	if !c.sysSet {
		c.sysSet = true
		c.sysErr = decodeAuthSys(c.Cred.Body, &c.sys)
	}
	return &c.sys, c.sysErr == nil
}

// decodeAuthSys decodes an AUTH_SYS credential body into p as
// AuthsysParms.UnmarshalXDR does, but without allocating when p already
// holds the machine name and room for the groups: a pooled Call keeps
// them from its previous call, which most often came from the same
// client.
func decodeAuthSys(body []byte, p *AuthsysParms) error {
	var d xdr.Decoder
	d.Reset(body)
	d.SetNoCopy(true)
	p.Stamp = d.Uint32()
	if name := d.Opaque(nil, 255); string(name) != p.Machinename {
		p.Machinename = string(name)
	}
	p.Uid = d.Uint32()
	p.Gid = d.Uint32()
	n := d.Len(16, 4)
	p.Gids = p.Gids[:0]
	for range n {
		p.Gids = append(p.Gids, d.Uint32())
	}
	if d.Err() == nil && d.Remaining() != 0 {
		return xdr.ErrTrailingData
	}
	return d.Err()
}

// reset clears the call for reuse, keeping its buffers and the machine
// name of its AUTH_SYS credential.
func (c *Call) reset() {
	gids, name := c.sys.Gids[:0], c.sys.Machinename
	*c = Call{}
	c.sys.Gids, c.sys.Machinename = gids, name
}

// Mux routes calls to handlers by program and version, and answers itself
// what the RFC says a server answers when it has no such program
// (PROG_UNAVAIL) or no such version of it (PROG_MISMATCH, with the lowest
// and highest versions it has). Procedures are the handler's business: a
// handler answers PROC_UNAVAIL for those it does not know.
type Mux struct {
	mu    sync.RWMutex
	progs map[uint32]*muxProg
	mw    []Middleware
}

type muxProg struct {
	vers     map[uint32]Handler
	low, hi  uint32
	versions []uint32
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{progs: map[uint32]*muxProg{}} }

// Handle registers h for a program version, replacing any handler it had.
// Middleware given to Use applies to it.
func (m *Mux) Handle(prog, vers uint32, h Handler) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.progs[prog]
	if p == nil {
		p = &muxProg{vers: map[uint32]Handler{}}
		m.progs[prog] = p
	}
	for i := len(m.mw) - 1; i >= 0; i-- {
		h = m.mw[i](h)
	}
	p.vers[vers] = h
	if !slices.Contains(p.versions, vers) {
		p.versions = append(p.versions, vers)
		slices.Sort(p.versions)
	}
	p.low, p.hi = p.versions[0], p.versions[len(p.versions)-1]
}

// HandleFunc registers a function for a program version.
func (m *Mux) HandleFunc(prog, vers uint32, f func(ctx context.Context, w ReplyWriter, c *Call)) {
	m.Handle(prog, vers, HandlerFunc(f))
}

// Remove unregisters a program version.
func (m *Mux) Remove(prog, vers uint32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.progs[prog]
	if p == nil {
		return
	}
	delete(p.vers, vers)
	p.versions = slices.DeleteFunc(p.versions, func(v uint32) bool { return v == vers })
	if len(p.versions) == 0 {
		delete(m.progs, prog)
		return
	}
	p.low, p.hi = p.versions[0], p.versions[len(p.versions)-1]
}

// Use adds middleware applied to handlers registered after it, outermost
// first.
func (m *Mux) Use(mw ...Middleware) {
	m.mu.Lock()
	m.mw = append(m.mw, mw...)
	m.mu.Unlock()
}

// Programs returns the registered program versions, ordered.
func (m *Mux) Programs() []ProgramVersion {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []ProgramVersion
	for prog, p := range m.progs {
		for _, v := range p.versions {
			out = append(out, ProgramVersion{prog, v})
		}
	}
	slices.SortFunc(out, func(a, b ProgramVersion) int {
		if a.Prog != b.Prog {
			return int(int64(a.Prog) - int64(b.Prog))
		}
		return int(int64(a.Vers) - int64(b.Vers))
	})
	return out
}

// ProgramVersion names one version of an RPC program.
type ProgramVersion struct{ Prog, Vers uint32 }

// ServeRPC dispatches c.
func (m *Mux) ServeRPC(ctx context.Context, w ReplyWriter, c *Call) {
	m.mu.RLock()
	p := m.progs[c.Prog]
	var h Handler
	var low, hi uint32
	if p != nil {
		h = p.vers[c.Vers]
		low, hi = p.low, p.hi
	}
	m.mu.RUnlock()
	switch {
	case p == nil:
		w.Error(PROG_UNAVAIL)
	case h == nil:
		w.ProgMismatch(low, hi)
	default:
		h.ServeRPC(ctx, w, c)
	}
}

// Null is a Handler for procedure 0 of any program, the NULL procedure,
// that answers everything else with PROC_UNAVAIL; a program's handler can
// delegate to it.
var Null = HandlerFunc(func(ctx context.Context, w ReplyWriter, c *Call) {
	if c.Proc == 0 {
		w.Reply(nil)
		return
	}
	w.Error(PROC_UNAVAIL)
})

// RawResults are results (or arguments) already encoded: a reply cache or
// a proxy sends them as they are, and a proxy takes a reply's results as
// bytes by decoding into a *RawResults.
type RawResults []byte

// MarshalXDR appends the bytes unchanged.
func (r RawResults) MarshalXDR(e *xdr.Encoder) error {
	e.PutRaw(r)
	return nil
}

// UnmarshalXDR takes the rest of the input as it is, copied into r's
// buffer (reused when it has room): the bytes outlive the record they
// came in.
func (r *RawResults) UnmarshalXDR(d *xdr.Decoder) error {
	*r = append((*r)[:0], d.Rest()...)
	d.Skip(d.Remaining())
	return d.Err()
}
