package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRunUsage(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		code int
		err  string // in what is printed to stderr
	}{
		{"no host", nil, exitUsage, "give exactly one HOST"},
		{"two hosts", []string{"a", "b"}, exitUsage, "give exactly one HOST"},
		{"empty host", []string{""}, exitUsage, "HOST is empty"},
		{"empty local", []string{"-local", "", "h"}, exitUsage, "-local is empty"},
		{"zero timeout", []string{"-timeout", "0s", "h"}, exitUsage, "-timeout must be positive"},
		{"bad timeout", []string{"-timeout", "soon", "h"}, exitUsage, "invalid value"},
		{"port too large", []string{"-pmap-port", "70000", "h"}, exitUsage, "-pmap-port must be between 1 and 65535"},
		{"unknown flag", []string{"-x", "h"}, exitUsage, "flag provided but not defined"},
		{"help", []string{"-h"}, exitOK, "usage: rpcdoctor [flags] HOST"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			require.Equal(t, c.code, run(t.Context(), c.args, &stdout, &stderr))
			require.Contains(t, stderr.String(), c.err)
			require.Empty(t, stdout.String())
		})
	}
}

func TestRun(t *testing.T) {
	for _, c := range []struct {
		name    string
		nsm     bool
		verbose bool
		code    int
		want    []string // lines that must be printed, in this order
	}{
		{
			name: "locking works", nsm: true, code: exitOK,
			want: []string{
				"program  version  netid  address          service     NULL call",
				"NFSv3 locking: OK",
			},
		},
		{
			name: "verbose", nsm: true, verbose: true, code: exitOK,
			want: []string{
				"program  version  netid  address          service     owner      time",
				"NFSv3 locking: OK",
			},
		},
		{
			name: "no status monitor", code: exitFails,
			want: []string{
				"missing: status monitor (rpc.statd, program 100024) on 127.0.0.1 is not registered: locks cannot be recovered after a reboot and some servers refuse locks",
				"NFSv3 locking: will not work: the status monitor on 127.0.0.1 is not registered",
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			pm, port := startPortmapper(t, "127.0.0.1", 0)
			f := &fixture{pm: pm, port: port, ports: map[string]int{}}
			if c.nsm {
				f.services(t, "127.0.0.1", "127.0.0.1", fullLocking)
			} else {
				f.services(t, "127.0.0.1", "127.0.0.1", withoutNSM)
			}
			args := []string{"-timeout", testTimeout.String(), "-pmap-port", strconv.Itoa(port)}
			if c.verbose {
				args = append(args, "-v")
			}
			var stdout, stderr bytes.Buffer
			require.Equal(t, c.code, run(t.Context(), append(args, "127.0.0.1"), &stdout, &stderr))
			out := strings.Split(stdout.String(), "\n")
			at := 0
			for _, w := range c.want {
				i := indexFrom(out, at, func(l string) bool { return strings.HasPrefix(l, w) })
				require.GreaterOrEqual(t, i, 0, "line %q not printed (after line %d) in:\n%s", w, at, stdout.String())
				at = i + 1
			}
			if c.verbose {
				require.Contains(t, stderr.String(), "msg=\"NULL call\"")
			} else {
				require.Empty(t, stderr.String())
			}
		})
	}
}

// indexFrom returns the index of the first line from start on that
// matches, or -1.
func indexFrom(lines []string, start int, match func(string) bool) int {
	for i := start; i < len(lines); i++ {
		if match(lines[i]) {
			return i
		}
	}
	return -1
}
