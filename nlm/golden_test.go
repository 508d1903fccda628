package nlm_test

// Golden byte vectors for the Network Lock Manager: version 4 from RFC 1813
// appendix II (64-bit offsets and lengths), versions 1 and 3 from Open Group
// XNFS chapter 10 (32-bit offsets and lengths). Every expected encoding was
// written by hand from those definitions, one 4-byte XDR unit per group,
// not captured from the encoder.

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/xdrtest"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/xdr"
)

// Pieces shared by several vectors.
var (
	cookie4  = nlm.Netobj{0x7a, 0x3e, 0x11, 0x02}
	fh12     = nlm.Netobj{0x01, 0x00, 0x06, 0x01, 0xab, 0xcd, 0xef, 0x01, 0x00, 0x00, 0x00, 0x02}
	owner    = nlm.Netobj("4242@cl")
	nfsCl    = "nfsclient"
	oldOwner = nlm.Netobj("99@o")
)

const (
	hexCookie4 = "00000004 7a3e1102"                   // cookie: length 4
	hexNfsCl   = "00000009 6e667363 6c69656e 74000000" // caller_name: length 9, "nfsclient", 3 bytes of padding
	hexFh12    = "0000000c 01000601 abcdef01 00000002" // fh: length 12
	hexOwner   = "00000007 34323432 40636c00"          // oh: length 7, "4242@cl", 1 byte of padding
	hexOld     = "00000004 3939406f"                   // oh: length 4, "99@o"
)

func TestGoldenNLM4(t *testing.T) {
	xdrtest.CheckGolden(t, []xdrtest.Golden{
		{
			Name: "NLMPROC4_TEST args",
			Value: &nlm.Nlm4Testargs{
				Cookie:    cookie4,
				Exclusive: true,
				Alock: nlm.Nlm4Lock{
					CallerName: nfsCl, Fh: fh12, Oh: owner, Svid: 4242,
					LOffset: 0x100000000, LLen: 4096,
				},
			},
			Wire: xdrtest.Hex(
				hexCookie4,          // cookie
				"00000001",          // exclusive TRUE
				hexNfsCl,            // alock.caller_name
				hexFh12,             // alock.fh
				hexOwner,            // alock.oh
				"00001092",          // alock.svid 4242
				"00000001 00000000", // alock.l_offset 4 GiB (uint64)
				"00000000 00001000", // alock.l_len 4096 (uint64)
			),
		},
		{
			Name: "NLMPROC4_TEST res DENIED with holder",
			Value: &nlm.Nlm4Testres{
				Cookie: cookie4,
				Stat: nlm.Nlm4Testrply{
					Stat: nlm.NLM4_DENIED,
					Holder: &nlm.Nlm4Holder{
						Exclusive: true, Svid: 1111, Oh: nlm.Netobj("1111@sv"),
						LOffset: 512, LLen: 0x7fffffffffffffff,
					},
				},
			},
			Wire: xdrtest.Hex(
				hexCookie4,                   // cookie
				"00000001",                   // stat NLM4_DENIED
				"00000001",                   // holder.exclusive TRUE
				"00000457",                   // holder.svid 1111
				"00000007 31313131 40737600", // holder.oh: length 7, "1111@sv", 1 byte of padding
				"00000000 00000200",          // holder.l_offset 512
				"7fffffff ffffffff",          // holder.l_len
			),
		},
		{
			Name:  "NLMPROC4_TEST res GRANTED",
			Value: &nlm.Nlm4Testres{Cookie: cookie4, Stat: nlm.Nlm4Testrply{Stat: nlm.NLM4_GRANTED}},
			Wire: xdrtest.Hex(
				hexCookie4, // cookie
				"00000000", // stat NLM4_GRANTED, no holder
			),
		},
		{
			Name: "NLMPROC4_LOCK args",
			Value: &nlm.Nlm4Lockargs{
				Cookie:    nlm.Netobj{0, 0, 0, 0, 0, 0, 0, 0x2a},
				Block:     true,
				Exclusive: false,
				Alock: nlm.Nlm4Lock{
					CallerName: nfsCl,
					Fh:         nlm.Netobj{0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13},
					Oh:         owner, Svid: 4242, LOffset: 100, LLen: 200,
				},
				Reclaim: false,
				State:   3,
			},
			Wire: xdrtest.Hex(
				"00000008 00000000 0000002a",          // cookie: length 8
				"00000001",                            // block TRUE
				"00000000",                            // exclusive FALSE
				hexNfsCl,                              // alock.caller_name
				"0000000a 0a0b0c0d 0e0f1011 12130000", // alock.fh: length 10, 2 bytes of padding
				hexOwner,                              // alock.oh
				"00001092",                            // alock.svid 4242
				"00000000 00000064",                   // alock.l_offset 100
				"00000000 000000c8",                   // alock.l_len 200
				"00000000",                            // reclaim FALSE
				"00000003",                            // state 3
			),
		},
		{
			Name:  "NLMPROC4_LOCK res BLOCKED",
			Value: &nlm.Nlm4Res{Cookie: nlm.Netobj{0, 0, 0, 0, 0, 0, 0, 0x2a}, Stat: nlm.Nlm4Stat{Stat: nlm.NLM4_BLOCKED}},
			Wire: xdrtest.Hex(
				"00000008 00000000 0000002a", // cookie: length 8
				"00000003",                   // stat NLM4_BLOCKED
			),
		},
		{
			Name: "NLMPROC4_CANCEL args",
			Value: &nlm.Nlm4Cancargs{
				Cookie:    nlm.Netobj{0, 0, 0, 0x2b},
				Block:     true,
				Exclusive: true,
				Alock: nlm.Nlm4Lock{
					CallerName: "h",
					Fh:         nlm.Netobj{0xde, 0xad, 0xbe, 0xef},
					Svid:       -1,
					LOffset:    0x0123456789abcdef,
					LLen:       0xfedcba9876543210,
				},
			},
			Wire: xdrtest.Hex(
				"00000004 0000002b", // cookie: length 4
				"00000001",          // block TRUE
				"00000001",          // exclusive TRUE
				"00000001 68000000", // alock.caller_name: length 1, "h", 3 bytes of padding
				"00000004 deadbeef", // alock.fh: length 4
				"00000000",          // alock.oh: length 0
				"ffffffff",          // alock.svid -1 (int32)
				"01234567 89abcdef", // alock.l_offset
				"fedcba98 76543210", // alock.l_len
			),
		},
		{
			Name:  "NLMPROC4_CANCEL res FAILED",
			Value: &nlm.Nlm4Res{Cookie: nlm.Netobj{0, 0, 0, 0x2b}, Stat: nlm.Nlm4Stat{Stat: nlm.NLM4_FAILED}},
			Wire: xdrtest.Hex(
				"00000004 0000002b", // cookie: length 4
				"00000009",          // stat NLM4_FAILED
			),
		},
		{
			Name: "NLMPROC4_UNLOCK args",
			Value: &nlm.Nlm4Unlockargs{
				Alock: nlm.Nlm4Lock{CallerName: nfsCl, Fh: fh12, Oh: owner, Svid: 4242},
			},
			Wire: xdrtest.Hex(
				"00000000",          // cookie: length 0
				hexNfsCl,            // alock.caller_name
				hexFh12,             // alock.fh
				hexOwner,            // alock.oh
				"00001092",          // alock.svid 4242
				"00000000 00000000", // alock.l_offset 0
				"00000000 00000000", // alock.l_len 0: to the end of the file
			),
		},
		{
			Name:  "NLMPROC4_UNLOCK res GRANTED",
			Value: &nlm.Nlm4Res{Stat: nlm.Nlm4Stat{Stat: nlm.NLM4_GRANTED}},
			Wire: xdrtest.Hex(
				"00000000", // cookie: length 0
				"00000000", // stat NLM4_GRANTED
			),
		},
		{
			Name: "NLMPROC4_GRANTED args",
			Value: &nlm.Nlm4Testargs{
				Cookie:    nlm.Netobj("123456"),
				Exclusive: false,
				Alock: nlm.Nlm4Lock{
					CallerName: "server", Fh: fh12, Oh: owner, Svid: 4242,
					LOffset: 0x100000000, LLen: 4096,
				},
			},
			Wire: xdrtest.Hex(
				"00000006 31323334 35360000", // cookie: length 6, 2 bytes of padding
				"00000000",                   // exclusive FALSE
				"00000006 73657276 65720000", // alock.caller_name: length 6, "server", 2 bytes of padding
				hexFh12,                      // alock.fh
				hexOwner,                     // alock.oh
				"00001092",                   // alock.svid 4242
				"00000001 00000000",          // alock.l_offset 4 GiB
				"00000000 00001000",          // alock.l_len 4096
			),
		},
		{
			Name:  "NLMPROC4_GRANTED res DENIED_GRACE_PERIOD",
			Value: &nlm.Nlm4Res{Cookie: nlm.Netobj("123456"), Stat: nlm.Nlm4Stat{Stat: nlm.NLM4_DENIED_GRACE_PERIOD}},
			Wire: xdrtest.Hex(
				"00000006 31323334 35360000", // cookie: length 6, 2 bytes of padding
				"00000004",                   // stat NLM4_DENIED_GRACE_PERIOD
			),
		},
		{
			Name: "NLMPROC4_SHARE args",
			Value: &nlm.Nlm4Shareargs{
				Cookie: nlm.Netobj{0, 0, 0, 0x2c},
				Share: nlm.Nlm4Share{
					CallerName: nfsCl, Fh: fh12, Oh: owner,
					Mode: nlm.FsmDW, Access: nlm.FsaRW,
				},
				Reclaim: true,
			},
			Wire: xdrtest.Hex(
				"00000004 0000002c", // cookie: length 4
				hexNfsCl,            // share.caller_name
				hexFh12,             // share.fh
				hexOwner,            // share.oh
				"00000002",          // share.mode fsm_DW
				"00000003",          // share.access fsa_RW
				"00000001",          // reclaim TRUE
			),
		},
		{
			Name:  "NLMPROC4_SHARE res GRANTED",
			Value: &nlm.Nlm4Shareres{Cookie: nlm.Netobj{0, 0, 0, 0x2c}, Stat: nlm.NLM4_GRANTED, Sequence: 17},
			Wire: xdrtest.Hex(
				"00000004 0000002c", // cookie: length 4
				"00000000",          // stat NLM4_GRANTED
				"00000011",          // sequence 17
			),
		},
		{
			Name:  "NLMPROC4_UNSHARE res DENIED_GRACE_PERIOD",
			Value: &nlm.Nlm4Shareres{Stat: nlm.NLM4_DENIED_GRACE_PERIOD, Sequence: -2},
			Wire: xdrtest.Hex(
				"00000000", // cookie: length 0
				"00000004", // stat NLM4_DENIED_GRACE_PERIOD
				"fffffffe", // sequence -2 (int32)
			),
		},
		{
			Name: "NLMPROC4_NM_LOCK args",
			Value: &nlm.Nlm4Lockargs{
				Cookie:    nlm.Netobj{0, 0, 0, 0x2d},
				Block:     false,
				Exclusive: true,
				Alock: nlm.Nlm4Lock{
					CallerName: "pc",
					Fh:         nlm.Netobj{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88},
					Oh:         nlm.Netobj("1@pc"),
					Svid:       1,
					LOffset:    0,
					LLen:       1,
				},
				Reclaim: true,
				State:   5,
			},
			Wire: xdrtest.Hex(
				"00000004 0000002d",          // cookie: length 4
				"00000000",                   // block FALSE
				"00000001",                   // exclusive TRUE
				"00000002 70630000",          // alock.caller_name: length 2, "pc", 2 bytes of padding
				"00000008 11223344 55667788", // alock.fh: length 8
				"00000004 31407063",          // alock.oh: length 4, "1@pc"
				"00000001",                   // alock.svid 1
				"00000000 00000000",          // alock.l_offset 0
				"00000000 00000001",          // alock.l_len 1
				"00000001",                   // reclaim TRUE
				"00000005",                   // state 5
			),
		},
		{
			Name:  "NLMPROC4_FREE_ALL args",
			Value: &nlm.Nlm4Notify{Name: nfsCl, State: 7},
			Wire: xdrtest.Hex(
				hexNfsCl,   // name: length 9, "nfsclient", 3 bytes of padding
				"00000007", // state 7
			),
		},
	})
}

func TestGoldenNLM1And3(t *testing.T) {
	xdrtest.CheckGolden(t, []xdrtest.Golden{
		{
			Name: "NLM_LOCK args",
			Value: &nlm.NlmLockargs{
				Cookie:    nlm.Netobj{0, 0, 0, 1},
				Block:     true,
				Exclusive: true,
				Alock: nlm.NlmLock{
					CallerName: "oldhost",
					Fh: nlm.Netobj{
						0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
						0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
					},
					Oh:      oldOwner,
					Svid:    99,
					LOffset: 0x80000000,
					LLen:    0xffffffff,
				},
				Reclaim: false,
				State:   13,
			},
			Wire: xdrtest.Hex(
				"00000004 00000001",          // cookie: length 4
				"00000001",                   // block TRUE
				"00000001",                   // exclusive TRUE
				"00000007 6f6c6468 6f737400", // alock.caller_name: length 7, "oldhost", 1 byte of padding
				"00000020",                   // alock.fh: length 32 (an NFSv2 handle)
				"00010203 04050607 08090a0b 0c0d0e0f",
				"10111213 14151617 18191a1b 1c1d1e1f",
				hexOld,     // alock.oh
				"00000063", // alock.svid 99
				"80000000", // alock.l_offset (unsigned 32 bits)
				"ffffffff", // alock.l_len (unsigned 32 bits)
				"00000000", // reclaim FALSE
				"0000000d", // state 13
			),
		},
		{
			Name:  "NLM_LOCK res blocked",
			Value: &nlm.NlmRes{Cookie: nlm.Netobj{0, 0, 0, 1}, Stat: nlm.NlmStat{Stat: nlm.NlmBlocked}},
			Wire: xdrtest.Hex(
				"00000004 00000001", // cookie: length 4
				"00000003",          // stat nlm_blocked
			),
		},
		{
			Name: "NLM_TEST args",
			Value: &nlm.NlmTestargs{
				Cookie:    nlm.Netobj{0, 0, 0, 1},
				Exclusive: false,
				Alock: nlm.NlmLock{
					CallerName: "oldhost", Fh: nlm.Netobj{1, 2, 3, 4}, Oh: oldOwner,
					Svid: 99, LOffset: 4096, LLen: 16,
				},
			},
			Wire: xdrtest.Hex(
				"00000004 00000001",          // cookie: length 4
				"00000000",                   // exclusive FALSE
				"00000007 6f6c6468 6f737400", // alock.caller_name
				"00000004 01020304",          // alock.fh: length 4
				hexOld,                       // alock.oh
				"00000063",                   // alock.svid 99
				"00001000",                   // alock.l_offset 4096
				"00000010",                   // alock.l_len 16
			),
		},
		{
			Name: "NLM_TEST res denied with holder",
			Value: &nlm.NlmTestres{
				Cookie: nlm.Netobj{0, 0, 0, 1},
				Stat: nlm.NlmTestrply{
					Stat: nlm.NlmDenied,
					Holder: &nlm.NlmHolder{
						Exclusive: false, Svid: 100, Oh: oldOwner, LOffset: 0x1000, LLen: 0x10,
					},
				},
			},
			Wire: xdrtest.Hex(
				"00000004 00000001", // cookie: length 4
				"00000001",          // stat nlm_denied
				"00000000",          // holder.exclusive FALSE
				"00000064",          // holder.svid 100
				hexOld,              // holder.oh
				"00001000",          // holder.l_offset 4096 (32 bits)
				"00000010",          // holder.l_len 16 (32 bits)
			),
		},
		{
			Name: "NLM_TEST res denied_grace_period",
			Value: &nlm.NlmTestres{
				Cookie: nlm.Netobj{0, 0, 0, 1},
				Stat:   nlm.NlmTestrply{Stat: nlm.NlmDeniedGracePeriod},
			},
			Wire: xdrtest.Hex(
				"00000004 00000001", // cookie: length 4
				"00000004",          // stat nlm_denied_grace_period, no holder
			),
		},
		{
			Name: "NLM_UNLOCK args",
			Value: &nlm.NlmUnlockargs{
				Cookie: nlm.Netobj{0, 0, 0, 2},
				Alock:  nlm.NlmLock{CallerName: "oldhost", Fh: nlm.Netobj{1, 2, 3, 4}, Oh: oldOwner, Svid: 99},
			},
			Wire: xdrtest.Hex(
				"00000004 00000002",          // cookie: length 4
				"00000007 6f6c6468 6f737400", // alock.caller_name
				"00000004 01020304",          // alock.fh
				hexOld,                       // alock.oh
				"00000063",                   // alock.svid 99
				"00000000",                   // alock.l_offset 0
				"00000000",                   // alock.l_len 0: to the end of the file
			),
		},
		{
			Name: "NLM_SHARE args",
			Value: &nlm.NlmShareargs{
				Cookie: nlm.Netobj{0, 0, 0, 3},
				Share: nlm.NlmShare{
					CallerName: "oldhost", Fh: nlm.Netobj{1, 2, 3, 4}, Oh: oldOwner,
					Mode: nlm.FsmDRW, Access: nlm.FsaR,
				},
			},
			Wire: xdrtest.Hex(
				"00000004 00000003",          // cookie: length 4
				"00000007 6f6c6468 6f737400", // share.caller_name
				"00000004 01020304",          // share.fh
				hexOld,                       // share.oh
				"00000003",                   // share.mode fsm_DRW
				"00000001",                   // share.access fsa_R
				"00000000",                   // reclaim FALSE
			),
		},
		{
			Name:  "NLM_SHARE res",
			Value: &nlm.NlmShareres{Cookie: nlm.Netobj{0, 0, 0, 3}, Stat: nlm.NlmDenied, Sequence: 1},
			Wire: xdrtest.Hex(
				"00000004 00000003", // cookie: length 4
				"00000001",          // stat nlm_denied
				"00000001",          // sequence 1
			),
		},
		{
			Name:  "NLM_FREE_ALL args",
			Value: &nlm.NlmNotify{Name: "oldhost"},
			Wire: xdrtest.Hex(
				"00000007 6f6c6468 6f737400", // name: length 7, "oldhost", 1 byte of padding
				"00000000",                   // state: unused, 0
			),
		},
	})
}

func TestGoldenNLMDecodeErrors(t *testing.T) {
	// The NLMPROC4_TEST args above: caller_name length at 12, its bytes at
	// 16-27, fh at 28, oh at 44, svid at 56, l_offset at 60, l_len at
	// 68-75.
	testArgs := xdrtest.Hex(
		hexCookie4, "00000001", hexNfsCl, hexFh12, hexOwner,
		"00001092", "00000001 00000000", "00000000 00001000",
	)
	require.Len(t, testArgs, 76)

	long := func(n int) []byte { return bytes.Repeat([]byte{'x'}, n) }
	lenHex := func(n int) []byte { return []byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)} }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

	// MAXNAMELEN is LM_MAXSTRLEN + 1: a 1025-byte nlm4_notify name is
	// valid, a 1025-byte caller_name is not.
	var notify nlm.Nlm4Notify
	require.NoError(t, xdr.Unmarshal(cat(lenHex(1025), long(1025), make([]byte, 3), xdrtest.Hex("00000000")), &notify))
	require.Len(t, notify.Name, 1025)

	xdrtest.CheckDecodeErrors(t, []xdrtest.DecodeError{
		{
			Name: "truncated in l_len", Value: new(nlm.Nlm4Testargs), Wire: testArgs[:72],
			Err: xdr.ErrShortBuffer, Offset: 68,
		},
		{
			Name: "truncated in caller_name padding", Value: new(nlm.Nlm4Testargs), Wire: testArgs[:26],
			Err: xdr.ErrShortBuffer, Offset: 16, // the 9 name bytes are there, the padding is not
		},
		{
			Name: "truncated in fh", Value: new(nlm.Nlm4Testargs), Wire: testArgs[:40],
			Err: xdr.ErrShortBuffer, Offset: 28, // fh length 12 > 8 bytes left
		},
		{
			Name: "nlm4_stats 10", Value: new(nlm.Nlm4Res),
			Wire: xdrtest.Hex(hexCookie4, "0000000a"),
			Err:  xdr.ErrBadEnum, Offset: 8,
		},
		{
			Name: "nlm_stats 5 (v4 only)", Value: new(nlm.NlmRes),
			Wire: xdrtest.Hex(hexCookie4, "00000005"),
			Err:  xdr.ErrBadEnum, Offset: 8,
		},
		{
			Name: "fsh_mode 4", Value: new(nlm.Nlm4Shareargs),
			Wire: xdrtest.Hex("00000000", "00000001 61000000", "00000000", "00000000", "00000004", "00000000", "00000000"),
			Err:  xdr.ErrBadEnum, Offset: 20,
		},
		{
			Name: "exclusive 2", Value: new(nlm.Nlm4Testargs),
			Wire: xdrtest.Hex(hexCookie4, "00000002"),
			Err:  xdr.ErrBadBool, Offset: 8,
		},
		{
			Name: "caller_name of 1025 bytes", Value: new(nlm.Nlm4Testargs),
			Wire: cat(xdrtest.Hex(hexCookie4, "00000001"), lenHex(1025), long(1028)),
			Err:  xdr.ErrTooLong, Offset: 12,
		},
		{
			Name: "netobj of 1025 bytes", Value: new(nlm.Nlm4Res),
			Wire: cat(lenHex(1025), long(1028), xdrtest.Hex("00000000")),
			Err:  xdr.ErrTooLong, Offset: 0,
		},
		{
			Name: "nlm4_notify name of 1026 bytes", Value: new(nlm.Nlm4Notify),
			Wire: cat(lenHex(1026), long(1026), make([]byte, 2), xdrtest.Hex("00000000")),
			Err:  xdr.ErrTooLong, Offset: 0,
		},
		{
			Name: "non-zero caller_name padding", Value: new(nlm.Nlm4Notify),
			Wire: xdrtest.Hex("00000009 6e667363 6c69656e 74000100", "00000000"),
			Err:  xdr.ErrPadding, Offset: 4,
		},
		{
			Name: "non-zero cookie padding", Value: new(nlm.NlmTestres),
			Wire: xdrtest.Hex("00000006 31323334 3536ff00", "00000000"),
			Err:  xdr.ErrPadding, Offset: 4,
		},
	})
}

func TestGoldenNLMEncodeErrors(t *testing.T) {
	xdrtest.CheckEncodeErrors(t, []xdrtest.EncodeError{
		{
			Name:  "caller_name of 1025 bytes",
			Value: &nlm.Nlm4Lock{CallerName: strings.Repeat("c", 1025)},
			Err:   xdr.ErrTooLong,
		},
		{
			Name:  "netobj of 1025 bytes",
			Value: &nlm.Nlm4Res{Cookie: make(nlm.Netobj, 1025)},
			Err:   xdr.ErrTooLong,
		},
		{
			Name:  "nlm4_notify name of 1026 bytes",
			Value: &nlm.Nlm4Notify{Name: strings.Repeat("n", 1026)},
			Err:   xdr.ErrTooLong,
		},
		{
			Name:  "NLM4_DENIED without a holder",
			Value: &nlm.Nlm4Testres{Stat: nlm.Nlm4Testrply{Stat: nlm.NLM4_DENIED}},
			Err:   xdr.ErrNilArm,
		},
	})
}
