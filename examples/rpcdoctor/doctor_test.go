package main

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/portmap"
)

// testTimeout bounds each call in the tests: long enough for a loopback
// answer under the race detector, short enough for silent services.
const testTimeout = 300 * time.Millisecond

// fixture is the port mapper of the host a test case checks, with the
// ports its expected output names. Each placeholder is five characters
// long, as every ephemeral port is, so the columns of the expected
// tables line up as written.
type fixture struct {
	pm    *portmap.Server
	port  int // the port mapper's port, for -pmap-port
	ports map[string]int
}

// expand replaces the placeholders in the expected lines with ports.
func (f *fixture) expand(t *testing.T, lines []string) []string {
	t.Helper()
	var pairs []string
	for k, p := range f.ports {
		require.Len(t, k, 5, "placeholder %q", k)
		require.Len(t, strconv.Itoa(p), 5, "port %d of %s", p, k)
		pairs = append(pairs, k, strconv.Itoa(p))
	}
	r := strings.NewReplacer(pairs...)
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = r.Replace(l)
	}
	return out
}

// services serves the NULL procedure of progs on one TCP and one UDP
// port of ip, registers each program version on both as addressed by
// host (an address, or 0.0.0.0 for the wildcard), and names the ports
// {tcp} and {udp}.
func (f *fixture) services(t *testing.T, ip, host string, progs map[uint32][]uint32) {
	t.Helper()
	tcp, udp := nullServer(t, ip, progs)
	at := netip.MustParseAddr(host)
	for prog, vs := range progs {
		for _, v := range vs {
			registerBoth(t, f.pm, prog, v, netip.AddrPortFrom(at, tcp.Port()), netip.AddrPortFrom(at, udp.Port()))
		}
	}
	f.ports["{tcp}"], f.ports["{udp}"] = int(tcp.Port()), int(udp.Port())
}

// What a server for NFSv3 with locking registers.
var (
	nfsAndMount  = map[uint32][]uint32{progNFS: {3}, progMount: {3}}
	fullLocking  = map[uint32][]uint32{progNFS: {3}, progMount: {3}, progNLM: {4}, progNSM: {1}}
	withoutNSM   = map[uint32][]uint32{progNFS: {3}, progMount: {3}, progNLM: {4}}
	withoutNLM   = map[uint32][]uint32{progNFS: {3}, progMount: {3}, progNSM: {1}}
	pmapTable    = []string{"program  version  netid  address          service     NULL call", " 100000        2  tcp    127.0.0.1:{pmp}  portmapper  ok", " 100000        3  tcp    127.0.0.1:{pmp}  portmapper  ok", " 100000        4  tcp    127.0.0.1:{pmp}  portmapper  ok"}
	nfsMountRows = []string{
		" 100003        3  tcp    127.0.0.1:{tcp}  nfs         ok",
		" 100003        3  udp    127.0.0.1:{udp}  nfs         ok",
		" 100005        3  tcp    127.0.0.1:{tcp}  mountd      ok",
		" 100005        3  udp    127.0.0.1:{udp}  mountd      ok",
	}
	nfsMountOK = []string{
		"ok: NFS server (nfs, program 100003 v3) on 127.0.0.1 answers over tcp, udp",
		"ok: mount daemon (mountd, program 100005 v3) on 127.0.0.1 answers over tcp, udp",
	}
	oldNLMNotes = []string{
		"note: lock manager (nlockmgr, program 100021 v1) on 127.0.0.1 is not registered (NFSv2 clients use it, NFSv3 clients use v4)",
		"note: lock manager (nlockmgr, program 100021 v3) on 127.0.0.1 is not registered (NFSv2 clients use it, NFSv3 clients use v4)",
	}
)

// lines joins groups of lines into one list.
func lines(groups ...[]string) []string {
	var out []string
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func TestDiagnose(t *testing.T) {
	for _, c := range []struct {
		name        string
		host, local string   // default 127.0.0.1
		pmapVers    []uint32 // versions the port mapper serves; all when empty
		setup       func(t *testing.T, f *fixture)
		want        []string
		code        int
	}{
		{
			name:  "all answer",
			setup: func(t *testing.T, f *fixture) { f.services(t, "127.0.0.1", "127.0.0.1", fullLocking) },
			want: lines(
				[]string{"port mapper on 127.0.0.1:{pmp}: rpcbind version 4, 11 registrations"},
				pmapTable, nfsMountRows,
				[]string{
					" 100021        4  tcp    127.0.0.1:{tcp}  nlockmgr    ok",
					" 100021        4  udp    127.0.0.1:{udp}  nlockmgr    ok",
					" 100024        1  tcp    127.0.0.1:{tcp}  status      ok",
					" 100024        1  udp    127.0.0.1:{udp}  status      ok",
					"",
				},
				nfsMountOK,
				[]string{"ok: lock manager (nlockmgr, program 100021 v4) on 127.0.0.1 answers over tcp, udp"},
				oldNLMNotes,
				[]string{
					"ok: status monitor (rpc.statd, program 100024) on 127.0.0.1 answers over tcp, udp",
					"ok: status monitor (rpc.statd, program 100024) on 127.0.0.1 (this client) answers over tcp, udp",
					"NFSv3 locking: OK",
				}),
			code: 0,
		},
		{
			name:  "status monitor not registered",
			setup: func(t *testing.T, f *fixture) { f.services(t, "127.0.0.1", "127.0.0.1", withoutNSM) },
			want: lines(
				[]string{"port mapper on 127.0.0.1:{pmp}: rpcbind version 4, 9 registrations"},
				pmapTable, nfsMountRows,
				[]string{
					" 100021        4  tcp    127.0.0.1:{tcp}  nlockmgr    ok",
					" 100021        4  udp    127.0.0.1:{udp}  nlockmgr    ok",
					"",
				},
				nfsMountOK,
				[]string{"ok: lock manager (nlockmgr, program 100021 v4) on 127.0.0.1 answers over tcp, udp"},
				oldNLMNotes,
				[]string{
					"missing: status monitor (rpc.statd, program 100024) on 127.0.0.1 is not registered: locks cannot be recovered after a reboot and some servers refuse locks",
					"missing: status monitor (rpc.statd, program 100024) on 127.0.0.1 (this client) is not registered: the server cannot tell this client that it rebooted, so this client's locks are not reclaimed, and Linux clients refuse to lock",
					"NFSv3 locking: will not work: the status monitor on 127.0.0.1 is not registered",
				}),
			code: 1,
		},
		{
			name: "lock manager registered but not answering",
			setup: func(t *testing.T, f *fixture) {
				f.services(t, "127.0.0.1", "127.0.0.1", withoutNLM)
				bad, sil := refusedPort(t), silentUDP(t)
				registerBoth(t, f.pm, progNLM, 4, bad, sil)
				f.ports["{bad}"], f.ports["{sil}"] = int(bad.Port()), int(sil.Port())
			},
			want: lines(
				[]string{"port mapper on 127.0.0.1:{pmp}: rpcbind version 4, 11 registrations"},
				pmapTable, nfsMountRows,
				[]string{
					" 100021        4  tcp    127.0.0.1:{bad}  nlockmgr    connection refused",
					" 100021        4  udp    127.0.0.1:{sil}  nlockmgr    no answer within 300ms",
					" 100024        1  tcp    127.0.0.1:{tcp}  status      ok",
					" 100024        1  udp    127.0.0.1:{udp}  status      ok",
					"",
				},
				nfsMountOK,
				[]string{
					"missing: lock manager (nlockmgr, program 100021 v4) on 127.0.0.1 does not answer over tcp: connection refused: NFSv3 clients cannot lock files (fcntl and flock hang or fail)",
					"missing: lock manager (nlockmgr, program 100021 v4) on 127.0.0.1 does not answer over udp: no answer within 300ms: NFSv3 clients cannot lock files (fcntl and flock hang or fail)",
				},
				oldNLMNotes,
				[]string{
					"ok: status monitor (rpc.statd, program 100024) on 127.0.0.1 answers over tcp, udp",
					"ok: status monitor (rpc.statd, program 100024) on 127.0.0.1 (this client) answers over tcp, udp",
					"NFSv3 locking: will not work: the lock manager on 127.0.0.1 does not answer over tcp, udp",
				}),
			code: 1,
		},
		{
			name: "lock manager without version 4",
			setup: func(t *testing.T, f *fixture) {
				f.services(t, "127.0.0.1", "127.0.0.1", withoutNLM)
				tcp, udp := nullServer(t, "127.0.0.1", map[uint32][]uint32{progNLM: {1, 3}})
				for _, v := range []uint32{1, 3, 4} {
					registerBoth(t, f.pm, progNLM, v, tcp, udp)
				}
				f.ports["{nlt}"], f.ports["{nlu}"] = int(tcp.Port()), int(udp.Port())
			},
			want: lines(
				[]string{"port mapper on 127.0.0.1:{pmp}: rpcbind version 4, 15 registrations"},
				pmapTable, nfsMountRows,
				[]string{
					" 100021        1  tcp    127.0.0.1:{nlt}  nlockmgr    ok",
					" 100021        1  udp    127.0.0.1:{nlu}  nlockmgr    ok",
					" 100021        3  tcp    127.0.0.1:{nlt}  nlockmgr    ok",
					" 100021        3  udp    127.0.0.1:{nlu}  nlockmgr    ok",
					" 100021        4  tcp    127.0.0.1:{nlt}  nlockmgr    version mismatch: server has versions 1 to 3",
					" 100021        4  udp    127.0.0.1:{nlu}  nlockmgr    version mismatch: server has versions 1 to 3",
					" 100024        1  tcp    127.0.0.1:{tcp}  status      ok",
					" 100024        1  udp    127.0.0.1:{udp}  status      ok",
					"",
				},
				nfsMountOK,
				[]string{
					"missing: lock manager (nlockmgr, program 100021 v4) on 127.0.0.1 does not answer over tcp: version mismatch: server has versions 1 to 3: NFSv3 clients cannot lock files (fcntl and flock hang or fail)",
					"missing: lock manager (nlockmgr, program 100021 v4) on 127.0.0.1 does not answer over udp: version mismatch: server has versions 1 to 3: NFSv3 clients cannot lock files (fcntl and flock hang or fail)",
					"note: lock manager (nlockmgr, program 100021 v1) on 127.0.0.1 answers over tcp, udp (NFSv2 clients use it, NFSv3 clients use v4)",
					"note: lock manager (nlockmgr, program 100021 v3) on 127.0.0.1 answers over tcp, udp (NFSv2 clients use it, NFSv3 clients use v4)",
					"ok: status monitor (rpc.statd, program 100024) on 127.0.0.1 answers over tcp, udp",
					"ok: status monitor (rpc.statd, program 100024) on 127.0.0.1 (this client) answers over tcp, udp",
					"NFSv3 locking: will not work: the lock manager on 127.0.0.1 does not answer over tcp, udp",
				}),
			code: 1,
		},
		{
			name: "port mapper unreachable",
			setup: func(t *testing.T, f *fixture) {
				f.port = int(refusedPort(t).Port())
				f.ports["{bad}"] = f.port
			},
			want: []string{
				"port mapper on 127.0.0.1:{bad}: connection refused",
				"",
				"missing: port mapper (rpcbind, program 100000) at 127.0.0.1:{bad} does not answer: connection refused: nothing else on 127.0.0.1 can be checked",
				"NFSv3 locking: will not work: the port mapper at 127.0.0.1:{bad} does not answer",
			},
			code: 1,
		},
		{
			name:     "portmap version 2 only, wildcard addresses",
			pmapVers: []uint32{portmap.PMAP_VERS},
			setup: func(t *testing.T, f *fixture) {
				f.services(t, "127.0.0.1", "0.0.0.0", map[uint32][]uint32{progNLM: {4}, progNSM: {1}})
			},
			want: []string{
				"port mapper on 127.0.0.1:{pmp}: portmap version 2, 5 registrations",
				"program  version  netid  address        service     NULL call",
				" 100000        2  tcp    0.0.0.0:{pmp}  portmapper  ok",
				" 100021        4  tcp    0.0.0.0:{tcp}  nlockmgr    ok",
				" 100021        4  udp    0.0.0.0:{udp}  nlockmgr    ok",
				" 100024        1  tcp    0.0.0.0:{tcp}  status      ok",
				" 100024        1  udp    0.0.0.0:{udp}  status      ok",
				"",
				"missing: NFS server (nfs, program 100003 v3) on 127.0.0.1 is not registered: NFSv3 clients cannot use this server",
				"missing: mount daemon (mountd, program 100005 v3) on 127.0.0.1 is not registered: NFSv3 clients cannot mount from this server",
				"ok: lock manager (nlockmgr, program 100021 v4) on 127.0.0.1 answers over tcp, udp",
				oldNLMNotes[0], oldNLMNotes[1],
				"ok: status monitor (rpc.statd, program 100024) on 127.0.0.1 answers over tcp, udp",
				"ok: status monitor (rpc.statd, program 100024) on 127.0.0.1 (this client) answers over tcp, udp",
				"NFSv3 locking: OK, with 2 problems listed above",
			},
			code: 0,
		},
		{
			name:  "this client without a status monitor",
			host:  "127.0.0.2",
			local: "127.0.0.1",
			setup: func(t *testing.T, f *fixture) {
				f.services(t, "127.0.0.2", "0.0.0.0", fullLocking)
				startPortmapper(t, "127.0.0.1", f.port)
			},
			want: []string{
				"port mapper on 127.0.0.2:{pmp}: rpcbind version 4, 11 registrations",
				"program  version  netid  address          service     NULL call",
				" 100000        2  tcp    127.0.0.2:{pmp}  portmapper  ok",
				" 100000        3  tcp    127.0.0.2:{pmp}  portmapper  ok",
				" 100000        4  tcp    127.0.0.2:{pmp}  portmapper  ok",
				" 100003        3  tcp    0.0.0.0:{tcp}    nfs         ok",
				" 100003        3  udp    0.0.0.0:{udp}    nfs         ok",
				" 100005        3  tcp    0.0.0.0:{tcp}    mountd      ok",
				" 100005        3  udp    0.0.0.0:{udp}    mountd      ok",
				" 100021        4  tcp    0.0.0.0:{tcp}    nlockmgr    ok",
				" 100021        4  udp    0.0.0.0:{udp}    nlockmgr    ok",
				" 100024        1  tcp    0.0.0.0:{tcp}    status      ok",
				" 100024        1  udp    0.0.0.0:{udp}    status      ok",
				"",
				"port mapper on 127.0.0.1:{pmp} (this client): rpcbind version 4, 3 registrations",
				"program  version  netid  address          service     NULL call",
				" 100000        2  tcp    127.0.0.1:{pmp}  portmapper  ok",
				" 100000        3  tcp    127.0.0.1:{pmp}  portmapper  ok",
				" 100000        4  tcp    127.0.0.1:{pmp}  portmapper  ok",
				"",
				"ok: NFS server (nfs, program 100003 v3) on 127.0.0.2 answers over tcp, udp",
				"ok: mount daemon (mountd, program 100005 v3) on 127.0.0.2 answers over tcp, udp",
				"ok: lock manager (nlockmgr, program 100021 v4) on 127.0.0.2 answers over tcp, udp",
				"note: lock manager (nlockmgr, program 100021 v1) on 127.0.0.2 is not registered (NFSv2 clients use it, NFSv3 clients use v4)",
				"note: lock manager (nlockmgr, program 100021 v3) on 127.0.0.2 is not registered (NFSv2 clients use it, NFSv3 clients use v4)",
				"ok: status monitor (rpc.statd, program 100024) on 127.0.0.2 answers over tcp, udp",
				"missing: status monitor (rpc.statd, program 100024) on 127.0.0.1 (this client) is not registered: the server cannot tell this client that it rebooted, so this client's locks are not reclaimed, and Linux clients refuse to lock",
				"NFSv3 locking: OK, with 1 problem listed above",
			},
			code: 0,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			host := cmpOr(c.host, "127.0.0.1")
			pm, port := startPortmapper(t, host, 0, c.pmapVers...)
			f := &fixture{pm: pm, port: port, ports: map[string]int{"{pmp}": port}}
			c.setup(t, f)
			rep := Diagnose(t.Context(), Options{
				Host: host, Local: cmpOr(c.local, host), PortmapPort: f.port, Timeout: testTimeout,
			})
			var out bytes.Buffer
			require.NoError(t, rep.Write(&out, false))
			require.Equal(t, f.expand(t, c.want), strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n"))
			require.Equal(t, c.code, rep.ExitCode())
		})
	}
}

// cmpOr returns s, or def when s is empty.
func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
