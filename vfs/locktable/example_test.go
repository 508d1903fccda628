package locktable_test

import (
	"errors"
	"fmt"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/locktable"
)

func Example() {
	t := locktable.New(func(file string) { fmt.Println("locks released on", file) })
	alice := vfs.LockOwner{Host: "client-a", Pid: 42}
	bob := vfs.LockOwner{Host: "client-b", Pid: 7}

	// Alice write-locks bytes 0-99; Bob cannot read-lock byte 50.
	_ = t.Lock("file", vfs.Lock{Owner: alice, Type: vfs.WriteLock, Offset: 0, Length: 100})
	err := t.Lock("file", vfs.Lock{Owner: bob, Type: vfs.ReadLock, Offset: 50, Length: 1})
	var c *vfs.LockConflict
	if errors.As(err, &c) {
		fmt.Println("denied:", c.Holder.Owner.Host, c.Holder.Offset, c.Holder.Length)
	}

	// Alice unlocks the middle, splitting her lock; now Bob gets it.
	t.Unlock("file", alice, 40, 20)
	fmt.Println(t.Lock("file", vfs.Lock{Owner: bob, Type: vfs.ReadLock, Offset: 50, Length: 1}))
	for _, l := range t.Locks("file") {
		fmt.Println(l.Owner.Host, l.Type, l.Offset, l.Length)
	}

	// Alice's client reboots.
	t.ReleaseHost("client-a")
	fmt.Println(len(t.Locks("file")), "lock left")
	// Output:
	// denied: client-a 0 100
	// locks released on file
	// <nil>
	// client-a write 0 40
	// client-b read 50 1
	// client-a write 60 40
	// locks released on file
	// 1 lock left
}
