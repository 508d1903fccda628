package state_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// A 4.1 client's life as the COMPOUND engine drives it: EXCHANGE_ID,
// CREATE_SESSION, SEQUENCE around each request, OPEN, LOCK, a conflicting
// OPEN by another client, CLOSE.
func Example() {
	ctx := context.Background()
	fs := memfs.New(nil)
	root, _ := fs.Root(ctx)
	file, _, _ := fs.Create(ctx, &vfs.Root, root, "data", vfs.CreateHow{})
	m := state.New(state.Config{
		Now:    time.Now,
		Lease:  90 * time.Second,
		Epoch:  1,
		Locker: fs,
		Store:  &recovery.MemStore{},
	})

	x, _ := m.ExchangeID(state.ExchangeIDArgs{Owner: []byte("host-a"), Verifier: state.Verifier{1}, Principal: "uid:1000"})
	s, _ := m.CreateSession(ctx, state.CreateSessionArgs{ClientID: x.ClientID, Seqid: x.SequenceID, Principal: "uid:1000"})

	seq, _ := m.Sequence(state.SequenceArgs{SessionID: s.SessionID, Seqid: 1, SlotID: 0, CacheThis: true})
	open, _ := m.Open(ctx, state.OpenArgs{ClientID: seq.ClientID, Minor: 1, Owner: []byte("proc-1"), File: file,
		Access: state.ShareAccessBoth, Deny: state.ShareDenyWrite})
	lock, _ := m.Lock(ctx, state.LockArgs{Minor: 1, File: file, Cred: &vfs.Root, Type: vfs.WriteLock, Offset: 0, Length: 4096,
		New: true, OpenStateid: open.Stateid, ClientID: seq.ClientID, Owner: []byte("proc-1")})
	m.Finish(s.SessionID, 0, []byte("encoded reply"))
	fmt.Println("open seqid", open.Stateid.Seqid, "lock seqid", lock.Seqid)

	y, _ := m.ExchangeID(state.ExchangeIDArgs{Owner: []byte("host-b"), Verifier: state.Verifier{1}, Principal: "uid:1001"})
	m.CreateSession(ctx, state.CreateSessionArgs{ClientID: y.ClientID, Seqid: y.SequenceID, Principal: "uid:1001"})
	_, err := m.Open(ctx, state.OpenArgs{ClientID: y.ClientID, Minor: 1, Owner: []byte("proc-9"), File: file, Access: state.ShareAccessWrite})
	fmt.Println("b opens for writing:", errors.Is(err, state.ErrShareDenied))

	// A retransmission of the first request is answered from the slot.
	replay, _ := m.Sequence(state.SequenceArgs{SessionID: s.SessionID, Seqid: 1, SlotID: 0})
	fmt.Printf("replayed: %v %q\n", replay.Replay, replay.Reply)

	m.Sequence(state.SequenceArgs{SessionID: s.SessionID, Seqid: 2, SlotID: 0})
	lock, _ = m.LockU(ctx, lock, 0, 1, file, &vfs.Root, 0, 4096)
	m.FreeStateid(ctx, lock)
	_, err = m.Close(open.Stateid, 0, 1, file)
	m.Finish(s.SessionID, 0, nil)
	fmt.Println("closed:", err)
	// Output:
	// open seqid 1 lock seqid 1
	// b opens for writing: true
	// replayed: true "encoded reply"
	// closed: <nil>
}
