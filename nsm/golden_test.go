package nsm_test

// Golden byte vectors for the Network Status Monitor, version 1 (Open Group
// XNFS chapter 11), and the status callback body. Every expected encoding
// was written by hand from the definitions, one 4-byte XDR unit per group,
// not captured from the encoder.

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nsm"
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
	runGolden(t, []goldenCase{
		{
			name: "SM_STAT args",
			val:  &nsm.SmName{MonName: "fileserver"},
			wire: hx(hexFileserver), // mon_name
		},
		{
			name: "SM_STAT args, 1-byte name",
			val:  &nsm.SmName{MonName: "a"},
			wire: hx("00000001 61000000"), // mon_name: length 1, "a", 3 bytes of padding
		},
		{
			name: "SM_STAT args, empty name",
			val:  &nsm.SmName{},
			wire: hx("00000000"), // mon_name: length 0
		},
		{
			name: "SM_STAT res stat_succ",
			val:  &nsm.SmStatRes{ResStat: nsm.Stat_succ, State: 3},
			wire: hx(
				"00000000", // res_stat stat_succ
				"00000003", // state 3
			),
		},
		{
			name: "SM_MON res stat_fail",
			val:  &nsm.SmStatRes{ResStat: nsm.Stat_fail, State: 5},
			wire: hx(
				"00000001", // res_stat stat_fail
				"00000005", // state 5
			),
		},
		{
			name: "SM_MON args",
			val: &nsm.Mon{
				MonId: nsm.MonId{MonName: "fileserver", MyId: lockdID},
				Priv:  priv,
			},
			wire: hx(
				hexFileserver, // mon_id.mon_name
				hexLockdID,    // mon_id.my_id
				hexPriv,       // priv
			),
		},
		{
			name: "SM_MON args, empty my_name, zero priv",
			val: &nsm.Mon{
				MonId: nsm.MonId{
					MonName: "db1",
					MyId:    nsm.MyId{MyProg: 0x40000000, MyVers: 1, MyProc: 1},
				},
			},
			wire: hx(
				"00000003 64623100",                   // mon_id.mon_name: length 3, "db1", 1 byte of padding
				"00000000",                            // mon_id.my_id.my_name: length 0
				"40000000",                            // mon_id.my_id.my_prog
				"00000001",                            // mon_id.my_id.my_vers
				"00000001",                            // mon_id.my_id.my_proc
				"00000000 00000000 00000000 00000000", // priv
			),
		},
		{
			name: "SM_UNMON args",
			val:  &nsm.MonId{MonName: "fileserver", MyId: lockdID},
			wire: hx(
				hexFileserver, // mon_name
				hexLockdID,    // my_id
			),
		},
		{
			name: "SM_UNMON_ALL args",
			val:  &lockdID,
			wire: hx(hexLockdID),
		},
		{
			name: "SM_UNMON res",
			val:  &nsm.SmStat{State: 7},
			wire: hx("00000007"), // state 7
		},
		{
			name: "SM_UNMON_ALL res, negative state",
			val:  &nsm.SmStat{State: -1},
			wire: hx("ffffffff"), // state -1 (int)
		},
		{
			name: "SM_NOTIFY args",
			val:  &nsm.StatChge{MonName: "client-a", State: 11},
			wire: hx(
				"00000008 636c6965 6e742d61", // mon_name: length 8, "client-a", no padding
				"0000000b",                   // state 11
			),
		},
		{
			name: "status callback",
			val:  &nsm.Status{MonName: "fileserver", State: 19, Priv: priv},
			wire: hx(
				hexFileserver, // mon_name
				"00000013",    // state 19
				hexPriv,       // priv, as given to SM_MON
			),
		},
	})
}

func TestGoldenNSMDecodeErrors(t *testing.T) {
	// The SM_MON args above: my_id at 16, my_prog at 32, priv at 44-59.
	mon := hx(hexFileserver, hexLockdID, hexPriv)
	require.Len(t, mon, 60)

	name := func(n int) []byte {
		return append([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)},
			bytes.Repeat([]byte{'h'}, xdr.Padded(n))...)
	}

	// SM_MAXSTRLEN is 1024: a name of that length decodes.
	var sn nsm.SmName
	require.NoError(t, xdr.Unmarshal(name(1024), &sn))
	require.Len(t, sn.MonName, 1024)

	runGoldenErrors(t, []goldenErrCase{
		{
			name: "truncated in priv", val: new(nsm.Mon), wire: mon[:50],
			err: xdr.ErrShortBuffer, offset: 44,
		},
		{
			name: "truncated in my_prog", val: new(nsm.Mon), wire: mon[:34],
			err: xdr.ErrShortBuffer, offset: 32,
		},
		{
			name: "truncated status", val: new(nsm.Status), wire: hx(hexFileserver, "00000013", "0011"),
			err: xdr.ErrShortBuffer, offset: 20,
		},
		{
			name: "res 2", val: new(nsm.SmStatRes),
			wire: hx("00000002", "00000003"),
			err:  xdr.ErrBadEnum, offset: 0,
		},
		{
			name: "mon_name of 1025 bytes", val: new(nsm.SmName), wire: name(1025),
			err: xdr.ErrTooLong, offset: 0,
		},
		{
			name: "my_name of 1025 bytes", val: new(nsm.MonId),
			wire: append(hx("00000001 61000000"), name(1025)...),
			err:  xdr.ErrTooLong, offset: 8,
		},
		{
			name: "non-zero mon_name padding", val: new(nsm.SmName),
			wire: hx("0000000a 66696c65 73657276 65720001"),
			err:  xdr.ErrPadding, offset: 4,
		},
		{
			name: "non-zero padding in stat_chge", val: new(nsm.StatChge),
			wire: hx("00000001 61800000", "00000001"),
			err:  xdr.ErrPadding, offset: 4,
		},
	})
}

func TestGoldenNSMEncodeErrors(t *testing.T) {
	_, err := xdr.Marshal(&nsm.SmName{MonName: strings.Repeat("h", 1025)})
	require.ErrorIs(t, err, xdr.ErrTooLong)

	_, err = xdr.Marshal(&nsm.SmStatRes{ResStat: 2})
	require.ErrorIs(t, err, xdr.ErrBadEnum)
}
