package state

import (
	"strconv"
	"testing"

	"github.com/nfskit/nfskit/vfs"
)

// BenchmarkBreakDelegations is the check the NFSv3, NLM and NFSv4
// servers make before a change of a file: with no delegation out at all
// (one atomic load), and with a thousand out on other files (a lookup
// under the files' lock).
func BenchmarkBreakDelegations(b *testing.B) {
	for _, n := range []int{0, 1000} {
		b.Run("delegations="+strconv.Itoa(n), func(b *testing.B) {
			m := New(Config{})
			m.SetRecaller(func(Recall) {})
			id, v, err := m.SetClientID(SetClientIDArgs{Owner: []byte("a"), Principal: "p"})
			if err != nil {
				b.Fatal(err)
			}
			if err := m.SetClientIDConfirm(b.Context(), id, v, "p"); err != nil {
				b.Fatal(err)
			}
			for i := range n {
				_, err := m.Open(b.Context(), OpenArgs{ClientID: id, Owner: []byte("o"), Seqid: uint32(i + 1),
					File: vfs.Handle("file" + strconv.Itoa(i)), Access: ShareAccessRead, CallbackUp: true})
				if err != nil {
					b.Fatal(err)
				}
			}
			if got := m.ndelegs.Load(); got != int64(n) {
				b.Fatalf("%d delegations out, want %d", got, n)
			}
			file := vfs.Handle("another file")
			b.ReportAllocs()
			for b.Loop() {
				if err := m.BreakDelegations(b.Context(), file, 0, true); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
