package nfs3

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// Defaults of ClientOptions.
const (
	// DefaultDepth is how many READs or WRITEs one large transfer keeps
	// in flight.
	DefaultDepth = 16
	// DefaultMaxIO caps the size of one READ or WRITE (the server's
	// FSINFO rtmax and wtmax may cap it further).
	DefaultMaxIO = 1 << 20
	// DefaultDatagramIO is the cap over UDP, whose calls and replies must
	// fit a datagram.
	DefaultDatagramIO = 32 << 10
	// DefaultDatagramDepth is the default Depth over UDP.
	DefaultDatagramDepth = 4
	// DefaultMaxSymlinks is how many symbolic links one path lookup
	// follows before failing, as Linux's limit.
	DefaultMaxSymlinks = 40
	// DefaultMaxUncommitted is how many bytes of unstable writes a File
	// keeps for resending before it asks the server to COMMIT them.
	DefaultMaxUncommitted = 64 << 20
)

// ClientOptions tune a Client. The zero value is usable.
type ClientOptions struct {
	// Depth is how many READs or WRITEs a large ReadAt or WriteAt keeps in
	// flight at once. Default DefaultDepth, or DefaultDatagramDepth when
	// Mount mounts over UDP.
	Depth int
	// MaxIO caps the bytes of one READ or WRITE; the server's FSINFO caps
	// it further. Default DefaultMaxIO, or DefaultDatagramIO when Mount
	// mounts over UDP. An rpc.Client handed to NewClientFromHandle needs
	// a MaxRecordSize a little above it, and one over UDP a MaxIO that
	// fits a datagram.
	MaxIO int
	// MaxSymlinks is how many symbolic links a path lookup follows.
	// Default DefaultMaxSymlinks.
	MaxSymlinks int
	// Stable is how writes ask to be stored: UNSTABLE (the default) keeps
	// the data of each write until a COMMIT confirms it, and sends it
	// again if the server restarted meanwhile; DATA_SYNC and FILE_SYNC
	// make every WRITE durable before it is answered.
	Stable StableHow
	// MaxUncommitted is how many bytes of unstable writes a File keeps
	// before it sends a COMMIT by itself. Default DefaultMaxUncommitted.
	MaxUncommitted int64
	// AttrCache, if set, makes the Client keep the attributes replies
	// carry and trust them for a while (see AttrCacheOptions) instead of
	// asking for them with GETATTR each time, and, unless its
	// NoNameCache is set, what the names in directories lead to instead
	// of asking with LOOKUP each time. nil (the default) caches no
	// attributes and no names.
	AttrCache *AttrCacheOptions
}

// MountOptions configure Mount. The zero value mounts over TCP, finds the
// MOUNT and NFS services through the host's port mapper, and calls with
// the AUTH_SYS identity of this process.
type MountOptions struct {
	ClientOptions
	// Auth is the credential of every MOUNT and NFS call. nil means
	// AUTH_SYS with this process's identity (rpc.CurrentAuthSys); give
	// rpc.AuthNone{} for AUTH_NONE or an *rpc.AuthSys of another
	// identity.
	Auth rpc.Auth
	// Network is "tcp" (the default) or "udp", or "tcp4", "tcp6",
	// "udp4", "udp6".
	Network string
	// MountPort and NFSPort, if set, are used instead of asking the port
	// mapper. Without either, the port mapper on port 111 is asked, and
	// NFS falls back to 2049 if it is not registered.
	MountPort, NFSPort int
	// Dial, if set, opens the stream connections (to the port mapper, to
	// MOUNT and to NFS) instead of net.Dialer: through another network
	// namespace, from a chosen source address, through a fault injector.
	// addr is "host:port".
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// ReservedPort makes connections from a port below 1024, for servers
	// that insist on it (it needs the privilege). Ignored with Dial.
	ReservedPort bool
	// RPC, if set, is the base for the options of the RPC clients Mount
	// makes (retransmission, logger, ...); Auth, ReservedPort and, for
	// NFS, a MaxRecordSize that fits MaxIO are set on a copy.
	RPC *rpc.ClientOptions
	// NLMPort, if set, is the port of the server's lock manager (NLM
	// version 4), which File.Lock dials on first use; without it the port
	// mapper is asked.
	NLMPort int
	// NLM, if set, configures the lock manager client File.Lock dials
	// (caller name, polling of blocked locks, ...). Dial, Auth and
	// ReservedPort default to the mount's. Without a Network of its
	// own, the lock manager is looked for with the port mapper over TCP
	// and, if it is not registered there, over UDP, in the address
	// family the mount's Network names (tcp4, udp6, ...) if it names
	// one; but when its port is given (NLMPort or NLM.Port) or a Dial
	// function is set, it is dialled over the mount's Network, since a
	// datagram socket would not go through Dial.
	NLM *nlm.ClientOptions
}

// Client is an NFS version 3 client of one export: Mount or
// NewClientFromHandle make one. It works with paths relative to the
// export's root, with the io/fs conventions: errors are *fs.PathError
// wrapping an *Error (or the RPC failure), and errors.Is matches them
// against fs.ErrNotExist, fs.ErrExist, fs.ErrPermission, the NFS3ERR_*
// codes and the syscall errno of the same meaning.
//
// The context of each method bounds its calls; a File uses the context
// it was opened with for all its I/O. A Client caches no names or
// attributes, and every path operation looks its path up afresh, unless
// ClientOptions.AttrCache asks it to cache them.
//
// A Client is safe for concurrent use.
type Client struct {
	// NFS makes raw NFS version 3 calls through the Client's connection.
	NFS    *V3Client
	caller rpc.Caller
	root   NfsFh3
	opts   ClientOptions

	info struct {
		sync.Mutex
		res *FSINFO3resok
	}
	noPlus     atomic.Bool // READDIRPLUS was refused: use READDIR
	writeBufs  sync.Pool
	mountPath  string
	mountCli   *mount.V3Client
	closers    []io.Closer
	closeOnce  sync.Once
	closeError error
	locks      clientLocks // byte-range locking through NLM
	attrs      *attrCache  // nil without ClientOptions.AttrCache
}

// NewClientFromHandle returns a Client of the file system whose root
// directory has the handle root (as a MOUNT reply gives it), calling
// through caller: an *rpc.Client connected to an NFS server, or anything
// else that makes calls. Close does not close caller. opts may be nil.
func NewClientFromHandle(caller rpc.Caller, root []byte, opts *ClientOptions) *Client {
	c := &Client{NFS: NewV3Client(caller), caller: caller, root: NfsFh3{Data: append([]byte(nil), root...)}}
	if opts != nil {
		c.opts = *opts
	}
	o := &c.opts
	o.Depth = orInt(o.Depth, DefaultDepth)
	o.MaxIO = orInt(o.MaxIO, DefaultMaxIO)
	o.MaxSymlinks = orInt(o.MaxSymlinks, DefaultMaxSymlinks)
	if o.MaxUncommitted <= 0 {
		o.MaxUncommitted = DefaultMaxUncommitted
	}
	c.attrs = newAttrCache(o.AttrCache)
	return c
}

func orInt(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// Mount mounts the export at path on host (a name or an address, without
// a port) over MOUNT version 3 and returns a Client of it. A refusal is a
// *MountError. Close unmounts it.
func Mount(ctx context.Context, host, path string, opts *MountOptions) (c *Client, err error) {
	var o MountOptions
	if opts != nil {
		o = *opts
	}
	if o.Network == "" {
		o.Network = "tcp"
	}
	stream := !strings.HasPrefix(o.Network, "udp")
	if !stream {
		// Keep what is in flight within a socket's default receive
		// buffer: a datagram that does not fit is lost, and sent again
		// only after a second.
		o.MaxIO = min(orInt(o.MaxIO, DefaultDatagramIO), DefaultDatagramIO)
		o.Depth = orInt(o.Depth, DefaultDatagramDepth)
	}
	if o.Dial != nil && !stream {
		return nil, errors.New("nfs3: Mount: a Dial function needs a stream network, not " + o.Network)
	}
	if o.Auth == nil {
		if o.Auth, err = rpc.CurrentAuthSys(); err != nil {
			return nil, err
		}
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	var closers []io.Closer
	defer func() {
		if err != nil {
			for _, cl := range closers {
				cl.Close()
			}
		}
	}()
	connect := func(port int, ro *rpc.ClientOptions) (*rpc.Client, error) {
		addr := net.JoinHostPort(host, strconv.Itoa(port))
		if o.Dial != nil {
			return rpc.NewClient(func(ctx context.Context) (net.Conn, error) { return o.Dial(ctx, o.Network, addr) }, ro), nil
		}
		return rpc.Dial(ctx, o.Network, addr, ro)
	}
	dial := func(port int, ro *rpc.ClientOptions) (*rpc.Client, error) {
		rc, err := connect(port, ro)
		if err == nil {
			closers = append(closers, rc)
		}
		return rc, err
	}
	base := func() *rpc.ClientOptions {
		var ro rpc.ClientOptions
		if o.RPC != nil {
			ro = *o.RPC
		}
		ro.Auth, ro.ReservedPort = o.Auth, o.ReservedPort
		return &ro
	}
	if o.MountPort == 0 || o.NFSPort == 0 {
		if err := o.lookupPorts(ctx, connect, stream); err != nil {
			return nil, err
		}
	}

	mc, err := dial(o.MountPort, base())
	if err != nil {
		return nil, err
	}
	mnt := mount.NewV3Client(mc)
	res, err := mnt.Mnt(ctx, mount.Dirpath(path))
	if err != nil {
		return nil, err
	}
	if res.FhsStatus != mount.MNT3_OK || res.Mountinfo == nil {
		return nil, &MountError{Dir: path, Status: res.FhsStatus}
	}
	// From here on a failure unmounts again.
	defer func() {
		if err != nil {
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			mnt.Umnt(uctx, mount.Dirpath(path))
			cancel()
		}
	}()

	ro := base()
	maxIO := orInt(o.MaxIO, DefaultMaxIO)
	ro.MaxRecordSize = max(ro.MaxRecordSize, maxIO+64<<10)
	nc, err := dial(o.NFSPort, ro)
	if err != nil {
		return nil, err
	}
	c = NewClientFromHandle(nc, res.Mountinfo.Fhandle, &o.ClientOptions)
	c.mountPath, c.mountCli, c.closers = path, mnt, closers
	c.locks.init(host, &o)
	if _, err = c.FSInfo(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// lookupPorts asks the port mapper on port 111 for the ports of MOUNT and
// NFS version 3 that are not set yet.
func (o *MountOptions) lookupPorts(ctx context.Context, connect func(int, *rpc.ClientOptions) (*rpc.Client, error), stream bool) error {
	ro := &rpc.ClientOptions{}
	if o.RPC != nil {
		ro.Logger, ro.Enter = o.RPC.Logger, o.RPC.Enter
	}
	pc, err := connect(portmap.PMAP_PORT, ro)
	if err != nil {
		return err
	}
	defer pc.Close()
	pm := portmap.NewClient(pc)
	netw := "tcp"
	if !stream {
		netw = "udp"
	}
	if o.MountPort == 0 {
		if o.MountPort, err = pm.GetPort(ctx, mount.MOUNT_PROGRAM, mount.MOUNT_V3, netw); err != nil {
			return err
		}
	}
	if o.NFSPort == 0 {
		if o.NFSPort, err = pm.GetPort(ctx, NFS_PROGRAM, NFS_V3, netw); err != nil {
			if !errors.Is(err, portmap.ErrNotRegistered) {
				return err
			}
			o.NFSPort = 2049
		}
	}
	return nil
}

// Close releases the byte-range locks the Client still holds (sending
// UNLOCK for each, with a timeout of a few seconds), unmounts the export
// if Mount mounted it (sending UMNT, likewise) and closes the connections
// Mount made. Files of the Client must be closed first, or their
// unstable writes may be lost.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		lockErr := c.closeLocks()
		if c.mountCli != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			c.closeError = c.mountCli.Umnt(ctx, mount.Dirpath(c.mountPath))
			cancel()
		}
		c.closeError = errors.Join(lockErr, c.closeError)
		for _, cl := range c.closers {
			cl.Close()
		}
	})
	return c.closeError
}

// RootHandle returns the file handle of the export's root directory.
func (c *Client) RootHandle() []byte { return append([]byte(nil), c.root.Data...) }

// FSInfo returns the server's FSINFO for the export (asked once, then
// remembered): its transfer sizes, maximum file size and properties.
func (c *Client) FSInfo(ctx context.Context) (*FSINFO3resok, error) {
	c.info.Lock()
	defer c.info.Unlock()
	if c.info.res != nil {
		return c.info.res, nil
	}
	var res FSINFO3res
	if err := c.do(ctx, NFSPROC3_FSINFO, &FSINFO3args{Fsroot: c.root}, &res, &res.Status); err != nil {
		return nil, err
	}
	c.info.res = res.Resok
	return res.Resok, nil
}

// ioSize returns the bytes of one READ (or WRITE, if write): the
// server's rtmax (wtmax), or rtpref (wtpref) if that is 0, capped at
// MaxIO and rounded down to a multiple of 4 KiB when larger.
func (c *Client) ioSize(ctx context.Context, write bool) (int, error) {
	info, err := c.FSInfo(ctx)
	if err != nil {
		return 0, err
	}
	n, pref := info.Rtmax, info.Rtpref
	if write {
		n, pref = info.Wtmax, info.Wtpref
	}
	if n == 0 {
		n = pref
	}
	size := int(n)
	if size <= 0 || size > c.opts.MaxIO {
		size = c.opts.MaxIO
	}
	if size > 4096 {
		size &^= 4095
	}
	return size, nil
}

// Busy servers answer NFS3ERR_JUKEBOX: the call is sent again after a
// wait that starts here and doubles up to the maximum.
const (
	jukeboxFirstWait = 100 * time.Millisecond
	jukeboxMaxWait   = 5 * time.Second
)

// do calls procedure proc, decoding into res whose status st points at,
// and returns an *Error if the status is not NFS3_OK. It sends the call
// again while the server answers NFS3ERR_JUKEBOX, until ctx ends, and
// not at all once ctx has ended.
func (c *Client) do(ctx context.Context, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler, st *Nfsstat3) error {
	wait := jukeboxFirstWait
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := c.caller.Call(ctx, NFS_PROGRAM, NFS_V3, proc, args, res); err != nil {
			return err
		}
		if *st != NFS3ERR_JUKEBOX {
			return procError(proc, *st)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, jukeboxMaxWait)
	}
}
