package nlm_test

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// libnfsNLM builds testdata/libnfs_nlm.c, an NLM v4 client written with
// libnfs's raw RPC API: its XDR is libnfs's, not ours.
func libnfsNLM(t *testing.T) string {
	t.Helper()
	return peers.BuildC(t, "testdata/libnfs_nlm.c", "nfs")
}

// runLibnfsNLM runs the libnfs client against the NLM server at
// 127.0.0.1:port on file handle fh as host caller, with the given steps,
// and returns its output lines, one per step.
func runLibnfsNLM(t *testing.T, exe string, port int, fh []byte, caller string, steps ...string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	args := []string{"127.0.0.1", fmt.Sprint(port), hex.EncodeToString(fh), caller}
	for _, s := range steps {
		args = append(args, strings.Fields(s)...)
	}
	out, err := exec.CommandContext(ctx, exe, args...).CombinedOutput()
	require.NoError(t, err, "libnfs_nlm %s:\n%s", strings.Join(args, " "), out)
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

// libnfsStep is one call of the libnfs client and the line it must print: a
// regular expression, matched against the whole line.
type libnfsStep struct {
	call string
	want string
}

// libnfsProbe asks the server's lock state, as an owner that is not the
// libnfs client, whether length bytes from off could be locked
// (exclusively if write), and if not, whether the lock in the way is a
// write lock.
type libnfsProbe struct {
	write     bool
	off, len  uint64
	free      bool
	holderExc bool // when not free
}

// libnfsPhase is a run of the libnfs client, then the lock state it must
// leave on the server.
type libnfsPhase struct {
	name   string
	steps  []libnfsStep
	probes []libnfsProbe
}

// Lines of libnfs_nlm: the step's name and the nlm4_stats number, with
// the holder (exclusive, svid, offset, length, owner handle) of a TEST
// answered DENIED (1).
const (
	libnfsGranted = "0"
	libnfsDenied  = "1"
	libnfsBlocked = "3"
)

// libnfsNLMScript is a lock conversation of two owners (svid 1 and 2)
// of one client, and a third (svid 3) that blocks and cancels. Owners
// differ by svid and owner handle ("owner-SVID").
var libnfsNLMScript = []libnfsPhase{
	{
		name: "exclusive lock by owner 1",
		steps: []libnfsStep{
			{"null", "null ok"},
			{"lock 1 1 0 100", "lock " + libnfsGranted},
			// Owner 2 sees owner 1's lock, its range and owner handle.
			{"test 2 1 0 10", "test " + libnfsDenied + " 1 1 0 100 owner-1"},
			{"test 2 0 99 1", "test " + libnfsDenied + " 1 1 0 100 owner-1"},
			{"test 2 1 100 10", "test " + libnfsGranted},
			{"lock 2 1 50 10", "lock " + libnfsDenied},
			{"lock 2 0 0 0", "lock " + libnfsDenied},
			// An owner's own lock is no conflict.
			{"test 1 1 0 10", "test " + libnfsGranted},
		},
		probes: []libnfsProbe{
			{write: true, off: 0, len: 1, holderExc: true},
			{write: false, off: 99, len: 1, holderExc: true},
			{write: true, off: 100, len: 0, free: true},
		},
	},
	{
		name: "owner 2 locks once owner 1 unlocks",
		steps: []libnfsStep{
			{"unlock 1 0 100", "unlock " + libnfsGranted},
			{"test 2 1 0 100", "test " + libnfsGranted},
			{"lock 2 1 50 10", "lock " + libnfsGranted},
			{"test 1 0 0 0", "test " + libnfsDenied + " 1 2 50 10 owner-2"},
		},
		probes: []libnfsProbe{
			{write: true, off: 0, len: 50, free: true},
			{write: false, off: 59, len: 1, holderExc: true},
			{write: true, off: 60, len: 0, free: true},
		},
	},
	{
		name: "shared locks coexist",
		steps: []libnfsStep{
			{"unlock 2 50 10", "unlock " + libnfsGranted},
			{"lock 1 0 0 0", "lock " + libnfsGranted},
			{"lock 2 0 0 200", "lock " + libnfsGranted},
			{"test 3 0 10 10", "test " + libnfsGranted},
			{"test 3 1 10 10", "test " + libnfsDenied + " 0 [12] 0 (0|200) owner-[12]"},
			{"lock 3 1 300 1", "lock " + libnfsDenied},
		},
		probes: []libnfsProbe{
			{write: false, off: 0, len: 0, free: true},
			{write: true, off: 1000, len: 1, holderExc: false},
		},
	},
	{
		name: "a blocked request cancelled",
		steps: []libnfsStep{
			{"block 3 1 0 10", "block " + libnfsBlocked},
			{"cancel 3 1 0 10", "cancel " + libnfsGranted},
			{"unlock 1 0 0", "unlock " + libnfsGranted},
			{"unlock 2 0 200", "unlock " + libnfsGranted},
			// Nothing is left of the cancelled request: owner 1 locks
			// the bytes at once, and unlocks them.
			{"lock 1 1 0 10", "lock " + libnfsGranted},
			{"unlock 1 0 10", "unlock " + libnfsGranted},
			{"unlock 3 0 10", "unlock " + libnfsGranted},
		},
		probes: []libnfsProbe{
			{write: true, off: 0, len: 0, free: true},
		},
	},
}

// libnfsNLMCalls returns the number of calls in libnfsNLMScript.
func libnfsNLMCalls() int {
	n := 0
	for _, ph := range libnfsNLMScript {
		n += len(ph.steps)
	}
	return n
}

// libnfsExchanges are the calls of libnfsNLMScript by caller and their
// replies, as tshark must show them: each step's lock and cookie (libnfs_nlm
// numbers its calls from 0x6e6c6d01 in each run, and sends the number
// in host order, little-endian here), and the status it prints; and for
// a TEST refused, the holder, unless the script allows several.
func libnfsExchanges(caller string) []peers.Exchange {
	procs := map[string]uint32{
		"null": nlm.NLMPROC4_NULL, "test": nlm.NLMPROC4_TEST, "lock": nlm.NLMPROC4_LOCK,
		"block": nlm.NLMPROC4_LOCK, "cancel": nlm.NLMPROC4_CANCEL, "unlock": nlm.NLMPROC4_UNLOCK,
	}
	var xs []peers.Exchange
	for _, ph := range libnfsNLMScript {
		for i, st := range ph.steps {
			args, want := strings.Fields(st.call), strings.Fields(st.want)
			call, reply := peers.Fields{}, peers.Fields{}
			if args[0] != "null" { // NULL takes and returns nothing
				cookie := peers.Bytes(binary.LittleEndian.AppendUint32(nil, 0x6e6c6d01+uint32(i)))
				call["nlm.cookie"], reply["nlm.cookie"] = cookie, cookie
				lock := args[1:]
				if args[0] == "unlock" {
					lock = []string{args[1], "", args[2], args[3]}
				} else {
					call["nlm.exclusive"] = lock[1]
				}
				call["nlm.lock.caller_name"], call["nlm.lock.svid"], call["nlm.lock.owner"] = caller, lock[0], peers.Bytes([]byte("owner-"+lock[0]))
				call["nlm.lock.l_offset64"], call["nlm.lock.l_len64"] = lock[2], lock[3]
				stat := "nlm.stat"
				if args[0] == "test" {
					stat = "nlm.test_stat.stat"
				}
				reply[stat] = want[1]
			}
			switch args[0] {
			case "lock", "block":
				call["nlm.block"] = peers.Bool(args[0] == "block")
			case "cancel":
				call["nlm.block"] = peers.Bool(true)
			}
			if len(want) > 2 && !strings.ContainsAny(st.want, "[(|") {
				reply["nlm.exclusive"], reply["nlm.lock.svid"] = want[2], want[3]
				reply["nlm.lock.l_offset64"], reply["nlm.lock.l_len64"] = want[4], want[5]
				reply["nlm.lock.owner"] = peers.Bytes([]byte(want[6]))
			}
			xs = append(xs, peers.Exchange{
				Name: ph.name + ": " + st.call,
				Call: peers.RPC(nlm.NLM_PROG, nlm.NLM4_VERS, procs[args[0]], call), Reply: reply,
			})
		}
	}
	return xs
}

// runLibnfsNLMScript runs the script against the NLM server at port,
// probing the server's state after each phase with probe.
func runLibnfsNLMScript(t *testing.T, exe string, port int, fh []byte, caller string, probe func(p libnfsProbe) (free, holderExc bool)) {
	t.Helper()
	for _, ph := range libnfsNLMScript {
		calls := make([]string, len(ph.steps))
		for i, s := range ph.steps {
			calls[i] = s.call
		}
		lines := runLibnfsNLM(t, exe, port, fh, caller, calls...)
		require.Len(t, lines, len(ph.steps), "%s: output:\n%s", ph.name, strings.Join(lines, "\n"))
		for i, s := range ph.steps {
			require.Regexp(t, "^"+s.want+"$", lines[i], "%s: step %q", ph.name, s.call)
		}
		for _, p := range ph.probes {
			free, exc := probe(p)
			require.Equal(t, p.free, free, "%s: server state: can %+v be locked", ph.name, p)
			if !free {
				require.Equal(t, p.holderExc, exc, "%s: server state: is the lock in the way of %+v exclusive", ph.name, p)
			}
		}
	}
}

// libnfsCaller is the caller_name of the libnfs client in the tests of
// our server.
const libnfsCaller = "libnfs-client.test"

// TestInteropLibnfsNLM runs the libnfs client against our NLM server over
// a memfs export, served with NFSv3 on one loopback TCP port, with an
// in-process NSM as its status monitor: each answer is checked, the locks
// the server took are checked in memfs's lock table, the client is
// monitored, a reboot of the client reported by the NSM releases its
// locks, and tshark decodes the conversation without a malformed packet.
func TestInteropLibnfsNLM(t *testing.T) {
	exe := libnfsNLM(t)
	ctx := t.Context()

	fs := memfs.New(&memfs.Options{RootMode: 0o777})
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/", FS: fs})
	require.NoError(t, err)
	type callback struct {
		st  nsm.Status
		err error
	}
	callbacks := make(chan callback, 4)
	statd, err := nsm.NewServer(&nsm.ServerOptions{
		Name: "server.test",
		OnCallback: func(id nsm.MyId, st nsm.Status, err error) {
			callbacks <- callback{st, err}
		},
	})
	require.NoError(t, err)
	t.Cleanup(func() { statd.Close() })
	require.NoError(t, statd.Start(ctx))
	srv, err := nlm.NewServer(table, &nlm.ServerOptions{Name: "server.test", Monitor: nlm.NewLocalMonitor(statd)})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	require.NoError(t, srv.Start(ctx))
	require.False(t, srv.InGrace(), "a server with no client to wait for has no grace period")

	mux := rpc.NewMux()
	nfs3.NewServer(table, nil).Register(mux)
	srv.Register(mux)
	sv := rpctest.Serve(t, mux, rpctest.TCPOnly())
	port := sv.TCP.Port

	// The file to lock, created over NFSv3.
	root, err := table.Get(1).RootHandle(ctx)
	require.NoError(t, err)
	rc, err := rpc.Dial(ctx, "tcp", sv.TCP.String(), nil)
	require.NoError(t, err)
	defer rc.Close()
	c := nfs3.NewClientFromHandle(rc, root, nil)
	f, err := c.Create(ctx, "locked", 0o666)
	require.NoError(t, err)
	fh := f.Handle()
	require.NoError(t, f.Close())
	_, vh, err := export.DecodeHandle(fh)
	require.NoError(t, err)

	// The server's state, as memfs's lock table has it.
	probe := func(p libnfsProbe) (bool, bool) {
		typ := vfs.ReadLock
		if p.write {
			typ = vfs.WriteLock
		}
		l := vfs.Lock{Owner: vfs.LockOwner{Host: "go-probe"}, Type: typ, Offset: p.off, Length: p.len}
		holder, ok, err := fs.TestLock(ctx, &vfs.Root, vh, l)
		require.NoError(t, err)
		return ok, holder.Type == vfs.WriteLock
	}

	capture := peers.StartCapture(t, port)
	runLibnfsNLMScript(t, exe, port, fh, libnfsCaller, probe)
	calls := libnfsNLMCalls()

	// The client's first lock had the NSM watch it for the server.
	ms := statd.Monitors()
	require.Len(t, ms, 1, "monitors: %+v", ms)
	require.Equal(t, libnfsCaller, ms[0].MonName)
	require.Equal(t, srv.MonitorID(), ms[0].MyId)

	// The client takes a lock and reboots: the NSM hears of it and calls
	// the server back, which releases the client's locks, so that
	// another host gets the bytes.
	lines := runLibnfsNLM(t, exe, port, fh, libnfsCaller, "lock 7 1 0 0")
	require.Equal(t, []string{"lock " + libnfsGranted}, lines)
	free, exc := probe(libnfsProbe{write: false, off: 1 << 40, len: 1})
	require.False(t, free)
	require.True(t, exc)
	lines = runLibnfsNLM(t, exe, port, fh, "other-client.test", "lock 1 0 0 10")
	require.Equal(t, []string{"lock " + libnfsDenied}, lines)
	require.NoError(t, statd.Notify(ctx, nil, &nsm.StatChge{MonName: libnfsCaller, State: 3}))
	select {
	case cb := <-callbacks:
		require.NoError(t, cb.err)
		require.Equal(t, libnfsCaller, cb.st.MonName)
		require.Equal(t, int32(3), cb.st.State)
	case <-time.After(30 * time.Second):
		t.Fatal("the NSM did not call the lock manager back")
	}
	free, _ = probe(libnfsProbe{write: true, off: 0, len: 0})
	require.True(t, free, "the rebooted client's locks are released")
	lines = runLibnfsNLM(t, exe, port, fh, "other-client.test", "lock 1 0 0 10", "unlock 1 0 10")
	require.Equal(t, []string{"lock " + libnfsGranted, "unlock " + libnfsGranted}, lines)
	calls += 4

	capture.Stop()
	capture.RequireClean(2 * calls)
	require.Len(t, capture.Read("nlm"), 2*calls, "tshark decodes every call and reply as NLM")
	capture.RequireExchanges(libnfsExchanges(libnfsCaller))
}

// TestInteropLibnfsNLMGanesha runs the libnfs client against nfs-ganesha's
// NLM, to show that the script and its expectations are those of an
// established server; ganesha's locks are checked with fcntl on the
// exported file, and tshark decodes the conversation cleanly.
func TestInteropLibnfsNLMGanesha(t *testing.T) {
	exe := libnfsNLM(t)
	peers.Statd(t) // ganesha monitors each client before granting its locks
	g := peers.Ganesha(t)
	ctx := t.Context()
	c, err := nfs3.Mount(ctx, "127.0.0.1", g.Export, nil)
	require.NoError(t, err)
	defer c.Close()
	f, err := c.Create(ctx, "locked", 0o666)
	require.NoError(t, err)
	fh := f.Handle()
	require.NoError(t, f.Close())

	local, err := os.OpenFile(filepath.Join(g.Export, "locked"), os.O_RDWR, 0)
	require.NoError(t, err)
	defer local.Close()
	probe := func(p libnfsProbe) (bool, bool) {
		lk := syscall.Flock_t{Type: syscall.F_RDLCK, Whence: 0, Start: int64(p.off), Len: int64(p.len)}
		if p.write {
			lk.Type = syscall.F_WRLCK
		}
		require.NoError(t, syscall.FcntlFlock(local.Fd(), syscall.F_GETLK, &lk))
		return lk.Type == syscall.F_UNLCK, lk.Type == syscall.F_WRLCK
	}
	capture := peers.StartCapture(t, g.NLMPort)
	runLibnfsNLMScript(t, exe, g.NLMPort, fh, "127.0.0.1", probe)
	capture.Stop()
	capture.RequireClean(2 * libnfsNLMCalls())
	require.Len(t, capture.Read("nlm"), 2*libnfsNLMCalls(), "tshark decodes every call and reply as NLM")
	capture.RequireExchanges(libnfsExchanges("127.0.0.1"))
}
