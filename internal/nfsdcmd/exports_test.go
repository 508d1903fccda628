package nfsdcmd

import (
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nfsd"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
)

// exportsFile writes an exports file of the given text in a directory of
// the test's and returns its path.
func exportsFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "exports")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return path
}

// rule returns the rule exports(5)'s defaults give client, changed by
// change.
func rule(client string, change func(*export.Rule)) export.Rule {
	r := export.Rule{Clients: []string{client}, Access: export.ReadOnly, Squash: export.RootSquash, Port: export.Secure}
	if change != nil {
		change(&r)
	}
	return r
}

// TestExportsFileToServer checks the nfsd.Server each command line with
// -exports sets up: one export per line of the file, at its path, with
// its id and the rules of its clients; the other flags as without it.
func TestExportsFileToServer(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	logger := slog.New(slog.DiscardHandler)
	rw := func(r *export.Rule) { r.Access = export.ReadWrite }
	for _, tc := range []struct {
		name    string
		file    string // %[1]s and %[2]s are two directories
		args    []string
		exports []export.Export // Path, ID and Rules of each, by path
		server  func(*nfsd.Server)
	}{
		{"one directory, two clients",
			"%[1]s 127.0.0.1(rw,fsid=7) 127.0.0.2(ro)\n", nil,
			[]export.Export{{Path: a, ID: 7, Rules: []export.Rule{rule("127.0.0.1", rw), rule("127.0.0.2", nil)}}},
			nil},
		{"two directories, defaults and a network",
			"# comment\n%[1]s -rw,no_root_squash 192.0.2.0/24(fsid=1) *(ro)\n\n%[2]s (insecure,all_squash,anonuid=1000,anongid=100,fsid=2)\n",
			[]string{"-act-as-caller", "-addr", "::1", "-portmap", "none"},
			[]export.Export{
				{Path: a, ID: 1, Rules: []export.Rule{
					rule("192.0.2.0/24", func(r *export.Rule) { r.Access, r.Squash = export.ReadWrite, export.NoRootSquash }),
					rule("*", func(r *export.Rule) { r.Squash = export.NoRootSquash })}},
				{Path: b, ID: 2, Rules: []export.Rule{rule("*", func(r *export.Rule) {
					r.Squash, r.Port, r.Anon = export.AllSquash, export.Insecure, &vfs.Cred{UID: 1000, GID: 100}
				})}},
			},
			func(s *nfsd.Server) { s.Addr, s.Portmap = "::1", nfsd.PortmapNone }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := exportsFile(t, fmt.Sprintf(tc.file, a, b))
			f := parse(t, append([]string{"-exports", file}, tc.args...)...)
			srv, serving, err := f.server(logger)
			require.NoError(t, err)
			var got []export.Export
			for _, e := range srv.Exports.List() {
				got = append(got, export.Export{Path: e.Path, ID: e.ID, Rules: e.Rules})
				require.Equal(t, e.Path, serving[e.Path], "each export serves its own path")
			}
			require.ElementsMatch(t, tc.exports, got)

			want := &nfsd.Server{Addr: "127.0.0.1", Ports: nfsd.StandardPorts, Portmap: nfsd.PortmapAuto,
				StatusMonitor: nfsd.MonitorAuto, GracePeriod: nlm.DefaultGracePeriod, Logger: logger}
			if tc.server != nil {
				tc.server(want)
			}
			srv.Exports = nil
			require.Equal(t, want, srv)
		})
	}
}

// TestExportsFileErrors runs nfsd with exports files it cannot serve:
// each fails with an error naming the file and the line at fault, and
// wrapping the cause.
func TestExportsFileErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		file  string // %s is a directory
		line  int
		cause error
		msg   string
	}{
		{"unknown option", "%s 127.0.0.1(rw)\n%[1]s/x 127.0.0.1(rw,speedy)\n", 2, export.ErrUnknownOption, "speedy"},
		{"relative path", "\n\nsrv/data 127.0.0.1(rw)\n", 3, export.ErrRelativePath, "srv/data"},
		{"bad network", "%s 192.0.2.0/33(rw)\n", 1, export.ErrBadClient, "192.0.2.0/33"},
		{"path exported twice", "%s 127.0.0.1(rw)\n%[1]s 127.0.0.2(ro)\n", 2, export.ErrDuplicatePath, ""},
		{"no such directory", "%s/missing 127.0.0.1(rw)\n", 1, fs.ErrNotExist, "missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := tc.file
			if strings.Contains(text, "%") {
				text = fmt.Sprintf(text, dir)
			}
			file := exportsFile(t, text)
			f := parse(t, "-exports", file, "-portmap", "none", "-nfs-port", "0", "-mount-port", "0", "-nlm-port", "0")
			err := run(t.Context(), f, slog.New(slog.DiscardHandler))
			require.ErrorIs(t, err, tc.cause)
			var le *export.LineError
			require.ErrorAs(t, err, &le)
			require.Equal(t, file, le.File)
			require.Equal(t, tc.line, le.Line)
			require.ErrorContains(t, err, fmt.Sprintf("-exports: %s:%d: ", file, tc.line))
			require.ErrorContains(t, err, tc.msg)
		})
	}

	t.Run("no such file", func(t *testing.T) {
		file := filepath.Join(dir, "absent")
		f := parse(t, "-exports", file)
		err := run(t.Context(), f, slog.New(slog.DiscardHandler))
		require.ErrorIs(t, err, fs.ErrNotExist)
		require.ErrorContains(t, err, "-exports: open "+file+": ")
	})
}

// TestExportsExclusive checks that -exports combined with a flag that
// describes the one export is refused, naming both.
func TestExportsExclusive(t *testing.T) {
	for _, tc := range []struct {
		args []string
		with []string
		msg  string
	}{
		{[]string{"-dir", "/srv"}, []string{"dir"}, "-exports cannot be combined with -dir: "},
		{[]string{"-ro", "-squash", "all", "-path", "/x"}, []string{"path", "ro", "squash"},
			"-exports cannot be combined with -path, -ro, -squash: "},
		{[]string{"-no-root-squash", "-max-bytes", "1"}, []string{"no-root-squash", "max-bytes"},
			"-exports cannot be combined with -no-root-squash, -max-bytes: "},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out strings.Builder
			set := flag.NewFlagSet("nfsd", flag.ContinueOnError)
			set.SetOutput(&out)
			_, err := parseFlags(set, append([]string{"-exports", "/etc/exports"}, tc.args...))
			var ce *ConflictError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, tc.with, ce.With)
			require.ErrorContains(t, err, tc.msg)
			require.Contains(t, out.String(), tc.msg, "said on the flag set's output")
		})
	}
	set := flag.NewFlagSet("nfsd", flag.ContinueOnError)
	set.SetOutput(io.Discard)
	_, err := parseFlags(set, []string{"-exports", "/etc/exports", "-act-as-caller", "-addr", "::1"})
	require.NoError(t, err, "flags that say how to serve combine with -exports")
}

// TestExportsFilePerClient serves a directory from an exports file that
// exports it read-write to 127.0.0.1 and read-only to 127.0.0.2: a file
// written from .1 is in the directory, and a write from .2 is refused as
// read-only.
func TestExportsFilePerClient(t *testing.T) {
	if l, err := net.Listen("tcp", "127.0.0.2:0"); err != nil {
		t.Skipf("this host cannot use 127.0.0.2 (Linux routes all of 127/8 to loopback): %v", err)
	} else {
		l.Close()
	}
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o777))
	file := exportsFile(t, dir+" 127.0.0.1(rw,insecure) 127.0.0.2(ro,insecure)\n")
	nfsPort, mountPort := serveFlags(t, "-exports", file)
	ctx := t.Context()

	rw := mountAt(t, ctx, "127.0.0.1", "127.0.0.1", dir, nfsPort, mountPort, 1000)
	require.NoError(t, rw.WriteFile(ctx, "from-1", []byte("written from 127.0.0.1"), 0o644))
	got, err := os.ReadFile(filepath.Join(dir, "from-1"))
	require.NoError(t, err)
	require.Equal(t, "written from 127.0.0.1", string(got), "the file in the exported directory")

	ro := mountAt(t, ctx, "127.0.0.1", "127.0.0.2", dir, nfsPort, mountPort, 1000)
	back, err := ro.ReadFile(ctx, "from-1")
	require.NoError(t, err)
	require.Equal(t, "written from 127.0.0.1", string(back))
	err = ro.WriteFile(ctx, "from-2", []byte("x"), 0o644)
	require.ErrorIs(t, err, nfs3.NFS3ERR_ROFS)
	_, err = os.Stat(filepath.Join(dir, "from-2"))
	require.ErrorIs(t, err, fs.ErrNotExist, "nothing written from 127.0.0.2")
}

// TestExitStatus runs nfsd's main in a child process with command lines
// it cannot serve: a bad exports file ends it with status 1 and an error
// naming the file and line, -exports combined with -dir with status 2
// (a usage error) naming both flags.
func TestExitStatus(t *testing.T) {
	if args, ok := os.LookupEnv("NFSD_TEST_MAIN_ARGS"); ok {
		os.Args = append([]string{"nfsd"}, strings.Fields(args)...)
		Main(nil)
		return
	}
	bad := exportsFile(t, t.TempDir()+" 127.0.0.1(rw)\n/srv 127.0.0.1(rw,speedy)\n")
	for _, tc := range []struct {
		name   string
		args   string
		status int
		says   string
	}{
		{"bad exports file", "-exports " + bad, 1, bad + `:2: unknown option \"speedy\"`},
		{"exports and dir", "-exports " + bad + " -dir /srv", 2, "-exports cannot be combined with -dir"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestExitStatus$")
			cmd.Env = append(os.Environ(), "NFSD_TEST_MAIN_ARGS="+tc.args)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "output: %s", out)
			require.Equal(t, tc.status, exit.ExitCode(), "output: %s", out)
			require.Contains(t, string(out), tc.says)
		})
	}
}
