package nsm_test

// Golden byte vectors for the Network Status Monitor, version 1 (Open Group
// XNFS chapter 11), and the status callback body. Every expected encoding
// was written by hand from the definitions, one 4-byte XDR unit per group,
// not captured from the encoder.

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/xdrtest"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/xdr"
)

// Linux lockd's callback: NLM (100021) version 3, procedure 16.
var lockdID = nsm.MyId{MyName: "localhost", MyProg: 100021, MyVers: 3, MyProc: 16}

var priv = [16]byte{
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
}

const (
	hexFileserver = "0000000a 66696c65 73657276 65720000"    // length 10, "fileserver", 2 bytes of padding
	hexLockdID    = "00000009 6c6f6361 6c686f73 74000000 " + // my_name: length 9, "localhost", 3 bytes of padding
		"000186b5 " + // my_prog 100021 (NLM)
		"00000003 " + // my_vers 3
		"00000010" // my_proc 16
	hexPriv = "00112233 44556677 8899aabb ccddeeff" // priv: 16 bytes, no length
)

func TestGoldenNSM(t *testing.T) {
	xdrtest.CheckGolden(t, []xdrtest.Golden{
		{
			Name:  "SM_STAT args",
			Value: &nsm.SmName{MonName: "fileserver"},
			Wire:  xdrtest.Hex(hexFileserver), // mon_name
		},
		{
			Name:  "SM_STAT args, 1-byte name",
			Value: &nsm.SmName{MonName: "a"},
			Wire:  xdrtest.Hex("00000001 61000000"), // mon_name: length 1, "a", 3 bytes of padding
		},
		{
			Name:  "SM_STAT args, empty name",
			Value: &nsm.SmName{},
			Wire:  xdrtest.Hex("00000000"), // mon_name: length 0
		},
		{
			Name:  "SM_STAT res stat_succ",
			Value: &nsm.SmStatRes{ResStat: nsm.StatSucc, State: 3},
			Wire: xdrtest.Hex(
				"00000000", // res_stat stat_succ
				"00000003", // state 3
			),
		},
		{
			Name:  "SM_MON res stat_fail",
			Value: &nsm.SmStatRes{ResStat: nsm.StatFail, State: 5},
			Wire: xdrtest.Hex(
				"00000001", // res_stat stat_fail
				"00000005", // state 5
			),
		},
		{
			Name: "SM_MON args",
			Value: &nsm.Mon{
				MonId: nsm.MonId{MonName: "fileserver", MyId: lockdID},
				Priv:  priv,
			},
			Wire: xdrtest.Hex(
				hexFileserver, // mon_id.mon_name
				hexLockdID,    // mon_id.my_id
				hexPriv,       // priv
			),
		},
		{
			Name: "SM_MON args, empty my_name, zero priv",
			Value: &nsm.Mon{
				MonId: nsm.MonId{
					MonName: "db1",
					MyId:    nsm.MyId{MyProg: 0x40000000, MyVers: 1, MyProc: 1},
				},
			},
			Wire: xdrtest.Hex(
				"00000003 64623100",                   // mon_id.mon_name: length 3, "db1", 1 byte of padding
				"00000000",                            // mon_id.my_id.my_name: length 0
				"40000000",                            // mon_id.my_id.my_prog
				"00000001",                            // mon_id.my_id.my_vers
				"00000001",                            // mon_id.my_id.my_proc
				"00000000 00000000 00000000 00000000", // priv
			),
		},
		{
			Name:  "SM_UNMON args",
			Value: &nsm.MonId{MonName: "fileserver", MyId: lockdID},
			Wire: xdrtest.Hex(
				hexFileserver, // mon_name
				hexLockdID,    // my_id
			),
		},
		{
			Name:  "SM_UNMON_ALL args",
			Value: &lockdID,
			Wire:  xdrtest.Hex(hexLockdID),
		},
		{
			Name:  "SM_UNMON res",
			Value: &nsm.SmStat{State: 7},
			Wire:  xdrtest.Hex("00000007"), // state 7
		},
		{
			Name:  "SM_UNMON_ALL res, negative state",
			Value: &nsm.SmStat{State: -1},
			Wire:  xdrtest.Hex("ffffffff"), // state -1 (int)
		},
		{
			Name:  "SM_NOTIFY args",
			Value: &nsm.StatChge{MonName: "client-a", State: 11},
			Wire: xdrtest.Hex(
				"00000008 636c6965 6e742d61", // mon_name: length 8, "client-a", no padding
				"0000000b",                   // state 11
			),
		},
		{
			Name:  "status callback",
			Value: &nsm.Status{MonName: "fileserver", State: 19, Priv: priv},
			Wire: xdrtest.Hex(
				hexFileserver, // mon_name
				"00000013",    // state 19
				hexPriv,       // priv, as given to SM_MON
			),
		},
	})
}

func TestGoldenNSMDecodeErrors(t *testing.T) {
	// The SM_MON args above: my_id at 16, my_prog at 32, priv at 44-59.
	mon := xdrtest.Hex(hexFileserver, hexLockdID, hexPriv)
	require.Len(t, mon, 60)

	name := func(n int) []byte {
		return append([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)},
			bytes.Repeat([]byte{'h'}, xdr.Padded(n))...)
	}

	// SM_MAXSTRLEN is 1024: a name of that length decodes.
	var sn nsm.SmName
	require.NoError(t, xdr.Unmarshal(name(1024), &sn))
	require.Len(t, sn.MonName, 1024)

	xdrtest.CheckDecodeErrors(t, []xdrtest.DecodeError{
		{
			Name: "truncated in priv", Value: new(nsm.Mon), Wire: mon[:50],
			Err: xdr.ErrShortBuffer, Offset: 44,
		},
		{
			Name: "truncated in my_prog", Value: new(nsm.Mon), Wire: mon[:34],
			Err: xdr.ErrShortBuffer, Offset: 32,
		},
		{
			Name: "truncated status", Value: new(nsm.Status), Wire: xdrtest.Hex(hexFileserver, "00000013", "0011"),
			Err: xdr.ErrShortBuffer, Offset: 20,
		},
		{
			Name: "res 2", Value: new(nsm.SmStatRes),
			Wire: xdrtest.Hex("00000002", "00000003"),
			Err:  xdr.ErrBadEnum, Offset: 0,
		},
		{
			Name: "mon_name of 1025 bytes", Value: new(nsm.SmName), Wire: name(1025),
			Err: xdr.ErrTooLong, Offset: 0,
		},
		{
			Name: "my_name of 1025 bytes", Value: new(nsm.MonId),
			Wire: append(xdrtest.Hex("00000001 61000000"), name(1025)...),
			Err:  xdr.ErrTooLong, Offset: 8,
		},
		{
			Name: "non-zero mon_name padding", Value: new(nsm.SmName),
			Wire: xdrtest.Hex("0000000a 66696c65 73657276 65720001"),
			Err:  xdr.ErrPadding, Offset: 4,
		},
		{
			Name: "non-zero padding in stat_chge", Value: new(nsm.StatChge),
			Wire: xdrtest.Hex("00000001 61800000", "00000001"),
			Err:  xdr.ErrPadding, Offset: 4,
		},
	})
}

func TestGoldenNSMEncodeErrors(t *testing.T) {
	xdrtest.CheckEncodeErrors(t, []xdrtest.EncodeError{
		{
			Name:  "mon_name of 1025 bytes",
			Value: &nsm.SmName{MonName: strings.Repeat("h", 1025)},
			Err:   xdr.ErrTooLong,
		},
		{
			Name:  "res 2",
			Value: &nsm.SmStatRes{ResStat: 2},
			Err:   xdr.ErrBadEnum,
		},
	})
}
