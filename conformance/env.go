package conformance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
)

// env is what the checks share: the clients of each service, the
// export's root and the directory the checks work in.
type env struct {
	cfg Config
	// addrs are host:port of each program served, by program number;
	// a program missing was not found.
	addrs map[uint32]string

	clients []*rpc.Client
	// nfs calls as cfg.UID, other as cfg.OtherUID.
	nfs, other *nfs3.V3Client
	// files is a file-level client over nfs's connection, from the
	// export's root.
	files *nfs3.Client
	mnt   *mount.V3Client
	// nlmA and nlmB are two lock manager clients on connections of
	// their own; nlmA's serves the GRANTED callbacks that arrive on it
	// through callbacks.
	nlmA, nlmB *nlm.V4Client
	callbacks  *rpctest.FakeServer
	sm         *nsm.V1Client

	root    []byte
	scratch []byte
	// scratchName is the scratch directory's name in the export root.
	scratchName string
	// grantSeen is how NLM-BLOCK saw its lock granted: "callback",
	// "none" (on a LOCK sent again), or "" before it ran.
	grantSeen string
}

// Programs checked, and their versions in use.
const (
	progNFS   = nfs3.NFS_PROGRAM
	progMount = mount.MOUNT_PROGRAM
	progNLM   = nlm.NLM_PROG
	progNSM   = nsm.SM_PROG
)

// setup finds the services, dials them, mounts the export and makes the
// scratch directory.
func setup(ctx context.Context, cfg Config) (*env, error) {
	e := &env{cfg: cfg, addrs: map[uint32]string{}}
	ports := map[uint32]int{progNFS: cfg.NFSPort, progMount: cfg.MountPort, progNLM: cfg.NLMPort, progNSM: cfg.NSMPort}
	vers := map[uint32]uint32{progNFS: 3, progMount: 3, progNLM: 4, progNSM: 1}
	var pm *portmap.Client
	pmTried := false
	for prog, port := range ports {
		if port == 0 && !pmTried {
			pmTried = true
			if c, err := portmap.Dial(ctx, "tcp", e.hostPort(cfg.PortmapPort), nil); err == nil {
				pm = c
				defer pm.Close()
			}
		}
		if port == 0 && pm != nil {
			port, _ = pm.GetPort(ctx, prog, vers[prog], "tcp")
		}
		if port == 0 && prog == progNFS {
			port = 2049
		}
		if port != 0 {
			e.addrs[prog] = e.hostPort(port)
		}
	}
	if e.addrs[progMount] == "" {
		return nil, fmt.Errorf("MOUNT v3 not found on %s (no -mount-port, and the port mapper does not list it)", cfg.Server)
	}
	var err error
	dial := func(prog uint32, auth rpc.Auth, h rpc.Handler) *rpc.Client {
		if err != nil || e.addrs[prog] == "" {
			return nil
		}
		var c *rpc.Client
		c, err = rpc.Dial(ctx, "tcp", e.addrs[prog], &rpc.ClientOptions{Auth: auth, ReservedPort: cfg.ReservedPort, Handler: h,
			MaxRecordSize: nfsMaxIO + 64<<10})
		if err != nil {
			err = fmt.Errorf("program %d at %s: %w", prog, e.addrs[prog], err)
			return nil
		}
		e.clients = append(e.clients, c)
		return c
	}
	owner, err := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: "nfskit-conformance", Uid: cfg.UID, Gid: cfg.GID})
	if err != nil {
		return nil, err
	}
	stranger, err := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: "nfskit-conformance", Uid: cfg.OtherUID, Gid: cfg.OtherGID})
	if err != nil {
		return nil, err
	}
	e.callbacks = rpctest.NewFake()
	e.callbacks.On(progNLM, 4, nlm.NLMPROC4_GRANTED, rpctest.Results(&nlm.Nlm4Res{Stat: nlm.Nlm4Stat{Stat: nlm.NLM4_GRANTED}}))
	e.callbacks.On(progNLM, 4, nlm.NLMPROC4_GRANTED_MSG, rpctest.Results(nil))

	nfsc, otherc, mntc := dial(progNFS, owner, nil), dial(progNFS, stranger, nil), dial(progMount, owner, nil)
	nlmA, nlmB, smc := dial(progNLM, owner, e.callbacks), dial(progNLM, owner, nil), dial(progNSM, owner, nil)
	if err != nil {
		e.close(ctx)
		return nil, err
	}
	e.nfs, e.other, e.mnt = nfs3.NewV3Client(nfsc), nfs3.NewV3Client(otherc), mount.NewV3Client(mntc)
	if nlmA != nil {
		e.nlmA, e.nlmB = nlm.NewV4Client(nlmA), nlm.NewV4Client(nlmB)
	}
	if smc != nil {
		e.sm = nsm.NewV1Client(smc)
	}

	res, err := e.mnt.Mnt(ctx, mount.Dirpath(cfg.Export))
	if err != nil {
		e.close(ctx)
		return nil, fmt.Errorf("MNT %s: %w", cfg.Export, err)
	}
	if res.FhsStatus != mount.MNT3_OK {
		e.close(ctx)
		return nil, fmt.Errorf("MNT %s: %s", cfg.Export, res.FhsStatus.String())
	}
	e.root = res.Mountinfo.Fhandle
	e.files = nfs3.NewClientFromHandle(nfsc, e.root, &nfs3.ClientOptions{MaxIO: nfsMaxIO})
	e.scratchName = "nfskit-conformance-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	e.scratch, err = e.mkdir(ctx, e.root, e.scratchName, 0o755)
	if err != nil {
		e.close(ctx)
		return nil, fmt.Errorf("making the scratch directory: %w", err)
	}
	return e, nil
}

func (e *env) hostPort(port int) string {
	return net.JoinHostPort(e.cfg.Server, strconv.Itoa(port))
}

// close removes the scratch directory, unmounts and closes the clients.
func (e *env) close(ctx context.Context) {
	if e.scratch != nil {
		e.files.RemoveAll(ctx, e.scratchName)
	}
	if e.mnt != nil && e.root != nil {
		e.mnt.Umnt(ctx, mount.Dirpath(e.cfg.Export))
	}
	for _, c := range e.clients {
		c.Close()
	}
	e.callbacks.Close()
}

// nfsMaxIO bounds the READs and WRITEs of the file-level client.
const nfsMaxIO = 1 << 20

// need skips the check unless program prog was found.
func (e *env) need(prog uint32, name string) error {
	if e.addrs[prog] == "" {
		return skipf("%s not found on the server (no port given, none registered)", name)
	}
	return nil
}

func dirop(dir []byte, name string) nfs3.Diropargs3 {
	return nfs3.Diropargs3{Dir: nfs3.NfsFh3{Data: dir}, Name: nfs3.Filename3(name)}
}

func fh(b []byte) nfs3.NfsFh3 { return nfs3.NfsFh3{Data: b} }

func modeAttr(mode uint32) nfs3.Sattr3 {
	return nfs3.Sattr3{Mode: nfs3.SetMode3{SetIt: true, Mode: nfs3.Mode3(mode)}}
}

// statError says an operation answered got where want was due.
func statError(op string, got nfs3.Nfsstat3, want ...nfs3.Nfsstat3) error {
	for _, w := range want {
		if got == w {
			return nil
		}
	}
	return fmt.Errorf("%s: %s, want %s", op, got.String(), names(want))
}

// names lists status codes by name.
func names[S fmt.Stringer](codes []S) string {
	var b strings.Builder
	for i, c := range codes {
		if i > 0 {
			b.WriteString(" or ")
		}
		b.WriteString(c.String())
	}
	return b.String()
}

func (e *env) lookup(ctx context.Context, dir []byte, name string) ([]byte, *nfs3.Fattr3, nfs3.Nfsstat3, error) {
	res, err := e.nfs.Lookup(ctx, &nfs3.LOOKUP3args{What: dirop(dir, name)})
	if err != nil {
		return nil, nil, 0, err
	}
	if res.Status != nfs3.NFS3_OK {
		return nil, nil, res.Status, nil
	}
	return res.Resok.Object.Data, res.Resok.ObjAttributes.Attributes, res.Status, nil
}

// dir makes a directory of the check's own in the scratch directory.
func (e *env) dir(ctx context.Context, c *Check) ([]byte, error) {
	return e.mkdir(ctx, e.scratch, c.ID, 0o777)
}

func (e *env) mkdir(ctx context.Context, dir []byte, name string, mode uint32) ([]byte, error) {
	res, err := e.nfs.Mkdir(ctx, &nfs3.MKDIR3args{Where: dirop(dir, name), Attributes: modeAttr(mode)})
	if err != nil {
		return nil, err
	}
	if err := statError("MKDIR "+name, res.Status, nfs3.NFS3_OK); err != nil {
		return nil, err
	}
	return e.handleOf(ctx, dir, name, res.Resok.Obj)
}

// handleOf returns the handle a reply carried or, if it carried none,
// the one LOOKUP gives.
func (e *env) handleOf(ctx context.Context, dir []byte, name string, h nfs3.PostOpFh3) ([]byte, error) {
	if h.HandleFollows && h.Handle != nil {
		return h.Handle.Data, nil
	}
	b, _, st, err := e.lookup(ctx, dir, name)
	if err == nil && st != nfs3.NFS3_OK {
		err = statError("LOOKUP "+name, st, nfs3.NFS3_OK)
	}
	return b, err
}

// create makes a file with data in it.
func (e *env) create(ctx context.Context, dir []byte, name string, mode uint32, data []byte) ([]byte, error) {
	attr := modeAttr(mode)
	res, err := e.nfs.Create(ctx, &nfs3.CREATE3args{Where: dirop(dir, name), How: nfs3.Createhow3{Mode: nfs3.GUARDED, ObjAttributes: &attr}})
	if err != nil {
		return nil, err
	}
	if err := statError("CREATE "+name, res.Status, nfs3.NFS3_OK); err != nil {
		return nil, err
	}
	f, err := e.handleOf(ctx, dir, name, res.Resok.Obj)
	if err != nil || len(data) == 0 {
		return f, err
	}
	w, err := e.nfs.Write(ctx, &nfs3.WRITE3args{File: fh(f), Count: nfs3.Count3(len(data)), Stable: nfs3.FILE_SYNC, Data: data})
	if err != nil {
		return nil, err
	}
	if err := statError("WRITE", w.Status, nfs3.NFS3_OK); err != nil {
		return nil, err
	}
	return f, nil
}

func (e *env) getattr(ctx context.Context, f []byte) (*nfs3.Fattr3, error) {
	res, err := e.nfs.Getattr(ctx, &nfs3.GETATTR3args{Object: fh(f)})
	if err != nil {
		return nil, err
	}
	if err := statError("GETATTR", res.Status, nfs3.NFS3_OK); err != nil {
		return nil, err
	}
	return &res.Resok.ObjAttributes, nil
}

// list reads a whole directory with READDIR, in small replies.
func (e *env) list(ctx context.Context, dir []byte) ([]string, error) {
	var names []string
	args := nfs3.READDIR3args{Dir: fh(dir), Count: 512}
	for range 10000 {
		res, err := e.nfs.Readdir(ctx, &args)
		if err != nil {
			return names, err
		}
		if err := statError("READDIR", res.Status, nfs3.NFS3_OK); err != nil {
			return names, err
		}
		for _, en := range res.Resok.Reply.Entries {
			names = append(names, string(en.Name))
			args.Cookie = en.Cookie
		}
		args.Cookieverf = res.Resok.Cookieverf
		if res.Resok.Reply.Eof {
			return names, nil
		}
		if len(res.Resok.Reply.Entries) == 0 {
			return names, errors.New("READDIR: no entries and no EOF")
		}
	}
	return names, errors.New("READDIR: no end")
}

// raw dials a raw connection to program prog's service.
func (e *env) raw(ctx context.Context, prog uint32, network string) (*rpctest.RawConn, error) {
	if e.addrs[prog] == "" {
		return nil, skipf("program %d not found", prog)
	}
	if network == "tcp" && e.cfg.ReservedPort {
		return e.rawReserved(ctx, prog)
	}
	return rpctest.Dial(ctx, network, e.addrs[prog])
}

// rawReserved dials from a port below 1024.
func (e *env) rawReserved(ctx context.Context, prog uint32) (*rpctest.RawConn, error) {
	var last error
	for port := 1023; port >= 600; port-- {
		d := net.Dialer{LocalAddr: &net.TCPAddr{Port: port}}
		c, err := d.DialContext(ctx, "tcp", e.addrs[prog])
		if err == nil {
			return rpctest.NewRawConn(c), nil
		}
		last = err
	}
	return nil, last
}

// authSys is the checks' own credential for raw calls.
func (e *env) authSys() rpc.OpaqueAuth {
	return rpctest.AuthSys("nfskit-conformance", e.cfg.UID, e.cfg.GID)
}
