package recovery_test

import (
	"context"
	"fmt"
	"time"

	"github.com/nfskit/nfskit/nfs4/recovery"
)

// A restart: the clients recorded before it may reclaim during the grace
// period; the one that did not is dropped when grace ends.
func Example() {
	ctx := context.Background()
	store := &recovery.MemStore{}
	v, _ := store.Add(ctx, 0, recovery.Record{Owner: []byte("client-a")})
	store.Add(ctx, v, recovery.Record{Owner: []byte("client-b")})

	// The server restarts.
	snap, _ := store.Load(ctx)
	snap, _ = store.StartGrace(ctx, snap.Version)
	grace := recovery.NewGrace(time.Now, 90*time.Second, func() {
		s, _ := store.Load(ctx)
		store.EndGrace(ctx, s.Version)
	})
	grace.Start(snap.Reclaim)

	grace.Enter()
	fmt.Println("a reclaims:", grace.Check([]byte("client-a"), true))
	fmt.Println("c opens:", grace.Check([]byte("client-c"), false))
	grace.Leave()
	s, _ := store.Load(ctx)
	store.Add(ctx, s.Version, recovery.Record{Owner: []byte("client-a")})
	grace.Complete([]byte("client-a"))
	grace.Complete([]byte("client-b"))
	grace.Poll()

	s, _ = store.Load(ctx)
	fmt.Println("in grace:", grace.InGrace(), "recorded:", len(s.Current))
	// Output:
	// a reclaims: <nil>
	// c opens: recovery: in grace period
	// in grace: false recorded: 1
}
