package peers

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// libnfsProbe is a C program that needs libnfs's raw API to compile, link
// and run: it makes an RPC context and prints its argument.
const libnfsProbe = `#include <stdio.h>
#include <sys/time.h>
#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-nlm.h>
#include <nfsc/libnfs-raw-nsm.h>

int main(int argc, char **argv)
{
	struct rpc_context *rpc = rpc_init_context();
	if (rpc == NULL || argc != 2)
		return 1;
	rpc_destroy_context(rpc);
	printf("probe %s %d %d\n", argv[1], NLM_PROGRAM, NSM_PROGRAM);
	return 0;
}
`

// TestBuildCLibnfs builds a program against libnfs twice and runs both
// copies: gcc runs once, and each call gets an executable of its own.
func TestBuildCLibnfs(t *testing.T) {
	src := filepath.Join(t.TempDir(), "probe.c")
	require.NoError(t, os.WriteFile(src, []byte(libnfsProbe), 0o644))

	before := gccRuns.Load()
	first := BuildC(t, src, "nfs")
	second := BuildC(t, src, "nfs")
	require.Equal(t, int32(1), gccRuns.Load()-before, "gcc must run once per program")
	require.NotEqual(t, first, second)
	require.Equal(t, "probe", filepath.Base(first))

	for i, exe := range []string{first, second} {
		out, err := exec.Command(exe, fmt.Sprint(i)).CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Equal(t, fmt.Sprintf("probe %d 100021 100024\n", i), string(out))
	}
}

// stepsProbe is a C program that includes the shared header
// libnfs_steps.h, found without any flag from the caller, and parses its
// argument with it.
const stepsProbe = `#include <inttypes.h>
#include "libnfs_steps.h"

int main(int argc, char **argv)
{
	if (argc != 2)
		return 1;
	printf("%" PRIu64 "\n", parse_u64("probe", argv[1], "number"));
	return 0;
}
`

// TestBuildCSharedHeader builds a program outside this package that
// includes libnfs_steps.h and checks that it runs as the header says.
func TestBuildCSharedHeader(t *testing.T) {
	src := filepath.Join(t.TempDir(), "probe.c")
	require.NoError(t, os.WriteFile(src, []byte(stepsProbe), 0o644))
	exe := BuildC(t, src, "nfs")

	out, err := exec.Command(exe, "18446744073709551615").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, "18446744073709551615\n", string(out))

	out, err = exec.Command(exe, "12x").CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	require.Equal(t, 2, exit.ExitCode())
	require.Equal(t, "probe: bad number '12x'\n", string(out))
}

// TestBuildCLibnfsMissing checks what a test gets when a header or
// library is missing (a skip naming it and its Debian package, or a
// failure under NFSKIT_INTEROP=1) and when the program does not compile
// (always a failure with gcc's output).
func TestBuildCLibnfsMissing(t *testing.T) {
	const (
		noHeader = "#include <nfsc/nfskit-no-such-header.h>\nint main(void) { return 0; }\n"
		noLib    = "int main(void) { return 0; }\n"
		broken   = "int main(void) { return undeclared_name; }\n"
	)
	for _, c := range []struct {
		name    string
		src     string
		libs    []string
		interop string
		skipped bool   // else failed
		want    string // in the message
	}{
		{"header/skip", noHeader, nil, "0", true, "C header nfsc/nfskit-no-such-header.h is not installed (Debian: apt-get install libnfs-dev)"},
		{"header/fail", noHeader, nil, "1", false, "C header nfsc/nfskit-no-such-header.h is not installed (Debian: apt-get install libnfs-dev); required because NFSKIT_INTEROP=1"},
		{"library/skip", noLib, []string{"nfskit-no-such-lib"}, "0", true, "C library -lnfskit-no-such-lib is not installed"},
		{"library/fail", noLib, []string{"nfskit-no-such-lib"}, "1", false, "required because NFSKIT_INTEROP=1"},
		{"compile-error", broken, nil, "0", false, "undeclared_name"},
		{"compile-error/interop", broken, nil, "1", false, "undeclared_name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("NFSKIT_INTEROP", c.interop)
			src := filepath.Join(t.TempDir(), "prog.c")
			require.NoError(t, os.WriteFile(src, []byte(c.src), 0o644))
			r := &recordTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				BuildC(r, src, c.libs...)
			}()
			<-done
			require.Equal(t, c.skipped, r.skipped, "skipped; message: %s", r.msg)
			require.Equal(t, !c.skipped, r.failed, "failed; message: %s", r.msg)
			require.Contains(t, r.msg, c.want)
		})
	}
}

// TestBuildCLibnfsDebianPackage checks the package named for missing
// headers and libraries: a header by its path or directory, a library by
// its exact name.
func TestBuildCLibnfsDebianPackage(t *testing.T) {
	for missing, want := range map[string]string{
		"C header nfsc/libnfs-raw-nlm.h": "libnfs-dev",
		"C library -lnfs":                "libnfs-dev",
		"C library -lnfsidmap":           "",
		"C header rpc/rpc.h":             "libtirpc-dev",
		"C header nfskit-unknown.h":      "",
	} {
		require.Equal(t, want, debianPackage(missing), missing)
	}
}

// recordTB records the skip or failure of a function run on its own
// goroutine, ending that goroutine as testing.T does.
type recordTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recordTB) Helper() {}

func (r *recordTB) Skip(args ...any) {
	r.skipped, r.msg = true, strings.TrimSuffix(fmt.Sprintln(args...), "\n")
	runtime.Goexit()
}

func (r *recordTB) Fatal(args ...any) {
	r.failed, r.msg = true, strings.TrimSuffix(fmt.Sprintln(args...), "\n")
	runtime.Goexit()
}

func (r *recordTB) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}
