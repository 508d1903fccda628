package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const output = `goos: linux
pkg: github.com/nfskit/nfskit/bench
BenchmarkGetattr/osfs/nfskit         	       1	 644717267 ns/op	    150000 calls/s	         4.0 server-µs/call
BenchmarkGetattr/osfs/nfskit         	       1	 644717267 ns/op	    140000 calls/s	         4.5 server-µs/call
BenchmarkGetattr/osfs/nfskit         	       1	 644717267 ns/op	    160000 calls/s	         4.2 server-µs/call
--- FAIL: BenchmarkGetattr/osfs/gonfs
    nfs3_test.go:258: 168 of 96000 calls failed; the first: stale | handle
BenchmarkGetattr/osfs/ganesha-2         	       1	1570093187 ns/op	     60000 calls/s	         14.0 server-µs/call
BenchmarkGetattr/osfs/ganesha-2         	       1	1570093187 ns/op	     50000 calls/s	         16.0 server-µs/call
--- FAIL: BenchmarkGetattr
BenchmarkLoopbackLimit/nfskit         	       1	 347451409 ns/op	1500.0 MB/s
BenchmarkLoopbackLimit/tcp            	       1	 103632020 ns/op	5000.0 MB/s
FAIL
`

func TestParse(t *testing.T) {
	res := parse(strings.NewReader(output))
	tests := []struct {
		name, unit string
		want       float64
	}{
		{"BenchmarkGetattr/osfs/nfskit", "calls/s", 150000},
		{"BenchmarkGetattr/osfs/nfskit", "server-µs/call", 4.2},
		{"BenchmarkGetattr/osfs/ganesha", "calls/s", 55000},
		{"BenchmarkLoopbackLimit/tcp", "MB/s", 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name+" "+tt.unit, func(t *testing.T) {
			v, ok := res.median(tt.name, tt.unit)
			require.True(t, ok)
			require.InDelta(t, tt.want, v, 1e-9)
		})
	}
	require.Equal(t, map[string]string{"BenchmarkGetattr/osfs/gonfs": "168 of 96000 calls failed; the first: stale | handle"}, res.failed)
	require.Equal(t, 3, res.runs())
}

func TestRewrite(t *testing.T) {
	res := parse(strings.NewReader(output))
	tests := []struct {
		name, doc, want string
		rewritten       []string
	}{{
		name: "pairs with a failed reference",
		doc:  "a\n<!-- bench:getattr pattern=^BenchmarkGetattr/ units=calls/s,server-µs/call -->\nold\n<!-- /bench:getattr -->\nb\n",
		want: "a\n<!-- bench:getattr pattern=^BenchmarkGetattr/ units=calls/s,server-µs/call -->\n" +
			"| benchmark | metric | nfskit | ganesha | gonfs | nfskit / ganesha | nfskit / gonfs |\n" +
			"| --- | --- | --- | --- | --- | --- | --- |\n" +
			"| Getattr/osfs | calls/s | 150,000 | 55,000 | failed: 168 of 96000 calls failed; the first: stale \\| handle | 2.7× |  |\n" +
			"| Getattr/osfs | server-µs/call | 4.20 | 15.0 | failed | 1/3.6 |  |\n" +
			"\nFOOTER\n<!-- /bench:getattr -->\nb\n",
		rewritten: []string{"getattr"},
	}, {
		name: "a limit as the reference",
		doc:  "<!-- bench:limit pattern=^BenchmarkLoopbackLimit/ units=MB/s pkg=bench -->\n<!-- /bench:limit -->",
		want: "<!-- bench:limit pattern=^BenchmarkLoopbackLimit/ units=MB/s pkg=bench -->\n" +
			"| benchmark | metric | nfskit | tcp | nfskit / tcp |\n| --- | --- | --- | --- | --- |\n" +
			"| LoopbackLimit | MB/s | 1,500 | 5,000 | 1/3.3 |\n\nFOOTER\n<!-- /bench:limit -->",
		rewritten: []string{"limit"},
	}, {
		name:      "a region of another package is kept",
		doc:       "<!-- bench:l pattern=^BenchmarkLoopbackLimit/ units=MB/s pkg=rpc -->\nkept\n<!-- /bench:l -->",
		want:      "<!-- bench:l pattern=^BenchmarkLoopbackLimit/ units=MB/s pkg=rpc -->\nkept\n<!-- /bench:l -->",
		rewritten: nil,
	}, {
		name:      "a region whose benchmarks did not run is kept",
		doc:       "<!-- bench:v4 pattern=^BenchmarkV4 units=calls/s -->\nkept\n<!-- /bench:v4 -->",
		want:      "<!-- bench:v4 pattern=^BenchmarkV4 units=calls/s -->\nkept\n<!-- /bench:v4 -->",
		rewritten: nil,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, names, err := rewrite(tt.doc, res, "FOOTER\n")
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.rewritten, names)
		})
	}
}

func TestRewriteErrors(t *testing.T) {
	res := parse(strings.NewReader(output))
	for _, doc := range []string{
		"<!-- bench:x pattern=a units=b -->\nno end",
		"<!-- bench:x units=b -->\n<!-- /bench:x -->",
		"<!-- bench:x pattern=( units=b -->\n<!-- /bench:x -->",
		"<!-- bench:x pattern=a units=b color=red -->\n<!-- /bench:x -->",
	} {
		_, _, err := rewrite(doc, res, "")
		require.Error(t, err, doc)
	}
}

func TestRecorded(t *testing.T) {
	out := output + recordCmd + "go test -bench X\n" + recordLoadBefore + "1.00 2.00 3.00\n" + recordLoadAfter + "4.00 5.00 6.00\n"
	var cmd string
	var h host
	recorded([]byte(out), &cmd, &h)
	require.Equal(t, "go test -bench X", cmd)
	require.Equal(t, host{loadBefore: "1.00 2.00 3.00", loadAfter: "4.00 5.00 6.00"}, h)
	res := parse(strings.NewReader(out))
	require.Equal(t, 3, res.runs())
}

func TestTimes(t *testing.T) {
	for q, want := range map[float64]string{0: "0", 1: "1.0×", 2.54: "2.5×", 46.4: "46×", 0.25: "1/4.0", 0.02: "1/50"} {
		require.Equal(t, want, times(q), q)
	}
}

// FuzzParse: any text parses without a panic, and every benchmark it
// reads has a median in each of its units; any document rewrites
// without a panic.
func FuzzParse(f *testing.F) {
	f.Add(output, "<!-- bench:x pattern=. units=calls/s -->\n<!-- /bench:x -->")
	f.Add("BenchmarkA-2 1 5 ns/op 3\n--- FAIL: BenchmarkB\n    x.go:1: boom\n", "<!-- bench:x pattern=( units=a -->")
	f.Fuzz(func(t *testing.T, text, doc string) {
		res := parse(strings.NewReader(text))
		for name, units := range res.values {
			for u := range units {
				_, ok := res.median(name, u)
				require.True(t, ok)
			}
		}
		rewrite(doc, res, "")
	})
}
