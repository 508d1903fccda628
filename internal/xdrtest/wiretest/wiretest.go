// Package wiretest checks generated XDR codecs against whole RPC messages
// captured between third-party peers: it decodes each message's RPC header,
// requires what tshark shows of it, and decodes the body with the generated
// types. (Hand-written golden vectors are checked with package xdrtest.)
//
// It is a package of its own, not part of package xdrtest, because it
// uses package rpc, whose own tests import xdrtest.
package wiretest

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// Message is a captured RPC message split after its header.
type Message struct {
	// Name is the capture's file name without ".bin".
	Name string
	// Header is the decoded RPC header.
	Header Header
	// Body is what follows the header: a call's arguments or an accepted
	// reply's results.
	Body []byte
}

// Load reads testdata/capture/name.bin, a whole RPC message from the xid
// on, decodes its header and requires that re-encoding the header gives
// its bytes back.
func Load(t testing.TB, name string) Message {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "capture", name+".bin"))
	require.NoError(t, err)
	m := Message{Name: name}
	d := xdr.NewDecoder(b)
	require.NoError(t, m.Header.UnmarshalXDR(d), "decoding the RPC header of %s", name)
	n := d.Offset()
	m.Body = b[n:]
	hdr, err := xdr.Marshal(&m.Header)
	require.NoError(t, err, "re-encoding the RPC header of %s", name)
	require.Equal(t, b[:n], hdr, "re-encoded RPC header of %s", name)
	return m
}

// Call requires that m is a call of version 2 of the RPC protocol to
// program prog, version vers, and returns its header.
func (m Message) Call(t testing.TB, prog, vers uint32) *Header {
	t.Helper()
	c := &m.Header
	require.Equal(t, rpc.CALL, c.Type, "%s: message type", m.Name)
	require.Equal(t, uint32(rpc.RPC_MSG_VERSION), c.RPCVers, "%s: RPC version", m.Name)
	require.Equal(t, prog, c.Prog, "%s: program", m.Name)
	require.Equal(t, vers, c.Vers, "%s: program version", m.Name)
	return c
}

// Success requires that m is an accepted reply whose call was executed
// successfully, so that m.Body holds the procedure's results.
func (m Message) Success(t testing.TB) {
	t.Helper()
	require.Equal(t, rpc.REPLY, m.Header.Type, "%s: message type", m.Name)
	require.Equal(t, rpc.MSG_ACCEPTED, m.Header.ReplyStat, "%s: reply state", m.Name)
	require.Equal(t, rpc.SUCCESS, m.Header.AcceptStat, "%s: accept state", m.Name)
}

// DecodeBody decodes body into v, requires that every byte was consumed
// and that re-encoding v gives body back byte for byte.
func DecodeBody(t testing.TB, name string, body []byte, v xdr.Codec) {
	t.Helper()
	d := xdr.NewDecoder(body)
	require.NoError(t, v.UnmarshalXDR(d), "%s: decoding the body as %T", name, v)
	require.Zero(t, d.Remaining(), "%s: bytes left after decoding the body as %T", name, v)
	again, err := xdr.Marshal(v)
	require.NoError(t, err, "%s: re-encoding %T", name, v)
	if !bytes.Equal(body, again) {
		require.Fail(t, "re-encoded body differs from the captured one",
			"%s as %T\nwant\n%s\ngot\n%s", name, v, hex.Dump(body), hex.Dump(again))
	}
}

// AuthSys is an AUTH_SYS credential as tshark shows it.
type AuthSys struct {
	Stamp   uint32
	Machine string
	Uid     uint32
	Gid     uint32
	Gids    []uint32
}

// Capture describes one captured message and what tshark shows of it.
type Capture struct {
	// Name is the file name without ".bin"; it ends in "_call" or "_reply".
	Name string
	Xid  uint32
	// Prog, Vers and Proc are those of the call, or for a reply those of
	// the call it answers, which the file name tells.
	Prog, Vers, Proc uint32
	// Cred is the credential of a call: nil for AUTH_NONE.
	Cred *AuthSys
	// Check requires the values tshark shows of the decoded arguments or
	// results; it gets nil for void ones.
	Check func(t *testing.T, v xdr.Codec)
}

// Procs returns a new value of the argument (or result) type of procedure
// proc of version vers, nil when that type is void, and false for a
// procedure it does not know.
type Procs func(vers, proc uint32) (xdr.Codec, bool)

// CheckCaptures checks each capture: it decodes the RPC header, requires
// the xid, program, version, procedure, credential and a null verifier as
// tshark shows them, picks the body's type with args (for a call, by the
// procedure number in its header) or results (for a reply, by the
// procedure of its call), decodes the body, requiring that all of it is
// consumed and that re-encoding gives it back byte for byte, and runs
// Check. It also requires that every testdata/capture/*.bin is listed.
func CheckCaptures(t *testing.T, captures []Capture, args, results Procs) {
	t.Helper()
	listed := map[string]bool{}
	for _, c := range captures {
		listed[c.Name] = true
	}
	files, err := filepath.Glob(filepath.Join("testdata", "capture", "*.bin"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".bin")
		require.True(t, listed[name], "capture %s is not checked", name)
	}

	for _, c := range captures {
		t.Run(c.Name, func(t *testing.T) {
			m := Load(t, c.Name)
			require.Equal(t, c.Xid, m.Header.Xid, "xid")
			var v xdr.Codec
			var known bool
			switch {
			case strings.HasSuffix(c.Name, "_call"):
				cb := m.Call(t, c.Prog, c.Vers)
				require.Equal(t, c.Proc, cb.Proc, "procedure")
				requireCred(t, cb.Cred, c.Cred)
				require.Equal(t, rpc.AUTH_NONE, cb.Verf.Flavor, "verifier flavor")
				require.Empty(t, cb.Verf.Body, "verifier body")
				v, known = args(cb.Vers, cb.Proc)
			case strings.HasSuffix(c.Name, "_reply"):
				m.Success(t)
				verf := m.Header.Verf
				require.Equal(t, rpc.AUTH_NONE, verf.Flavor, "verifier flavor")
				require.Empty(t, verf.Body, "verifier body")
				v, known = results(c.Vers, c.Proc)
			default:
				require.Fail(t, "capture name ends neither in _call nor in _reply")
			}
			require.True(t, known, "no type for version %d procedure %d", c.Vers, c.Proc)
			if v == nil {
				require.Empty(t, m.Body, "void body")
			} else {
				DecodeBody(t, c.Name, m.Body, v)
			}
			c.Check(t, v)
		})
	}
}

func requireCred(t *testing.T, got rpc.OpaqueAuth, want *AuthSys) {
	t.Helper()
	if want == nil {
		require.Equal(t, rpc.AUTH_NONE, got.Flavor, "credential flavor")
		require.Empty(t, got.Body, "credential body")
		return
	}
	require.Equal(t, rpc.AUTH_SYS, got.Flavor, "credential flavor")
	var p rpc.AuthsysParms
	require.NoError(t, xdr.Unmarshal(got.Body, &p), "AUTH_SYS credential body")
	require.Equal(t, want.Stamp, p.Stamp, "stamp")
	require.Equal(t, want.Machine, p.Machinename, "machine name")
	require.Equal(t, want.Uid, p.Uid, "uid")
	require.Equal(t, want.Gid, p.Gid, "gid")
	require.Equal(t, len(want.Gids), len(p.Gids), "auxiliary gids")
	for i := range want.Gids {
		require.Equal(t, want.Gids[i], p.Gids[i], "auxiliary gid %d", i)
	}
}
