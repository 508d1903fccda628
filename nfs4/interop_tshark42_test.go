package nfs4_test

import (
	"net"
	"testing"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// TestInteropServerTshark42 runs the table of COMPOUNDs in minor version
// 2 against nfskit's own server on port 2049, where tshark dissects
// NFS, capturing it: every call and reply of 4.2's operations, the
// extended attribute ones included, decodes with no malformed packet,
// and tshark shows the operations sent.
func TestInteropServerTshark42(t *testing.T) {
	peers.Require(t, "tshark")
	l, err := net.Listen("tcp", "127.0.0.1:2049")
	if err != nil {
		t.Skipf("port 2049 is taken: %v", err)
	}
	serveV4On(t, l, "export", memfs.New(nil))
	capture := peers.StartCapture(t, 2049)
	runV4Table(t, l.Addr().String(), "export", 2, v4Quirks{})
	capture.Stop()
	capture.RequireClean(40)

	v4 := func(more peers.Fields) peers.Fields {
		return peers.RPC(nfs4.NFS4_PROGRAM, nfs4.NFS_V4, nfs4.NFSPROC4_COMPOUND, more)
	}
	ops := func(o ...nfs4.NfsOpnum4) string {
		s := peers.Uint(nfs4.OP_SEQUENCE)
		for _, op := range o {
			s += "," + peers.Uint(op)
		}
		return s
	}
	capture.RequireExchanges([]peers.Exchange{
		{Name: "SEEK", Call: v4(peers.Fields{"nfs.tag": "seek", "nfs.minorversion": "2",
			"nfs.opcode": ops(nfs4.OP_PUTFH, nfs4.OP_SEEK, nfs4.OP_SEEK, nfs4.OP_SEEK, nfs4.OP_SEEK)}),
			Reply: peers.Fields{"nfs.nfsstat4": "0,0,0,0,0,0,0"}},
		{Name: "READ_PLUS", Call: v4(peers.Fields{"nfs.tag": "read_plus",
			"nfs.opcode": ops(nfs4.OP_PUTFH, nfs4.OP_READ_PLUS, nfs4.OP_READ)}),
			Reply: peers.Fields{"nfs.nfsstat4": "0,0,0,0,0"}},
		{Name: "ALLOCATE", Call: v4(peers.Fields{"nfs.tag": "allocate",
			"nfs.opcode": ops(nfs4.OP_PUTFH, nfs4.OP_ALLOCATE, nfs4.OP_DEALLOCATE, nfs4.OP_GETATTR, nfs4.OP_READ)}),
			Reply: peers.Fields{"nfs.nfsstat4": "0,0,0,0,0,0,0"}},
		{Name: "COPY", Call: v4(peers.Fields{"nfs.tag": "copy",
			"nfs.opcode": ops(nfs4.OP_PUTFH, nfs4.OP_SAVEFH, nfs4.OP_PUTFH, nfs4.OP_COPY, nfs4.OP_READ)}),
			Reply: peers.Fields{"nfs.nfsstat4": "0,0,0,0,0,0,0"}},
		{Name: "CLONE", Call: v4(peers.Fields{"nfs.tag": "clone",
			"nfs.opcode": ops(nfs4.OP_PUTFH, nfs4.OP_SAVEFH, nfs4.OP_PUTFH, nfs4.OP_CLONE)}),
			Reply: peers.Fields{"nfs.nfsstat4": "0,0,0,0,0,0"}},
		{Name: "xattrs", Call: v4(peers.Fields{"nfs.tag": "xattrs",
			"nfs.opcode": ops(nfs4.OP_PUTFH, nfs4.OP_SETXATTR, nfs4.OP_SETXATTR, nfs4.OP_GETXATTR, nfs4.OP_LISTXATTRS)}),
			Reply: peers.Fields{"nfs.nfsstat4": "0,0,0,0,0,0,0"}},
	})
}
