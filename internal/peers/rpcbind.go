package peers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// rpcbindAddr is where rpcbind serves.
const rpcbindAddr = "127.0.0.1:111"

// rpcbindSocket is rpcbind's local socket.
const rpcbindSocket = "/run/rpcbind.sock"

// started records, by lock name, the peer a test holding that lock
// started and still runs: a helper called again under the same lock (by
// the test or its subtests) finds it.
var started struct {
	sync.Mutex
	procs map[string]*Process
}

// startedPeer returns the running peer recorded under the lock name, or
// nil.
func startedPeer(name string) *Process {
	started.Lock()
	defer started.Unlock()
	if p := started.procs[name]; p != nil && !p.Exited() {
		return p
	}
	return nil
}

// recordPeer records p under the lock name until the test ends.
func recordPeer(t testing.TB, name string, p *Process) {
	started.Lock()
	defer started.Unlock()
	if started.procs == nil {
		started.procs = map[string]*Process{}
	}
	started.procs[name] = p
	t.Cleanup(func() {
		started.Lock()
		defer started.Unlock()
		delete(started.procs, name)
	})
}

// Rpcbind makes sure an rpcbind that this test (or the test it is part
// of) started answers on 127.0.0.1:111 for the rest of the test,
// starting one (rpcbind -w -f) if the test has none yet, and stopping it
// at the end. flags are added to rpcbind's when it starts one (-r turns
// remote calls on). It holds the "rpcbind" lock. A port mapper that no
// test started, or anything else on port 111 or rpcbind's socket, is in
// the way (see InTheWay).
func Rpcbind(t testing.TB, flags ...string) {
	t.Helper()
	Require(t, "rpcbind", "rpcinfo")
	RequireRoot(t)
	Lock(t, "rpcbind")
	if startedPeer("rpcbind") != nil {
		return
	}
	RequireFree(t, "rpcbind", "tcp", rpcbindAddr)
	RequireFree(t, "rpcbind", "udp", rpcbindAddr)
	RequireFree(t, "rpcbind", "unix", rpcbindSocket)
	p := Start(t, "rpcbind", append([]string{"-w", "-f"}, flags...)...)
	recordPeer(t, "rpcbind", p)
	WaitFor(t, 10*time.Second, "rpcbind", func() error {
		if p.Exited() {
			t.Fatalf("rpcbind exited: %s", p.Output())
		}
		_, err := Run(context.Background(), "rpcinfo", "-p", "127.0.0.1")
		return err
	})
}

// Registration is one line of rpcbind's portmap table (rpcinfo -p).
type Registration struct {
	Prog, Vers uint32
	Proto      string // "tcp" or "udp"
	Port       int
}

// Registrations lists what is registered with the rpcbind on 127.0.0.1
// (a portmap v2 DUMP, by rpcinfo -p).
func Registrations() ([]Registration, error) {
	out, err := Run(context.Background(), "rpcinfo", "-p", "127.0.0.1")
	if err != nil {
		return nil, fmt.Errorf("rpcinfo -p 127.0.0.1: %v: %s", err, strings.TrimSpace(out))
	}
	return parseRpcinfo(out), nil
}

// parseRpcinfo parses the table rpcinfo -p prints:
//
//	program vers proto   port  service
//	 100000    4   tcp    111  portmapper
func parseRpcinfo(out string) []Registration {
	var regs []Registration
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		prog, err1 := strconv.ParseUint(f[0], 10, 32)
		vers, err2 := strconv.ParseUint(f[1], 10, 32)
		port, err3 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil || err3 != nil {
			continue // the heading
		}
		regs = append(regs, Registration{Prog: uint32(prog), Vers: uint32(vers), Proto: f[2], Port: port})
	}
	return regs
}

// Port returns the port registered for prog, vers and proto ("tcp" or
// "udp"), or 0.
func Port(regs []Registration, prog, vers uint32, proto string) int {
	for _, r := range regs {
		if r.Prog == prog && r.Vers == vers && r.Proto == proto {
			return r.Port
		}
	}
	return 0
}
