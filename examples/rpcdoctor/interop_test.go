package main

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
)

// buildDoctor builds the command into a temporary directory.
func buildDoctor(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	require.NoError(t, err, "the go command is needed to build rpcdoctor")
	bin := filepath.Join(t.TempDir(), "rpcdoctor")
	out, err := exec.CommandContext(t.Context(), gobin, "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// runDoctor runs the built command against 127.0.0.1 and returns its
// output and exit status.
func runDoctor(t *testing.T, bin string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "-timeout", "2s", "127.0.0.1")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return stdout.String(), ee.ExitCode()
	}
	require.NoError(t, err, "stderr: %s", stderr.String())
	return stdout.String(), 0
}

// requireLines checks that each wanted line is printed, in order.
func requireLines(t *testing.T, out string, want ...string) {
	t.Helper()
	got := strings.Split(out, "\n")
	at := 0
	for _, w := range want {
		i := indexFrom(got, at, func(l string) bool { return l == w })
		require.GreaterOrEqual(t, i, 0, "line %q not printed (after line %d) in:\n%s", w, at, out)
		at = i + 1
	}
}

// TestInteropLocking checks a server of nfs-ganesha with rpcbind, first
// with rpc.statd running and then without it.
func TestInteropLocking(t *testing.T) {
	peers.Ganesha(t)
	bin := buildDoctor(t)

	t.Run("with statd", func(t *testing.T) {
		peers.Statd(t)
		rep := Diagnose(t.Context(), Options{Host: "127.0.0.1", Local: "127.0.0.1", PortmapPort: 111, Timeout: 2 * time.Second})
		var out bytes.Buffer
		require.NoError(t, rep.Write(&out, true))
		t.Logf("rpcdoctor -v 127.0.0.1:\n%s", out.String())
		require.Equal(t, exitOK, rep.ExitCode())
		require.Contains(t, []uint32{3, 4}, rep.Server.Version)
		requireLines(t, out.String(),
			"ok: NFS server (nfs, program 100003 v3) on 127.0.0.1 answers over tcp, udp",
			"ok: mount daemon (mountd, program 100005 v3) on 127.0.0.1 answers over tcp, udp",
			"ok: lock manager (nlockmgr, program 100021 v4) on 127.0.0.1 answers over tcp, udp",
			"ok: status monitor (rpc.statd, program 100024) on 127.0.0.1 answers over tcp, udp",
			"ok: status monitor (rpc.statd, program 100024) on 127.0.0.1 (this client) answers over tcp, udp",
			"NFSv3 locking: OK",
		)

		stdout, code := runDoctor(t, bin)
		require.Equal(t, exitOK, code, "output:\n%s", stdout)
		requireLines(t, stdout, "NFSv3 locking: OK")
	})

	// statd stopped when its subtest ended; ganesha and rpcbind still run.
	t.Run("without statd", func(t *testing.T) {
		stdout, code := runDoctor(t, bin)
		t.Logf("rpcdoctor 127.0.0.1:\n%s", stdout)
		require.Equal(t, exitFails, code)
		requireLines(t, stdout,
			"ok: lock manager (nlockmgr, program 100021 v4) on 127.0.0.1 answers over tcp, udp",
			"missing: status monitor (rpc.statd, program 100024) on 127.0.0.1 is not registered: locks cannot be recovered after a reboot and some servers refuse locks",
			"NFSv3 locking: will not work: the status monitor on 127.0.0.1 is not registered",
		)
	})
}
