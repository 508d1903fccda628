package rpctest_test

import (
	"bytes"
	"testing"

	"github.com/nfskit/nfskit/rpc/rpctest"
)

// FuzzParseReply checks that any bytes parse to a reply or an error,
// never a panic, and that a parsed reply's results are the tail of the
// message.
func FuzzParseReply(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3})
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 5})
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 2})
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, msg []byte) {
		r, err := rpctest.ParseReply(msg)
		if err != nil {
			return
		}
		if !bytes.HasSuffix(msg, r.Results) {
			t.Fatalf("results %x are not the tail of %x", r.Results, msg)
		}
		_ = r.String()
	})
}

// FuzzReadFragments checks that any stream reads as fragments or an
// error, within the bound given.
func FuzzReadFragments(f *testing.F) {
	f.Add(rpctest.AppendFragment(rpctest.AppendFragment(nil, []byte("ab"), false), []byte("cd"), true))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1, 2})
	f.Add([]byte{0, 0, 0, 8, 1})
	f.Fuzz(func(t *testing.T, stream []byte) {
		frags, _ := rpctest.ReadFragments(bytes.NewReader(stream), 1024)
		total := 0
		for _, fr := range frags {
			total += len(fr.Data)
		}
		if total > 1024 {
			t.Fatalf("%d bytes read past the bound", total)
		}
	})
}
