package nfs3

import (
	"context"
	"encoding/binary"
	"math"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/xdr"
)

// Encoded sizes of the parts of READDIR and READDIRPLUS results, by
// which the server keeps a reply within the count the client gave.
const (
	fattrSize = 84
	// readdirBase is a READDIR3res or READDIRPLUS3res holding no
	// entries: status, directory attributes, cookie verifier, the end of
	// the list and eof.
	readdirBase = 4 + 4 + fattrSize + NFS3_COOKIEVERFSIZE + 4 + 4
	// maxReaddirEntries bounds the entries asked of the backend at once.
	maxReaddirEntries = 4096
)

// entrySize is the encoded size of an entry3 named name, the link to it
// included: its "directory information", as READDIRPLUS's dircount
// counts it too.
func entrySize(name string) int { return 4 + 8 + 4 + xdr.Padded(len(name)) + 8 }

// plusSize is what an entryplus3 adds to entrySize: attributes and handle.
func plusSize(e *Entryplus3) int {
	n := 4 + 4
	if e.NameAttributes.AttributesFollow {
		n += fattrSize
	}
	if e.NameHandle.HandleFollows {
		n += 4 + xdr.Padded(len(e.NameHandle.Handle.Data))
	}
	return n
}

// fits estimates how many entries of the given size fit in budget: -1 if
// the budget is already overdrawn.
func fits(budget, size int) int {
	if budget < 0 {
		return -1
	}
	return budget / size
}

// Readdir answers NFSPROC3_READDIR with as many entries as fit in the
// count the client gave, the whole encoded result counted (NFS3ERR_TOOSMALL
// if not one does). A cookie from an earlier listing is checked against
// the backend's cookie verifier: NFS3ERR_BAD_COOKIE if the verifier sent
// is not zero and no longer matches. Every listing starts with "." and
// ".." (cookies 1 and 2), as Linux's server lists them.
func (s *Server) Readdir(ctx context.Context, call *rpc.Call, args *READDIR3args) (*READDIR3res, error) {
	r, dir := s.open(ctx, call, &args.Dir)
	post := r.get(dir)
	budget := int(min(uint32(args.Count), maxIO(call))) - readdirBase
	var entries []Entry3
	eof, verf := r.list(dir, args.Cookie, args.Cookieverf, false, fits(budget, entrySize("x")), func(e *vfs.DirEntry) bool {
		n := entrySize(e.Name)
		if n > budget {
			return false
		}
		budget -= n
		entries = append(entries, Entry3{Fileid: Fileid3(e.FileID), Name: Filename3(e.Name), Cookie: Cookie3(e.Cookie)})
		return true
	})
	res := new(READDIR3res)
	res.Resok, res.Resfail = pick(r, &READDIR3resok{DirAttributes: post, Cookieverf: verf, Reply: Dirlist3{Entries: entries, Eof: eof}}, &READDIR3resfail{DirAttributes: post})
	return res, r.end(&res.Status)
}

// Readdirplus answers NFSPROC3_READDIRPLUS: as Readdir, with each entry's
// handle and attributes (from the backend's listing, or looked up), as
// many entries as keep the whole encoded result within maxcount and their
// directory information (entrySize each) within dircount; the first entry
// is held to maxcount only.
func (s *Server) Readdirplus(ctx context.Context, call *rpc.Call, args *READDIRPLUS3args) (*READDIRPLUS3res, error) {
	r, dir := s.open(ctx, call, &args.Dir)
	post := r.get(dir)
	budget := int(min(uint32(args.Maxcount), maxIO(call))) - readdirBase
	dirBudget := int(args.Dircount)
	var entries []Entryplus3
	want := fits(budget, entrySize("x")+8+fattrSize+8+32)
	eof, verf := r.list(dir, args.Cookie, args.Cookieverf, true, want, func(e *vfs.DirEntry) bool {
		n := entrySize(e.Name)
		if n > budget || n > dirBudget && len(entries) > 0 {
			return false
		}
		pe := r.plus(dir, e)
		if n += plusSize(&pe); n > budget {
			return false
		}
		budget -= n
		dirBudget -= entrySize(e.Name)
		entries = append(entries, pe)
		return true
	})
	res := new(READDIRPLUS3res)
	res.Resok, res.Resfail = pick(r, &READDIRPLUS3resok{DirAttributes: post, Cookieverf: verf, Reply: Dirlistplus3{Entries: entries, Eof: eof}}, &READDIRPLUS3resfail{DirAttributes: post})
	return res, r.end(&res.Status)
}

// plus makes the READDIRPLUS entry of e: its handle and attributes come
// from the backend's listing (or for "." and "..", from dots), or are
// looked up; either is left out if it cannot be had.
func (r *req) plus(dir vfs.Handle, e *vfs.DirEntry) Entryplus3 {
	pe := Entryplus3{Fileid: Fileid3(e.FileID), Name: Filename3(e.Name), Cookie: Cookie3(e.Cookie)}
	h, a := e.Handle, e.Attr
	if h == nil && !isDot(e.Name) {
		lh, la, err := r.fs.Lookup(r.ctx, &r.cred, dir, e.Name)
		if err != nil {
			return pe
		}
		h, a = lh, &la
	}
	if a == nil {
		if ga, ok := r.attrs(h); ok {
			a = &ga
		}
	}
	if a != nil {
		pe.NameAttributes = r.postOf(a)
	}
	if fh, err := export.EncodeHandle(r.ex.ID, h); err == nil {
		pe.NameHandle = PostOpFh3{HandleFollows: true, Handle: &NfsFh3{Data: fh}}
	}
	return pe
}

// dotCookies is how many cookies "." and ".." take at the start of
// every listing: "." has cookie 1, ".." cookie 2, and a backend's cookie
// c is c+dotCookies on the wire, so a listing resumes from any cookie.
const dotCookies = 2

// dots returns the entries "." and ".." of dir that a listing resuming
// after cookie still has to give, with fileids (".." of the export's root
// is the root itself) and, for plus, handles and attributes where the
// caller may have them.
func (r *req) dots(dir vfs.Handle, cookie Cookie3, plus bool) []vfs.DirEntry {
	if cookie >= dotCookies || !r.ok() {
		return nil
	}
	a, err := r.fs.GetAttr(r.ctx, &r.cred, dir)
	if !r.check(err) {
		return nil
	}
	dot := vfs.DirEntry{Name: ".", FileID: a.FileID, Cookie: 1}
	dotdot := vfs.DirEntry{Name: "..", FileID: a.FileID, Cookie: 2}
	if ph, pa, err := r.fs.Parent(r.ctx, &r.cred, dir); err == nil {
		dotdot.FileID = pa.FileID
		if plus {
			dotdot.Handle, dotdot.Attr = ph, &pa
		}
	} else if _, pa, err := r.fs.Parent(r.ctx, &vfs.Root, dir); err == nil {
		// A directory the caller may read but not search still lists
		// its parent's fileid, as getdents does.
		dotdot.FileID = pa.FileID
	}
	if plus {
		dot.Handle, dot.Attr = dir, &a
	}
	if cookie == 1 {
		return []vfs.DirEntry{dotdot}
	}
	return []vfs.DirEntry{dot, dotdot}
}

// list reads dir's entries after cookie, "." and ".." first, then the
// backend's, want at a time (at least one; a negative want means that
// nothing fits), and hands each to fit until it reports that one does not
// fit. It returns whether the listing reached the end and the cookie
// verifier, failing the call with NFS3ERR_BAD_COOKIE if verf is stale, or
// NFS3ERR_TOOSMALL if not one entry fits.
func (r *req) list(dir vfs.Handle, cookie Cookie3, verf Cookieverf3, plus bool, want int, fit func(e *vfs.DirEntry) bool) (bool, Cookieverf3) {
	var out Cookieverf3
	if want < 0 {
		r.fail(NFS3ERR_TOOSMALL) // not even an empty listing fits
	}
	dots := r.dots(dir, cookie, plus)
	if !r.ok() {
		return false, out
	}
	next := uint64(0) // the backend's cookie to resume after
	if cookie > dotCookies {
		next = uint64(cookie) - dotCookies
	}
	first, fitted := true, 0
	// take hands e to fit, failing the call if not even the first fits.
	take := func(e *vfs.DirEntry) bool {
		if !fit(e) {
			if fitted == 0 {
				r.fail(NFS3ERR_TOOSMALL)
			}
			return false
		}
		fitted++
		return true
	}
	for {
		entries, eof, v, err := r.fs.ReadDir(r.ctx, &r.cred, dir, next, min(max(want, 1), maxReaddirEntries), plus)
		if !r.check(err) {
			return false, out
		}
		if first {
			binary.BigEndian.PutUint64(out[:], v)
			if cookie > dotCookies && verf != (Cookieverf3{}) && verf != out {
				r.fail(NFS3ERR_BAD_COOKIE)
				return false, out
			}
			first = false
		}
		for i := range dots {
			if !take(&dots[i]) {
				return false, out
			}
		}
		dots = nil
		for i := range entries {
			e := &entries[i]
			if e.Cookie > math.MaxUint64-dotCookies {
				r.s.logger.Error("nfs3: backend cookie out of range", "cookie", e.Cookie, "export", r.ex.Path)
				r.fail(NFS3ERR_SERVERFAULT)
				return false, out
			}
			next = e.Cookie
			e.Cookie += dotCookies
			if !take(e) {
				return false, out
			}
		}
		if eof || len(entries) == 0 {
			return eof, out
		}
	}
}
