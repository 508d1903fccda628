package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/conformance"
)

// TestRun runs the command against nfsd in process and checks its
// report and exit status in each case.
func TestRun(t *testing.T) {
	cfg, stop, err := conformance.ServeNfsd(t.Context())
	require.NoError(t, err)
	t.Cleanup(stop)
	server := []string{"-server", cfg.Server, "-export", cfg.Export,
		"-nfs-port", strconv.Itoa(cfg.NFSPort), "-mount-port", strconv.Itoa(cfg.MountPort),
		"-nlm-port", strconv.Itoa(cfg.NLMPort), "-nsm-port", strconv.Itoa(cfg.NSMPort), "-reserved-port=false"}
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  []string
	}{
		{"every check of nfsd", []string{"-self", "-reserved-port=false"}, exitOK,
			[]string{"NFS3-CREATE-EXCLUSIVE  NFSv3  PASS", "NLM-BLOCK", "granted by a callback", "127.0.0.1:/export: 79 passed, 0 failed, 0 skipped"}},
		{"chosen checks", append(server, "-only", "NFS3-GETATTR,NFS3-ROFS"), exitOK,
			[]string{"NFS3-GETATTR  NFSv3  PASS", "NFS3-ROFS     NFSv3  SKIP", "1 passed, 0 failed, 1 skipped"}},
		{"a writable export called read-only fails", append(server, "-ro-export", "/export", "-only", "NFS3-ROFS"), exitFail,
			[]string{"NFS3-ROFS  NFSv3  FAIL", "CREATE: NFS3_OK, want NFS3ERR_ROFS", "0 passed, 1 failed, 0 skipped"}},
		{"no port mapper, no lock manager port", []string{"-server", cfg.Server, "-export", cfg.Export, "-portmap-port", "1",
			"-nfs-port", strconv.Itoa(cfg.NFSPort), "-mount-port", strconv.Itoa(cfg.MountPort), "-only", "NFS3-GETATTR,NLM-TEST-FREE,NSM-STAT"}, exitOK,
			[]string{"NFS3-GETATTR   NFSv3  PASS", "NLM-TEST-FREE  NLM    SKIP", "NLM v4 not found on the server", "NSM-STAT       NSM    SKIP"}},
		{"list", []string{"-list"}, exitOK, []string{"NLM-SHARE\tNLM\t"}},
		{"no server", []string{"-export", "/x"}, exitUsage, nil},
		{"an argument too many", append(server, "extra"), exitUsage, nil},
		{"no such export", []string{"-server", cfg.Server, "-export", "/nope", "-mount-port", strconv.Itoa(cfg.MountPort)}, exitUsage, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), tc.args, &stdout, &stderr)
			require.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			for _, want := range tc.out {
				require.Contains(t, stdout.String(), want)
			}
			if tc.code == exitUsage {
				require.NotEmpty(t, stderr.String())
				require.False(t, strings.Contains(stdout.String(), "passed"))
			}
		})
	}
}
