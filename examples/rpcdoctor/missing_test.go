package main

import (
	"bytes"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// serveNFSHost serves what an NFS server of this project serves, NFSv3,
// MOUNT and NLM (versions 1, 3 and 4) over an in-memory export, and,
// when withNSM is set, the status monitor beside them, all on one TCP
// and one UDP port of 127.0.0.1; it announces each program version to
// the port mapper at pmPort as a server does at start.
func serveNFSHost(t *testing.T, pmPort int, withNSM bool) {
	t.Helper()
	ctx := t.Context()
	quiet := slog.New(slog.DiscardHandler)
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/", FS: memfs.New(nil)})
	require.NoError(t, err)
	statd, err := nsm.NewServer(&nsm.ServerOptions{Name: "server.test", Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(func() { statd.Close() })
	require.NoError(t, statd.Start(ctx))
	locks, err := nlm.NewServer(table, &nlm.ServerOptions{Name: "server.test", Monitor: nlm.NewLocalMonitor(statd), Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(func() { locks.Close() })
	require.NoError(t, locks.Start(ctx))

	mux := rpc.NewMux()
	nfs3.NewServer(table, nil).Register(mux)
	mount.NewServer(table, &mount.ServerOptions{Logger: quiet}).Register(mux)
	locks.Register(mux)
	served := map[uint32][]uint32{
		progNFS:   {3},
		progMount: {3},
		progNLM:   {1, 3, 4},
	}
	if withNSM {
		statd.Register(mux)
		served[progNSM] = []uint32{1}
	}
	tcp, udp := serveMux(t, "127.0.0.1", mux)

	pm, err := portmap.Dial(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(pmPort)), nil)
	require.NoError(t, err)
	t.Cleanup(func() { pm.Close() })
	var regs []portmap.Registration
	for prog, versions := range served {
		for _, v := range versions {
			regs = append(regs,
				portmap.Registration{Prog: prog, Vers: v, Addr: net.TCPAddrFromAddrPort(tcp)},
				portmap.Registration{Prog: prog, Vers: v, Addr: net.UDPAddrFromAddrPort(udp)})
		}
	}
	_, err = portmap.Announce(ctx, pm, regs)
	require.NoError(t, err)
}

// TestDiagnoseStatusMonitorMissing runs the command against a host that
// serves this project's NFS, MOUNT and lock manager, registered with
// its port mapper, with and without its status monitor: without it (not
// registered, or registered by a status monitor that has gone) the
// lock manager is reported as answering, one summary line names the
// missing status monitor, and the exit status is 1; with it, locking is
// reported OK with exit status 0.
func TestDiagnoseStatusMonitorMissing(t *testing.T) {
	lockManagerOK := "ok: lock manager (nlockmgr, program 100021 v4) on 127.0.0.1 answers over tcp, udp"
	for _, tc := range []struct {
		name    string
		nsm     bool
		stale   bool     // register the status monitor at ports nothing answers on
		missing []string // the server's status monitor findings
		summary string
		code    int
	}{
		{
			name: "not registered",
			missing: []string{
				"missing: status monitor (rpc.statd, program 100024) on 127.0.0.1 is not registered: locks cannot be recovered after a reboot and some servers refuse locks",
			},
			summary: "NFSv3 locking: will not work: the status monitor on 127.0.0.1 is not registered",
			code:    exitFails,
		},
		{
			name:  "registered, gone",
			stale: true,
			missing: []string{
				"missing: status monitor (rpc.statd, program 100024) on 127.0.0.1 does not answer over tcp: connection refused: locks cannot be recovered after a reboot and some servers refuse locks",
				"missing: status monitor (rpc.statd, program 100024) on 127.0.0.1 does not answer over udp: no answer within " + testTimeout.String() + ": locks cannot be recovered after a reboot and some servers refuse locks",
			},
			summary: "NFSv3 locking: will not work: the status monitor on 127.0.0.1 does not answer over tcp, udp",
			code:    exitFails,
		},
		{
			name:    "served",
			nsm:     true,
			missing: nil,
			summary: "NFSv3 locking: OK",
			code:    exitOK,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pm, pmPort := startPortmapper(t, "127.0.0.1", 0)
			serveNFSHost(t, pmPort, tc.nsm)
			if tc.stale {
				registerBoth(t, pm, progNSM, 1, refusedPort(t), silentUDP(t))
			}
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), []string{"-timeout", testTimeout.String(), "-pmap-port", strconv.Itoa(pmPort), "127.0.0.1"}, &stdout, &stderr)
			out := stdout.String()
			require.Equal(t, tc.code, code, "%s", out)
			require.Empty(t, stderr.String())

			requireLines(t, out, lockManagerOK)
			var summaries, serverNSM, findings []string
			for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				switch {
				case strings.HasPrefix(l, "NFSv3 locking:"):
					summaries = append(summaries, l)
				case strings.HasPrefix(l, "missing: status monitor") && !strings.Contains(l, "(this client)"):
					serverNSM = append(serverNSM, l)
				}
				if strings.HasPrefix(l, "missing: ") {
					findings = append(findings, l)
				}
			}
			require.Equal(t, []string{tc.summary}, summaries, "%s", out)
			require.Equal(t, tc.missing, serverNSM, "%s", out)
			if tc.nsm {
				require.Empty(t, findings, "%s", out)
				requireLines(t, out,
					"ok: status monitor (rpc.statd, program 100024) on 127.0.0.1 answers over tcp, udp",
					"ok: status monitor (rpc.statd, program 100024) on 127.0.0.1 (this client) answers over tcp, udp")
			}
			// The lock manager answers every version it registered.
			for _, row := range []string{" 100021        1  tcp", " 100021        3  udp", " 100021        4  tcp", " 100021        4  udp"} {
				i := indexFrom(strings.Split(out, "\n"), 0, func(l string) bool { return strings.HasPrefix(l, row) })
				require.GreaterOrEqual(t, i, 0, "no row %q in:\n%s", row, out)
				require.True(t, strings.HasSuffix(strings.Split(out, "\n")[i], "  ok"), "%s", out)
			}
		})
	}
}
