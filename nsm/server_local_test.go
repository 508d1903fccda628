package nsm_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// answer is how a call was answered.
type answer struct {
	replied bool
	accept  rpc.AcceptStat
	auth    rpc.AuthStat
}

// recordingWriter is an rpc.ReplyWriter that records how a call was
// answered.
type recordingWriter struct{ got answer }

// Reply records a reply.
func (w *recordingWriter) Reply(xdr.Marshaler) error { w.got.replied = true; return nil }

// Error records an accept error.
func (w *recordingWriter) Error(stat rpc.AcceptStat) error { w.got.accept = stat; return nil }

// ProgMismatch fails: no call of the tests is to get one.
func (w *recordingWriter) ProgMismatch(_, _ uint32) error { return errors.New("program mismatch") }

// AuthError records the status of a denial.
func (w *recordingWriter) AuthError(stat rpc.AuthStat) error { w.got.auth = stat; return nil }

// Drop does nothing.
func (w *recordingWriter) Drop() {}

// localTestID is the my_id of the monitor a localServer starts with.
var localTestID = nsm.MyId{MyName: "127.0.0.1", MyProg: cbProg, MyVers: cbVers, MyProc: cbProc}

// localServer returns a server in state 1 that watches watched.test for
// localTestID, registered on a mux, and the mux. Its notifications and
// callbacks fail at once.
func localServer(t *testing.T, allowRemote bool) (*nsm.Server, *rpc.Mux) {
	t.Helper()
	store := &nsm.MemStore{}
	require.NoError(t, store.Save(&nsm.Snapshot{State: 1, Monitors: []nsm.Monitor{{MonName: "watched.test", MyId: localTestID}}}))
	srv := newServer(t, nsm.ServerOptions{
		Store: store, Dial: (&hostDialer{}).dial, AllowRemoteMonitor: allowRemote,
		Logger: slog.New(slog.DiscardHandler),
	})
	mux := rpc.NewMux()
	srv.Register(mux)
	return srv, mux
}

// TestServerRemoteMonitor calls every procedure of the status monitor
// from callers on this host and on others, with AllowRemoteMonitor unset
// and set: SM_MON, SM_UNMON, SM_UNMON_ALL and SM_SIMU_CRASH from another
// host are refused with AUTH_TOOWEAK and change nothing unless
// AllowRemoteMonitor is set; the other procedures, and every procedure
// from this host, are served.
func TestServerRemoteMonitor(t *testing.T) {
	procs := []struct {
		name       string
		proc       uint32
		args       xdr.Marshaler // nil: void
		restricted bool
		// state and monitors are what the server holds after the call
		// was served; when it is refused it still holds state 1 and
		// the monitor of watched.test.
		state    int32
		monitors []string
	}{
		{"SM_NULL", nsm.SM_NULL, nil, false, 1, []string{"watched.test"}},
		{"SM_STAT", nsm.SM_STAT, &nsm.SmName{MonName: "peer.test"}, false, 1, []string{"watched.test"}},
		{"SM_MON", nsm.SM_MON, &nsm.Mon{MonId: nsm.MonId{MonName: "peer.test", MyId: localTestID}}, true, 1, []string{"watched.test", "peer.test"}},
		{"SM_UNMON", nsm.SM_UNMON, &nsm.MonId{MonName: "watched.test", MyId: localTestID}, true, 1, nil},
		{"SM_UNMON_ALL", nsm.SM_UNMON_ALL, &localTestID, true, 1, nil},
		{"SM_SIMU_CRASH", nsm.SM_SIMU_CRASH, nil, true, 3, []string{"watched.test"}},
		{"SM_NOTIFY", nsm.SM_NOTIFY, &nsm.StatChge{MonName: "unwatched.test", State: 5}, false, 1, []string{"watched.test"}},
	}
	callers := []struct {
		name  string
		addr  net.Addr
		local bool
	}{
		{"loopback TCP", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 900}, true},
		{"loopback 127.0.0.2 UDP", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 900}, true},
		{"loopback IPv6 UDP", &net.UDPAddr{IP: net.IPv6loopback, Port: 900}, true},
		{"unix socket", &net.UnixAddr{Name: "/run/nsm.sock", Net: "unix"}, true},
		{"remote TCP", &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 900}, false},
		{"remote UDP", &net.UDPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 900}, false},
		{"remote IPv6 TCP", &net.TCPAddr{IP: net.ParseIP("2001:db8::7"), Port: 900}, false},
		{"unspecified address UDP", &net.UDPAddr{IP: net.IPv4zero, Port: 900}, false},
		{"no address", nil, false},
	}
	for _, allowRemote := range []bool{false, true} {
		for _, p := range procs {
			for _, from := range callers {
				name := p.name + "/" + from.name
				if allowRemote {
					name += "/AllowRemoteMonitor"
				}
				t.Run(name, func(t *testing.T) {
					srv, mux := localServer(t, allowRemote)
					c := &rpc.Call{Prog: nsm.SM_PROG, Vers: nsm.SM_VERS, Proc: p.proc}
					c.RemoteAddr = from.addr
					if p.args != nil {
						var err error
						c.Args, err = xdr.Marshal(p.args)
						require.NoError(t, err)
					}
					w := &recordingWriter{}
					mux.ServeRPC(t.Context(), w, c)

					served := !p.restricted || from.local || allowRemote
					state, monitors := int32(1), []string{"watched.test"}
					if served {
						require.Equal(t, answer{replied: true}, w.got)
						state, monitors = p.state, p.monitors
					} else {
						require.Equal(t, answer{auth: rpc.AUTH_TOOWEAK}, w.got)
					}
					require.Equal(t, state, srv.State())
					var names []string
					for _, m := range srv.Monitors() {
						names = append(names, m.MonName)
					}
					require.Equal(t, monitors, names)
				})
			}
		}
	}
}

// TestServerRemoteMonitorMethods calls the restricted methods directly:
// in process, with a nil call, they are served whatever the options;
// with a call from another host they return AUTH_TOOWEAK.
func TestServerRemoteMonitorMethods(t *testing.T) {
	remote := &rpc.Call{Prog: nsm.SM_PROG, Vers: nsm.SM_VERS}
	remote.RemoteAddr = &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 900}
	mon := &nsm.Mon{MonId: nsm.MonId{MonName: "peer.test", MyId: localTestID}}
	for _, tc := range []struct {
		name string
		call func(ctx context.Context, srv *nsm.Server, c *rpc.Call) error
	}{
		{"Mon", func(ctx context.Context, srv *nsm.Server, c *rpc.Call) error {
			_, err := srv.Mon(ctx, c, mon)
			return err
		}},
		{"Unmon", func(ctx context.Context, srv *nsm.Server, c *rpc.Call) error {
			_, err := srv.Unmon(ctx, c, &mon.MonId)
			return err
		}},
		{"UnmonAll", func(ctx context.Context, srv *nsm.Server, c *rpc.Call) error {
			_, err := srv.UnmonAll(ctx, c, &localTestID)
			return err
		}},
		{"SimuCrash", func(ctx context.Context, srv *nsm.Server, c *rpc.Call) error {
			return srv.SimuCrash(ctx, c)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := localServer(t, false)
			require.NoError(t, tc.call(t.Context(), srv, nil), "in process")
			err := tc.call(t.Context(), srv, remote)
			require.ErrorIs(t, err, rpc.AUTH_TOOWEAK, "from another host")

			srv, _ = localServer(t, true)
			require.NoError(t, tc.call(t.Context(), srv, remote), "from another host, with AllowRemoteMonitor")
		})
	}
}
