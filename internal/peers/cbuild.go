package peers

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// cheaders are the headers C programs built by BuildC may include, such
// as "libnfs_steps.h". They are compiled into the test binary, so a
// change to one rebuilds the binary, and with it the cache of programs
// below, which lives only as long as the binary runs.
//
//go:embed testdata/*.h
var cheaders embed.FS

// A C program is compiled once per test binary run, whatever the number
// of tests (or -count) that use it: builds caches each program's bytes,
// keyed by its source path and libraries, and every test gets a copy in
// its own temporary directory.
var (
	buildsMu sync.Mutex
	builds   = map[string]*cbuild{}

	// gccRuns counts the compilations, so tests can check the cache.
	gccRuns atomic.Int32
)

// cbuild is the outcome of compiling one C program.
type cbuild struct {
	once    sync.Once
	bin     []byte // the executable, if it built
	missing string // a header or library that is not installed
	err     error  // any other failure, with the compiler's output
	warn    string // compiler output of a successful build
}

// debianPackages names the Debian package that provides a header (its
// include path, or a directory of headers ending in a slash) or a library
// (its -l option), for the message of a test skipped because it is not
// installed.
var debianPackages = map[string]string{
	"nfsc/":         "libnfs-dev",
	"-lnfs":         "libnfs-dev",
	"rpc/":          "libtirpc-dev",
	"tirpc/":        "libtirpc-dev",
	"-ltirpc":       "libtirpc-dev",
	"pcap.h":        "libpcap-dev",
	"-lpcap":        "libpcap-dev",
	"openssl/":      "libssl-dev",
	"-lcrypto":      "libssl-dev",
	"gssapi/":       "libkrb5-dev",
	"-lgssapi_krb5": "libkrb5-dev",
}

var (
	missingHeader  = regexp.MustCompile(`fatal error: ([^:\s]+): No such file or directory`)
	missingLibrary = regexp.MustCompile(`cannot find (-l[^:\s]+)`)
)

// BuildC compiles the C program src (a path relative to the test's
// package directory, such as "testdata/prog.c") with gcc, linking the
// libraries named in libs ("nfs" for -lnfs), and returns the path of the
// executable, in t.TempDir(). gcc runs once per test binary run for each
// source and library list; later calls copy the same executable.
//
// The program may include the headers of internal/peers/testdata, such
// as "libnfs_steps.h" for programs that drive a server through libnfs's
// raw RPC API: BuildC writes them into gcc's scratch directory and puts
// it on the include path, so callers pass no flags for them.
//
// When gcc, a header the program includes or a library is not installed,
// the test is skipped with a message naming it and its Debian package, or
// fails under NFSKIT_INTEROP=1. Any other compiler error fails the test
// with gcc's output.
func BuildC(t testing.TB, src string, libs ...string) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		missingBuildInput(t, src, "gcc", "gcc")
	}
	abs, err := filepath.Abs(src)
	if err != nil {
		t.Fatalf("building %s: %v", src, err)
	}
	key := abs + "\x00" + strings.Join(libs, "\x00")
	buildsMu.Lock()
	b := builds[key]
	if b == nil {
		b = &cbuild{}
		builds[key] = b
	}
	buildsMu.Unlock()
	b.once.Do(func() { b.compile(abs, libs) })

	switch {
	case b.missing != "":
		missingBuildInput(t, src, b.missing, debianPackage(b.missing))
	case b.err != nil:
		t.Fatalf("building %s: %v", src, b.err)
	}
	if b.warn != "" {
		t.Logf("gcc warnings building %s:\n%s", src, b.warn)
	}

	exe := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(src), ".c"))
	if err := writeExecutable(exe, b.bin); err != nil {
		t.Fatalf("building %s: %v", src, err)
	}
	return exe
}

// compile runs gcc on src in a scratch directory and keeps the result.
func (b *cbuild) compile(src string, libs []string) {
	dir, err := os.MkdirTemp("", "nfskit-cbuild-")
	if err != nil {
		b.err = err
		return
	}
	defer os.RemoveAll(dir)
	include := filepath.Join(dir, "include")
	if err := writeHeaders(include); err != nil {
		b.err = err
		return
	}
	out := filepath.Join(dir, "prog")
	args := []string{"-std=gnu11", "-O1", "-g", "-Wall", "-Wextra", "-I", include, "-o", out, src}
	for _, l := range libs {
		args = append(args, "-l"+l)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	gccRuns.Add(1)
	msg, err := exec.CommandContext(ctx, "gcc", args...).CombinedOutput()
	if err != nil {
		if m := missingHeader.FindSubmatch(msg); m != nil {
			b.missing = "C header " + string(m[1])
			return
		}
		if m := missingLibrary.FindSubmatch(msg); m != nil {
			b.missing = "C library " + string(m[1])
			return
		}
		b.err = fmt.Errorf("gcc %s: %v\n%s", strings.Join(args, " "), err, msg)
		return
	}
	b.warn = strings.TrimSpace(string(msg))
	if b.bin, err = os.ReadFile(out); err != nil {
		b.err = err
	}
}

// writeHeaders writes cheaders into the directory dir, which it makes.
func writeHeaders(dir string) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	names, err := fs.Glob(cheaders, "testdata/*.h")
	if err != nil {
		return err
	}
	for _, name := range names {
		b, err := cheaders.ReadFile(name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(name)), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// debianPackage returns the Debian package that provides a missing
// header or library, or "" if it is not known.
func debianPackage(missing string) string {
	name := missing[strings.LastIndexByte(missing, ' ')+1:]
	best := ""
	for k := range debianPackages {
		match := name == k || strings.HasSuffix(k, "/") && strings.HasPrefix(name, k)
		if match && len(k) > len(best) {
			best = k
		}
	}
	return debianPackages[best]
}

// missingBuildInput skips the test, or fails it under NFSKIT_INTEROP=1,
// because what is needed to build src and is not installed.
func missingBuildInput(t testing.TB, src, what, pkg string) {
	t.Helper()
	msg := fmt.Sprintf("cannot build %s: %s is not installed", src, what)
	if pkg != "" {
		msg += fmt.Sprintf(" (Debian: apt-get install %s)", pkg)
	}
	if Interop() {
		t.Fatal(msg + "; required because NFSKIT_INTEROP=1")
	}
	t.Skip(msg)
}

// writeExecutable writes an executable file. It holds syscall.ForkLock
// while the file is open for writing, so that no child process started
// meanwhile by another goroutine inherits the descriptor, which would make
// running the file fail with "text file busy".
func writeExecutable(path string, b []byte) error {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
