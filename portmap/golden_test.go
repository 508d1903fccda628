package portmap

import (
	"testing"

	"github.com/nfskit/nfskit/internal/xdrtest"
)

// Golden vectors for port mapper version 2 and rpcbind versions 3 and 4.
// The bytes are written by hand from the XDR definitions of RFC 1833
// (sections 2.1 and 3), following RFC 4506: every item is big-endian in
// units of 4 bytes; strings and variable-length opaque data are a length
// and the bytes padded with zeros to a multiple of 4; an optional item
// ("*") is a boolean (0 or 1) and, if 1, the item; a linked list is
// therefore TRUE item TRUE item ... FALSE; fixed-length arrays carry no
// length.
var goldenVectors = []xdrtest.Golden{
	{
		Name:  "PMAPPROC_GETPORT args: mapping of MOUNT v3 over TCP",
		Value: &Mapping{Prog: 100005, Vers: 3, Prot: IPPROTO_TCP, Port: 0},
		Wire: xdrtest.Hex(`
			000186a5 // prog: 100005 (MOUNT)
			00000003 // vers: 3
			00000006 // prot: IPPROTO_TCP
			00000000 // port: 0 (ignored in GETPORT)
		`),
	},
	{
		Name:  "PMAPPROC_SET args: mapping of NFS v3 over UDP",
		Value: &Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_UDP, Port: 2049},
		Wire: xdrtest.Hex(`
			000186a3 // prog: 100003 (NFS)
			00000003 // vers: 3
			00000011 // prot: IPPROTO_UDP (17)
			00000801 // port: 2049
		`),
	},
	{
		Name:  "PMAPPROC_DUMP result: empty list",
		Value: new(PmaplistPtr),
		Wire: xdrtest.Hex(`
			00000000 // pmaplist *: FALSE, no entry
		`),
	},
	{
		Name: "PMAPPROC_DUMP result: two mappings",
		Value: &PmaplistPtr{
			{Map: Mapping{Prog: 100000, Vers: 2, Prot: IPPROTO_TCP, Port: 111}},
			{Map: Mapping{Prog: 100000, Vers: 2, Prot: IPPROTO_UDP, Port: 111}},
		},
		Wire: xdrtest.Hex(`
			00000001                            // pmaplist *: TRUE
			000186a0 00000002 00000006 0000006f // map: 100000 v2 TCP port 111
			00000001                            // next: TRUE
			000186a0 00000002 00000011 0000006f // map: 100000 v2 UDP port 111
			00000000                            // next: FALSE
		`),
	},
	{
		Name:  "PMAPPROC_CALLIT args: no arguments",
		Value: &CallArgs{Prog: 100003, Vers: 3, Proc: 0},
		Wire: xdrtest.Hex(`
			000186a3 // prog: 100003
			00000003 // vers: 3
			00000000 // proc: 0 (NULL)
			00000000 // args<>: length 0
		`),
	},
	{
		Name:  "PMAPPROC_CALLIT args: 5 bytes of arguments (3 of padding)",
		Value: &CallArgs{Prog: 100005, Vers: 3, Proc: 1, Args: []byte{0xde, 0xad, 0xbe, 0xef, 0x01}},
		Wire: xdrtest.Hex(`
			000186a5          // prog: 100005
			00000003          // vers: 3
			00000001          // proc: 1
			00000005          // args<>: length 5
			deadbeef 01000000 // bytes, 3 bytes of padding
		`),
	},
	{
		Name:  "PMAPPROC_CALLIT result: 6 bytes of results (2 of padding)",
		Value: &CallResult{Port: 2049, Res: []byte{0, 0, 0, 0, 0x11, 0x22}},
		Wire: xdrtest.Hex(`
			00000801          // port: 2049
			00000006          // res<>: length 6
			00000000 11220000 // bytes, 2 bytes of padding
		`),
	},
	{
		Name: "RPCBPROC_GETADDR args: rpcb with padding of 1, 3 and 2 bytes",
		Value: &Rpcb{
			RProg:  100003,
			RVers:  3,
			RNetid: "tcp",
			RAddr:  "127.0.0.1.8.1",
			ROwner: "nobody",
		},
		Wire: xdrtest.Hex(`
			000186a3                            // r_prog: 100003
			00000003                            // r_vers: 3
			00000003 74637000                   // r_netid: "tcp" + 1 pad
			0000000d 3132372e 302e302e 312e382e // r_addr: length 13, "127.0.0.1.8.
			31000000                            //   1" + 3 pad
			00000006 6e6f626f 64790000          // r_owner: "nobody" + 2 pad
		`),
	},
	{
		Name:  "RPCBPROC_GETADDR result: not registered",
		Value: new(Uaddr),
		Wire: xdrtest.Hex(`
			00000000 // uaddr: empty string
		`),
	},
	{
		Name:  "RPCBPROC_GETADDR result: IPv6 address",
		Value: ptr(Uaddr("::1.0.111")),
		Wire: xdrtest.Hex(`
			00000009 3a3a312e 302e3131 31000000 // uaddr: "::1.0.111" + 3 pad
		`),
	},
	{
		Name:  "RPCBPROC_DUMP result: empty list",
		Value: new(RpcblistPtr),
		Wire: xdrtest.Hex(`
			00000000 // rp__list *: FALSE
		`),
	},
	{
		Name: "RPCBPROC_DUMP result: two registrations",
		Value: &RpcblistPtr{
			{RpcbMap: Rpcb{RProg: 100000, RVers: 4, RNetid: "local", RAddr: "/run/rpcbind.sock", ROwner: "superuser"}},
			{RpcbMap: Rpcb{RProg: 100021, RVers: 4, RNetid: "tcp", RAddr: "0.0.0.0.145.205", ROwner: "unknown"}},
		},
		Wire: xdrtest.Hex(`
			00000001                            // rp__list *: TRUE
			000186a0                            // r_prog: 100000
			00000004                            // r_vers: 4
			00000005 6c6f6361 6c000000          // r_netid: "local" + 3 pad
			00000011 2f72756e 2f727063 62696e64 // r_addr: length 17, "/run/rpcbind
			2e736f63 6b000000                   //   .sock" + 3 pad
			00000009 73757065 72757365 72000000 // r_owner: "superuser" + 3 pad
			00000001                            // rpcb_next: TRUE
			000186b5                            // r_prog: 100021 (NLM)
			00000004                            // r_vers: 4
			00000003 74637000                   // r_netid: "tcp" + 1 pad
			0000000f 302e302e 302e302e 3134352e // r_addr: length 15, "0.0.0.0.145.
			32303500                            //   205" + 1 pad
			00000007 756e6b6e 6f776e00          // r_owner: "unknown" + 1 pad
			00000000                            // rpcb_next: FALSE
		`),
	},
	{
		Name:  "RPCBPROC_CALLIT args: 2 bytes of arguments (2 of padding)",
		Value: &RpcbRmtcallargs{Prog: 100003, Vers: 3, Proc: 0, Args: []byte{0xca, 0xfe}},
		Wire: xdrtest.Hex(`
			000186a3          // prog: 100003
			00000003          // vers: 3
			00000000          // proc: 0
			00000002 cafe0000 // args<>: length 2, 2 pad
		`),
	},
	{
		Name:  "RPCBPROC_CALLIT result",
		Value: &RpcbRmtcallres{Addr: "127.0.0.1.8.1", Results: []byte{1, 2, 3, 4, 5, 6, 7, 8}},
		Wire: xdrtest.Hex(`
			0000000d 3132372e 302e302e 312e382e 31000000 // addr: "127.0.0.1.8.1" + 3 pad
			00000008 01020304 05060708                   // results<>: length 8, no pad
		`),
	},
	{
		Name: "RPCBPROC4_GETADDRLIST result: one entry",
		Value: &RpcbEntryListPtr{{RpcbEntryMap: RpcbEntry{
			RMaddr:       "127.0.0.1.8.1",
			RNcNetid:     "tcp",
			RNcSemantics: 3,
			RNcProtofmly: "inet",
			RNcProto:     "tcp",
		}}},
		Wire: xdrtest.Hex(`
			00000001                                     // rpcb_entry_list *: TRUE
			0000000d 3132372e 302e302e 312e382e 31000000 // r_maddr: "127.0.0.1.8.1" + 3 pad
			00000003 74637000                            // r_nc_netid: "tcp" + 1 pad
			00000003                                     // r_nc_semantics: 3 (COTS_ORD)
			00000004 696e6574                            // r_nc_protofmly: "inet", no pad
			00000003 74637000                            // r_nc_proto: "tcp" + 1 pad
			00000000                                     // rpcb_entry_next: FALSE
		`),
	},
	{
		Name:  "RPCBPROC_UADDR2TADDR result: netbuf holding a sockaddr_in",
		Value: &Netbuf{Maxlen: 16, Buf: []byte{0x00, 0x02, 0x08, 0x01, 0x7f, 0x00, 0x00, 0x01}},
		Wire: xdrtest.Hex(`
			00000010                   // maxlen: 16
			00000008 00020801 7f000001 // buf<>: length 8: AF_INET, port 2049, 127.0.0.1
		`),
	},
	{
		Name: "RPCBPROC4_GETSTAT result: statistics of versions 2, 3 and 4",
		Value: &RpcbStatByvers{
			{ // RPCBVERS_2_STAT
				Info:      RpcbsProc{0, 1, 0, 5, 2},
				Setinfo:   1,
				Unsetinfo: 0,
				Addrinfo:  RpcbsAddrlistPtr{{Prog: 100005, Vers: 3, Success: 4, Failure: -1, Netid: "tcp"}},
			},
			{}, // RPCBVERS_3_STAT
			{ // RPCBVERS_4_STAT
				Info:    RpcbsProc{3: 7},
				Rmtinfo: RpcbsRmtcalllistPtr{{Prog: 100003, Vers: 3, Proc: 0, Success: 1, Failure: 0, Indirect: 1, Netid: "udp"}},
			},
		},
		Wire: xdrtest.Hex(`
			// [0] version 2
			00000000 00000001 00000000 00000005 // info[0..3]: NULL 0, SET 1, UNSET 0, GETPORT 5
			00000002 00000000 00000000 00000000 // info[4..7]: DUMP 2, ...
			00000000 00000000 00000000 00000000 // info[8..11]
			00000000                            // info[12]
			00000001                            // setinfo: 1
			00000000                            // unsetinfo: 0
			00000001                            // addrinfo: TRUE
			000186a5 00000003                   //   prog 100005, vers 3
			00000004 ffffffff                   //   success 4, failure -1
			00000003 74637000                   //   netid "tcp" + 1 pad
			00000000                            //   next: FALSE
			00000000                            // rmtinfo: FALSE
			// [1] version 3: all zero, both lists empty
			00000000 00000000 00000000 00000000 // info[0..3]
			00000000 00000000 00000000 00000000 // info[4..7]
			00000000 00000000 00000000 00000000 // info[8..11]
			00000000                            // info[12]
			00000000 00000000                   // setinfo, unsetinfo
			00000000                            // addrinfo: FALSE
			00000000                            // rmtinfo: FALSE
			// [2] version 4
			00000000 00000000 00000000 00000007 // info[0..3]: GETADDR 7
			00000000 00000000 00000000 00000000 // info[4..7]
			00000000 00000000 00000000 00000000 // info[8..11]
			00000000                            // info[12]
			00000000 00000000                   // setinfo, unsetinfo
			00000000                            // addrinfo: FALSE
			00000001                            // rmtinfo: TRUE
			000186a3 00000003 00000000          //   prog 100003, vers 3, proc 0
			00000001 00000000 00000001          //   success 1, failure 0, indirect 1
			00000003 75647000                   //   netid "udp" + 1 pad
			00000000                            //   next: FALSE
		`),
	},
}

func ptr[T any](v T) *T { return &v }

func TestGolden(t *testing.T) { xdrtest.CheckGolden(t, goldenVectors) }
