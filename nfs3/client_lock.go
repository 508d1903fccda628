package nfs3

import (
	"context"
	"crypto/rand"
	"errors"
	"io/fs"
	"math"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
)

// lockReleaseTimeout bounds the UNLOCKs Close sends for the locks still
// held.
const lockReleaseTimeout = 5 * time.Second

// lockSvids hands out the svid of each Client's lock owner: distinct
// within the process, starting from its pid.
var lockSvids atomic.Int32

func init() { lockSvids.Store(int32(os.Getpid())) }

// clientLocks is a Client's byte-range locking: its lock owner and the
// NLM client, dialled on first use.
type clientLocks struct {
	mu    sync.Mutex
	owner nlm.Owner
	host  string // the server; "" when the Client was not mounted
	opts  nlm.ClientOptions
	// family is "4" or "6" when the lock manager is looked for over TCP
	// and UDP of that address family only.
	family string
	nlm    *nlm.Client
	dialed bool // nlm was dialled here, and is closed by Close
	closed bool
}

// init sets up locking against the lock manager on host.
func (l *clientLocks) init(host string, o *MountOptions) {
	l.host = host
	if o.NLM != nil {
		l.opts = *o.NLM
	}
	if o.NLMPort != 0 {
		l.opts.Port = o.NLMPort
	}
	if l.opts.Dial == nil && o.Dial != nil {
		l.opts.Dial = o.Dial
	}
	switch {
	case l.opts.Network != "":
	case l.opts.Port != 0 || l.opts.Dial != nil:
		// No port mapper says which transport a given port is on, and
		// a datagram socket would not go through Dial: the lock manager
		// is where the mount is.
		l.opts.Network = o.Network
	default:
		// The port mapper is asked over TCP and then UDP, on the
		// address family the mount's network names, if any.
		l.family = strings.TrimLeft(o.Network, "tcpud")
	}
	var ro rpc.ClientOptions
	if o.RPC != nil {
		ro = *o.RPC
	}
	if l.opts.RPC != nil {
		ro = *l.opts.RPC
	}
	if ro.Auth == nil {
		ro.Auth = o.Auth
	}
	ro.ReservedPort = ro.ReservedPort || o.ReservedPort
	l.opts.RPC = &ro
}

// ownerLocked returns the Client's lock owner, making it on first use.
func (l *clientLocks) ownerLocked() nlm.Owner {
	if l.owner.OH == nil {
		oh := make([]byte, 8)
		rand.Read(oh)
		l.owner = nlm.Owner{Svid: lockSvids.Add(1), OH: oh}
	}
	return l.owner
}

// client returns the NLM client and the lock owner, dialling the lock
// manager on first use.
func (l *clientLocks) client(ctx context.Context) (*nlm.Client, nlm.Owner, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	owner := l.ownerLocked()
	if l.closed {
		return nil, owner, ErrLockClientClosed
	}
	if l.nlm != nil {
		return l.nlm, owner, nil
	}
	if l.host == "" {
		return nil, owner, ErrNoLockManager
	}
	c, err := l.dial(ctx)
	if err != nil {
		return nil, owner, err
	}
	l.nlm, l.dialed = c, true
	return c, owner, nil
}

// dial dials the lock manager. Without a network set, nlm.Dial asks the
// port mapper for it over TCP and, if it is not registered there, over
// UDP; within an address family, the same is done here.
func (l *clientLocks) dial(ctx context.Context) (*nlm.Client, error) {
	if l.family == "" {
		return nlm.Dial(ctx, l.host, &l.opts)
	}
	o := l.opts
	o.Network = "tcp" + l.family
	c, err := nlm.Dial(ctx, l.host, &o)
	if !errors.Is(err, nlm.ErrNoLockManager) {
		return c, err
	}
	o.Network = "udp" + l.family
	return nlm.Dial(ctx, l.host, &o)
}

// Errors of File locking besides the lock manager's own.
var (
	// ErrNoLockManager means the Client was not made by Mount, so it does
	// not know where the lock manager is: give it one with
	// UseLockManager.
	ErrNoLockManager = errors.New("nfs3: no lock manager: the client was not mounted; call UseLockManager")
	// ErrLockClientClosed means the Client was closed.
	ErrLockClientClosed = errors.New("nfs3: client closed")
)

// UseLockManager makes the Client lock through l (an NLM client of the
// server), instead of one it dials to the mounted host on first use. The
// Client does not close l.
func (c *Client) UseLockManager(l *nlm.Client) {
	c.locks.mu.Lock()
	defer c.locks.mu.Unlock()
	if c.locks.dialed && c.locks.nlm != nil {
		c.locks.nlm.Close()
	}
	c.locks.nlm, c.locks.dialed = l, false
}

// LockOwner returns the NLM lock owner of the Client's locks: each Client
// is one owner, as a process is for fcntl locks.
func (c *Client) LockOwner() nlm.Owner {
	c.locks.mu.Lock()
	defer c.locks.mu.Unlock()
	o := c.locks.ownerLocked()
	return nlm.Owner{Svid: o.Svid, OH: append([]byte(nil), o.OH...)}
}

// closeLocks releases the locks the Client's owner holds and closes the
// NLM client if the Client dialled it.
func (c *Client) closeLocks() error {
	l := &c.locks
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.nlm == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), lockReleaseTimeout)
	defer cancel()
	var errs []error
	for _, h := range l.nlm.Held() {
		o := h.Lock.Owner
		if o.Svid != l.owner.Svid || string(o.OH) != string(l.owner.OH) {
			continue
		}
		if err := l.nlm.Unlock(ctx, h.FH, o, h.Lock.Offset, h.Lock.Length); err != nil {
			errs = append(errs, err)
		}
	}
	if l.dialed {
		l.nlm.Close()
	}
	l.nlm = nil
	return errors.Join(errs...)
}

// lockRange turns an fcntl range (length bytes from off; 0 to the end of
// the file; a negative length ends the range at off) into an NLM one.
func lockRange(off, length int64) (uint64, uint64, error) {
	if length < 0 {
		if length == math.MinInt64 || off+length < 0 {
			return 0, 0, fs.ErrInvalid
		}
		off, length = off+length, -length
	}
	if off < 0 {
		return 0, 0, fs.ErrInvalid
	}
	return uint64(off), uint64(length), nil
}

// lock takes a lock through the Client's lock manager.
func (f *File) lock(ctx context.Context, op string, typ vfs.LockType, off, length int64, wait bool) error {
	if typ != vfs.ReadLock && typ != vfs.WriteLock {
		return &fs.PathError{Op: op, Path: f.name, Err: fs.ErrInvalid}
	}
	start, n, err := lockRange(off, length)
	if err != nil {
		return &fs.PathError{Op: op, Path: f.name, Err: err}
	}
	nc, owner, err := f.c.locks.client(ctx)
	if err == nil {
		err = nc.Lock(ctx, f.fh.Data, nlm.Lock{Owner: owner, Exclusive: typ == vfs.WriteLock, Offset: start, Length: n, Wait: wait})
	}
	if err != nil {
		return &fs.PathError{Op: op, Path: f.name, Err: err}
	}
	return nil
}

// Lock takes a byte-range lock of type typ (vfs.ReadLock or
// vfs.WriteLock) over length bytes from off, waiting while another owner
// holds a conflicting lock, as fcntl's F_SETLKW does: a length of 0
// reaches the end of the file however far it grows, a negative length
// covers the bytes before off. The lock belongs to the Client (every File
// of a Client is one lock owner, as a process is for fcntl), so it
// replaces what the Client held over those bytes; it is taken through the
// server's Network Lock Manager, dialled on first use. The wait ends with
// ctx (the request is then cancelled on the server).
//
// Locks outlive the File: File.Close does not release them (POSIX close
// would release all the process's locks on the file). Client.Close
// releases the locks the Client still holds.
func (f *File) Lock(ctx context.Context, typ vfs.LockType, off, length int64) error {
	return f.lock(ctx, "lock", typ, off, length, true)
}

// TryLock is Lock without the wait, as fcntl's F_SETLK: a conflicting
// lock of another owner fails it at once with an error that matches
// vfs.ErrLocked (and nlm.ErrDenied), from which errors.As extracts a
// *vfs.LockConflict when the server reports the holder.
func (f *File) TryLock(ctx context.Context, typ vfs.LockType, off, length int64) error {
	return f.lock(ctx, "trylock", typ, off, length, false)
}

// Unlock releases the Client's locks over length bytes from off (the
// range as in Lock). Releasing bytes that are not locked succeeds.
func (f *File) Unlock(ctx context.Context, off, length int64) error {
	start, n, err := lockRange(off, length)
	if err != nil {
		return &fs.PathError{Op: "unlock", Path: f.name, Err: err}
	}
	nc, owner, err := f.c.locks.client(ctx)
	if err == nil {
		err = nc.Unlock(ctx, f.fh.Data, owner, start, n)
	}
	if err != nil {
		return &fs.PathError{Op: "unlock", Path: f.name, Err: err}
	}
	return nil
}
