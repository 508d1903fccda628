package memfs

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/nfskit/nfskit/vfs"
)

// benchFile makes a file of size bytes (all written) in a new FS.
func benchFile(b *testing.B, size int) (*FS, vfs.Handle, vfs.Handle) {
	b.Helper()
	fs := New(nil)
	root, _ := fs.Root(ctx)
	h, _, err := fs.Create(ctx, su, root, "f", vfs.CreateHow{})
	if err != nil {
		b.Fatal(err)
	}
	if size > 0 {
		if _, _, err := fs.Write(ctx, su, h, 0, make([]byte, size), vfs.Unstable); err != nil {
			b.Fatal(err)
		}
	}
	return fs, root, h
}

func BenchmarkGetAttr(b *testing.B) {
	fs, _, h := benchFile(b, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fs.GetAttr(ctx, alice, h); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	fs, root, _ := benchFile(b, 0)
	for i := range 1000 {
		if _, _, err := fs.Create(ctx, su, root, fmt.Sprintf("file%d", i), vfs.CreateHow{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := fs.Lookup(ctx, alice, root, "file500"); err != nil {
			b.Fatal(err)
		}
	}
}

const fileSize = 64 << 20

// Per-file operations the benchmarks time, on h at off with p.
func getattrOp(fs *FS, h vfs.Handle, _ uint64, _ []byte) error {
	_, err := fs.GetAttr(ctx, su, h)
	return err
}

func readOp(fs *FS, h vfs.Handle, off uint64, p []byte) error {
	_, _, err := fs.Read(ctx, su, h, off, p)
	return err
}

func writeOp(fs *FS, h vfs.Handle, off uint64, p []byte) error {
	_, _, err := fs.Write(ctx, su, h, off, p, vfs.Unstable)
	return err
}

// loop4K runs op 4 KiB at a time through h, a file of fileSize bytes.
func loop4K(fs *FS, h vfs.Handle, next func() bool, op func(*FS, vfs.Handle, uint64, []byte) error) error {
	p := make([]byte, 4096)
	off := uint64(0)
	for next() {
		if err := op(fs, h, off, p); err != nil {
			return err
		}
		off = (off + 4096) % fileSize
	}
	return nil
}

func bench4K(b *testing.B, op func(*FS, vfs.Handle, uint64, []byte) error) {
	fs, _, h := benchFile(b, fileSize)
	b.SetBytes(4096)
	b.ReportAllocs()
	if err := loop4K(fs, h, b.Loop, op); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkRead4K(b *testing.B) { bench4K(b, readOp) }

func BenchmarkWrite4K(b *testing.B) { bench4K(b, writeOp) }

// BenchmarkWrite1MiBSequential writes a file 1 MiB at a time from its
// start, as a client copying a file in does; every 256 MiB the file is
// truncated to bound the memory used, and that counts too.
func BenchmarkWrite1MiBSequential(b *testing.B) {
	fs, _, h := benchFile(b, 0)
	p := make([]byte, 1<<20)
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	off := uint64(0)
	for b.Loop() {
		if off == 256<<20 {
			if _, err := fs.SetAttr(ctx, su, h, vfs.SetAttr{Size: ptr[uint64](0)}); err != nil {
				b.Fatal(err)
			}
			off = 0
		}
		if _, _, err := fs.Write(ctx, su, h, off, p, vfs.Unstable); err != nil {
			b.Fatal(err)
		}
		off += uint64(len(p))
	}
}

// BenchmarkParallel runs GetAttr, 4 KiB reads and 4 KiB writes from every
// P at once, each on a file of its own, to show that different files do
// not wait for each other.
func BenchmarkParallel(b *testing.B) {
	ops := []struct {
		name  string
		op    func(*FS, vfs.Handle, uint64, []byte) error
		bytes int64
	}{{"GetAttr", getattrOp, 0}, {"Read4K", readOp, 4096}, {"Write4K", writeOp, 4096}}
	for _, o := range ops {
		b.Run(o.name, func(b *testing.B) {
			fs, root, _ := benchFile(b, 0)
			files := make([]vfs.Handle, runtime.GOMAXPROCS(0))
			for i := range files {
				h, _, err := fs.Create(ctx, su, root, fmt.Sprintf("p%d", i), vfs.CreateHow{})
				if err == nil && o.bytes > 0 {
					err = writeOp(fs, h, 0, make([]byte, fileSize))
				}
				if err != nil {
					b.Fatal(err)
				}
				files[i] = h
			}
			var next atomic.Int64
			b.SetBytes(o.bytes)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				h := files[int(next.Add(1)-1)%len(files)]
				if err := loop4K(fs, h, pb.Next, o.op); err != nil {
					b.Error(err)
				}
			})
		})
	}
}
