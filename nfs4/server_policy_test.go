package nfs4

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
	"github.com/nfskit/nfskit/vfs/osfs"
)

// TestExportPolicy checks that each call meets its export's policy: a
// read-only export refuses changes, a flavor the export does not allow
// gets NFS4ERR_WRONGSEC (SECINFO still answers), root is squashed.
func TestExportPolicy(t *testing.T) {
	e := newEnv(t, "/rw")
	require.NoError(t, e.table.Add(&export.Export{ID: 2, Path: "/ro", FS: memfs.New(&memfs.Options{RootMode: 0o777}), Policy: export.Policy{ReadOnly: true}}))
	require.NoError(t, e.table.Add(&export.Export{ID: 3, Path: "/none", FS: memfs.New(&memfs.Options{RootMode: 0o777}), Policy: export.Policy{Flavors: []rpc.AuthFlavor{rpc.AUTH_NONE}}}))
	require.NoError(t, e.table.Add(&export.Export{ID: 4, Path: "/squash", FS: memfs.New(&memfs.Options{RootMode: 0o777})}))
	require.NoError(t, e.table.Add(&export.Export{ID: 5, Path: "/gss", FS: memfs.New(nil), Policy: export.Policy{Flavors: []rpc.AuthFlavor{rpc.RPCSEC_GSS, rpc.AUTH_SYS}}}))
	cases := []struct {
		name string
		ops  []NfsArgop4
		st   Nfsstat4
	}{
		{"create on read-only", []NfsArgop4{putroot(), lookup("ro"), create(NF4DIR, "d", "")}, NFS4ERR_ROFS},
		{"setattr on read-only", []NfsArgop4{putroot(), lookup("ro"), setattr(FATTR4_MODE, u32(0o700))}, NFS4ERR_ROFS},
		{"write on read-only", []NfsArgop4{putroot(), lookup("ro"), write(0, "x")}, NFS4ERR_ROFS},
		{"wrong flavor", []NfsArgop4{putroot(), lookup("none"), getattr(FATTR4_TYPE)}, NFS4ERR_WRONGSEC},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { e.with(t).fails(tc.st, tc.ops...) })
	}
	res := e.ok(putroot(), NfsArgop4{Argop: OP_SECINFO, Opsecinfo: &SECINFO4args{Name: Component4("none")}})
	require.Equal(t, SECINFO4resok{{Flavor: AUTH_NONE}}, res.Resarray[1].Opsecinfo.Resok4)
	// RPCSEC_GSS, with no mechanism configured, is not offered.
	res = e.ok(putroot(), NfsArgop4{Argop: OP_SECINFO, Opsecinfo: &SECINFO4args{Name: Component4("gss")}})
	require.Equal(t, SECINFO4resok{{Flavor: AUTH_SYS}}, res.Resarray[1].Opsecinfo.Resok4)
	// ACCESS on a read-only export grants no change.
	r := e.ok(putroot(), lookup("ro"), access(accessBits)).Resarray[2].Opaccess.Resok4
	require.Equal(t, uint32(ACCESS4_READ|ACCESS4_LOOKUP), r.Access)

	// Root is squashed to nobody: what it makes belongs to 65534.
	e.uid = 0
	res = e.ok(putroot(), lookup("squash"), create(NF4DIR, "d", ""), getattr(FATTR4_OWNER))
	require.Equal(t, "65534", attrsOf(t, res.Resarray[3])[FATTR4_OWNER])
}

// TestStaleHandle: a handle of a file that is gone is NFS4ERR_STALE at
// the first operation that uses it.
func TestStaleHandle(t *testing.T) {
	e := newEnv(t, "/data")
	f := e.mkfile("/data", "f", "")
	root, err := e.table.Get(1).RootHandle(bg)
	require.NoError(t, err)
	e.ok(putfh(root), remove("f"))
	e.fails(NFS4ERR_STALE, putfh(f), getattr(FATTR4_TYPE))
}

// TestOsfs runs the namespace operations over a local directory.
func TestOsfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("osfs needs root")
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "f"), []byte("on disk"), 0o644))
	fs, err := osfs.New(dir, nil)
	require.NoError(t, err)
	t.Cleanup(func() { fs.Close() })
	e := newEnv(t)
	require.NoError(t, e.table.Add(&export.Export{ID: 1, Path: "/disk", FS: fs, Policy: export.Policy{NoRootSquash: true}}))
	e.uid = 0
	res := e.ok(putroot(), lookup("disk"), lookup("f"), read(0, 100), getattr(FATTR4_SIZE, FATTR4_FSID))
	require.Equal(t, "on disk", string(res.Resarray[3].Opread.Resok4.Data))
	require.Equal(t, uint64(7), attrsOf(t, res.Resarray[4])[FATTR4_SIZE])
	e.ok(putroot(), lookup("disk"), create(NF4DIR, "d", ""), create(NF4LNK, "l", "../f"))
	target, err := os.Readlink(filepath.Join(dir, "d", "l"))
	require.NoError(t, err)
	require.Equal(t, "../f", target)
	e.ok(putroot(), lookup("disk"), savefh(), rename("f", "g"), lookup("d"), remove("l"), lookupp(), remove("d"))
	data, err := os.ReadFile(filepath.Join(dir, "g"))
	require.NoError(t, err)
	require.Equal(t, "on disk", string(data))
	_, err = os.Stat(filepath.Join(dir, "d"))
	require.ErrorIs(t, err, os.ErrNotExist)
	entries := e.list(fhOf(t, e.ok(putroot(), lookup("disk"), getfh()).Resarray[2]), 4096, FATTR4_TYPE)
	require.Len(t, entries, 1)
	require.Equal(t, Component4("g"), entries[0].Name)
}

// sessions is a StateManager for 4.1 tests: every SEQUENCE succeeds.
type sessions struct{ seq int }

func (s *sessions) Sequence(ctx context.Context, call *rpc.Call, args *SEQUENCE4args, res *SEQUENCE4resok) (any, Nfsstat4) {
	s.seq++
	res.SrSessionid = args.SaSessionid
	res.SrSequenceid = args.SaSequenceid
	return s, NFS4_OK
}

func (s *sessions) CheckStateid(ctx context.Context, session any, fh []byte, sid *Stateid4, write bool) Nfsstat4 {
	if session != s {
		return NFS4ERR_BAD_STATEID
	}
	return NFS4_OK
}

// TestMinorVersion1 runs 4.1 COMPOUNDs through a StateManager's SEQUENCE.
func TestMinorVersion1(t *testing.T) {
	e := newEnv(t, "/data")
	st := &sessions{}
	e.srv = NewServer(e.table, &ServerOptions{State: st})
	e.h = e.srv.Handler()
	f := e.mkfile("/data", "f", "x")
	seq := NfsArgop4{Argop: OP_SEQUENCE, Opsequence: &SEQUENCE4args{SaSequenceid: 7}}
	res := e.compound(1, seq, putfh(f), getattr(FATTR4_SUPPATTR_EXCLCREAT), read(0, 10))
	require.Equal(t, NFS4_OK, res.Status)
	require.Equal(t, Sequenceid4(7), res.Resarray[0].Opsequence.SrResok4.SrSequenceid)
	require.Equal(t, trim(settable), attrsOf(t, res.Resarray[2])[FATTR4_SUPPATTR_EXCLCREAT])
	require.Equal(t, 1, st.seq)

	noName := func(style SecinfoStyle4) NfsArgop4 {
		return NfsArgop4{Argop: OP_SECINFO_NO_NAME, OpsecinfoNoName: style}
	}
	res = e.compound(1, seq, putroot(), lookup("data"), noName(SECINFO_STYLE4_CURRENT_FH))
	require.Equal(t, NFS4_OK, res.Status)
	require.Len(t, res.Resarray[3].OpsecinfoNoName.Resok4, 2)
	res = e.compound(1, seq, putroot(), lookup("data"), noName(SECINFO_STYLE4_PARENT), getfh())
	require.Equal(t, NFS4ERR_NOFILEHANDLE, res.Status, "SECINFO_NO_NAME consumes the current filehandle")

	for _, tc := range []struct {
		name string
		ops  []NfsArgop4
		st   Nfsstat4
	}{
		{"sequence twice", []NfsArgop4{seq, seq}, NFS4ERR_SEQUENCE_POS},
		{"exchange_id after sequence", []NfsArgop4{seq, {Argop: OP_EXCHANGE_ID, OpexchangeId: &EXCHANGEID4args{}}}, NFS4ERR_NOT_ONLY_OP},
		{"4.0 operation", []NfsArgop4{seq, {Argop: OP_RENEW, Oprenew: &RENEW4args{}}}, NFS4ERR_NOTSUPP},
		{"no sequence", []NfsArgop4{putroot()}, NFS4ERR_OP_NOT_IN_SESSION},
		{"restorefh without a saved handle", []NfsArgop4{seq, putroot(), restorefh()}, NFS4ERR_NOFILEHANDLE},
		{"exchange_id alone", []NfsArgop4{{Argop: OP_EXCHANGE_ID, OpexchangeId: &EXCHANGEID4args{}}}, NFS4ERR_NOTSUPP},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.compound(1, tc.ops...)
			require.Equal(t, tc.st, res.Status)
			require.Len(t, res.Resarray, len(tc.ops))
		})
	}
	// Without a SEQUENCE, EXCHANGE_ID must be alone: the first result
	// says so.
	res = e.compound(1, NfsArgop4{Argop: OP_EXCHANGE_ID, OpexchangeId: &EXCHANGEID4args{}}, putroot())
	require.Equal(t, NFS4ERR_NOT_ONLY_OP, res.Status)
	require.Len(t, res.Resarray, 1)
}
