package portmap_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"

	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
)

// servePortmapper serves an embedded port mapper on a loopback TCP port
// and returns its address; a real program would talk to rpcbind on port
// 111 instead.
func servePortmapper() (string, func()) {
	pm := &portmap.Server{}
	mux := rpc.NewMux()
	pm.Register(mux)
	srv := &rpc.Server{Handler: mux}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	return l.Addr().String(), func() { srv.Close() }
}

func ExampleClient() {
	addr, stop := servePortmapper()
	defer stop()
	ctx := context.Background()

	// Dial(ctx, "tcp", "127.0.0.1", nil) reaches the system's rpcbind.
	c, err := portmap.Dial(ctx, "tcp", addr, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// Register NFS version 3 on TCP port 2049 of every address.
	err = c.Set(ctx, portmap.Rpcb{RProg: 100003, RVers: 3, RNetid: portmap.NetidTCP, RAddr: "0.0.0.0.8.1"})
	if err != nil {
		log.Fatal(err)
	}

	// Look it up, as rpcbind version 4 and as portmap version 2.
	a, err := c.GetAddr(ctx, 100003, 3, portmap.NetidTCP)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("GETADDR:", a)
	port, err := c.GetPort(ctx, 100003, 3, "tcp")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("GETPORT:", port)

	regs, err := c.Dump(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range regs {
		fmt.Println("DUMP:", r.RProg, r.RVers, r.RNetid, r.RAddr, r.ROwner)
	}

	_, err = c.GetAddr(ctx, 100005, 3, portmap.NetidTCP)
	fmt.Println("MOUNT registered:", !errors.Is(err, portmap.ErrNotRegistered))
	// Output:
	// GETADDR: 127.0.0.1:2049
	// GETPORT: 2049
	// DUMP: 100003 3 tcp 0.0.0.0.8.1 unknown
	// MOUNT registered: false
}

func ExampleAnnounce() {
	pmAddr, stop := servePortmapper()
	defer stop()
	ctx := context.Background()

	// A service: program 0x20000001 version 1, answering NULL, on TCP and
	// UDP ports of the loopback interface.
	mux := rpc.NewMux()
	mux.Handle(0x20000001, 1, rpc.Null)
	srv := &rpc.Server{Handler: mux}
	defer srv.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	go srv.ServePacket(pc)

	// Announce it to the port mapper ("127.0.0.1" for the system's).
	c, err := portmap.Dial(ctx, "tcp", pmAddr, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	a, err := portmap.Announce(ctx, c, []portmap.Registration{
		{Prog: 0x20000001, Vers: 1, Addr: l.Addr()},
		{Prog: 0x20000001, Vers: 1, Addr: pc.LocalAddr()},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range a.Registered() {
		fmt.Println("registered on", r.RNetid)
	}

	// A client finds it through the port mapper.
	found, err := c.GetAddr(ctx, 0x20000001, 1, portmap.NetidUDP)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("found at the UDP socket:", found.String() == pc.LocalAddr().String())

	// At shutdown, withdraw exactly what was announced.
	if err := a.Withdraw(ctx); err != nil {
		log.Fatal(err)
	}
	_, err = c.GetAddr(ctx, 0x20000001, 1, portmap.NetidTCP)
	fmt.Println("after Withdraw:", errors.Is(err, portmap.ErrNotRegistered))
	// Output:
	// registered on tcp
	// registered on udp
	// found at the UDP socket: true
	// after Withdraw: true
}

func ExampleServer() {
	// A port mapper of one's own, here on a loopback port; run as root it
	// can take rpcbind's place on port 111.
	pm := &portmap.Server{}
	mux := rpc.NewMux()
	pm.Register(mux)
	srv := &rpc.Server{Handler: mux}
	defer srv.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	// It lists itself, as rpcbind does.
	if err := pm.SetSelf(l.Addr()); err != nil {
		log.Fatal(err)
	}
	// Programs in the same process register directly.
	pm.Set(portmap.Rpcb{RProg: 100003, RVers: 3, RNetid: portmap.NetidUDP, RAddr: "0.0.0.0.8.1"})

	for _, m := range pm.PortmapDump() {
		fmt.Println(m.Prog, m.Vers, m.Prot, m.Port == uint32(l.Addr().(*net.TCPAddr).Port) || m.Port == 2049)
	}
	// Output:
	// 100000 4 6 true
	// 100000 3 6 true
	// 100000 2 6 true
	// 100003 3 17 true
}
