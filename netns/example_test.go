package netns_test

import (
	"context"
	"log"

	"github.com/nfskit/nfskit/netns"
	"github.com/nfskit/nfskit/rpc"
)

// Serving RPC inside the namespace that "ip netns add blue" made: the
// listener is opened in it, and the server serves it as any other.
func Example() {
	ns, err := netns.Open("/run/netns/blue")
	if err != nil {
		log.Fatal(err)
	}
	defer ns.Close()
	l, err := ns.Listen("tcp", "0.0.0.0:2049")
	if err != nil {
		log.Fatal(err)
	}
	srv := &rpc.Server{Handler: rpc.NewMux()}
	log.Fatal(srv.Serve(l))
}

// A client whose connections are made inside a container's namespace,
// found through one of its processes, on a reserved port: every redial
// is made there too.
func ExampleNamespace_Do() {
	ns, err := netns.Open("/proc/4242/ns/net")
	if err != nil {
		log.Fatal(err)
	}
	defer ns.Close()
	c, err := rpc.Dial(context.Background(), "tcp", "127.0.0.1:111",
		&rpc.ClientOptions{Enter: ns.Do, ReservedPort: true})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
}
