package nfsd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/osfs"
)

// TestActAsCallerOverNFS exports a local directory with osfs's
// act-as-caller option and uses it over NFS with AUTH_SYS identities: a
// file created by uid 1000 is owned by 1000 on disk, uid 1000 cannot read
// a root-owned 0600 file, and calls of several uids run at once, each
// file ending up owned by the uid that made it.
func TestActAsCallerOverNFS(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("osfs needs root (open by handle, acting as other users)")
	}
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o777))
	require.NoError(t, os.Chmod(filepath.Dir(dir), 0o755))
	secret := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(secret, []byte("root only\n"), 0o600))
	fsys, err := osfs.New(dir, &osfs.Options{ActAsCaller: true})
	require.NoError(t, err)
	srv := startServer(t, testServer(t, "/data", fsys))

	ctx := context.Background()
	mountAs := func(uid uint32) *nfs3.Client {
		auth, err := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: "tester", Uid: uid, Gid: uid})
		require.NoError(t, err)
		cl, err := nfs3.Mount(ctx, "127.0.0.1", "/data", &nfs3.MountOptions{Auth: auth, NFSPort: srv.Port(ServiceNFS), MountPort: srv.Port(ServiceMount)})
		require.NoError(t, err)
		t.Cleanup(func() { cl.Close() })
		return cl
	}
	alice := mountAs(1000)

	require.NoError(t, alice.WriteFile(ctx, "mine.txt", []byte("hello"), 0o644))
	st, err := os.Stat(filepath.Join(dir, "mine.txt"))
	require.NoError(t, err)
	require.Equal(t, uint32(1000), st.Sys().(*syscall.Stat_t).Uid, "owned by the caller on disk")
	require.Equal(t, uint32(1000), st.Sys().(*syscall.Stat_t).Gid)

	_, err = alice.ReadFile(ctx, "secret")
	require.True(t, errors.Is(err, fs.ErrPermission), "got %v", err)

	// Several users at once.
	var wg sync.WaitGroup
	uids := []uint32{1001, 1002, 1003, 1004}
	for _, uid := range uids {
		cl := mountAs(uid)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				name := fmt.Sprintf("u%d-%d", uid, i)
				if err := cl.WriteFile(ctx, name, []byte(name), 0o600); err != nil {
					t.Errorf("uid %d: %v", uid, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, uid := range uids {
		for i := range 10 {
			st, err := os.Stat(filepath.Join(dir, fmt.Sprintf("u%d-%d", uid, i)))
			require.NoError(t, err)
			require.Equal(t, uid, st.Sys().(*syscall.Stat_t).Uid)
		}
	}
	// Each user's 0600 files are closed to the others.
	_, err = alice.ReadFile(ctx, "u1001-0")
	require.True(t, errors.Is(err, fs.ErrPermission), "got %v", err)
}
