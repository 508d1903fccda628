//go:build linux

package osfs_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/osfs"
)

// Serve a directory, acting as each caller: a file user 1000 makes is
// theirs on disk. (osfs needs root.)
func Example() {
	dir, err := os.MkdirTemp("", "osfs-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	fs, err := osfs.New(dir, &osfs.Options{ActAsCaller: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer fs.Close()

	ctx := context.Background()
	root, _ := fs.Root(ctx)
	mode := uint32(0o777)
	pub, _, err := fs.Mkdir(ctx, &vfs.Root, root, "pub", vfs.SetAttr{Mode: &mode})
	if err != nil {
		fmt.Println(err)
		return
	}
	user := &vfs.Cred{UID: 1000, GID: 1000}
	h, _, err := fs.Create(ctx, user, pub, "hello.txt", vfs.CreateHow{Mode: vfs.Guarded})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, _, err := fs.Write(ctx, user, h, 0, []byte("hello, world\n"), vfs.FileSync); err != nil {
		fmt.Println(err)
		return
	}
	p := make([]byte, 64)
	n, eof, _ := fs.Read(ctx, user, h, 0, p)
	fmt.Printf("%q eof=%v\n", p[:n], eof)

	fi, _ := os.Stat(filepath.Join(dir, "pub", "hello.txt"))
	fmt.Println("owner on disk:", fi.Sys().(*syscall.Stat_t).Uid)

	// Handles outlive the FS: a new one over the same directory takes
	// them.
	fs.Close()
	again, _ := osfs.New(dir, &osfs.Options{ActAsCaller: true})
	defer again.Close()
	a, _ := again.GetAttr(ctx, user, h)
	fmt.Println("size after a restart:", a.Size)
	// Output:
	// "hello, world\n" eof=true
	// owner on disk: 1000
	// size after a restart: 13
}
