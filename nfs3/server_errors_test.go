package nfs3_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

func TestServerStatusOf(t *testing.T) {
	// What backends return: the vfs errors, wrapped or not, and errors
	// of the standard library that are io/fs's.
	_, notExist := os.Stat("/nonexistent/file")
	perm := &fs.PathError{Op: "open", Path: "f", Err: syscall.EACCES}
	wanted := map[Nfsstat3][]error{
		NFS3_OK:             {nil},
		NFS3ERR_NOENT:       {vfs.ErrNotExist, notExist, fmt.Errorf("lookup: %w", fs.ErrNotExist)},
		NFS3ERR_ACCES:       {vfs.ErrPermission, export.ErrClientDenied, perm},
		NFS3ERR_EXIST:       {vfs.ErrExist, os.ErrExist},
		NFS3ERR_INVAL:       {vfs.ErrInvalid},
		NFS3ERR_STALE:       {vfs.ErrStale},
		NFS3ERR_BADHANDLE:   {vfs.ErrBadHandle},
		NFS3ERR_PERM:        {vfs.ErrNotPermit},
		NFS3ERR_NOTDIR:      {vfs.ErrNotDir},
		NFS3ERR_ISDIR:       {vfs.ErrIsDir},
		NFS3ERR_NOTEMPTY:    {fmt.Errorf("rmdir: %w", vfs.ErrNotEmpty)},
		NFS3ERR_NOSPC:       {vfs.ErrNoSpace},
		NFS3ERR_DQUOT:       {vfs.ErrQuota},
		NFS3ERR_ROFS:        {vfs.ErrReadOnly},
		NFS3ERR_NAMETOOLONG: {vfs.ErrNameTooLong},
		NFS3ERR_FBIG:        {vfs.ErrTooBig},
		NFS3ERR_XDEV:        {vfs.ErrCrossDevice},
		NFS3ERR_MLINK:       {vfs.ErrTooManyLinks},
		NFS3ERR_NOTSUPP:     {vfs.ErrNotSupported},
		NFS3ERR_BADTYPE:     {vfs.ErrBadType},
		NFS3ERR_JUKEBOX:     {vfs.ErrDelay},
		NFS3ERR_SERVERFAULT: {export.ErrHandleTooLong},
		NFS3ERR_IO:          {vfs.ErrIO, errors.New("disk on fire")},
	}
	for want, errs := range wanted {
		for _, err := range errs {
			require.Equal(t, want, StatusOf(err), "%v", err)
		}
	}
}

// brokenFS fails as the test says.
type brokenFS struct {
	*memfs.FS
	mu        sync.Mutex
	getattr   error
	longNames bool // Lookup returns handles too long to send
}

func (b *brokenFS) GetAttr(ctx context.Context, cred *vfs.Cred, h vfs.Handle) (vfs.Attr, error) {
	b.mu.Lock()
	err := b.getattr
	b.mu.Unlock()
	if err != nil {
		return vfs.Attr{}, err
	}
	return b.FS.GetAttr(ctx, cred, h)
}

func (b *brokenFS) Lookup(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name string) (vfs.Handle, vfs.Attr, error) {
	h, a, err := b.FS.Lookup(ctx, cred, dir, name)
	if b.longNames {
		h = make(vfs.Handle, vfs.MaxHandleSize+1)
	}
	return h, a, err
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServerBackendFailures(t *testing.T) {
	fs := &brokenFS{FS: memfs.New(&memfs.Options{RootMode: 0o777}), longNames: true}
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/x", FS: fs})
	require.NoError(t, err)
	var logs syncBuffer
	srv := NewServer(table, &ServerOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	root, err := table.Get(1).RootHandle(bg)
	require.NoError(t, err)
	call := &rpc.Call{Proc: NFSPROC3_GETATTR, Transport: rpc.Transport{Network: "tcp", RemoteAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 700}}}

	fs.mu.Lock()
	fs.getattr = errors.New("disk on fire")
	fs.mu.Unlock()
	res, err := srv.Getattr(bg, call, &GETATTR3args{Object: NfsFh3{Data: root}})
	require.NoError(t, err)
	require.Equal(t, NFS3ERR_IO, res.Status)
	require.Contains(t, logs.String(), "disk on fire")
	require.Contains(t, logs.String(), "NFSPROC3_GETATTR")
	require.Contains(t, logs.String(), "export=/x")

	fs.mu.Lock()
	fs.getattr = vfs.ErrDelay
	fs.mu.Unlock()
	res, err = srv.Getattr(bg, call, &GETATTR3args{Object: NfsFh3{Data: root}})
	require.NoError(t, err)
	require.Equal(t, NFS3ERR_JUKEBOX, res.Status)
	fs.mu.Lock()
	fs.getattr = nil
	fs.mu.Unlock()

	_, _, err = fs.FS.Create(bg, &vfs.Root, mustRoot(t, fs.FS), "f", vfs.CreateHow{})
	require.NoError(t, err)
	call.Proc = NFSPROC3_LOOKUP
	lk, err := srv.Lookup(bg, call, &LOOKUP3args{What: dirop(NfsFh3{Data: root}, "f")})
	require.NoError(t, err)
	require.Equal(t, NFS3ERR_SERVERFAULT, lk.Status)
	require.Contains(t, logs.String(), "longer than vfs.MaxHandleSize")
}

func mustRoot(t *testing.T, fs vfs.FS) vfs.Handle {
	h, err := fs.Root(bg)
	require.NoError(t, err)
	return h
}

func TestServerOverUDP(t *testing.T) {
	fs := memfs.New(&memfs.Options{RootMode: 0o777})
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/x", FS: fs, Policy: export.Policy{NoRootSquash: true}})
	require.NoError(t, err)
	mux := rpc.NewMux()
	NewServer(table, nil).Register(mux)
	rc, err := rpc.Dial(bg, "udp", rpctest.Serve(t, mux).UDP.String(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { rc.Close() })
	c := NewV3Client(rc)

	root, err := table.Get(1).RootHandle(bg)
	require.NoError(t, err)
	info, err := c.Fsinfo(bg, &FSINFO3args{Fsroot: NfsFh3{Data: root}})
	require.NoError(t, err)
	require.Equal(t, NFS3_OK, info.Status)
	require.Equal(t, uint32(MaxDatagramTransfer), info.Resok.Rtmax)
	require.Equal(t, uint32(MaxDatagramTransfer), info.Resok.Wtmax)
	require.LessOrEqual(t, info.Resok.Dtpref, uint32(MaxDatagramTransfer))

	f, _, err := fs.Create(bg, &vfs.Root, mustRoot(t, fs), "f", vfs.CreateHow{})
	require.NoError(t, err)
	_, _, err = fs.Write(bg, &vfs.Root, f, 0, make([]byte, 100<<10), vfs.FileSync)
	require.NoError(t, err)
	fh, err := export.EncodeHandle(1, f)
	require.NoError(t, err)
	rd, err := c.Read(bg, &READ3args{File: NfsFh3{Data: fh}, Count: 1 << 20})
	require.NoError(t, err)
	require.Equal(t, NFS3_OK, rd.Status)
	require.Len(t, rd.Resok.Data, MaxDatagramTransfer)
	dir, err := c.Readdir(bg, &READDIR3args{Dir: NfsFh3{Data: root}, Count: 1 << 20})
	require.NoError(t, err)
	require.Equal(t, NFS3_OK, dir.Status)
}
