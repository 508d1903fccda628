package nlm_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/vfs"
)

// Lock a byte range of a file on an NFS server, waiting up to a minute
// for another client's conflicting lock to go away.
func ExampleClient_Lock() {
	ctx := context.Background()
	var fh []byte // the file's NFSv3 handle, from nfs3.File.Handle

	c, err := nlm.Dial(ctx, "nfs-server.example", nil)
	if err != nil {
		// A *nlm.DialError names what is missing: the port mapper, the
		// lock manager's registration, or an answer from it.
		log.Fatal(err)
	}
	defer c.Close()

	owner := nlm.Owner{Svid: int32(os.Getpid()), OH: []byte("my-process")}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	err = c.Lock(wctx, fh, nlm.Lock{Owner: owner, Exclusive: true, Offset: 0, Length: 4096, Wait: true})
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		log.Fatal("still locked by someone else after a minute")
	case errors.Is(err, nlm.ErrNoLocks):
		log.Fatal(err) // the message says to check rpc.statd
	case err != nil:
		log.Fatal(err)
	}
	defer c.Unlock(ctx, fh, owner, 0, 4096)
	fmt.Println("locked")
}

// Try a lock without waiting, and name the holder of a conflicting one.
func ExampleClient_Lock_try() {
	ctx := context.Background()
	var c *nlm.Client // from nlm.Dial
	var fh []byte

	err := c.Lock(ctx, fh, nlm.Lock{Owner: nlm.Owner{Svid: 1, OH: []byte("o")}, Exclusive: true})
	var conflict *vfs.LockConflict
	if errors.As(err, &conflict) {
		fmt.Printf("held by process %d: %s lock of %d bytes at %d\n",
			conflict.Holder.Owner.Pid, conflict.Holder.Type, conflict.Holder.Length, conflict.Holder.Offset)
	}
}
