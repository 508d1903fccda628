package vfstest

import (
	"time"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
)

func testPermRead(e *env) {
	d := e.scratch()
	secret := e.file(d, "secret", "top")
	e.setattr(secret, vfs.SetAttr{Mode: ptr[uint32](0o600)})
	_, _, err := e.fs.Read(e.ctx, alice, secret, 0, make([]byte, 3))
	require.ErrorIs(e.t, err, vfs.ErrPermission)
	_, _, err = e.fs.Write(e.ctx, alice, secret, 0, []byte("x"), vfs.FileSync)
	require.ErrorIs(e.t, err, vfs.ErrPermission)
	_, err = e.fs.SetAttr(e.ctx, alice, secret, vfs.SetAttr{Size: ptr[uint64](0)})
	require.ErrorIs(e.t, err, vfs.ErrPermission)
	a, err := e.fs.GetAttr(e.ctx, alice, secret)
	require.NoError(e.t, err, "anyone may get attributes")
	require.Equal(e.t, uint64(3), a.Size)
	require.Equal(e.t, "top", e.content(secret))

	// The superuser reads and writes whatever the bits say.
	e.setattr(secret, vfs.SetAttr{Mode: ptr[uint32](0)})
	got, _ := e.read(su, secret, 0, 3)
	require.Equal(e.t, "top", string(got))
	e.write(su, secret, 0, []byte("T"))

	// Group bits, through a supplementary group.
	shared := e.file(d, "shared", "group data")
	e.setattr(shared, vfs.SetAttr{Mode: ptr[uint32](0o640), GID: ptr[uint32](3000)})
	got, _ = e.read(bob, shared, 0, 5)
	require.Equal(e.t, "group", string(got))
	_, _, err = e.fs.Write(e.ctx, bob, shared, 0, []byte("x"), vfs.FileSync)
	require.ErrorIs(e.t, err, vfs.ErrPermission)
	_, _, err = e.fs.Read(e.ctx, alice, shared, 0, make([]byte, 1))
	require.ErrorIs(e.t, err, vfs.ErrPermission)

	// The owner's bits rule the owner, even when others may do more.
	own, _ := e.create(alice, d, "own", 0o644)
	e.write(alice, own, 0, []byte("mine"))
	_, err = e.fs.SetAttr(e.ctx, alice, own, vfs.SetAttr{Mode: ptr[uint32](0o044)})
	require.NoError(e.t, err)
	_, _, err = e.fs.Read(e.ctx, alice, own, 0, make([]byte, 1))
	require.ErrorIs(e.t, err, vfs.ErrPermission)
	got, _ = e.read(bob, own, 0, 4)
	require.Equal(e.t, "mine", string(got))
}

func testPermDir(e *env) {
	d := e.scratch()
	closed, _ := e.mkdir(su, d, "closed", 0o755)
	f := e.file(closed, "f", "x")
	e.file(closed, "g", "y")
	_, _ = e.mkdir(su, closed, "sub", 0o777)
	// Without write permission on the directory nothing changes in it.
	_, _, err := e.fs.Create(e.ctx, alice, closed, "new", vfs.CreateHow{})
	require.ErrorIs(e.t, err, vfs.ErrPermission)
	_, _, err = e.fs.Mkdir(e.ctx, alice, closed, "new", vfs.SetAttr{})
	require.ErrorIs(e.t, err, vfs.ErrPermission)
	_, _, err = e.fs.Symlink(e.ctx, alice, closed, "new", "t", vfs.SetAttr{})
	require.ErrorIs(e.t, err, vfs.ErrPermission)
	require.ErrorIs(e.t, e.fs.Remove(e.ctx, alice, closed, "f"), vfs.ErrPermission)
	require.ErrorIs(e.t, e.fs.Rmdir(e.ctx, alice, closed, "sub"), vfs.ErrPermission)
	require.ErrorIs(e.t, e.fs.Rename(e.ctx, alice, closed, "f", closed, "h"), vfs.ErrPermission)
	require.ErrorIs(e.t, e.fs.Rename(e.ctx, alice, closed, "f", d, "h"), vfs.ErrPermission)
	mine, _ := e.create(alice, d, "mine", 0o644)
	require.ErrorIs(e.t, e.fs.Rename(e.ctx, alice, d, "mine", closed, "mine"), vfs.ErrPermission)
	require.ErrorIs(e.t, e.fs.Link(e.ctx, alice, mine, closed, "mine"), vfs.ErrPermission)
	require.Equal(e.t, []string{"f", "g", "sub"}, e.names(closed))
	// But searching and listing it are allowed.
	h, _, err := e.fs.Lookup(e.ctx, alice, closed, "f")
	require.NoError(e.t, err)
	require.Equal(e.t, f, h)
	_, _, _, err = e.fs.ReadDir(e.ctx, alice, closed, 0, 10, false)
	require.NoError(e.t, err)

	// Without search permission, not even lookup; without read
	// permission, no listing.
	private, _ := e.mkdir(su, d, "private", 0o700)
	e.file(private, "f", "")
	_, _, err = e.fs.Lookup(e.ctx, alice, private, "f")
	require.ErrorIs(e.t, err, vfs.ErrPermission)
	_, _, err = e.fs.Lookup(e.ctx, alice, private, "missing")
	require.ErrorIs(e.t, err, vfs.ErrPermission, "permission comes before existence")
	_, _, _, err = e.fs.ReadDir(e.ctx, alice, private, 0, 10, false)
	require.ErrorIs(e.t, err, vfs.ErrPermission)
	searchOnly, _ := e.mkdir(su, d, "search", 0o711)
	e.file(searchOnly, "f", "")
	_, _, _, err = e.fs.ReadDir(e.ctx, alice, searchOnly, 0, 10, false)
	require.ErrorIs(e.t, err, vfs.ErrPermission)
	_, _, err = e.fs.Lookup(e.ctx, alice, searchOnly, "f")
	require.NoError(e.t, err)

	// Alice's own directory is hers to fill.
	home, _ := e.mkdir(su, d, "home", 0o755)
	e.setattr(home, vfs.SetAttr{UID: ptr[uint32](alice.UID)})
	_, _ = e.create(alice, home, "f", 0o600)
	require.NoError(e.t, e.fs.Remove(e.ctx, alice, home, "f"))
}

func testPermSticky(e *env) {
	d := e.scratch()
	// /tmp-like: sticky and open to all, owned by bob.
	tmp, _ := e.mkdir(su, d, "tmp", 0o777)
	e.setattr(tmp, vfs.SetAttr{Mode: ptr[uint32](0o1777), UID: ptr[uint32](bob.UID)})
	require.Equal(e.t, uint32(0o1777), e.attr(tmp).Mode)
	e.create(alice, tmp, "alices", 0o666)
	e.create(carol, tmp, "carols", 0o666)
	e.create(carol, tmp, "carols2", 0o666)

	// Carol may not remove or replace what alice owns, nor move it.
	require.ErrorIs(e.t, e.fs.Remove(e.ctx, carol, tmp, "alices"), vfs.ErrNotPermit)
	require.ErrorIs(e.t, e.fs.Rename(e.ctx, carol, tmp, "alices", tmp, "mine"), vfs.ErrNotPermit)
	require.ErrorIs(e.t, e.fs.Rename(e.ctx, carol, tmp, "carols", tmp, "alices"), vfs.ErrNotPermit)
	// Her own files are hers.
	require.NoError(e.t, e.fs.Rename(e.ctx, carol, tmp, "carols", tmp, "carols3"))
	require.NoError(e.t, e.fs.Remove(e.ctx, carol, tmp, "carols3"))
	// The owner of the directory, and the superuser, may.
	require.NoError(e.t, e.fs.Remove(e.ctx, bob, tmp, "alices"))
	require.NoError(e.t, e.fs.Remove(e.ctx, su, tmp, "carols2"))
	require.Empty(e.t, e.names(tmp))

	// Without the sticky bit, write permission on the directory is all
	// it takes.
	open, _ := e.mkdir(su, d, "open", 0o777)
	e.create(alice, open, "alices", 0o600)
	require.NoError(e.t, e.fs.Remove(e.ctx, carol, open, "alices"))
}

func testPermChmod(e *env) {
	d := e.scratch()
	h, _ := e.create(alice, d, "f", 0o644)
	_, err := e.fs.SetAttr(e.ctx, bob, h, vfs.SetAttr{Mode: ptr[uint32](0o777)})
	require.ErrorIs(e.t, err, vfs.ErrNotPermit, "only the owner may chmod")
	require.Equal(e.t, uint32(0o644), e.attr(h).Mode)
	a, err := e.fs.SetAttr(e.ctx, alice, h, vfs.SetAttr{Mode: ptr[uint32](0o600)})
	require.NoError(e.t, err)
	require.Equal(e.t, uint32(0o600), a.Mode)
	a, err = e.fs.SetAttr(e.ctx, su, h, vfs.SetAttr{Mode: ptr[uint32](0o4755)})
	require.NoError(e.t, err)
	require.Equal(e.t, uint32(0o4755), a.Mode)
	require.Equal(e.t, uint32(0o4755), e.attr(h).Mode)
	// Even a file open to everyone is not everyone's to chmod.
	e.setattr(h, vfs.SetAttr{Mode: ptr[uint32](0o666)})
	_, err = e.fs.SetAttr(e.ctx, bob, h, vfs.SetAttr{Mode: ptr[uint32](0o600)})
	require.ErrorIs(e.t, err, vfs.ErrNotPermit)
	// Directories too.
	sub, _ := e.mkdir(alice, d, "sub", 0o755)
	_, err = e.fs.SetAttr(e.ctx, bob, sub, vfs.SetAttr{Mode: ptr[uint32](0o777)})
	require.ErrorIs(e.t, err, vfs.ErrNotPermit)
	a, err = e.fs.SetAttr(e.ctx, alice, sub, vfs.SetAttr{Mode: ptr[uint32](0o700)})
	require.NoError(e.t, err)
	require.Equal(e.t, uint32(0o700), a.Mode&0o777)
}

func testPermChown(e *env) {
	d := e.scratch()
	h, a := e.create(alice, d, "f", 0o644)
	gid := a.GID
	// Nobody but the superuser gives a file away.
	for _, c := range []*vfs.Cred{alice, bob} {
		_, err := e.fs.SetAttr(e.ctx, c, h, vfs.SetAttr{UID: ptr[uint32](bob.UID)})
		require.ErrorIs(e.t, err, vfs.ErrNotPermit)
	}
	require.Equal(e.t, alice.UID, e.attr(h).UID)
	// The owner may change the group to one of hers, and only that.
	_, err := e.fs.SetAttr(e.ctx, alice, h, vfs.SetAttr{GID: ptr[uint32](3000)})
	require.ErrorIs(e.t, err, vfs.ErrNotPermit)
	_, err = e.fs.SetAttr(e.ctx, bob, h, vfs.SetAttr{GID: ptr[uint32](3000)})
	require.ErrorIs(e.t, err, vfs.ErrNotPermit)
	require.Equal(e.t, gid, e.attr(h).GID)
	a, err = e.fs.SetAttr(e.ctx, alice, h, vfs.SetAttr{GID: ptr[uint32](100)})
	require.NoError(e.t, err)
	require.Equal(e.t, uint32(100), a.GID)
	// The superuser may do anything.
	a, err = e.fs.SetAttr(e.ctx, su, h, vfs.SetAttr{UID: ptr[uint32](bob.UID), GID: ptr[uint32](bob.GID)})
	require.NoError(e.t, err)
	require.Equal(e.t, bob.UID, a.UID)
	require.Equal(e.t, bob.GID, a.GID)
	require.Equal(e.t, a, e.attr(h))
	// Now bob owns it and alice may no longer chmod it.
	_, err = e.fs.SetAttr(e.ctx, alice, h, vfs.SetAttr{Mode: ptr[uint32](0o600)})
	require.ErrorIs(e.t, err, vfs.ErrNotPermit)
}

func testPermTimes(e *env) {
	d := e.scratch()
	h, _ := e.create(alice, d, "f", 0o666)
	when := time.Unix(1_000_000_000, 0)
	// Only the owner sets arbitrary times.
	_, err := e.fs.SetAttr(e.ctx, bob, h, vfs.SetAttr{Mtime: &when})
	require.ErrorIs(e.t, err, vfs.ErrNotPermit)
	_, err = e.fs.SetAttr(e.ctx, bob, h, vfs.SetAttr{Atime: &when})
	require.ErrorIs(e.t, err, vfs.ErrNotPermit)
	a, err := e.fs.SetAttr(e.ctx, alice, h, vfs.SetAttr{Mtime: &when})
	require.NoError(e.t, err)
	require.True(e.t, a.Mtime.Equal(when))
	// Anyone who may write sets them to now.
	a, err = e.fs.SetAttr(e.ctx, bob, h, vfs.SetAttr{MtimeNow: true, AtimeNow: true})
	require.NoError(e.t, err)
	e.recent(a.Mtime, "mtime set to now")
	e.recent(a.Atime, "atime set to now")
	e.setattr(h, vfs.SetAttr{Mode: ptr[uint32](0o644)})
	_, err = e.fs.SetAttr(e.ctx, bob, h, vfs.SetAttr{MtimeNow: true})
	require.ErrorIs(e.t, err, vfs.ErrPermission)
	// Nor may he truncate it.
	_, err = e.fs.SetAttr(e.ctx, bob, h, vfs.SetAttr{Size: ptr[uint64](0)})
	require.ErrorIs(e.t, err, vfs.ErrPermission)
}
