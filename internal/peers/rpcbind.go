package peers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Rpcbind makes sure the system's rpcbind answers on 127.0.0.1:111 for
// the rest of the test, starting one (rpcbind -w -f) if none runs, and
// stopping it at the end if it started it. It holds the "rpcbind" lock.
func Rpcbind(t testing.TB) {
	t.Helper()
	Require(t, "rpcbind", "rpcinfo")
	RequireRoot(t)
	Lock(t, "rpcbind")
	if _, err := Run(context.Background(), "rpcinfo", "-p", "127.0.0.1"); err == nil {
		return
	}
	p := Start(t, "rpcbind", "-w", "-f")
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
