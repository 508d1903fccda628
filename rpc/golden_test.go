package rpc_test

// Golden byte vectors for the ONC RPC message (RFC 5531) and the RPCSEC_GSS
// credential (RFC 2203). Every expected encoding below was written by hand
// from the protocol definitions, one 4-byte XDR unit per group, not captured
// from the encoder: the tests check the generated codec and rpc.x against
// the RFCs, not against themselves.

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// hx decodes hex written as groups separated by spaces, one argument per
// field group.
func hx(groups ...string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(strings.Join(groups, " ")), ""))
	if err != nil {
		panic(err)
	}
	return b
}

type goldenCase struct {
	name string
	val  xdr.Codec // pointer to the value the wire bytes stand for
	wire []byte
}

// runGolden encodes each value and requires the exact bytes, then decodes
// the bytes into a new value and requires the value back.
func runGolden(t *testing.T, cases []goldenCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := xdr.Marshal(tc.val)
			require.NoError(t, err)
			require.Equal(t, hex.EncodeToString(tc.wire), hex.EncodeToString(got), "encoding")

			dec := reflect.New(reflect.TypeOf(tc.val).Elem()).Interface().(xdr.Codec)
			require.NoError(t, xdr.Unmarshal(tc.wire, dec))
			require.Equal(t, tc.val, dec, "decoding")
		})
	}
}

type goldenErrCase struct {
	name   string
	val    xdr.Unmarshaler // new zero value to decode into
	wire   []byte
	err    error
	offset int
}

// runGoldenErrors decodes malformed input and requires the sentinel error
// and the offset of the failing item.
func runGoldenErrors(t *testing.T, cases []goldenErrCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := xdr.Unmarshal(tc.wire, tc.val)
			require.ErrorIs(t, err, tc.err)
			var xe *xdr.Error
			require.ErrorAs(t, err, &xe)
			require.Equal(t, tc.offset, xe.Offset, "offset in %v", err)
		})
	}
}

// AUTH_SYS credential bodies (RFC 5531 appendix A):
// stamp, machinename<255>, uid, gid, gids<16>.

// Machine name of 5 bytes: 3 bytes of padding; two gids.
var sysParmsHost1 = rpc.AuthsysParms{
	Stamp:       0xabcd,
	Machinename: "host1",
	Uid:         1000,
	Gid:         100,
	Gids:        []uint32{100, 10},
}

const sysBodyHost1 = "" +
	"0000abcd " + // stamp
	"00000005 686f7374 31000000 " + // machinename: length 5, "host1", 3 bytes of padding
	"000003e8 " + // uid 1000
	"00000064 " + // gid 100
	"00000002 00000064 0000000a" // gids: count 2, 100, 10

// Machine name of 6 bytes: 2 bytes of padding; root, no gids.
var sysParmsNfsc2 = rpc.AuthsysParms{
	Stamp:       1,
	Machinename: "nfs-c2",
}

const sysBodyNfsc2 = "" +
	"00000001 " + // stamp
	"00000006 6e66732d 63320000 " + // machinename: length 6, "nfs-c2", 2 bytes of padding
	"00000000 " + // uid 0
	"00000000 " + // gid 0
	"00000000" // gids: count 0

// Machine name of 11 bytes: 1 byte of padding; the full 16 gids.
var sysParmsWorkstation = rpc.AuthsysParms{
	Stamp:       0x65a1b2c3,
	Machinename: "workstation",
	Uid:         501,
	Gid:         20,
	Gids:        []uint32{20, 12, 61, 79, 80, 81, 98, 33, 100, 204, 395, 398, 399, 400, 701, 702},
}

const sysBodyWorkstation = "" +
	"65a1b2c3 " + // stamp
	"0000000b 776f726b 73746174 696f6e00 " + // machinename: length 11, "workstation", 1 byte of padding
	"000001f5 " + // uid 501
	"00000014 " + // gid 20
	"00000010 " + // gids: count 16
	"00000014 0000000c 0000003d 0000004f " + // 20 12 61 79
	"00000050 00000051 00000062 00000021 " + // 80 81 98 33
	"00000064 000000cc 0000018b 0000018e " + // 100 204 395 398
	"0000018f 00000190 000002bd 000002be" // 399 400 701 702

// RPCSEC_GSS credential bodies (RFC 2203 section 5):
// version, then for version 1: gss_proc, seq_num, service, handle<>.

var gssCredInit = rpc.RpcGssCredT{
	Vers: rpc.RPCSEC_GSS_VERS_1,
	CredVers1: &rpc.RpcGssCredVers1T{
		GssProc: rpc.RPCSEC_GSS_INIT,
		SeqNum:  0,
		Service: rpc.Rpc_gss_svc_none,
	},
}

const gssBodyInit = "" +
	"00000001 " + // version RPCSEC_GSS_VERS_1
	"00000001 " + // gss_proc RPCSEC_GSS_INIT
	"00000000 " + // seq_num 0
	"00000001 " + // service rpc_gss_svc_none
	"00000000" // handle: length 0 (none yet during INIT)

var gssCredData = rpc.RpcGssCredT{
	Vers: rpc.RPCSEC_GSS_VERS_1,
	CredVers1: &rpc.RpcGssCredVers1T{
		GssProc: rpc.RPCSEC_GSS_DATA,
		SeqNum:  7,
		Service: rpc.Rpc_gss_svc_integrity,
		Handle:  []byte{0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6},
	},
}

const gssBodyData = "" +
	"00000001 " + // version RPCSEC_GSS_VERS_1
	"00000000 " + // gss_proc RPCSEC_GSS_DATA
	"00000007 " + // seq_num 7
	"00000002 " + // service rpc_gss_svc_integrity
	"00000006 a1a2a3a4 a5a60000" // handle: length 6, 6 bytes, 2 bytes of padding

func call(xid, prog, vers, proc uint32, cred, verf rpc.OpaqueAuth) *rpc.RpcMsg {
	return &rpc.RpcMsg{
		Xid: xid,
		Body: rpc.RpcMsgBody{
			Mtype: rpc.CALL,
			Cbody: &rpc.CallBody{
				Rpcvers: rpc.RPC_MSG_VERSION,
				Prog:    prog,
				Vers:    vers,
				Proc:    proc,
				Cred:    cred,
				Verf:    verf,
			},
		},
	}
}

func acceptedReply(xid uint32, verf rpc.OpaqueAuth, data rpc.AcceptedReplyData) *rpc.RpcMsg {
	return &rpc.RpcMsg{
		Xid: xid,
		Body: rpc.RpcMsgBody{
			Mtype: rpc.REPLY,
			Rbody: &rpc.ReplyBody{
				Stat:   rpc.MSG_ACCEPTED,
				Areply: &rpc.AcceptedReply{Verf: verf, ReplyData: data},
			},
		},
	}
}

func deniedReply(xid uint32, rej rpc.RejectedReply) *rpc.RpcMsg {
	return &rpc.RpcMsg{
		Xid: xid,
		Body: rpc.RpcMsgBody{
			Mtype: rpc.REPLY,
			Rbody: &rpc.ReplyBody{Stat: rpc.MSG_DENIED, Rreply: &rej},
		},
	}
}

var authNone = rpc.OpaqueAuth{Flavor: rpc.AUTH_NONE}

func TestGoldenRPC(t *testing.T) {
	runGolden(t, []goldenCase{
		{
			name: "call NFSv3 NULL, AUTH_NONE",
			val:  call(0x12345678, 100003, 3, 0, authNone, authNone),
			wire: hx(
				"12345678",          // xid
				"00000000",          // mtype CALL
				"00000002",          // rpcvers 2
				"000186a3",          // prog 100003 (NFS)
				"00000003",          // vers 3
				"00000000",          // proc 0 (NULL)
				"00000000 00000000", // cred: AUTH_NONE, body length 0
				"00000000 00000000", // verf: AUTH_NONE, body length 0
			),
		},
		{
			name: "call NFSv3 GETATTR, AUTH_SYS, name padded by 3",
			val: call(0xdeadbeef, 100003, 3, 1,
				rpc.OpaqueAuth{Flavor: rpc.AUTH_SYS, Body: hx(sysBodyHost1)}, authNone),
			wire: hx(
				"deadbeef",          // xid
				"00000000",          // mtype CALL
				"00000002",          // rpcvers 2
				"000186a3",          // prog 100003 (NFS)
				"00000003",          // vers 3
				"00000001",          // proc 1 (GETATTR)
				"00000001 00000024", // cred: AUTH_SYS, body length 36
				sysBodyHost1,        // cred body: authsys_parms
				"00000000 00000000", // verf: AUTH_NONE, body length 0
			),
		},
		{
			name: "call MOUNTv3 MNT, AUTH_SYS, name padded by 2, no gids",
			val: call(2, 100005, 3, 1,
				rpc.OpaqueAuth{Flavor: rpc.AUTH_SYS, Body: hx(sysBodyNfsc2)}, authNone),
			wire: hx(
				"00000002",          // xid
				"00000000",          // mtype CALL
				"00000002",          // rpcvers 2
				"000186a5",          // prog 100005 (MOUNT)
				"00000003",          // vers 3
				"00000001",          // proc 1 (MNT)
				"00000001 0000001c", // cred: AUTH_SYS, body length 28
				sysBodyNfsc2,        // cred body: authsys_parms
				"00000000 00000000", // verf: AUTH_NONE, body length 0
			),
		},
		{
			name: "call NLMv4 LOCK, AUTH_SYS, name padded by 1, 16 gids",
			val: call(3, 100021, 4, 2,
				rpc.OpaqueAuth{Flavor: rpc.AUTH_SYS, Body: hx(sysBodyWorkstation)}, authNone),
			wire: hx(
				"00000003",          // xid
				"00000000",          // mtype CALL
				"00000002",          // rpcvers 2
				"000186b5",          // prog 100021 (NLM)
				"00000004",          // vers 4
				"00000002",          // proc 2 (LOCK)
				"00000001 00000060", // cred: AUTH_SYS, body length 96
				sysBodyWorkstation,  // cred body: authsys_parms
				"00000000 00000000", // verf: AUTH_NONE, body length 0
			),
		},
		{
			name: "call AUTH_SHORT",
			val: call(4, 100003, 3, 4,
				rpc.OpaqueAuth{Flavor: rpc.AUTH_SHORT, Body: []byte{0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f}}, authNone),
			wire: hx(
				"00000004",          // xid
				"00000000",          // mtype CALL
				"00000002",          // rpcvers 2
				"000186a3",          // prog 100003 (NFS)
				"00000003",          // vers 3
				"00000004",          // proc 4 (ACCESS)
				"00000002 00000006", // cred: AUTH_SHORT, body length 6
				"0a0b0c0d 0e0f0000", // shorthand, 2 bytes of padding
				"00000000 00000000", // verf: AUTH_NONE, body length 0
			),
		},
		{
			name: "call RPCSEC_GSS INIT",
			val: call(5, 100003, 3, 0,
				rpc.OpaqueAuth{Flavor: rpc.RPCSEC_GSS, Body: hx(gssBodyInit)}, authNone),
			wire: hx(
				"00000005",          // xid
				"00000000",          // mtype CALL
				"00000002",          // rpcvers 2
				"000186a3",          // prog 100003 (NFS)
				"00000003",          // vers 3
				"00000000",          // proc 0 (NULL carries the INIT token)
				"00000006 00000014", // cred: RPCSEC_GSS, body length 20
				gssBodyInit,         // cred body: rpc_gss_cred_t
				"00000000 00000000", // verf: AUTH_NONE during INIT
			),
		},
		{
			name: "call RPCSEC_GSS DATA with a GSS verifier",
			val: call(6, 100003, 3, 1,
				rpc.OpaqueAuth{Flavor: rpc.RPCSEC_GSS, Body: hx(gssBodyData)},
				rpc.OpaqueAuth{Flavor: rpc.RPCSEC_GSS, Body: []byte{0xff, 0xee, 0xdd}}),
			wire: hx(
				"00000006",          // xid
				"00000000",          // mtype CALL
				"00000002",          // rpcvers 2
				"000186a3",          // prog 100003 (NFS)
				"00000003",          // vers 3
				"00000001",          // proc 1 (GETATTR)
				"00000006 0000001c", // cred: RPCSEC_GSS, body length 28
				gssBodyData,         // cred body: rpc_gss_cred_t
				"00000006 00000003", // verf: RPCSEC_GSS, body length 3
				"ffeedd00",          // checksum, 1 byte of padding
			),
		},
		{
			name: "reply SUCCESS",
			val:  acceptedReply(0xdeadbeef, authNone, rpc.AcceptedReplyData{Stat: rpc.SUCCESS}),
			wire: hx(
				"deadbeef",          // xid
				"00000001",          // mtype REPLY
				"00000000",          // reply_stat MSG_ACCEPTED
				"00000000 00000000", // verf: AUTH_NONE, body length 0
				"00000000",          // accept_stat SUCCESS (results follow)
			),
		},
		{
			name: "reply SUCCESS, AUTH_SHORT verifier",
			val: acceptedReply(0x0badcafe,
				rpc.OpaqueAuth{Flavor: rpc.AUTH_SHORT, Body: []byte{1, 2, 3, 4}},
				rpc.AcceptedReplyData{Stat: rpc.SUCCESS}),
			wire: hx(
				"0badcafe",          // xid
				"00000001",          // mtype REPLY
				"00000000",          // reply_stat MSG_ACCEPTED
				"00000002 00000004", // verf: AUTH_SHORT, body length 4
				"01020304",          // shorthand for later calls
				"00000000",          // accept_stat SUCCESS
			),
		},
		{
			name: "reply PROG_UNAVAIL",
			val:  acceptedReply(0x10, authNone, rpc.AcceptedReplyData{Stat: rpc.PROG_UNAVAIL}),
			wire: hx(
				"00000010",          // xid
				"00000001",          // mtype REPLY
				"00000000",          // reply_stat MSG_ACCEPTED
				"00000000 00000000", // verf: AUTH_NONE
				"00000001",          // accept_stat PROG_UNAVAIL
			),
		},
		{
			name: "reply PROG_MISMATCH 2-3",
			val: acceptedReply(0x11, authNone, rpc.AcceptedReplyData{
				Stat:         rpc.PROG_MISMATCH,
				MismatchInfo: &rpc.MismatchInfo{Low: 2, High: 3},
			}),
			wire: hx(
				"00000011",          // xid
				"00000001",          // mtype REPLY
				"00000000",          // reply_stat MSG_ACCEPTED
				"00000000 00000000", // verf: AUTH_NONE
				"00000002",          // accept_stat PROG_MISMATCH
				"00000002",          // low 2
				"00000003",          // high 3
			),
		},
		{
			name: "reply PROC_UNAVAIL",
			val:  acceptedReply(0x12, authNone, rpc.AcceptedReplyData{Stat: rpc.PROC_UNAVAIL}),
			wire: hx(
				"00000012",          // xid
				"00000001",          // mtype REPLY
				"00000000",          // reply_stat MSG_ACCEPTED
				"00000000 00000000", // verf: AUTH_NONE
				"00000003",          // accept_stat PROC_UNAVAIL
			),
		},
		{
			name: "reply GARBAGE_ARGS",
			val:  acceptedReply(0x13, authNone, rpc.AcceptedReplyData{Stat: rpc.GARBAGE_ARGS}),
			wire: hx(
				"00000013",          // xid
				"00000001",          // mtype REPLY
				"00000000",          // reply_stat MSG_ACCEPTED
				"00000000 00000000", // verf: AUTH_NONE
				"00000004",          // accept_stat GARBAGE_ARGS
			),
		},
		{
			name: "reply SYSTEM_ERR",
			val:  acceptedReply(0x14, authNone, rpc.AcceptedReplyData{Stat: rpc.SYSTEM_ERR}),
			wire: hx(
				"00000014",          // xid
				"00000001",          // mtype REPLY
				"00000000",          // reply_stat MSG_ACCEPTED
				"00000000 00000000", // verf: AUTH_NONE
				"00000005",          // accept_stat SYSTEM_ERR
			),
		},
		{
			name: "reply denied RPC_MISMATCH 2-2",
			val: deniedReply(0x20, rpc.RejectedReply{
				Stat:         rpc.RPC_MISMATCH,
				MismatchInfo: &rpc.MismatchInfo{Low: 2, High: 2},
			}),
			wire: hx(
				"00000020", // xid
				"00000001", // mtype REPLY
				"00000001", // reply_stat MSG_DENIED
				"00000000", // reject_stat RPC_MISMATCH
				"00000002", // low 2
				"00000002", // high 2
			),
		},
		{
			name: "reply denied AUTH_ERROR AUTH_BADCRED",
			val:  deniedReply(0x21, rpc.RejectedReply{Stat: rpc.AUTH_ERROR, Astat: rpc.AUTH_BADCRED}),
			wire: hx(
				"00000021", // xid
				"00000001", // mtype REPLY
				"00000001", // reply_stat MSG_DENIED
				"00000001", // reject_stat AUTH_ERROR
				"00000001", // auth_stat AUTH_BADCRED
			),
		},
		{
			name: "reply denied AUTH_ERROR AUTH_TOOWEAK",
			val:  deniedReply(0x22, rpc.RejectedReply{Stat: rpc.AUTH_ERROR, Astat: rpc.AUTH_TOOWEAK}),
			wire: hx(
				"00000022", // xid
				"00000001", // mtype REPLY
				"00000001", // reply_stat MSG_DENIED
				"00000001", // reject_stat AUTH_ERROR
				"00000005", // auth_stat AUTH_TOOWEAK
			),
		},
		{
			name: "reply denied AUTH_ERROR RPCSEC_GSS_CTXPROBLEM",
			val:  deniedReply(0x23, rpc.RejectedReply{Stat: rpc.AUTH_ERROR, Astat: rpc.RPCSEC_GSS_CTXPROBLEM}),
			wire: hx(
				"00000023", // xid
				"00000001", // mtype REPLY
				"00000001", // reply_stat MSG_DENIED
				"00000001", // reject_stat AUTH_ERROR
				"0000000e", // auth_stat RPCSEC_GSS_CTXPROBLEM (14)
			),
		},
		{
			name: "authsys_parms, name without padding",
			val: &rpc.AuthsysParms{
				Stamp:       0x7fffffff,
				Machinename: "clnt",
				Uid:         65534,
				Gid:         65534,
				Gids:        []uint32{1, 2, 3},
			},
			wire: hx(
				"7fffffff",                            // stamp
				"00000004 636c6e74",                   // machinename: length 4, "clnt", no padding
				"0000fffe",                            // uid 65534
				"0000fffe",                            // gid 65534
				"00000003 00000001 00000002 00000003", // gids: count 3, 1, 2, 3
			),
		},
		{name: "authsys_parms host1", val: &sysParmsHost1, wire: hx(sysBodyHost1)},
		{name: "authsys_parms nfs-c2", val: &sysParmsNfsc2, wire: hx(sysBodyNfsc2)},
		{name: "authsys_parms workstation", val: &sysParmsWorkstation, wire: hx(sysBodyWorkstation)},
		{name: "rpc_gss_cred_t INIT", val: &gssCredInit, wire: hx(gssBodyInit)},
		{name: "rpc_gss_cred_t DATA", val: &gssCredData, wire: hx(gssBodyData)},
		{
			name: "rpc_gss_cred_t DESTROY, privacy",
			val: &rpc.RpcGssCredT{
				Vers: rpc.RPCSEC_GSS_VERS_1,
				CredVers1: &rpc.RpcGssCredVers1T{
					GssProc: rpc.RPCSEC_GSS_DESTROY,
					SeqNum:  rpc.MAXSEQ,
					Service: rpc.Rpc_gss_svc_privacy,
					Handle:  []byte{1, 2, 3, 4, 5, 6, 7, 8},
				},
			},
			wire: hx(
				"00000001",                   // version RPCSEC_GSS_VERS_1
				"00000003",                   // gss_proc RPCSEC_GSS_DESTROY
				"80000000",                   // seq_num MAXSEQ
				"00000003",                   // service rpc_gss_svc_privacy
				"00000008 01020304 05060708", // handle: length 8, no padding
			),
		},
		{
			name: "rpc_gss_init_res",
			val: &rpc.RpcGssInitRes{
				Handle:    []byte{0x0a, 0x0b, 0x0c, 0x0d},
				GssMajor:  0,
				GssMinor:  0,
				SeqWindow: 128,
				GssToken:  []byte("`ab"),
			},
			wire: hx(
				"00000004 0a0b0c0d", // handle: length 4
				"00000000",          // gss_major GSS_S_COMPLETE
				"00000000",          // gss_minor
				"00000080",          // seq_window 128
				"00000003 60616200", // gss_token: length 3, 1 byte of padding
			),
		},
	})
}

func TestGoldenRPCDecodeErrors(t *testing.T) {
	// The AUTH_SYS GETATTR call above: cred length at 28, cred body at
	// 32-67, verifier flavor at 68, verifier length at 72, 76 bytes in all.
	getattr := hx(
		"deadbeef 00000000 00000002 000186a3 00000003 00000001",
		"00000001 00000024", sysBodyHost1,
		"00000000 00000000",
	)
	require.Len(t, getattr, 76)

	// A call whose credential body is 401 bytes: one over MAX_AUTH_BYTES.
	longCred := append(hx(
		"00000007 00000000 00000002 000186a3 00000003 00000000",
		"00000001 00000191", // cred: AUTH_SYS, body length 401
	), bytes.Repeat([]byte{0}, 404)...) // 401 bytes and 3 of padding
	longCred = append(longCred, hx("00000000 00000000")...)

	// The same with 400 bytes is within the bound.
	maxCred := append(hx(
		"00000007 00000000 00000002 000186a3 00000003 00000000",
		"00000001 00000190", // cred: AUTH_SYS, body length 400
	), bytes.Repeat([]byte{0}, 400)...)
	maxCred = append(maxCred, hx("00000000 00000000")...)
	var m rpc.RpcMsg
	require.NoError(t, xdr.Unmarshal(maxCred, &m))
	require.Len(t, m.Body.Cbody.Cred.Body, 400)

	runGoldenErrors(t, []goldenErrCase{
		{
			name: "empty input", val: new(rpc.RpcMsg), wire: nil,
			err: xdr.ErrShortBuffer, offset: 0,
		},
		{
			name: "truncated in the verifier", val: new(rpc.RpcMsg), wire: getattr[:70],
			err: xdr.ErrShortBuffer, offset: 68, // verifier flavor
		},
		{
			name: "truncated in the credential body", val: new(rpc.RpcMsg), wire: getattr[:50],
			err: xdr.ErrShortBuffer, offset: 28, // cred length 36 > 18 bytes left
		},
		{
			name: "truncated in the machine name padding", val: new(rpc.AuthsysParms), wire: hx(sysBodyHost1)[:13],
			err: xdr.ErrShortBuffer, offset: 8, // the 5 name bytes are there, the padding is not
		},
		{
			name: "msg_type 2", val: new(rpc.RpcMsg),
			wire: hx("00000001", "00000002"),
			err:  xdr.ErrBadEnum, offset: 4,
		},
		{
			name: "reply_stat 2", val: new(rpc.RpcMsg),
			wire: hx("00000001", "00000001", "00000002"),
			err:  xdr.ErrBadEnum, offset: 8,
		},
		{
			name: "reject_stat 2", val: new(rpc.RpcMsg),
			wire: hx("00000001", "00000001", "00000001", "00000002"),
			err:  xdr.ErrBadEnum, offset: 12,
		},
		{
			name: "auth_stat 15", val: new(rpc.RpcMsg),
			wire: hx("00000001", "00000001", "00000001", "00000001", "0000000f"),
			err:  xdr.ErrBadEnum, offset: 16,
		},
		{
			name: "rpc_gss_service_t 0 (reserved)", val: new(rpc.RpcGssCredT),
			wire: hx("00000001", "00000000", "00000001", "00000000", "00000000"),
			err:  xdr.ErrBadEnum, offset: 12,
		},
		{
			name: "rpc_gss_cred_t version 2", val: new(rpc.RpcGssCredT),
			wire: hx("00000002", "00000000", "00000001", "00000001", "00000000"),
			err:  xdr.ErrBadUnion, offset: 0,
		},
		{
			name: "credential body of 401 bytes", val: new(rpc.RpcMsg), wire: longCred,
			err: xdr.ErrTooLong, offset: 28,
		},
		{
			name: "machine name of 256 bytes", val: new(rpc.AuthsysParms),
			wire: append(hx("00000000", "00000100"), bytes.Repeat([]byte{'a'}, 256+12)...),
			err:  xdr.ErrTooLong, offset: 4,
		},
		{
			name: "17 gids", val: new(rpc.AuthsysParms),
			wire: append(hx("00000000", "00000000", "00000000", "00000000", "00000011"), make([]byte, 17*4)...),
			err:  xdr.ErrTooLong, offset: 16,
		},
		{
			name: "non-zero machine name padding", val: new(rpc.AuthsysParms),
			wire: hx("0000abcd", "00000005 686f7374 31000001", "000003e8 00000064 00000000"),
			err:  xdr.ErrPadding, offset: 8,
		},
		{
			name: "non-zero verifier padding", val: new(rpc.RpcMsg),
			wire: hx("00000001 00000001 00000000", "00000002 00000003 010203ff", "00000000"),
			err:  xdr.ErrPadding, offset: 20,
		},
		{
			name: "trailing byte", val: new(rpc.RpcMsg),
			wire: hx("00000001 00000001 00000001 00000001 00000001", "00"),
			err:  xdr.ErrTrailingData, offset: 20,
		},
	})
}

func TestGoldenRPCEncodeErrors(t *testing.T) {
	_, err := xdr.Marshal(&rpc.OpaqueAuth{Flavor: rpc.AUTH_SYS, Body: make([]byte, 401)})
	require.ErrorIs(t, err, xdr.ErrTooLong)

	_, err = xdr.Marshal(&rpc.AuthsysParms{Machinename: strings.Repeat("m", 256)})
	require.ErrorIs(t, err, xdr.ErrTooLong)

	_, err = xdr.Marshal(&rpc.AuthsysParms{Gids: make([]uint32, 17)})
	require.ErrorIs(t, err, xdr.ErrTooLong)

	_, err = xdr.Marshal(&rpc.RpcMsg{Body: rpc.RpcMsgBody{Mtype: rpc.REPLY}})
	require.ErrorIs(t, err, xdr.ErrNilArm)

	_, err = xdr.Marshal(&rpc.RpcGssCredT{Vers: 2})
	require.ErrorIs(t, err, xdr.ErrBadUnion)
}
