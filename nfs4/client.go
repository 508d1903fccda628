package nfs4

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nfskit/nfskit/rpc"
)

// Defaults of ClientOptions.
const (
	// DefaultClientDepth is how many READs or WRITEs one large transfer
	// of a File keeps in flight.
	DefaultClientDepth = 16
	// DefaultClientMaxIO caps the bytes of one READ or WRITE (the
	// server's maxread and maxwrite, and a session's channel sizes, may
	// cap it further).
	DefaultClientMaxIO = 1 << 20
	// DefaultMaxSymlinks is how many symbolic links one path lookup
	// follows before failing.
	DefaultMaxSymlinks = 40
	// DefaultMaxUncommitted is how many bytes of unstable writes a File
	// keeps for resending before it sends a COMMIT by itself.
	DefaultMaxUncommitted = 64 << 20
)

// ClientOptions tune a Client made by [Dial]. The zero value is usable:
// it negotiates the highest minor version the server speaks (4.2, then
// 4.1, then 4.0) and calls as this process's AUTH_SYS identity.
type ClientOptions struct {
	// Versions are the minor versions to try, in order; the first the
	// server does not refuse with NFS4ERR_MINOR_VERS_MISMATCH is used.
	// Nil means 2, 1, 0. One value pins the version.
	Versions []uint32
	// Auth is the credential of every call. Nil means AUTH_SYS with this
	// process's identity. A server whose export refuses the flavor
	// (NFS4ERR_WRONGSEC) is asked with SECINFO which it takes, and the
	// Client switches to AUTH_SYS or AUTH_NONE, whichever it offers
	// first.
	Auth rpc.Auth
	// Dial, if set, opens the connection instead of net.Dialer; addr is
	// Dial's addr.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// RPC, if set, is the base of the options of the RPC client (logger,
	// retransmission, ...); Auth and MaxRecordSize are set on a copy.
	RPC *rpc.ClientOptions
	// Name is the client's owner name, which the server keeps across
	// its restarts to let the client reclaim its state; by default
	// "nfskit-" and random hex digits.
	Name []byte
	// Depth is how many READs or WRITEs a large ReadAt or WriteAt keeps
	// in flight. Default DefaultClientDepth.
	Depth int
	// MaxIO caps the bytes of one READ or WRITE. Default
	// DefaultClientMaxIO.
	MaxIO int
	// MaxSymlinks is how many symbolic links a path lookup follows.
	// Default DefaultMaxSymlinks.
	MaxSymlinks int
	// Stable is how WRITEs ask to be stored: UNSTABLE4 (the default)
	// keeps each write's data until a COMMIT confirms it with the same
	// write verifier, and sends it again if the verifier changed;
	// DATA_SYNC4 and FILE_SYNC4 make each WRITE durable at once.
	Stable StableHow4
	// MaxUncommitted is how many bytes of unstable writes a File keeps
	// before it commits them by itself. Default DefaultMaxUncommitted.
	MaxUncommitted int64
	// ShareDeny is the OPEN4_SHARE_DENY_* bits OpenFile asks for: what
	// other opens of the file the open refuses while it lasts. Default
	// OPEN4_SHARE_DENY_NONE; OpenFileShare chooses per open.
	ShareDeny uint32
	// LockPoll is the first wait of a blocking Lock between tries while
	// the lock is held by another owner; it doubles up to LockPollMax.
	// Defaults 10ms and 1s.
	LockPoll, LockPollMax time.Duration
	// Logger receives the client's logs (state recovery); nil means
	// slog.Default().
	Logger *slog.Logger
}

// Client is an NFS version 4 client of one export of a server, made by
// [Dial]: paths are relative to the export, and the errors of its path
// operations are *fs.PathError wrapping an [*Error], which errors.Is
// matches against fs.ErrNotExist, fs.ErrExist, fs.ErrPermission, the
// NFS4ERR_* statuses and the syscall errno of the same meaning.
//
// The Client holds a client id (4.0) or a session (4.1 and 4.2) with a
// lease it renews in the background. When the server restarts, the
// Client establishes its client id again and reclaims the opens and
// locks of its files in the server's grace period, and the call that
// found out is sent again: callers see nothing. State that cannot be
// reclaimed, or that the server revoked after the lease lapsed, makes
// the files concerned fail with [ErrStateLost] or [ErrLockLost].
//
// A Client is safe for concurrent use.
type Client struct {
	rc     *rpc.Client
	auth   *flavorAuth
	opts   ClientOptions
	logger *slog.Logger
	export string
	root   NfsFh4 // the export's root directory
	sizes  ioSizes

	// The lease: the client id and session of the current generation.
	lease leaseState
	// stateMu is held shared by each COMPOUND from its building to its
	// reply, and exclusively by a recovery while it replaces the client
	// id and the files' stateids, so no COMPOUND mixes generations.
	stateMu   sync.RWMutex
	recoverMu sync.Mutex

	filesMu sync.Mutex
	files   map[*File]struct{} // open files, for reclaim

	owners    ownerPool
	writeBufs sync.Pool // copies of unstable writes
	// revokeCheck is set while a search for revoked state runs.
	revokeCheck atomic.Bool

	stopRenew context.CancelFunc
	renewDone chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Dial connects to the NFSv4 server at addr ("host:port"; port 2049 if
// none is given), establishes a client id (and a session in 4.1 and
// 4.2) in the minor version negotiated, and walks the server's pseudo
// file system from its root to export (a path such as "/vfs"; "/" or ""
// for the root itself). opts may be nil. Close ends it.
func Dial(ctx context.Context, addr, export string, opts *ClientOptions) (c *Client, err error) {
	var o ClientOptions
	if opts != nil {
		o = *opts
	}
	if o.Versions == nil {
		o.Versions = []uint32{2, 1, 0}
	}
	o.Depth = orDefault(o.Depth, DefaultClientDepth)
	o.MaxIO = orDefault(o.MaxIO, DefaultClientMaxIO)
	o.MaxSymlinks = orDefault(o.MaxSymlinks, DefaultMaxSymlinks)
	if o.MaxUncommitted <= 0 {
		o.MaxUncommitted = DefaultMaxUncommitted
	}
	if o.LockPoll <= 0 {
		o.LockPoll = 10 * time.Millisecond
	}
	if o.LockPollMax <= 0 {
		o.LockPollMax = time.Second
	}
	if o.Auth == nil {
		if o.Auth, err = rpc.CurrentAuthSys(); err != nil {
			return nil, err
		}
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(strings.Trim(addr, "[]"), "2049")
	}
	auth := &flavorAuth{}
	auth.set(o.Auth)
	var ro rpc.ClientOptions
	if o.RPC != nil {
		ro = *o.RPC
	}
	ro.Auth = auth
	ro.MaxRecordSize = max(ro.MaxRecordSize, o.MaxIO+64<<10)
	var rc *rpc.Client
	if o.Dial != nil {
		rc = rpc.NewClient(func(ctx context.Context) (net.Conn, error) { return o.Dial(ctx, "tcp", addr) }, &ro)
	} else if rc, err = rpc.Dial(ctx, "tcp", addr, &ro); err != nil {
		return nil, err
	}
	c = &Client{rc: rc, auth: auth, opts: o, logger: o.Logger, export: export, files: map[*File]struct{}{}}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	defer func() {
		if err != nil {
			rc.Close()
		}
	}()
	if err := c.negotiate(ctx); err != nil {
		return nil, err
	}
	if err := c.mountExport(ctx); err != nil {
		c.endLease(ctx)
		return nil, err
	}
	c.startRenewal()
	return c, nil
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// Minor returns the minor version the Client speaks.
func (c *Client) Minor() uint32 { return c.lease.minor }

// RootHandle returns the file handle of the export's root directory.
func (c *Client) RootHandle() []byte { return append([]byte(nil), c.root...) }

// Close closes the files still open (committing their writes and
// releasing their locks), stops renewing the lease, destroys the
// session and client id (4.1 and 4.2) and closes the connection.
func (c *Client) Close(ctx context.Context) error {
	c.closeOnce.Do(func() {
		c.filesMu.Lock()
		open := make([]*File, 0, len(c.files))
		for f := range c.files {
			open = append(open, f)
		}
		c.filesMu.Unlock()
		var errs []error
		for _, f := range open {
			if err := f.close(ctx); err != nil && !errors.Is(err, ErrStateLost) && !errors.Is(err, ErrLockLost) {
				errs = append(errs, err)
			}
		}
		c.stopRenewal()
		errs = append(errs, c.endLease(ctx))
		errs = append(errs, c.rc.Close())
		c.closeErr = errors.Join(errs...)
	})
	return c.closeErr
}

// mountExport walks from the pseudo root to the export and learns the
// server's transfer sizes there.
func (c *Client) mountExport(ctx context.Context) error {
	var names []string
	for _, p := range strings.Split(c.export, "/") {
		if p != "" {
			names = append(names, p)
		}
	}
	fh, err := c.walkFrom(ctx, nil, names)
	if err != nil {
		return pathError("mount", c.export, err)
	}
	c.root = fh
	res, err := c.exec(ctx, &request{build: func() (*Compound, error) {
		return c.compound("fsinfo").PutFH(c.root).GetAttr(FATTR4_MAXREAD, FATTR4_MAXWRITE, FATTR4_LEASE_TIME), nil
	}})
	if err != nil {
		return pathError("mount", c.export, err)
	}
	a, err := res.GetAttr(1)
	if err != nil {
		return pathError("mount", c.export, err)
	}
	c.sizes.set(a, c.opts.MaxIO, c.lease.session)
	if a.LeaseTime > 0 {
		c.lease.setTime(time.Duration(a.LeaseTime) * time.Second)
	}
	return nil
}

// compound starts a COMPOUND of the Client's minor version.
func (c *Client) compound(tag string) *Compound {
	return NewCompound(c.lease.minor).Tag(tag)
}
