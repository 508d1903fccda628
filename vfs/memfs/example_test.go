package memfs_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/memfs"
)

func Example() {
	ctx := context.Background()
	fs := memfs.New(&memfs.Options{MaxBytes: 64 << 20})
	root, _ := fs.Root(ctx)

	// The superuser makes a private file.
	mode := uint32(0o600)
	h, _, err := fs.Create(ctx, &vfs.Root, root, "hello.txt", vfs.CreateHow{
		Mode: vfs.Guarded,
		Attr: vfs.SetAttr{Mode: &mode},
	})
	if err != nil {
		panic(err)
	}
	if _, _, err := fs.Write(ctx, &vfs.Root, h, 0, []byte("hello, world"), vfs.Unstable); err != nil {
		panic(err)
	}

	buf := make([]byte, 100)
	n, eof, _ := fs.Read(ctx, &vfs.Root, h, 7, buf)
	fmt.Printf("%q eof=%v\n", buf[:n], eof)

	// Another user may see it listed but not read it.
	user := &vfs.Cred{UID: 1000, GID: 1000}
	ents, _, _, _ := fs.ReadDir(ctx, user, root, 0, 10, false)
	fmt.Println(ents[0].Name)
	_, _, err = fs.Read(ctx, user, h, 0, buf)
	fmt.Println(errors.Is(err, vfs.ErrPermission))

	// Once removed, its handle is stale.
	_ = fs.Remove(ctx, &vfs.Root, root, "hello.txt")
	_, err = fs.GetAttr(ctx, &vfs.Root, h)
	fmt.Println(errors.Is(err, vfs.ErrStale))

	st, _ := fs.StatFS(ctx, &vfs.Root, root)
	fmt.Println(st.TotalBytes, st.FreeBytes)
	// Output:
	// "world" eof=true
	// hello.txt
	// true
	// true
	// 67108864 67108864
}
