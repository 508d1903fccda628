package nsm_test

import (
	"context"
	"fmt"
	"log"
	"net"

	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
)

// A status monitor of one's own on a loopback port, and a lock manager's
// requests to it: SM_STAT, SM_MON, and the callback that follows a
// monitored host's SM_NOTIFY.
func ExampleServer() {
	ctx := context.Background()

	// The state number and monitor list live in memory here;
	// nsm.NewFileStore keeps them across restarts, as a real monitor must.
	st, err := nsm.NewServer(&nsm.ServerOptions{Store: &nsm.MemStore{}, Name: "server"})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	mux := rpc.NewMux()
	st.Register(mux)
	srv := &rpc.Server{Handler: mux}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	// Start moves the state to the next odd number and sends SM_NOTIFY
	// to the hosts monitored before a restart (none in a new store).
	if err := st.Start(ctx); err != nil {
		log.Fatal(err)
	}

	rc, err := rpc.Dial(ctx, "tcp", l.Addr().String(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer rc.Close()
	c := nsm.NewV1Client(rc)

	stat, err := c.Stat(ctx, &nsm.SmName{MonName: "client-a"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("SM_STAT:", stat.ResStat, "state", stat.State)

	// A lock manager asks to be called back when client-a reboots. Its
	// my_id names the procedure to call; HandleCallback delivers the
	// callbacks for it in process instead (a lock manager in the same
	// program), without the port mapper that reaching my_id needs.
	me := nsm.MyId{MyName: "127.0.0.1", MyProg: 0x40000200, MyVers: 1, MyProc: 1}
	callbacks := make(chan nsm.Status, 1)
	remove := st.HandleCallback(me, func(ctx context.Context, s nsm.Status) { callbacks <- s })
	defer remove()
	mon, err := c.Mon(ctx, &nsm.Mon{MonId: nsm.MonId{MonName: "client-a", MyId: me}, Priv: [16]byte{'l', 'k'}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("SM_MON:", mon.ResStat)
	for _, m := range st.Monitors() {
		fmt.Printf("monitoring %s for program %#x\n", m.MonName, m.MyId.MyProg)
	}

	// client-a reboots and says so with SM_NOTIFY; the monitor calls
	// back with the new state and the priv given to SM_MON.
	if err := c.Notify(ctx, &nsm.StatChge{MonName: "client-a", State: 3}); err != nil {
		log.Fatal(err)
	}
	s := <-callbacks
	fmt.Printf("callback: %s is in state %d, priv %q\n", s.MonName, s.State, s.Priv[:2])
	// Output:
	// SM_STAT: StatSucc state 1
	// SM_MON: StatSucc
	// monitoring client-a for program 0x40000200
	// callback: client-a is in state 3, priv "lk"
}
