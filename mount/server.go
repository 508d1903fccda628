package mount

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"slices"
	"sync"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
)

// DefaultMaxMounts bounds the mount list of a Server whose options do not.
const DefaultMaxMounts = 10000

// ServerOptions configure a Server.
type ServerOptions struct {
	// Logger receives the server's logs; nil means slog.Default().
	Logger *slog.Logger
	// MaxMounts bounds the mounts DUMP lists; beyond it the oldest is
	// forgotten. 0 means DefaultMaxMounts. (The list is advisory, as in
	// every MOUNT server: clients that go away without UMNT stay on it.)
	MaxMounts int
}

// Server is a MOUNT version 3 server (RFC 1813 appendix I) over the
// exports of an export.Table, the table an NFS server serves: it
// implements V3Server, and Register serves it on an rpc.Mux.
//
// MNT hands out the root handle of the export holding the path asked
// for, or of a directory below it (looked up as the caller, with the
// export's squashing, through symbolic links inside the export as
// mountd's realpath does), in the wire format of package export, with the
// export's authentication flavors. The empty path is "/". A client not on
// the export's list gets MNT3ERR_ACCES, a path no export holds
// MNT3ERR_NOENT, and a symbolic link leading out of the export
// MNT3ERR_ACCES. DUMP lists the
// mounts made, named by the client's AUTH_SYS machine name or else its
// address; UMNT and UMNTALL remove them, matching the client by address.
// EXPORT lists every export with its client list (no groups: everyone).
type Server struct {
	exports *export.Table
	logger  *slog.Logger
	max     int

	mu     sync.Mutex
	mounts []mountEntry // oldest first
}

// mountEntry is one mount: who (by address, and as named) and what.
type mountEntry struct {
	client string // the caller's IP address, or its address as a string
	host   string
	dir    string
}

var _ V3Server = (*Server)(nil)

// NewServer returns a server of the exports in t, which may change while
// it serves. opts may be nil.
func NewServer(t *export.Table, opts *ServerOptions) *Server {
	var o ServerOptions
	if opts != nil {
		o = *opts
	}
	s := &Server{exports: t, logger: o.Logger, max: o.MaxMounts}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.max <= 0 {
		s.max = DefaultMaxMounts
	}
	return s
}

// Register serves MOUNT version 3 on mux.
func (s *Server) Register(mux *rpc.Mux) {
	mux.Handle(MOUNT_PROGRAM, MOUNT_V3, NewV3Handler(s))
}

// Null answers MOUNTPROC3_NULL.
func (s *Server) Null(ctx context.Context, call *rpc.Call) error { return nil }

// Mnt answers MOUNTPROC3_MNT. The empty path is "/", as mountd takes it
// (libnfs mounts "" for an export at "/"). Mounts and refusals are logged
// at debug level, denials by the export's client list or policy at info.
func (s *Server) Mnt(ctx context.Context, call *rpc.Call, dir Dirpath) (*Mountres3, error) {
	p := mountPath(dir)
	e, pol, fh, err := s.mount(ctx, call, p)
	client, host := caller(call)
	if export.IsDenial(err) {
		s.logger.Info("mount: denied", "client", client, "dir", p, "err", err)
		return nil, err
	}
	st := mountStatus(err)
	if st != MNT3_OK {
		level := slog.LevelDebug
		if st == MNT3ERR_IO || st == MNT3ERR_SERVERFAULT {
			level = slog.LevelError
		}
		s.logger.Log(ctx, level, "mount: refused", "client", client, "dir", p, "status", st.String(), "err", err)
		return &Mountres3{FhsStatus: st}, nil
	}
	clean, _ := export.CleanPath(p)
	s.add(mountEntry{client: client, host: host, dir: clean})
	s.logger.Debug("mount: mounted", "client", client, "host", host, "dir", clean, "export", e.Path)
	flavors := pol.AuthFlavors()
	ok := &Mountres3Ok{Fhandle: fh, AuthFlavors: make([]int32, len(flavors))}
	for i, f := range flavors {
		ok.AuthFlavors[i] = int32(f)
	}
	return &Mountres3{FhsStatus: MNT3_OK, Mountinfo: ok}, nil
}

// mountPath returns the path a MNT or UMNT names: the empty path is
// "/", as mountd takes it.
func mountPath(dir Dirpath) string {
	if dir == "" {
		return "/"
	}
	return string(dir)
}

// mount finds the export holding p, the caller's policy on it and the
// handle of p in it.
func (s *Server) mount(ctx context.Context, call *rpc.Call, p string) (*export.Export, *export.Policy, []byte, error) {
	e, rest := s.exports.Lookup(p)
	if e == nil {
		return nil, nil, nil, vfs.ErrNotExist
	}
	pol, err := e.ClientPolicy(call.RemoteAddr)
	if err != nil {
		return e, nil, nil, export.ErrClientDenied
	}
	h, err := e.FS.Root(ctx)
	if err != nil {
		return e, nil, nil, err
	}
	if rest != "" {
		cred, err := pol.Cred(call)
		if err != nil {
			return e, nil, nil, err
		}
		if h, err = s.walk(ctx, e, &cred, h, rest); err != nil {
			return e, nil, nil, err
		}
	}
	fh, err := export.EncodeHandle(e.ID, h)
	return e, pol, fh, err
}

// mountStatus maps an error of MNT to its status.
func mountStatus(err error) Mountstat3 {
	for _, m := range [...]struct {
		err  error
		stat Mountstat3
	}{
		{nil, MNT3_OK},
		{vfs.ErrNotExist, MNT3ERR_NOENT},
		{vfs.ErrPermission, MNT3ERR_ACCES},
		{vfs.ErrNotPermit, MNT3ERR_PERM},
		{vfs.ErrNotDir, MNT3ERR_NOTDIR},
		{vfs.ErrInvalid, MNT3ERR_INVAL},
		{vfs.ErrNameTooLong, MNT3ERR_NAMETOOLONG},
		{vfs.ErrNotSupported, MNT3ERR_NOTSUPP},
		{export.ErrHandleTooLong, MNT3ERR_SERVERFAULT},
	} {
		if errors.Is(err, m.err) {
			return m.stat
		}
	}
	return MNT3ERR_IO
}

// caller returns how a caller is matched (its IP address) and named in
// the mount list (its AUTH_SYS machine name, else its address).
func caller(call *rpc.Call) (client, host string) {
	client = ""
	if call.RemoteAddr != nil {
		client = call.RemoteAddr.String()
		if ap, err := netip.ParseAddrPort(client); err == nil {
			client = ap.Addr().Unmap().String()
		}
	}
	host = client
	if sys, ok := call.AuthSys(); ok && sys.Machinename != "" {
		host = sys.Machinename
	}
	return client, host
}

// add records a mount, once.
func (s *Server) add(m mountEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mounts = slices.DeleteFunc(s.mounts, func(o mountEntry) bool { return o.client == m.client && o.dir == m.dir })
	if len(s.mounts) >= s.max {
		s.mounts = slices.Delete(s.mounts, 0, len(s.mounts)-s.max+1)
	}
	s.mounts = append(s.mounts, m)
}

// remove forgets the caller's mounts that match.
func (s *Server) remove(call *rpc.Call, match func(dir string) bool) {
	client, _ := caller(call)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mounts = slices.DeleteFunc(s.mounts, func(m mountEntry) bool { return m.client == client && match(m.dir) })
}

// Dump answers MOUNTPROC3_DUMP: the mounts made, oldest first.
func (s *Server) Dump(ctx context.Context, call *rpc.Call) (Mountlist, error) {
	return s.Mounts(), nil
}

// Mounts returns the mounts made and not unmounted, oldest first.
func (s *Server) Mounts() Mountlist {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(Mountlist, len(s.mounts))
	for i, m := range s.mounts {
		out[i] = Mountbody{MlHostname: Name(m.host), MlDirectory: Dirpath(m.dir)}
	}
	return out
}

// Umnt answers MOUNTPROC3_UMNT: the caller's mount of dir is forgotten.
func (s *Server) Umnt(ctx context.Context, call *rpc.Call, dir Dirpath) error {
	clean, err := export.CleanPath(mountPath(dir))
	if err == nil {
		s.remove(call, func(d string) bool { return d == clean })
	}
	return nil
}

// Umntall answers MOUNTPROC3_UMNTALL: every mount of the caller is
// forgotten.
func (s *Server) Umntall(ctx context.Context, call *rpc.Call) error {
	s.remove(call, func(string) bool { return true })
	return nil
}

// Export answers MOUNTPROC3_EXPORT: every export and its clients.
func (s *Server) Export(ctx context.Context, call *rpc.Call) (Exports, error) {
	list := s.exports.List()
	out := make(Exports, len(list))
	for i, e := range list {
		out[i].ExDir = Dirpath(e.Path)
		for _, c := range e.Groups() {
			out[i].ExGroups = append(out[i].ExGroups, Groupnode{GrName: Name(c)})
		}
	}
	return out, nil
}
