package nfs4

import (
	"context"
	"encoding/binary"
	"log/slog"
	"sync"
	"time"

	"github.com/nfskit/nfskit/internal/nfsstat"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/xdr"
)

// Defaults of ServerOptions.
const (
	// DefaultMaxOps is the most operations a COMPOUND may carry.
	DefaultMaxOps = 128
	// DefaultMaxReply is the largest encoded COMPOUND reply.
	DefaultMaxReply = MaxTransfer + 64<<10
	// DefaultLeaseTime is the lease_time attribute, in seconds.
	DefaultLeaseTime = 90
	// MaxTransfer is the maxread and maxwrite the server reports.
	MaxTransfer = 1 << 20
	// maxTag bounds a COMPOUND's tag.
	maxTag = 1024
)

// ServerOptions configure a Server.
type ServerOptions struct {
	// Logger receives the server's logs; nil means slog.Default().
	Logger *slog.Logger
	// MaxOps bounds the operations of one COMPOUND (NFS4ERR_RESOURCE in
	// 4.0, NFS4ERR_TOO_MANY_OPS in 4.1 beyond it); 0 means DefaultMaxOps.
	MaxOps int
	// MaxReply bounds the encoded size of a COMPOUND reply: the operation
	// that would pass it fails with NFS4ERR_RESOURCE (4.0) or
	// NFS4ERR_REP_TOO_BIG (4.1); 0 means DefaultMaxReply.
	MaxReply int
	// LeaseTime is the lease, in seconds, the lease_time attribute
	// reports; 0 means DefaultLeaseTime.
	LeaseTime uint32
	// IDMapper converts owners and groups to and from their attribute
	// strings; nil means NumericIDs.
	IDMapper IDMapper
	// WriteVerifier is the verifier COMMIT returns; the zero value means
	// one derived from the time the server starts. A server that also
	// serves NFSv3 passes the NFSv3 server's, so both report a restart
	// alike.
	WriteVerifier [NFS4_VERIFIER_SIZE]byte
	// State serves the operations that need client, open and lock state:
	// a StateServer (NewStateManager) serves them all; another
	// StateManager only SEQUENCE and the stateids of I/O. Nil means they
	// are not supported.
	State StateManager
}

// Server is an NFS version 4 server (RFC 7530 for 4.0, RFC 5661 for 4.1)
// over the exports of an export.Table: it implements V4Server, running
// the operations of each COMPOUND in order against the export's vfs.FS
// with the identity the export's policy gives the caller, and Register
// serves it on an rpc.Mux.
//
// Exports appear in a read-only pseudo file system built from their
// paths: exports at /a/b and /c give the pseudo directories /, /a and
// /c, and an export at / is the root itself. File handles of exported
// files are NFSv3's (package export's) bytes, so a handle from one
// version serves the other; pseudo directories have handles of their
// own, stable across restarts.
//
// The operations that need state (client ids, sessions, opens, locks)
// run through a StateServer over a state.Manager; without one they
// answer NFS4ERR_NOTSUPP, and 4.1 COMPOUNDs, which need a session, are
// refused at their SEQUENCE. With one the server gives delegations and
// installs itself as t's delegation breaker (export.Table
// SetDelegationBreaker), so NFSv3 and NLM requests on the same exports
// recall them.
type Server struct {
	exports *export.Table
	logger  *slog.Logger
	ids     IDMapper
	state   StateManager
	// stateServer is state when it is package state's, whose stateful
	// operations the op table serves.
	stateServer *StateServer
	maxOps      int
	maxReply    int
	lease       uint32
	verf        [NFS4_VERIFIER_SIZE]byte
	pseudo      pseudoCache
	compounds   sync.Pool
}

var _ V4Server = (*Server)(nil)

// NewServer returns a server of the exports in t, which may change while
// it serves. opts may be nil.
func NewServer(t *export.Table, opts *ServerOptions) *Server {
	var o ServerOptions
	if opts != nil {
		o = *opts
	}
	s := &Server{exports: t, logger: o.Logger, ids: o.IDMapper, state: o.State,
		maxOps: o.MaxOps, maxReply: o.MaxReply, lease: o.LeaseTime, verf: o.WriteVerifier}
	s.stateServer, _ = o.State.(*StateServer)
	if s.stateServer != nil {
		t.SetDelegationBreaker(crossProtocol{s.stateServer.m})
		if o.Logger != nil {
			s.stateServer.cb.setLogger(o.Logger)
		}
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.ids == nil {
		s.ids = NumericIDs{}
	}
	if s.maxOps <= 0 {
		s.maxOps = DefaultMaxOps
	}
	if s.maxReply <= 0 {
		s.maxReply = DefaultMaxReply
	}
	if s.lease == 0 {
		s.lease = DefaultLeaseTime
	}
	if s.verf == [NFS4_VERIFIER_SIZE]byte{} {
		binary.BigEndian.PutUint64(s.verf[:], uint64(time.Now().UnixNano()))
	}
	s.pseudo.table = t
	s.compounds.New = func() any { return &compound{s: s} }
	return s
}

// Register serves NFS version 4 on mux.
func (s *Server) Register(mux *rpc.Mux) {
	mux.Handle(NFS4_PROGRAM, NFS_V4, s.Handler())
}

// Handler returns the server as an rpc.Handler: NewV4Handler(s), except
// that a COMPOUND is decoded one operation at a time into values the
// server reuses, and its results are encoded as each operation runs.
func (s *Server) Handler() rpc.Handler {
	typed := NewV4Handler(s)
	return rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, call *rpc.Call) {
		if call.Proc != NFSPROC4_COMPOUND {
			typed.ServeRPC(ctx, w, call)
			return
		}
		c := s.getCompound(ctx, call)
		if err := c.run(call.Args); err != nil {
			rpc.ReplyError(w, err)
		} else {
			w.Reply(c)
		}
		s.putCompound(c)
	})
}

// Null answers NFSPROC4_NULL.
func (s *Server) Null(ctx context.Context, call *rpc.Call) error { return nil }

// Compound answers NFSPROC4_COMPOUND. It runs the same engine as Handler,
// through an encoding of args and a decoding of the reply, so it is the
// slower way in.
func (s *Server) Compound(ctx context.Context, call *rpc.Call, args *COMPOUND4args) (*COMPOUND4res, error) {
	var e xdr.Encoder
	if err := args.MarshalXDR(&e); err != nil {
		return nil, rpc.GARBAGE_ARGS
	}
	c := s.getCompound(ctx, call)
	defer s.putCompound(c)
	if err := c.run(e.Bytes()); err != nil {
		return nil, err
	}
	var out xdr.Encoder
	c.MarshalXDR(&out)
	res := new(COMPOUND4res)
	if err := res.UnmarshalXDR(xdr.NewDecoder(out.Bytes())); err != nil {
		return nil, err
	}
	return res, nil
}

// StatusOf returns the status code a backend error maps to: the code of
// the first vfs sentinel error that errors.Is finds in err,
// NFS4ERR_SERVERFAULT for a backend handle too long to send, NFS4ERR_IO
// for anything else, and NFS4_OK for nil.
func StatusOf(err error) Nfsstat4 { return Nfsstat4(nfsstat.Of(err)) }
