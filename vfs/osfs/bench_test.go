//go:build linux

package osfs

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// benchFile is what the benchmarks work on: d/f, 4 KiB of alice's, in a
// directory below the root.
type benchFile struct {
	fs   *FS
	cred *vfs.Cred
	dir  vfs.Handle
	file vfs.Handle
}

// benchConfigs are the ways of serving the benchmarks measure: as root
// checking permissions in Go, and acting as the caller (alice on a worker
// thread; root, which runs inline).
var benchConfigs = []struct {
	name string
	opts Options
	cred *vfs.Cred
}{
	{"AsRoot", Options{}, alice},
	{"ActAsCaller", Options{ActAsCaller: true}, alice},
	{"ActAsCaller-root", Options{ActAsCaller: true}, su},
}

// benchOps are the operations measured, each with a reference: the same
// work done with system calls on a path.
var benchOps = []struct {
	name  string
	bytes int64
	op    func(f *benchFile, p []byte) error
	base  func(path string, p []byte) error
}{
	{"GetAttr", 0,
		func(f *benchFile, _ []byte) error {
			_, err := f.fs.GetAttr(context.Background(), f.cred, f.file)
			return err
		},
		func(path string, _ []byte) error { var st unix.Stat_t; return unix.Lstat(path, &st) }},
	{"Lookup", 0,
		func(f *benchFile, _ []byte) error {
			_, _, err := f.fs.Lookup(context.Background(), f.cred, f.dir, "f")
			return err
		},
		func(path string, _ []byte) error {
			var st unix.Stat_t
			return unix.Fstatat(unix.AT_FDCWD, path, &st, unix.AT_SYMLINK_NOFOLLOW)
		}},
	{"Read4K", 4096,
		func(f *benchFile, p []byte) error {
			_, _, err := f.fs.Read(context.Background(), f.cred, f.file, 0, p)
			return err
		},
		func(path string, p []byte) error { return fileIO(path, unix.O_RDONLY, p, unix.Pread) }},
	{"Write4K", 4096,
		func(f *benchFile, p []byte) error {
			_, _, err := f.fs.Write(context.Background(), f.cred, f.file, 0, p, vfs.Unstable)
			return err
		},
		func(path string, p []byte) error { return fileIO(path, unix.O_WRONLY, p, unix.Pwrite) }},
}

// BenchmarkFS measures GetAttr, Lookup and 4 KiB reads and writes of a
// file below the root, in every configuration, beside the system calls
// alone.
func BenchmarkFS(b *testing.B) {
	needRoot(b)
	p := make([]byte, 4096)
	for _, o := range benchOps {
		b.Run(o.name, func(b *testing.B) {
			for _, c := range benchConfigs {
				b.Run(c.name, func(b *testing.B) {
					f := newBenchFile(b, c.opts, c.cred)
					loop(b, o.bytes, func() error { return o.op(f, p) })
				})
			}
			b.Run("syscalls", func(b *testing.B) {
				path := filepath.Join(b.TempDir(), "f")
				require.NoError(b, os.WriteFile(path, p, 0o644))
				loop(b, o.bytes, func() error { return o.base(path, p) })
			})
		})
	}
}

// newBenchFile makes the file the benchmarks work on.
func newBenchFile(b *testing.B, opts Options, cred *vfs.Cred) *benchFile {
	fs, _ := newFS(b, opts)
	ctx := b.Context()
	d := pubDir(b, fs, "d")
	h, _, err := fs.Create(ctx, alice, d, "f", vfs.CreateHow{})
	require.NoError(b, err)
	_, _, err = fs.Write(ctx, alice, h, 0, make([]byte, 4096), vfs.Unstable)
	require.NoError(b, err)
	return &benchFile{fs: fs, cred: cred, dir: d, file: h}
}

// loop runs op b.N times, counting bytes per op.
func loop(b *testing.B, bytes int64, op func() error) {
	b.SetBytes(bytes)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
}

// fileIO opens path, reads or writes p at 0 with io, and closes it: a
// call's worth of work for a server without open files.
func fileIO(path string, flags int, p []byte, io func(int, []byte, int64) (int, error)) error {
	fd, err := unix.Open(path, flags|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	_, err = io(fd, p, 0)
	return err
}
