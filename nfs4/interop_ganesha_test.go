package nfs4_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/nfs4"
)

// ganeshaQuirks are where ganesha 4.3 (VFS FSAL on tmpfs) departs from
// the RFCs in the table (see v4Quirks).
var ganeshaQuirks = v4Quirks{writeUnderReadOpen: true, opNotInSessionNoResult: true,
	readPlusEmpty: true, ioAdviseStuck: true, noCopy: true, noXattrs: true}

// TestInteropGaneshaCompounds runs the table of COMPOUNDs of
// builder_table_test.go against nfs-ganesha (VFS FSAL on tmpfs, export
// at the pseudo path /vfs) in minor versions 0, 1 and 2, under a tshark
// capture checked as runV4TableCaptured does.
func TestInteropGaneshaCompounds(t *testing.T) {
	for _, minor := range []uint32{0, 1, 2} {
		t.Run("4."+strconv.Itoa(int(minor)), func(t *testing.T) {
			g := peers.Ganesha(t)
			runV4TableCaptured(t, g.Addr, g.NFSPort, "vfs", minor, ganeshaQuirks)
		})
	}
}

// runV4TableCaptured runs the table of COMPOUNDs of builder_table_test.go
// against the server at addr, whose NFS port is port, in minor version
// minor, under a tshark capture that must decode with no malformed
// packet and show the COMPOUNDs as sent. In 4.1 and later tshark must
// also name the operations that make and use a session (EXCHANGE_ID,
// CREATE_SESSION, SEQUENCE, RECLAIM_COMPLETE), each in a call and a
// reply.
func runV4TableCaptured(t *testing.T, addr string, port int, export string, minor uint32, quirks v4Quirks) {
	capture := peers.StartCapture(t, port)
	runV4Table(t, addr, export, minor, quirks)
	capture.Stop()
	capture.RequireClean(20)
	v4 := func(more peers.Fields) peers.Fields {
		return peers.RPC(nfs4.NFS4_PROGRAM, nfs4.NFS_V4, nfs4.NFSPROC4_COMPOUND, more)
	}
	// The opcodes of a COMPOUND as tshark shows them: a session's
	// SEQUENCE first.
	ops := func(o ...nfs4.NfsOpnum4) string {
		if minor > 0 {
			o = append([]nfs4.NfsOpnum4{nfs4.OP_SEQUENCE}, o...)
		}
		s := make([]string, len(o))
		for i, op := range o {
			s[i] = peers.Uint(op)
		}
		return strings.Join(s, ",")
	}
	// nfs.nfsstat4 shows the COMPOUND's status, then each op's.
	ok := func(n int) string {
		if minor > 0 {
			n++
		}
		return strings.Repeat("0,", n) + "0"
	}
	// One operation alone, outside a session, that succeeds.
	alone := func(name string, op nfs4.NfsOpnum4) peers.Exchange {
		return peers.Exchange{Name: name, Call: v4(peers.Fields{"nfs.opcode": peers.Uint(op), "nfs.minorversion": peers.Uint(minor)}),
			Reply: peers.Fields{"nfs.nfsstat4": "0,0"}}
	}
	want := []peers.Exchange{alone("SETCLIENTID", nfs4.OP_SETCLIENTID), alone("SETCLIENTID_CONFIRM", nfs4.OP_SETCLIENTID_CONFIRM)}
	if minor > 0 {
		want = []peers.Exchange{alone("EXCHANGE_ID", nfs4.OP_EXCHANGE_ID), alone("CREATE_SESSION", nfs4.OP_CREATE_SESSION),
			{Name: "RECLAIM_COMPLETE", Call: v4(peers.Fields{"nfs.opcode": ops(nfs4.OP_RECLAIM_COMPLETE)}),
				Reply: peers.Fields{"nfs.nfsstat4": ok(1)}}}
	}
	capture.RequireExchanges(append(want, []peers.Exchange{
		{Name: "LOOKUP " + export, Call: v4(peers.Fields{"nfs.tag": "lookup", "nfs.minorversion": peers.Uint(minor),
			"nfs.opcode":             ops(nfs4.OP_PUTROOTFH, nfs4.OP_LOOKUP, nfs4.OP_GETATTR, nfs4.OP_GETFH),
			"nfs.pathname.component": export}),
			Reply: peers.Fields{"nfs.tag": "lookup", "nfs.nfsstat4": ok(4)}},
		{Name: "WRITE", Call: v4(peers.Fields{"nfs.tag": "write",
			"nfs.opcode": ops(nfs4.OP_PUTFH, nfs4.OP_WRITE, nfs4.OP_GETATTR, nfs4.OP_CLOSE),
			"nfs.data":   peers.Bytes([]byte(interopData))}),
			Reply: peers.Fields{"nfs.nfsstat4": ok(4), "nfs.count4": peers.Uint(len(interopData))}},
		{Name: "READ", Call: v4(peers.Fields{"nfs.tag": "read", "nfs.opcode": ops(nfs4.OP_PUTFH, nfs4.OP_READ)}),
			Reply: peers.Fields{"nfs.nfsstat4": ok(2), "nfs.data": peers.Bytes([]byte(interopData)), "nfs.eof": "1"}},
	}...))
	if minor == 0 {
		return
	}
	named := []nfs4.NfsOpnum4{nfs4.OP_EXCHANGE_ID, nfs4.OP_CREATE_SESSION, nfs4.OP_SEQUENCE, nfs4.OP_RECLAIM_COMPLETE}
	codes := make([]string, len(named))
	for i, op := range named {
		codes[i] = peers.Uint(op)
	}
	for typ, what := range []string{"calls", "replies"} {
		details := capture.Details(fmt.Sprintf("rpc.msgtyp == %d && nfs.opcode in {%s}", typ, strings.Join(codes, ", ")))
		for _, op := range named {
			name := strings.TrimPrefix(op.String(), "OP_")
			require.Contains(t, details, fmt.Sprintf("Opcode: %s (%d)", name, op), "tshark names %s in %s", name, what)
		}
	}
}
