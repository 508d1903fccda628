package nfs4_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/nfs4"
)

// ganeshaQuirks are where ganesha 4.3 (VFS FSAL on tmpfs) departs from
// the RFCs in the table (see v4Quirks).
var ganeshaQuirks = v4Quirks{writeUnderReadOpen: true, opNotInSessionNoResult: true,
	readPlusEmpty: true, ioAdviseStuck: true, noCopy: true, noXattrs: true}

// TestInteropGaneshaCompounds runs the table of COMPOUNDs of
// builder_table_test.go against nfs-ganesha (VFS FSAL on tmpfs, export
// at the pseudo path /vfs) in minor versions 0, 1 and 2, with a tshark
// capture of each run that must decode with no malformed packet and
// show the COMPOUNDs as sent.
func TestInteropGaneshaCompounds(t *testing.T) {
	for _, minor := range []uint32{0, 1, 2} {
		t.Run("4."+strconv.Itoa(int(minor)), func(t *testing.T) {
			g := peers.Ganesha(t)
			capture := peers.StartCapture(t, g.NFSPort)
			runV4Table(t, g.Addr, "vfs", minor, ganeshaQuirks)
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
			first := peers.Fields{"nfs.opcode": peers.Uint(nfs4.OP_SETCLIENTID)}
			if minor > 0 {
				first = peers.Fields{"nfs.opcode": peers.Uint(nfs4.OP_EXCHANGE_ID)}
			}
			first["nfs.minorversion"] = peers.Uint(minor)
			capture.RequireExchanges([]peers.Exchange{
				{Name: "the client id", Call: v4(first), Reply: peers.Fields{"nfs.nfsstat4": "0,0"}},
				{Name: "LOOKUP vfs", Call: v4(peers.Fields{"nfs.tag": "lookup", "nfs.minorversion": peers.Uint(minor),
					"nfs.opcode":             ops(nfs4.OP_PUTROOTFH, nfs4.OP_LOOKUP, nfs4.OP_GETATTR, nfs4.OP_GETFH),
					"nfs.pathname.component": "vfs"}),
					Reply: peers.Fields{"nfs.tag": "lookup", "nfs.nfsstat4": ok(4)}},
				{Name: "WRITE", Call: v4(peers.Fields{"nfs.tag": "write",
					"nfs.opcode": ops(nfs4.OP_PUTFH, nfs4.OP_WRITE, nfs4.OP_GETATTR, nfs4.OP_CLOSE),
					"nfs.data":   peers.Bytes([]byte(interopData))}),
					Reply: peers.Fields{"nfs.nfsstat4": ok(4), "nfs.count4": peers.Uint(len(interopData))}},
				{Name: "READ", Call: v4(peers.Fields{"nfs.tag": "read", "nfs.opcode": ops(nfs4.OP_PUTFH, nfs4.OP_READ)}),
					Reply: peers.Fields{"nfs.nfsstat4": ok(2), "nfs.data": peers.Bytes([]byte(interopData)), "nfs.eof": "1"}},
			})
		})
	}
}
