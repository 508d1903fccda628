package nfs3_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/xdrtest/wiretest"
	. "github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
	"github.com/nfskit/nfskit/xdr"
)

// everyProc returns a call of every procedure but NULL, each naming fh as
// its (first) file or directory.
func everyProc(fh NfsFh3) []procCall {
	m := setMode(0o644)
	return []procCall{
		{NFSPROC3_GETATTR, &GETATTR3args{Object: fh}},
		{NFSPROC3_SETATTR, &SETATTR3args{Object: fh, NewAttributes: m}},
		{NFSPROC3_LOOKUP, &LOOKUP3args{What: dirop(fh, "x")}},
		{NFSPROC3_ACCESS, &ACCESS3args{Object: fh, Access: ACCESS3_READ}},
		{NFSPROC3_READLINK, &READLINK3args{Symlink: fh}},
		{NFSPROC3_READ, &READ3args{File: fh, Count: 10}},
		{NFSPROC3_WRITE, &WRITE3args{File: fh, Count: 1, Data: []byte("x")}},
		{NFSPROC3_CREATE, &CREATE3args{Where: dirop(fh, "x"), How: Createhow3{Mode: GUARDED, ObjAttributes: &m}}},
		{NFSPROC3_MKDIR, &MKDIR3args{Where: dirop(fh, "x"), Attributes: m}},
		{NFSPROC3_SYMLINK, &SYMLINK3args{Where: dirop(fh, "x"), Symlink: Symlinkdata3{SymlinkData: "y"}}},
		{NFSPROC3_MKNOD, &MKNOD3args{Where: dirop(fh, "x"), What: Mknoddata3{Type: NF3FIFO, PipeAttributes: &m}}},
		{NFSPROC3_REMOVE, &REMOVE3args{Object: dirop(fh, "x")}},
		{NFSPROC3_RMDIR, &RMDIR3args{Object: dirop(fh, "x")}},
		{NFSPROC3_RENAME, &RENAME3args{Fromfile: dirop(fh, "x"), Tofile: dirop(fh, "y")}},
		{NFSPROC3_LINK, &LINK3args{File: fh, Link: dirop(fh, "y")}},
		{NFSPROC3_READDIR, &READDIR3args{Dir: fh, Count: 4096}},
		{NFSPROC3_READDIRPLUS, &READDIRPLUS3args{Dir: fh, Dircount: 4096, Maxcount: 8192}},
		{NFSPROC3_FSSTAT, &FSSTAT3args{Fsroot: fh}},
		{NFSPROC3_FSINFO, &FSINFO3args{Fsroot: fh}},
		{NFSPROC3_PATHCONF, &PATHCONF3args{Object: fh}},
		{NFSPROC3_COMMIT, &COMMIT3args{File: fh}},
	}
}

func TestServerGarbageArgs(t *testing.T) {
	e := newSrvEnv(t, export.Policy{})
	raw := e.alice.Caller
	require.ErrorIs(t, raw.Call(bg, NFS_PROGRAM, NFS_V3, NFSPROC3_NULL, rpc.RawResults{0, 0, 0, 0}, nil), rpc.GARBAGE_ARGS)
	for _, pc := range everyProc(e.root) {
		good, err := xdr.Marshal(pc.args)
		require.NoError(t, err)
		bodies := map[string][]byte{
			"empty":          nil,
			"odd length":     {0xff, 0xff, 0xff},
			"truncated":      good[:len(good)-4],
			"trailing bytes": append(bytes.Clone(good), 0, 0, 0, 0),
			"huge length":    {0xff, 0xff, 0xff, 0xf0},
		}
		for name, body := range bodies {
			err := raw.Call(bg, NFS_PROGRAM, NFS_V3, pc.proc, rpc.RawResults(body), &statusOnly{})
			require.ErrorIs(t, err, rpc.GARBAGE_ARGS, "%s: %s", pc.name(), name)
		}
	}
	require.ErrorIs(t, raw.Call(bg, NFS_PROGRAM, NFS_V3, 22, nil, nil), rpc.PROC_UNAVAIL)
	// The connection survived all that.
	require.Equal(t, NFS3_OK, e.status(e.alice, e.root))
}

func TestServerBadHandles(t *testing.T) {
	e := newSrvEnv(t, export.Policy{})
	f := e.create(e.alice, e.root, "f", 0o644)
	e.remove(e.alice, e.root, "f")
	good := e.root.Data
	header := func(version byte, id uint32) []byte {
		return binary.BigEndian.AppendUint32([]byte{version}, id)
	}
	handles := []struct {
		name string
		fh   []byte
		want Nfsstat3
	}{
		{"empty", nil, NFS3ERR_BADHANDLE},
		{"truncated header", good[:3], NFS3ERR_BADHANDLE},
		{"header only", good[:export.HandleOverhead], NFS3ERR_BADHANDLE},
		{"truncated backend handle", good[:len(good)-1], NFS3ERR_BADHANDLE},
		{"other version", append(header(9, 1), good[export.HandleOverhead:]...), NFS3ERR_BADHANDLE},
		{"too long", append(bytes.Clone(good), make([]byte, 64-len(good))...), NFS3ERR_BADHANDLE},
		{"forged backend handle", append(header(1, 1), bytes.Repeat([]byte{7}, len(good)-export.HandleOverhead)...), NFS3ERR_BADHANDLE},
		{"unknown export", append(header(1, 99), good[export.HandleOverhead:]...), NFS3ERR_STALE},
		{"another export's handle for this export's file", append(header(1, 2), good[export.HandleOverhead:]...), NFS3ERR_STALE},
		{"removed file", f.Data, NFS3ERR_STALE},
	}
	for _, h := range handles {
		t.Run(h.name, func(t *testing.T) {
			for _, pc := range everyProc(NfsFh3{Data: h.fh}) {
				require.Equal(t, h.want, e.call(e.alice, pc), pc.name())
			}
		})
	}
	// A handle longer than nfs_fh3 allows does not even decode.
	err := e.alice.Caller.Call(bg, NFS_PROGRAM, NFS_V3, NFSPROC3_GETATTR, &rawHandle{make([]byte, 65)}, &statusOnly{})
	require.ErrorIs(t, err, rpc.GARBAGE_ARGS)
}

// rawHandle encodes GETATTR3args with a handle of any length.
type rawHandle struct{ fh []byte }

func (r *rawHandle) MarshalXDR(e *xdr.Encoder) error {
	e.PutOpaque(r.fh)
	return nil
}

// FuzzServerHandle feeds arbitrary handles to the server's GETATTR: it
// never fails in any other way than BADHANDLE or STALE, unless the bytes
// are the root's handle.
func FuzzServerHandle(f *testing.F) {
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/x", FS: memfs.New(nil)})
	require.NoError(f, err)
	srv := NewServer(table, nil)
	root, err := table.Get(1).RootHandle(bg)
	require.NoError(f, err)
	f.Add(root)
	f.Add(root[:len(root)-1])
	f.Add([]byte{1, 0, 0, 0, 2, 1})
	f.Add([]byte{})
	call := &rpc.Call{Transport: rpc.Transport{Network: "tcp", RemoteAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1000}}}
	f.Fuzz(func(t *testing.T, fh []byte) {
		res, err := srv.Getattr(bg, call, &GETATTR3args{Object: NfsFh3{Data: fh}})
		require.NoError(t, err)
		if bytes.Equal(fh, root) {
			require.Equal(t, NFS3_OK, res.Status)
			return
		}
		require.Contains(t, []Nfsstat3{NFS3ERR_BADHANDLE, NFS3ERR_STALE}, res.Status)
	})
}

// rawConn sends hand-made call records and reads the replies.
type rawConn struct {
	t *testing.T
	c net.Conn
}

func (e *srvEnv) rawConn() *rawConn {
	c, err := net.Dial("tcp", e.addr.String())
	require.NoError(e.t, err)
	e.t.Cleanup(func() { c.Close() })
	return &rawConn{t: e.t, c: c}
}

// call sends a call with the given xid, as uid, and returns the status of
// its NFS result.
func (r *rawConn) call(xid uint32, uid uint32, proc uint32, args xdr.Marshaler) Nfsstat3 {
	r.t.Helper()
	cred, err := xdr.Marshal(&rpc.AuthsysParms{Machinename: "raw", Uid: uid, Gid: uid})
	require.NoError(r.t, err)
	msg := wiretest.Header{Xid: xid, Type: rpc.CALL,
		RPCVers: 2, Prog: NFS_PROGRAM, Vers: NFS_V3, Proc: proc,
		Cred: rpc.OpaqueAuth{Flavor: rpc.AUTH_SYS, Body: cred},
	}
	rec, err := xdr.AppendMarshal([]byte{0, 0, 0, 0}, &msg)
	require.NoError(r.t, err)
	rec, err = xdr.AppendMarshal(rec, args)
	require.NoError(r.t, err)
	binary.BigEndian.PutUint32(rec, uint32(len(rec)-4)|1<<31)
	_, err = r.c.Write(rec)
	require.NoError(r.t, err)

	var mark [4]byte
	_, err = io.ReadFull(r.c, mark[:])
	require.NoError(r.t, err)
	body := make([]byte, binary.BigEndian.Uint32(mark[:])&^(1<<31))
	_, err = io.ReadFull(r.c, body)
	require.NoError(r.t, err)
	d := xdr.NewDecoder(body)
	var reply wiretest.Header
	require.NoError(r.t, reply.UnmarshalXDR(d))
	require.Equal(r.t, xid, reply.Xid)
	require.Equal(r.t, rpc.MSG_ACCEPTED, reply.ReplyStat)
	require.Equal(r.t, rpc.SUCCESS, reply.AcceptStat)
	return Nfsstat3(d.Int32())
}

func TestServerReplyCache(t *testing.T) {
	e := newSrvEnv(t, export.Policy{})
	e.create(e.alice, e.root, "f", 0o644)
	e.mkdir(e.alice, e.root, "d", 0o755)
	raw := e.rawConn()
	m := setMode(0o644)
	cases := []struct {
		pc   procCall
		hits uint64
	}{
		{procCall{NFSPROC3_REMOVE, &REMOVE3args{Object: dirop(e.root, "f")}}, 1},
		{procCall{NFSPROC3_RMDIR, &RMDIR3args{Object: dirop(e.root, "d")}}, 1},
		{procCall{NFSPROC3_CREATE, &CREATE3args{Where: dirop(e.root, "g"), How: Createhow3{Mode: GUARDED, ObjAttributes: &m}}}, 1},
		{procCall{NFSPROC3_RENAME, &RENAME3args{Fromfile: dirop(e.root, "g"), Tofile: dirop(e.root, "h")}}, 1},
		{procCall{NFSPROC3_WRITE, &WRITE3args{File: e.create(e.alice, e.root, "w", 0o644), Count: 3, Data: []byte("abc"), Stable: FILE_SYNC}}, 1},
		{procCall{NFSPROC3_GETATTR, &GETATTR3args{Object: e.root}}, 0}, // not cached, and harmless
	}
	for i, c := range cases {
		before := e.srv.ReplyCache().Hits()
		xid := uint32(0x5000 + i)
		require.Equal(t, NFS3_OK, raw.call(xid, uidAlice, c.pc.proc, c.pc.args), c.pc.name())
		require.Equal(t, NFS3_OK, raw.call(xid, uidAlice, c.pc.proc, c.pc.args), "%s retransmitted", c.pc.name())
		require.Equal(t, c.hits, e.srv.ReplyCache().Hits()-before, c.pc.name())
	}
	// A new xid runs the procedure again.
	require.Equal(t, NFS3ERR_NOENT, raw.call(0x6000, uidAlice, NFSPROC3_REMOVE, &REMOVE3args{Object: dirop(e.root, "f")}))
}

func TestServerConcurrentReadWrite(t *testing.T) {
	e := newSrvEnv(t, export.Policy{})
	const files, size = 8, 3<<20 + 12345
	c := e.alice
	errs := make([]error, files)
	var wg sync.WaitGroup
	for i := range files {
		fh := e.create(c, e.root, fmt.Sprint(i), 0o644)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = copyThrough(c, fh, bytes.Repeat([]byte{byte(i), byte(i * 7), byte(i * 13)}, size/3))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "file %d", i)
	}
}

// copyThrough writes data to fh in MaxTransfer pieces, reads it back and
// compares.
func copyThrough(c *V3Client, fh NfsFh3, data []byte) error {
	for off := 0; off < len(data); off += MaxTransfer {
		chunk := data[off:min(off+MaxTransfer, len(data))]
		res, err := c.Write(bg, &WRITE3args{File: fh, Offset: Offset3(off), Count: Count3(len(chunk)), Stable: UNSTABLE, Data: chunk})
		if err != nil {
			return err
		}
		if res.Status != NFS3_OK {
			return fmt.Errorf("WRITE: %v", res.Status)
		}
	}
	var got []byte
	for eof := false; !eof; {
		res, err := c.Read(bg, &READ3args{File: fh, Offset: Offset3(len(got)), Count: MaxTransfer})
		if err != nil {
			return err
		}
		if res.Status != NFS3_OK {
			return fmt.Errorf("READ: %v", res.Status)
		}
		got = append(got, res.Resok.Data...)
		eof = res.Resok.Eof
	}
	if !bytes.Equal(data, got) {
		return errors.New("read back other data")
	}
	return nil
}
