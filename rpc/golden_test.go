package rpc_test

// Golden byte vectors for the ONC RPC message (RFC 5531) and the RPCSEC_GSS
// credential (RFC 2203). Every expected encoding below was written by hand
// from the protocol definitions, one 4-byte XDR unit per group, not captured
// from the encoder: the tests check the generated codec and rpc.x against
// the RFCs, not against themselves.

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/xdrtest"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

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
		Service: rpc.RpcGssSvcNone,
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
		Service: rpc.RpcGssSvcIntegrity,
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
	xdrtest.CheckGolden(t, []xdrtest.Golden{
		{
			Name:  "call NFSv3 NULL, AUTH_NONE",
			Value: call(0x12345678, 100003, 3, 0, authNone, authNone),
			Wire: xdrtest.Hex(
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
			Name: "call NFSv3 GETATTR, AUTH_SYS, name padded by 3",
			Value: call(0xdeadbeef, 100003, 3, 1,
				rpc.OpaqueAuth{Flavor: rpc.AUTH_SYS, Body: xdrtest.Hex(sysBodyHost1)}, authNone),
			Wire: xdrtest.Hex(
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
			Name: "call MOUNTv3 MNT, AUTH_SYS, name padded by 2, no gids",
			Value: call(2, 100005, 3, 1,
				rpc.OpaqueAuth{Flavor: rpc.AUTH_SYS, Body: xdrtest.Hex(sysBodyNfsc2)}, authNone),
			Wire: xdrtest.Hex(
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
			Name: "call NLMv4 LOCK, AUTH_SYS, name padded by 1, 16 gids",
			Value: call(3, 100021, 4, 2,
				rpc.OpaqueAuth{Flavor: rpc.AUTH_SYS, Body: xdrtest.Hex(sysBodyWorkstation)}, authNone),
			Wire: xdrtest.Hex(
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
			Name: "call AUTH_SHORT",
			Value: call(4, 100003, 3, 4,
				rpc.OpaqueAuth{Flavor: rpc.AUTH_SHORT, Body: []byte{0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f}}, authNone),
			Wire: xdrtest.Hex(
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
			Name: "call RPCSEC_GSS INIT",
			Value: call(5, 100003, 3, 0,
				rpc.OpaqueAuth{Flavor: rpc.RPCSEC_GSS, Body: xdrtest.Hex(gssBodyInit)}, authNone),
			Wire: xdrtest.Hex(
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
			Name: "call RPCSEC_GSS DATA with a GSS verifier",
			Value: call(6, 100003, 3, 1,
				rpc.OpaqueAuth{Flavor: rpc.RPCSEC_GSS, Body: xdrtest.Hex(gssBodyData)},
				rpc.OpaqueAuth{Flavor: rpc.RPCSEC_GSS, Body: []byte{0xff, 0xee, 0xdd}}),
			Wire: xdrtest.Hex(
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
			Name:  "reply SUCCESS",
			Value: acceptedReply(0xdeadbeef, authNone, rpc.AcceptedReplyData{Stat: rpc.SUCCESS}),
			Wire: xdrtest.Hex(
				"deadbeef",          // xid
				"00000001",          // mtype REPLY
				"00000000",          // reply_stat MSG_ACCEPTED
				"00000000 00000000", // verf: AUTH_NONE, body length 0
				"00000000",          // accept_stat SUCCESS (results follow)
			),
		},
		{
			Name: "reply SUCCESS, AUTH_SHORT verifier",
			Value: acceptedReply(0x0badcafe,
				rpc.OpaqueAuth{Flavor: rpc.AUTH_SHORT, Body: []byte{1, 2, 3, 4}},
				rpc.AcceptedReplyData{Stat: rpc.SUCCESS}),
			Wire: xdrtest.Hex(
				"0badcafe",          // xid
				"00000001",          // mtype REPLY
				"00000000",          // reply_stat MSG_ACCEPTED
				"00000002 00000004", // verf: AUTH_SHORT, body length 4
				"01020304",          // shorthand for later calls
				"00000000",          // accept_stat SUCCESS
			),
		},
		{
			Name:  "reply PROG_UNAVAIL",
			Value: acceptedReply(0x10, authNone, rpc.AcceptedReplyData{Stat: rpc.PROG_UNAVAIL}),
			Wire: xdrtest.Hex(
				"00000010",          // xid
				"00000001",          // mtype REPLY
				"00000000",          // reply_stat MSG_ACCEPTED
				"00000000 00000000", // verf: AUTH_NONE
				"00000001",          // accept_stat PROG_UNAVAIL
			),
		},
		{
			Name: "reply PROG_MISMATCH 2-3",
			Value: acceptedReply(0x11, authNone, rpc.AcceptedReplyData{
				Stat:         rpc.PROG_MISMATCH,
				MismatchInfo: &rpc.MismatchInfo{Low: 2, High: 3},
			}),
			Wire: xdrtest.Hex(
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
			Name:  "reply PROC_UNAVAIL",
			Value: acceptedReply(0x12, authNone, rpc.AcceptedReplyData{Stat: rpc.PROC_UNAVAIL}),
			Wire: xdrtest.Hex(
				"00000012",          // xid
				"00000001",          // mtype REPLY
				"00000000",          // reply_stat MSG_ACCEPTED
				"00000000 00000000", // verf: AUTH_NONE
				"00000003",          // accept_stat PROC_UNAVAIL
			),
		},
		{
			Name:  "reply GARBAGE_ARGS",
			Value: acceptedReply(0x13, authNone, rpc.AcceptedReplyData{Stat: rpc.GARBAGE_ARGS}),
			Wire: xdrtest.Hex(
				"00000013",          // xid
				"00000001",          // mtype REPLY
				"00000000",          // reply_stat MSG_ACCEPTED
				"00000000 00000000", // verf: AUTH_NONE
				"00000004",          // accept_stat GARBAGE_ARGS
			),
		},
		{
			Name:  "reply SYSTEM_ERR",
			Value: acceptedReply(0x14, authNone, rpc.AcceptedReplyData{Stat: rpc.SYSTEM_ERR}),
			Wire: xdrtest.Hex(
				"00000014",          // xid
				"00000001",          // mtype REPLY
				"00000000",          // reply_stat MSG_ACCEPTED
				"00000000 00000000", // verf: AUTH_NONE
				"00000005",          // accept_stat SYSTEM_ERR
			),
		},
		{
			Name: "reply denied RPC_MISMATCH 2-2",
			Value: deniedReply(0x20, rpc.RejectedReply{
				Stat:         rpc.RPC_MISMATCH,
				MismatchInfo: &rpc.MismatchInfo{Low: 2, High: 2},
			}),
			Wire: xdrtest.Hex(
				"00000020", // xid
				"00000001", // mtype REPLY
				"00000001", // reply_stat MSG_DENIED
				"00000000", // reject_stat RPC_MISMATCH
				"00000002", // low 2
				"00000002", // high 2
			),
		},
		{
			Name:  "reply denied AUTH_ERROR AUTH_BADCRED",
			Value: deniedReply(0x21, rpc.RejectedReply{Stat: rpc.AUTH_ERROR, Astat: rpc.AUTH_BADCRED}),
			Wire: xdrtest.Hex(
				"00000021", // xid
				"00000001", // mtype REPLY
				"00000001", // reply_stat MSG_DENIED
				"00000001", // reject_stat AUTH_ERROR
				"00000001", // auth_stat AUTH_BADCRED
			),
		},
		{
			Name:  "reply denied AUTH_ERROR AUTH_TOOWEAK",
			Value: deniedReply(0x22, rpc.RejectedReply{Stat: rpc.AUTH_ERROR, Astat: rpc.AUTH_TOOWEAK}),
			Wire: xdrtest.Hex(
				"00000022", // xid
				"00000001", // mtype REPLY
				"00000001", // reply_stat MSG_DENIED
				"00000001", // reject_stat AUTH_ERROR
				"00000005", // auth_stat AUTH_TOOWEAK
			),
		},
		{
			Name:  "reply denied AUTH_ERROR RPCSEC_GSS_CTXPROBLEM",
			Value: deniedReply(0x23, rpc.RejectedReply{Stat: rpc.AUTH_ERROR, Astat: rpc.RPCSEC_GSS_CTXPROBLEM}),
			Wire: xdrtest.Hex(
				"00000023", // xid
				"00000001", // mtype REPLY
				"00000001", // reply_stat MSG_DENIED
				"00000001", // reject_stat AUTH_ERROR
				"0000000e", // auth_stat RPCSEC_GSS_CTXPROBLEM (14)
			),
		},
		{
			Name: "authsys_parms, name without padding",
			Value: &rpc.AuthsysParms{
				Stamp:       0x7fffffff,
				Machinename: "clnt",
				Uid:         65534,
				Gid:         65534,
				Gids:        []uint32{1, 2, 3},
			},
			Wire: xdrtest.Hex(
				"7fffffff",                            // stamp
				"00000004 636c6e74",                   // machinename: length 4, "clnt", no padding
				"0000fffe",                            // uid 65534
				"0000fffe",                            // gid 65534
				"00000003 00000001 00000002 00000003", // gids: count 3, 1, 2, 3
			),
		},
		{Name: "authsys_parms host1", Value: &sysParmsHost1, Wire: xdrtest.Hex(sysBodyHost1)},
		{Name: "authsys_parms nfs-c2", Value: &sysParmsNfsc2, Wire: xdrtest.Hex(sysBodyNfsc2)},
		{Name: "authsys_parms workstation", Value: &sysParmsWorkstation, Wire: xdrtest.Hex(sysBodyWorkstation)},
		{Name: "rpc_gss_cred_t INIT", Value: &gssCredInit, Wire: xdrtest.Hex(gssBodyInit)},
		{Name: "rpc_gss_cred_t DATA", Value: &gssCredData, Wire: xdrtest.Hex(gssBodyData)},
		{
			Name: "rpc_gss_cred_t DESTROY, privacy",
			Value: &rpc.RpcGssCredT{
				Vers: rpc.RPCSEC_GSS_VERS_1,
				CredVers1: &rpc.RpcGssCredVers1T{
					GssProc: rpc.RPCSEC_GSS_DESTROY,
					SeqNum:  rpc.MAXSEQ,
					Service: rpc.RpcGssSvcPrivacy,
					Handle:  []byte{1, 2, 3, 4, 5, 6, 7, 8},
				},
			},
			Wire: xdrtest.Hex(
				"00000001",                   // version RPCSEC_GSS_VERS_1
				"00000003",                   // gss_proc RPCSEC_GSS_DESTROY
				"80000000",                   // seq_num MAXSEQ
				"00000003",                   // service rpc_gss_svc_privacy
				"00000008 01020304 05060708", // handle: length 8, no padding
			),
		},
		{
			Name: "rpc_gss_init_res",
			Value: &rpc.RpcGssInitRes{
				Handle:    []byte{0x0a, 0x0b, 0x0c, 0x0d},
				GssMajor:  0,
				GssMinor:  0,
				SeqWindow: 128,
				GssToken:  []byte("`ab"),
			},
			Wire: xdrtest.Hex(
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
	getattr := xdrtest.Hex(
		"deadbeef 00000000 00000002 000186a3 00000003 00000001",
		"00000001 00000024", sysBodyHost1,
		"00000000 00000000",
	)
	require.Len(t, getattr, 76)

	// A call whose credential body is 401 bytes: one over MAX_AUTH_BYTES.
	longCred := append(xdrtest.Hex(
		"00000007 00000000 00000002 000186a3 00000003 00000000",
		"00000001 00000191", // cred: AUTH_SYS, body length 401
	), bytes.Repeat([]byte{0}, 404)...) // 401 bytes and 3 of padding
	longCred = append(longCred, xdrtest.Hex("00000000 00000000")...)

	// The same with 400 bytes is within the bound.
	maxCred := append(xdrtest.Hex(
		"00000007 00000000 00000002 000186a3 00000003 00000000",
		"00000001 00000190", // cred: AUTH_SYS, body length 400
	), bytes.Repeat([]byte{0}, 400)...)
	maxCred = append(maxCred, xdrtest.Hex("00000000 00000000")...)
	var m rpc.RpcMsg
	require.NoError(t, xdr.Unmarshal(maxCred, &m))
	require.Len(t, m.Body.Cbody.Cred.Body, 400)

	xdrtest.CheckDecodeErrors(t, []xdrtest.DecodeError{
		{
			Name: "empty input", Value: new(rpc.RpcMsg), Wire: nil,
			Err: xdr.ErrShortBuffer, Offset: 0,
		},
		{
			Name: "truncated in the verifier", Value: new(rpc.RpcMsg), Wire: getattr[:70],
			Err: xdr.ErrShortBuffer, Offset: 68, // verifier flavor
		},
		{
			Name: "truncated in the credential body", Value: new(rpc.RpcMsg), Wire: getattr[:50],
			Err: xdr.ErrShortBuffer, Offset: 28, // cred length 36 > 18 bytes left
		},
		{
			Name: "truncated in the machine name padding", Value: new(rpc.AuthsysParms), Wire: xdrtest.Hex(sysBodyHost1)[:13],
			Err: xdr.ErrShortBuffer, Offset: 8, // the 5 name bytes are there, the padding is not
		},
		{
			Name: "msg_type 2", Value: new(rpc.RpcMsg),
			Wire: xdrtest.Hex("00000001", "00000002"),
			Err:  xdr.ErrBadEnum, Offset: 4,
		},
		{
			Name: "reply_stat 2", Value: new(rpc.RpcMsg),
			Wire: xdrtest.Hex("00000001", "00000001", "00000002"),
			Err:  xdr.ErrBadEnum, Offset: 8,
		},
		{
			Name: "reject_stat 2", Value: new(rpc.RpcMsg),
			Wire: xdrtest.Hex("00000001", "00000001", "00000001", "00000002"),
			Err:  xdr.ErrBadEnum, Offset: 12,
		},
		{
			Name: "auth_stat 15", Value: new(rpc.RpcMsg),
			Wire: xdrtest.Hex("00000001", "00000001", "00000001", "00000001", "0000000f"),
			Err:  xdr.ErrBadEnum, Offset: 16,
		},
		{
			Name: "rpc_gss_service_t 0 (reserved)", Value: new(rpc.RpcGssCredT),
			Wire: xdrtest.Hex("00000001", "00000000", "00000001", "00000000", "00000000"),
			Err:  xdr.ErrBadEnum, Offset: 12,
		},
		{
			Name: "rpc_gss_cred_t version 2", Value: new(rpc.RpcGssCredT),
			Wire: xdrtest.Hex("00000002", "00000000", "00000001", "00000001", "00000000"),
			Err:  xdr.ErrBadUnion, Offset: 0,
		},
		{
			Name: "credential body of 401 bytes", Value: new(rpc.RpcMsg), Wire: longCred,
			Err: xdr.ErrTooLong, Offset: 28,
		},
		{
			Name: "machine name of 256 bytes", Value: new(rpc.AuthsysParms),
			Wire: append(xdrtest.Hex("00000000", "00000100"), bytes.Repeat([]byte{'a'}, 256+12)...),
			Err:  xdr.ErrTooLong, Offset: 4,
		},
		{
			Name: "17 gids", Value: new(rpc.AuthsysParms),
			Wire: append(xdrtest.Hex("00000000", "00000000", "00000000", "00000000", "00000011"), make([]byte, 17*4)...),
			Err:  xdr.ErrTooLong, Offset: 16,
		},
		{
			Name: "non-zero machine name padding", Value: new(rpc.AuthsysParms),
			Wire: xdrtest.Hex("0000abcd", "00000005 686f7374 31000001", "000003e8 00000064 00000000"),
			Err:  xdr.ErrPadding, Offset: 8,
		},
		{
			Name: "non-zero verifier padding", Value: new(rpc.RpcMsg),
			Wire: xdrtest.Hex("00000001 00000001 00000000", "00000002 00000003 010203ff", "00000000"),
			Err:  xdr.ErrPadding, Offset: 20,
		},
		{
			Name: "trailing byte", Value: new(rpc.RpcMsg),
			Wire: xdrtest.Hex("00000001 00000001 00000001 00000001 00000001", "00"),
			Err:  xdr.ErrTrailingData, Offset: 20,
		},
	})
}

func TestGoldenRPCEncodeErrors(t *testing.T) {
	xdrtest.CheckEncodeErrors(t, []xdrtest.EncodeError{
		{
			Name:  "credential body of 401 bytes",
			Value: &rpc.OpaqueAuth{Flavor: rpc.AUTH_SYS, Body: make([]byte, 401)},
			Err:   xdr.ErrTooLong,
		},
		{
			Name:  "machine name of 256 bytes",
			Value: &rpc.AuthsysParms{Machinename: strings.Repeat("m", 256)},
			Err:   xdr.ErrTooLong,
		},
		{
			Name:  "17 gids",
			Value: &rpc.AuthsysParms{Gids: make([]uint32, 17)},
			Err:   xdr.ErrTooLong,
		},
		{
			Name:  "REPLY without a reply_body",
			Value: &rpc.RpcMsg{Body: rpc.RpcMsgBody{Mtype: rpc.REPLY}},
			Err:   xdr.ErrNilArm,
		},
		{
			Name:  "rpc_gss_cred_t version 2",
			Value: &rpc.RpcGssCredT{Vers: 2},
			Err:   xdr.ErrBadUnion,
		},
	})
}
