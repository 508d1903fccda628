package nfs4

import (
	"errors"
	"unicode/utf8"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/xdr"
)

// Directory cookies: the backend's cookies numbered above the reserved
// values 1 and 2, as NFSv3 numbers them above "." and "..".
const dotCookies = 2

// readdirBase is a READDIR4resok holding no entries: the cookie verifier,
// the end of the list and eof.
const readdirBase = NFS4_VERIFIER_SIZE + 4 + 4

// maxReaddirEntries bounds the entries asked of the backend at once.
const maxReaddirEntries = 1024

// opReaddir serves READDIR: as many entries as keep the result within
// maxcount (NFS4ERR_TOOSMALL if not one does), never "." or "..", each
// with the attributes asked for; an entry whose attributes cannot be had
// gets only rdattr_error if that was asked for, and fails the call if
// not. dircount is a hint the server does not need.
func opReaddir(c *compound) Nfsstat4 {
	a := &c.args.readdir
	a.Cookie = NfsCookie4(c.d.Uint64())
	c.d.FixedOpaque(a.Cookieverf[:])
	a.Dircount = Count4(c.d.Uint32())
	a.Maxcount = Count4(c.d.Uint32())
	var want attrMask
	if st := c.bitmap(&want); st != NFS4_OK {
		return st
	}
	if a.Cookie == 1 || a.Cookie == 2 {
		return NFS4ERR_BAD_COOKIE
	}
	fs, dir, st := c.open()
	if st != NFS4_OK {
		return st
	}
	budget := int(min(a.Maxcount, MaxTransfer)) - readdirBase
	if budget < 0 {
		return NFS4ERR_TOOSMALL
	}
	l := lister{c: c, want: &want, budget: budget}
	if fs == nil {
		return l.pseudo(uint64(a.Cookie))
	}
	return l.export(fs, dir, uint64(a.Cookie), a.Cookieverf)
}

// lister encodes READDIR entries into the reply while they fit.
type lister struct {
	c      *compound
	want   *attrMask
	budget int
	n      int // entries encoded
	full   bool
}

// add encodes one entry whose attributes describe sets into c.obj,
// unless it does not fit; it returns false to stop.
func (l *lister) add(cookie uint64, name string, describe func(o *object) Nfsstat4) (bool, Nfsstat4) {
	c := l.c
	o := &c.obj
	*o = object{}
	st := NFS4_OK
	if l.want.has(FATTR4_RDATTR_ERROR) || *l.want != (attrMask{}) {
		st = describe(o)
	}
	c.tmp.Reset(c.tmp.Bytes()[:0])
	switch {
	case st == NFS4_OK:
		st = c.putAttrs(&c.tmp, l.want, o)
	case l.want.has(FATTR4_RDATTR_ERROR):
		*o = object{rdErr: st}
		st = c.putAttrs(&c.tmp, &rdattrOnly, o)
	}
	if st != NFS4_OK {
		return false, st
	}
	size := 4 + 8 + 4 + xdr.Padded(len(name)) + len(c.tmp.Bytes())
	if size > l.budget {
		l.full = true
		if l.n == 0 {
			return false, NFS4ERR_TOOSMALL
		}
		return false, NFS4_OK
	}
	l.budget -= size
	l.n++
	c.out.PutBool(true)
	c.out.PutUint64(cookie)
	c.out.PutString(name)
	c.out.PutRaw(c.tmp.Bytes())
	return true, NFS4_OK
}

var rdattrOnly = maskOf(FATTR4_RDATTR_ERROR)

// end closes the list.
func (l *lister) end(eof bool) Nfsstat4 {
	l.c.out.PutBool(false)
	l.c.out.PutBool(eof && !l.full)
	return NFS4_OK
}

// pseudo lists a pseudo directory: its children, cookies from 3.
func (l *lister) pseudo(cookie uint64) Nfsstat4 {
	c := l.c
	node := c.cur.node
	var zero Verifier4
	c.out.PutFixedOpaque(zero[:])
	start := 0
	if cookie > dotCookies {
		start = int(min(cookie-dotCookies, uint64(len(node.children))))
	}
	for i := start; i < len(node.children); i++ {
		child := node.children[i]
		more, st := l.add(uint64(i+1+dotCookies), child.name, func(o *object) Nfsstat4 { return c.describeNode(o, child) })
		if st != NFS4_OK {
			return st
		}
		if !more {
			return l.end(false)
		}
	}
	return l.end(true)
}

// describeNode describes a pseudo directory's child: the root of the
// export mounted there, or the pseudo directory.
func (c *compound) describeNode(o *object, n *pseudoNode) Nfsstat4 {
	if n.ex == nil {
		*o = object{fh: n.handle[:], node: n, made: c.s.pseudo.get().made}
		return NFS4_OK
	}
	if st := c.authorize(n.ex); st != NFS4_OK {
		return st
	}
	h, err := c.rootOf(n.ex)
	if err != nil {
		return c.check(err)
	}
	a, err := n.ex.FS.GetAttr(c.ctx, &c.cred, h)
	if err != nil {
		return c.check(err)
	}
	fh, err := export.AppendHandle(c.fhBuf[:0], n.ex.ID, h)
	if err != nil {
		return c.check(err)
	}
	*o = object{fh: fh, ex: n.ex, fs: n.ex.FS, h: h, a: a, mountedOn: n.fileid}
	return NFS4_OK
}

// export lists a directory of an export through the backend.
func (l *lister) export(fs vfs.FS, dir vfs.Handle, cookie uint64, verf Verifier4) Nfsstat4 {
	c := l.c
	next := uint64(0)
	if cookie > dotCookies {
		next = cookie - dotCookies
	}
	ex := c.cur.ex
	plus := *l.want != (attrMask{})
	first := true
	for {
		want := min(max(l.budget/32, 1), maxReaddirEntries)
		entries, eof, v, err := fs.ReadDir(c.ctx, &c.cred, dir, next, want, plus)
		if err != nil {
			return c.checkDir(err, fs, dir)
		}
		if first {
			var got Verifier4
			for i := range got {
				got[i] = byte(v >> (56 - 8*i))
			}
			if cookie != 0 && verf != (Verifier4{}) && verf != got {
				return NFS4ERR_NOT_SAME
			}
			c.out.PutFixedOpaque(got[:])
			first = false
		}
		for i := range entries {
			e := &entries[i]
			more, st := l.add(e.Cookie+dotCookies, e.Name, func(o *object) Nfsstat4 { return c.describeEntry(o, ex, fs, dir, e) })
			if st != NFS4_OK {
				return st
			}
			if !more {
				return l.end(false)
			}
			next = e.Cookie
		}
		if eof || len(entries) == 0 {
			return l.end(true)
		}
	}
}

// describeEntry describes a directory entry, looking it up if the
// backend's listing did not give its handle and attributes.
func (c *compound) describeEntry(o *object, ex *export.Export, fs vfs.FS, dir vfs.Handle, e *vfs.DirEntry) Nfsstat4 {
	h, a := e.Handle, e.Attr
	if h == nil || a == nil {
		lh, la, err := fs.Lookup(c.ctx, &c.cred, dir, e.Name)
		if err != nil {
			return c.check(err)
		}
		h, a = lh, &la
	}
	fh, err := export.AppendHandle(c.fhBuf[:0], ex.ID, h)
	if err != nil {
		return c.check(err)
	}
	*o = object{fh: fh, ex: ex, fs: fs, h: h, a: *a}
	return NFS4_OK
}

// dirChange returns the change attribute of a directory, 0 if it cannot
// be had.
func (c *compound) dirChange(fs vfs.FS, dir vfs.Handle) uint64 {
	a, err := fs.GetAttr(c.ctx, &c.cred, dir)
	if err != nil {
		return 0
	}
	return change(&a)
}

// putChangeInfo encodes a change_info4 of a change not made atomically
// with the reading of the attributes around it.
func (c *compound) putChangeInfo(before, after uint64) {
	c.out.PutBool(false)
	c.out.PutUint64(before)
	c.out.PutUint64(after)
}

// opCreate serves CREATE of a directory, symbolic link, device, socket
// or FIFO (NFS4ERR_BADTYPE for a regular file, which OPEN creates); the
// new object becomes the current filehandle.
func opCreate(c *compound) Nfsstat4 {
	typ := NfsFtype4(c.d.Int32())
	var target []byte
	var major, minor uint32
	switch typ {
	case NF4LNK:
		target = c.d.Opaque(nil, maxLinkText)
	case NF4BLK, NF4CHR:
		major, minor = c.d.Uint32(), c.d.Uint32()
	}
	name, st := c.component(&c.args.create.Objname)
	if st == NFS4ERR_BADXDR {
		return st
	}
	var m attrMask
	var set vfs.SetAttr
	var v setValues
	st2 := c.decodeSet(&m, &set, &v)
	switch {
	case st2 == NFS4ERR_BADXDR:
		return st2
	case st != NFS4_OK:
		return st
	case st2 != NFS4_OK:
		return st2
	}
	fs, dir, st := c.modify()
	if st != NFS4_OK {
		return st
	}
	before := c.dirChange(fs, dir)
	var h vfs.Handle
	var err error
	switch typ {
	case NF4DIR:
		h, _, err = fs.Mkdir(c.ctx, &c.cred, dir, name, set)
	case NF4LNK:
		if !utf8.Valid(target) {
			return NFS4ERR_INVAL
		}
		h, _, err = fs.Symlink(c.ctx, &c.cred, dir, name, string(target), set)
	case NF4BLK, NF4CHR, NF4SOCK, NF4FIFO:
		mk, ok := fs.(vfs.Mknoder)
		if !ok {
			return NFS4ERR_NOTSUPP
		}
		h, _, err = mk.Mknod(c.ctx, &c.cred, dir, name, vfs.FileType(typ), major, minor, set)
	default:
		return NFS4ERR_BADTYPE
	}
	if err != nil {
		return c.check(err)
	}
	after := c.dirChange(fs, dir)
	if err := c.cur.setExported(c.cur.ex, h); err != nil {
		return c.check(err)
	}
	c.putChangeInfo(before, after)
	putBitmap(&c.out, &m)
	return NFS4_OK
}

// maxLinkText bounds a symbolic link's target.
const maxLinkText = 4096

// opRemove serves REMOVE of a file or an empty directory.
func opRemove(c *compound) Nfsstat4 {
	name, st := c.component(&c.args.remove.Target)
	if st != NFS4_OK {
		return st
	}
	if c.inGrace() {
		return NFS4ERR_GRACE
	}
	fs, dir, st := c.modify()
	if st != NFS4_OK {
		return st
	}
	if st := c.breakChild(fs, dir, name); st != NFS4_OK {
		return st
	}
	before := c.dirChange(fs, dir)
	err := fs.Remove(c.ctx, &c.cred, dir, name)
	if errors.Is(err, vfs.ErrIsDir) {
		err = fs.Rmdir(c.ctx, &c.cred, dir, name)
	}
	if err != nil {
		return c.check(err)
	}
	c.putChangeInfo(before, c.dirChange(fs, dir))
	return NFS4_OK
}

// other admits a change through the saved filehandle as well as the
// current one: NFS4ERR_NOFILEHANDLE without one, NFS4ERR_ROFS if both
// are pseudo directories, NFS4ERR_XDEV if they are of different file
// systems.
func (c *compound) other() (vfs.Handle, Nfsstat4) {
	switch {
	case !c.saved.valid():
		return nil, NFS4ERR_NOFILEHANDLE
	case c.saved.node != nil && c.cur.node != nil:
		return nil, NFS4ERR_ROFS
	case c.saved.ex != c.cur.ex:
		return nil, NFS4ERR_XDEV
	}
	return c.saved.backend(), NFS4_OK
}

// opRename serves RENAME from the saved filehandle's directory to the
// current one's.
func opRename(c *compound) Nfsstat4 {
	oldName, st := c.component(&c.args.rename.Oldname)
	if st == NFS4ERR_BADXDR {
		return st
	}
	newName, st2 := c.component(&c.args.rename.Newname)
	if st2 == NFS4ERR_BADXDR {
		return st2
	}
	if c.inGrace() {
		return NFS4ERR_GRACE
	}
	from, st3 := c.other()
	if st3 != NFS4_OK {
		return st3
	}
	if st != NFS4_OK {
		return st
	}
	if st2 != NFS4_OK {
		return st2
	}
	fs, to, st := c.modify()
	if st != NFS4_OK {
		return st
	}
	if st := c.breakRename(fs, from, oldName, to, newName); st != NFS4_OK {
		return st
	}
	fromBefore, toBefore := c.dirChange(fs, from), c.dirChange(fs, to)
	if err := fs.Rename(c.ctx, &c.cred, from, oldName, to, newName); err != nil {
		return c.check(err)
	}
	c.putChangeInfo(fromBefore, c.dirChange(fs, from))
	c.putChangeInfo(toBefore, c.dirChange(fs, to))
	return NFS4_OK
}

// opLink serves LINK of the saved filehandle's file into the current
// filehandle's directory.
func opLink(c *compound) Nfsstat4 {
	name, st := c.component(&c.args.link.Newname)
	if st == NFS4ERR_BADXDR {
		return st
	}
	h, st2 := c.other()
	if st2 != NFS4_OK {
		return st2
	}
	if st != NFS4_OK {
		return st
	}
	fs, dir, st := c.modify()
	if st != NFS4_OK {
		return st
	}
	if st := c.breakLink(h); st != NFS4_OK {
		return st
	}
	before := c.dirChange(fs, dir)
	if err := fs.Link(c.ctx, &c.cred, h, dir, name); err != nil {
		return c.check(err)
	}
	c.putChangeInfo(before, c.dirChange(fs, dir))
	return NFS4_OK
}
