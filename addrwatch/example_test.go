package addrwatch_test

import (
	"log"
	"log/slog"
	"net/netip"

	"github.com/nfskit/nfskit/addrwatch"
	"github.com/nfskit/nfskit/netns"
	"github.com/nfskit/nfskit/rpc"
)

// A server of a node that a floating address may leave: its listener and
// the watch are both in the node's namespace.
func ExampleCloseConns() {
	ns, err := netns.Open("/run/netns/node1")
	if err != nil {
		log.Fatal(err)
	}
	l, err := ns.Listen("tcp", "0.0.0.0:2049")
	if err != nil {
		log.Fatal(err)
	}
	srv := &rpc.Server{Handler: rpc.NewMux()}
	w, err := addrwatch.CloseConns(ns, slog.Default(), srv)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	log.Fatal(srv.Serve(l))
}

// Watching the process's own namespace for any use.
func ExampleWatch() {
	w, err := addrwatch.Watch(nil, func(a netip.Addr) { log.Printf("%v is gone", a) })
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	<-w.Done()
}
