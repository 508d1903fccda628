package etcd_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/nfskit/nfskit/etcd"
	"github.com/nfskit/nfskit/etcd/internal/etcdtest"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/nfsd"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/osfs"
)

// testWait bounds every wait of the cluster tests.
const testWait = 30 * time.Second

// cluster is a set of in-process nodes sharing one etcd server and one
// directory, which each server exports (as a cluster file system would
// be), and a client host's status monitor that records SM_NOTIFY.
type cluster struct {
	t        *testing.T
	etcd     *etcdtest.Server
	cli      *clientv3.Client
	name     string
	data     string
	peer     string // the client host's status monitor
	notified chan string
}

func newClusterEnv(t *testing.T) *cluster {
	if os.Geteuid() != 0 {
		t.Skip("osfs needs root (open by handle)")
	}
	e := etcdtest.Start(t)
	c := &cluster{t: t, etcd: e, cli: e.Client(), name: newCluster(), data: t.TempDir(), notified: make(chan string, 8)}
	require.NoError(t, os.Chmod(c.data, 0o777))
	mux := rpc.NewMux()
	mux.HandleFunc(nsm.SM_PROG, nsm.SM_VERS, func(ctx context.Context, w rpc.ReplyWriter, call *rpc.Call) {
		var chg nsm.StatChge
		if call.Proc == nsm.SM_NOTIFY && call.Decode(&chg) == nil {
			c.notified <- strings.Clone(chg.MonName) // the server's name
		}
		w.Reply(nil)
	})
	c.peer = rpctest.Serve(t, mux, rpctest.TCPOnly()).TCP.String()
	return c
}

// server starts an nfsd.Server for address a of a node, its NFS service
// on nfsPort (0: a free one), until stop or the end of the test.
func (c *cluster) server(a *etcd.Address, nfsPort int) (srv *nfsd.Server, stop func()) {
	t := c.t
	t.Helper()
	fsys, err := osfs.New(c.data, nil)
	require.NoError(t, err)
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/", FS: fsys, Policy: export.Policy{NoRootSquash: true}})
	require.NoError(t, err)
	srv = &nfsd.Server{
		Exports: table, Ports: nfsd.Ports{NFS: nfsPort},
		Portmap: nfsd.PortmapEmbedded, StatusMonitor: nfsd.MonitorEmbedded,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		LockManagerOptions: &nlm.ServerOptions{
			GraceSettle: time.Millisecond,
			DialCallback: func(ctx context.Context, network, host string, vers uint32) (*rpc.Client, error) {
				return nil, errors.New("no callbacks to client hosts in tests")
			},
		},
		StatusMonitorOptions: &nsm.ServerOptions{Dial: func(ctx context.Context, host string, prog, vers uint32) (*rpc.Client, error) {
			return rpc.Dial(ctx, "tcp", c.peer, nil)
		}},
	}
	a.Configure(srv)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("ListenAndServe: %v", err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			require.NoError(t, <-done)
		})
	}
	t.Cleanup(stop)
	return srv, stop
}

// grace returns whether the cluster is in grace and its epoch.
func (c *cluster) grace() (bool, uint64) {
	resp, err := c.cli.Get(c.t.Context(), "/nfskit/"+c.name+"/grace")
	require.NoError(c.t, err)
	require.Len(c.t, resp.Kvs, 1)
	var st struct {
		Epoch   uint64 `json:"epoch"`
		InGrace bool   `json:"in_grace"`
	}
	require.NoError(c.t, json.Unmarshal(resp.Kvs[0].Value, &st))
	return st.InGrace, st.Epoch
}

// v4 is an NFSv4 connection to a server.
type v4 struct {
	t      *testing.T
	caller *rpc.Client
	opens  int
}

func dialV4(t *testing.T, srv *nfsd.Server) *v4 {
	t.Helper()
	rc, err := rpc.Dial(t.Context(), "tcp", srv.Endpoints(nfsd.ServiceNFS)[0].TCP.String(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { rc.Close() })
	return &v4{t: t, caller: rc}
}

// clientID sets up a 4.0 client id for owner.
func (c *v4) clientID(owner string) *nfs4.ClientID {
	c.t.Helper()
	id, err := nfs4.SetClientID(c.t.Context(), c.caller, &nfs4.ClientIDOptions{Owner: []byte(owner)})
	require.NoError(c.t, err)
	return id
}

// openCompound returns a COMPOUND of minor version minor in which owner
// opens file name at the root, creating it, or reclaims its open.
func openCompound(minor uint32, owner nfs4.OpenOwner4, name string, reclaim bool) *nfs4.Compound {
	cmp := nfs4.NewCompound(minor).PutRootFH()
	if reclaim {
		return cmp.Lookup(name).Open(0, nfs4.OPEN4_SHARE_ACCESS_BOTH, 0, owner, nfs4.NoCreate(), nfs4.ClaimPrevious(nfs4.OPEN_DELEGATE_NONE))
	}
	return cmp.Open(0, nfs4.OPEN4_SHARE_ACCESS_BOTH, 0, owner, nfs4.CreateUnchecked(nfs4.Fattr4{}), nfs4.ClaimNull(name))
}

// open40 opens (creating) or reclaims file name for 4.0 client id by a
// new open owner, confirming the open, and returns the status.
func (c *v4) open40(id *nfs4.ClientID, name string, reclaim bool) nfs4.Nfsstat4 {
	c.t.Helper()
	return c.open40Confirm(id, name, reclaim, true)
}

// open40Confirm is open40, confirming the open (which records the
// client for reclaim) only with confirm.
func (c *v4) open40Confirm(id *nfs4.ClientID, name string, reclaim, confirm bool) nfs4.Nfsstat4 {
	c.t.Helper()
	c.opens++
	owner := nfs4.OpenOwner4{Clientid: id.ID, Owner: []byte("o" + strconv.Itoa(c.opens))}
	res, err := openCompound(0, owner, name, reclaim).GetFH().Call(c.t.Context(), c.caller)
	require.NoError(c.t, err)
	if res.Status != nfs4.NFS4_OK {
		return res.Status
	}
	ok, err := res.Open(res.Find(nfs4.OP_OPEN))
	require.NoError(c.t, err)
	if confirm && ok.Rflags&nfs4.OPEN4_RESULT_CONFIRM != 0 {
		fh, err := res.FH()
		require.NoError(c.t, err)
		res, err = nfs4.NewCompound(0).PutFH(fh).OpenConfirm(ok.Stateid, 1).Call(c.t.Context(), c.caller)
		require.NoError(c.t, err)
	}
	return res.Status
}

// session makes a 4.1 session for owner.
func (c *v4) session(owner string) *nfs4.Session {
	c.t.Helper()
	s, err := nfs4.NewSession(c.t.Context(), c.caller, &nfs4.SessionOptions{Owner: []byte(owner)})
	require.NoError(c.t, err)
	return s
}

// open41 opens (creating) or reclaims file name in session s by a new
// open owner and returns the status.
func (c *v4) open41(s *nfs4.Session, name string, reclaim bool) nfs4.Nfsstat4 {
	c.t.Helper()
	c.opens++
	owner := s.OpenOwner("o" + strconv.Itoa(c.opens))
	res, err := s.Call(c.t.Context(), openCompound(1, owner, name, reclaim))
	require.NoError(c.t, err)
	return res.Status
}

// newOpens returns whether a new 4.0 open on srv is taken (not in
// grace). The open is not confirmed: the prober is not recorded.
func newOpens(t *testing.T, srv *nfsd.Server) bool {
	c := dialV4(t, srv)
	st := c.open40Confirm(c.clientID("prober"), "probe", false, false)
	require.Contains(t, []nfs4.Nfsstat4{nfs4.NFS4_OK, nfs4.NFS4ERR_GRACE}, st)
	return st == nfs4.NFS4_OK
}

// mountLocking mounts srv's export as host caller, locking through srv's
// lock manager.
func mountLocking(t *testing.T, srv *nfsd.Server, host, caller string) *nfs3.Client {
	t.Helper()
	cl, err := nfs3.Mount(t.Context(), host, "/", &nfs3.MountOptions{
		Network: "tcp", NFSPort: srv.Port(nfsd.ServiceNFS), MountPort: srv.Port(nfsd.ServiceMount), NLMPort: srv.Port(nfsd.ServiceNLM),
		NLM: &nlm.ClientOptions{CallerName: caller, PollInterval: 50 * time.Millisecond, MaxPollInterval: 200 * time.Millisecond,
			Logger: slog.New(slog.DiscardHandler)},
	})
	require.NoError(t, err)
	t.Cleanup(func() { cl.Close() })
	return cl
}

// nlmLock asks srv's lock manager for a write lock on the first 10 bytes
// of fh for host, a reclaim or not, and returns the status.
func nlmLock(t *testing.T, srv *nfsd.Server, host string, fh []byte, reclaim bool) nlm.Nlm4Stats {
	t.Helper()
	auth, err := rpc.CurrentAuthSys()
	require.NoError(t, err)
	rc, err := rpc.Dial(t.Context(), "tcp", srv.Endpoints(nfsd.ServiceNLM)[0].TCP.String(), &rpc.ClientOptions{Auth: auth})
	require.NoError(t, err)
	defer rc.Close()
	res, err := nlm.NewV4Client(rc).Lock(t.Context(), &nlm.Nlm4Lockargs{Exclusive: true, Reclaim: reclaim,
		Alock: nlm.Nlm4Lock{CallerName: host, Fh: fh, Oh: []byte("reclaim"), Svid: 1, LLen: 10}})
	require.NoError(t, err)
	return res.Stat.Stat
}

// TestClusterTakeover runs two nodes on one etcd: n1 serves 127.0.0.1
// and n2 127.0.0.2. An NFSv4.0 client, an NFSv4.1 client and an
// NFSv3+NLM client use n1; n1 stops and n2 takes 127.0.0.1 over. The
// whole cluster is in grace: n2's other address refuses new opens too.
// etcd restarts mid-grace and loses no record; a client the cluster
// never knew gets RECLAIM_BAD; the three clients reclaim on n2, and the
// grace period ends on every server as soon as the last has, long
// before the deadline.
func TestClusterTakeover(t *testing.T) {
	c := newClusterEnv(t)
	const lease = 5 * time.Minute
	opts := &etcd.NodeOptions{Lease: lease, TTL: 5 * time.Second}
	n1 := newNode(t, c.cli, c.name, "n1", opts)
	n2 := newNode(t, c.cli, c.name, "n2", opts)
	a1 := claim(t, n1, "127.0.0.1")
	s1, stop1 := c.server(a1, 0)
	s2, _ := c.server(claim(t, n2, "127.0.0.2"), 0)
	require.Eventually(t, func() bool { in, _ := c.grace(); return !in }, testWait, 10*time.Millisecond,
		"no one to reclaim: the start-up grace period is lifted")
	require.Eventually(t, func() bool { return newOpens(t, s1) && newOpens(t, s2) }, testWait, 10*time.Millisecond,
		"every server leaves grace with the cluster")
	_, epoch := c.grace()

	// The clients use n1.
	v := dialV4(t, s1)
	require.Equal(t, nfs4.NFS4_OK, v.open40(v.clientID("c40"), "f40", false))
	sess := v.session("c41")
	require.NoError(t, sess.ReclaimComplete(t.Context()))
	require.Equal(t, nfs4.NFS4_OK, v.open41(sess, "f41", false))
	v3 := mountLocking(t, s1, "127.0.0.1", "client-a")
	f, err := v3.Create(t.Context(), "shared", 0o666)
	require.NoError(t, err)
	require.NoError(t, f.Lock(t.Context(), vfs.WriteLock, 0, 10))
	snap, err := a1.RecoveryStore().Load(t.Context())
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"c40", "c41"}, owners(snap.Current))

	// n1 stops; n2 takes its address over, at the same NFS port.
	port := s1.Port(nfsd.ServiceNFS)
	stop1()
	require.NoError(t, n1.Close(t.Context()))
	a3 := claim(t, n2, "127.0.0.1")
	start := time.Now()
	s3, _ := c.server(a3, port)
	in, e := c.grace()
	require.True(t, in)
	require.Equal(t, epoch+1, e)
	require.Eventually(t, func() bool { return !newOpens(t, s2) }, testWait, 10*time.Millisecond, "the other address joins the grace period")
	select {
	case <-c.notified: // the lock holder is told of the takeover
	case <-time.After(testWait):
		t.Fatal("no SM_NOTIFY")
	}

	c.etcd.Restart()
	snap, err = a3.RecoveryStore().Load(t.Context())
	require.NoError(t, err)
	require.True(t, snap.InGrace)
	require.ElementsMatch(t, []string{"c40", "c41"}, owners(snap.Reclaim), "etcd's restart lost no record")
	st, err := a3.StatusStore().LoadContext(t.Context())
	require.NoError(t, err)
	require.Len(t, st.Monitors, 1)

	v = dialV4(t, s3)
	require.Equal(t, nfs4.NFS4ERR_RECLAIM_BAD, v.open40(v.clientID("stranger"), "f40", true))
	c40 := v.clientID("c40")
	require.Equal(t, nfs4.NFS4_OK, v.open40(c40, "f40", true))
	// A 4.0 client has reclaimed all it held once it asks for new state.
	require.Equal(t, nfs4.NFS4ERR_GRACE, v.open40(c40, "g40", false))
	sess = v.session("c41")
	require.Equal(t, nfs4.NFS4_OK, v.open41(sess, "f41", true))
	require.NoError(t, sess.ReclaimComplete(t.Context()))
	require.False(t, newOpens(t, s2), "client-a has not reclaimed its NLM lock")
	require.False(t, newOpens(t, s3))
	require.Equal(t, nlm.NLM4_DENIED_GRACE_PERIOD, nlmLock(t, s3, "client-b", f.Handle(), false))

	require.Equal(t, nlm.NLM4_GRANTED, nlmLock(t, s3, "client-a", f.Handle(), true))
	require.Eventually(t, func() bool { return newOpens(t, s2) && newOpens(t, s3) }, testWait, 10*time.Millisecond,
		"every client reclaimed: grace ends on every server")
	require.Less(t, time.Since(start), lease)
	in, e = c.grace()
	require.False(t, in)
	require.Equal(t, epoch+1, e)
	require.Eventually(t, func() bool {
		snap, err = a3.RecoveryStore().Load(t.Context())
		require.NoError(t, err)
		return !snap.InGrace
	}, testWait, 10*time.Millisecond, "the store's grace period ended")
	require.ElementsMatch(t, []string{"c40", "c41"}, owners(snap.Current))
}

func owners(rs []recovery.Record) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, string(r.Owner))
	}
	return out
}
