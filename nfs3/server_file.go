package nfs3

import (
	"context"
	"errors"
	"math"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
)

// Null answers NFSPROC3_NULL.
func (s *Server) Null(ctx context.Context, call *rpc.Call) error { return nil }

// Getattr answers NFSPROC3_GETATTR.
func (s *Server) Getattr(ctx context.Context, call *rpc.Call, args *GETATTR3args) (*GETATTR3res, error) {
	res := new(GETATTR3res)
	return res, s.getattr(ctx, call, args, new(req), res, new(GETATTR3resok))
}

// getattr answers a GETATTR into res, with r and ok as its storage.
func (s *Server) getattr(ctx context.Context, call *rpc.Call, args *GETATTR3args, r *req, res *GETATTR3res, ok *GETATTR3resok) error {
	h := s.openIn(r, ctx, call, &args.Object)
	r.breakDelegs(h, false)
	res.Resok = nil
	if r.ok() {
		a, err := r.fs.GetAttr(ctx, &r.cred, h)
		if r.check(err) {
			ok.ObjAttributes = r.fattr(&a)
			res.Resok = ok
		}
	}
	return r.end(&res.Status)
}

// Setattr answers NFSPROC3_SETATTR. With a guard, nothing changes unless
// the file's ctime is the guard's (NFS3ERR_NOT_SYNC otherwise). The
// check and the change are one step: no other change the server makes
// to the file by its handle (a SETATTR, WRITE or LINK of it, or for a
// directory a call that adds, removes or renames an entry) comes between
// them, while such changes still run alongside one another. Changes the
// backend gets from elsewhere, or that reach the file by name (the link
// count REMOVE or RENAME lowers, the truncation of an UNCHECKED CREATE),
// are not ordered with it.
func (s *Server) Setattr(ctx context.Context, call *rpc.Call, args *SETATTR3args) (*SETATTR3res, error) {
	r, h := s.open(ctx, call, &args.Object)
	r.modify()
	r.breakDelegs(h, true)
	set, good := setAttr(&args.NewAttributes)
	if !good {
		r.fail(NFS3ERR_INVAL)
	}
	wcc, _ := r.around(h, nil, func() error {
		if !args.Guard.Check {
			held := s.objs.share(h, nil)
			defer s.objs.unshare(held)
			_, err := r.fs.SetAttr(ctx, &r.cred, h, set)
			return err
		}
		defer s.objs.exclusive(h).Unlock()
		a, err := r.fs.GetAttr(ctx, &r.cred, h)
		if err != nil {
			return err
		}
		if args.Guard.ObjCtime == nil || nfstime(a.Ctime) != *args.Guard.ObjCtime {
			r.fail(NFS3ERR_NOT_SYNC)
			return nil
		}
		_, err = r.fs.SetAttr(ctx, &r.cred, h, set)
		return err
	})
	res := new(SETATTR3res)
	res.Resok, res.Resfail = pick(r, &SETATTR3resok{ObjWcc: wcc}, &SETATTR3resfail{ObjWcc: wcc})
	return res, r.end(&res.Status)
}

// Access answers NFSPROC3_ACCESS from the file's mode bits and the
// caller's identity; on a read-only export, MODIFY, EXTEND and DELETE are
// never granted.
func (s *Server) Access(ctx context.Context, call *rpc.Call, args *ACCESS3args) (*ACCESS3res, error) {
	r, h := s.open(ctx, call, &args.Object)
	res := new(ACCESS3res)
	post := r.get(h)
	var granted uint32
	if r.ok() {
		granted = r.access(post.Attributes) & args.Access
	}
	res.Resok, res.Resfail = pick(r, &ACCESS3resok{ObjAttributes: post, Access: granted}, &ACCESS3resfail{ObjAttributes: post})
	return res, r.end(&res.Status)
}

// access returns the ACCESS3 bits the caller has on a file.
func (r *req) access(f *Fattr3) uint32 {
	a := vfs.Attr{Type: vfs.FileType(f.Type), Mode: uint32(f.Mode), UID: uint32(f.Uid), GID: uint32(f.Gid)}
	return vfs.Granted(&r.cred, &a, r.pol.ReadOnly)
}

// Readlink answers NFSPROC3_READLINK.
func (s *Server) Readlink(ctx context.Context, call *rpc.Call, args *READLINK3args) (*READLINK3res, error) {
	r, h := s.open(ctx, call, &args.Symlink)
	target := step(r, func() (string, error) { return r.fs.Readlink(ctx, &r.cred, h) })
	post := r.post(h)
	res := new(READLINK3res)
	res.Resok, res.Resfail = pick(r, &READLINK3resok{SymlinkAttributes: post, Data: Nfspath3(target)}, &READLINK3resfail{SymlinkAttributes: post})
	return res, r.end(&res.Status)
}

// Read answers NFSPROC3_READ. Served by Handler (and so by Register),
// it reads into a pooled buffer taken back once the reply is sent;
// called directly, into a new one the result keeps. A count above the
// transport's maximum is cut to it.
func (s *Server) Read(ctx context.Context, call *rpc.Call, args *READ3args) (*READ3res, error) {
	var rc readCall
	rc.args = *args
	return &rc.res, s.read(ctx, call, &rc, make([]byte, min(uint32(args.Count), maxIO(call))))
}

// readCall is the storage of one READ: its arguments, its results and
// what serving it takes.
type readCall struct {
	args  READ3args
	r     req
	res   READ3res
	ok    READ3resok
	fail  READ3resfail
	fattr Fattr3
}

// read answers the READ of rc into rc.res with buf, at least as long as
// the data the call may have, holding the data: the result refers to it.
func (s *Server) read(ctx context.Context, call *rpc.Call, rc *readCall, buf []byte) error {
	args := &rc.args
	buf = buf[:min(uint32(args.Count), maxIO(call))]
	r := &rc.r
	h := s.openIn(r, ctx, call, &args.File)
	r.breakDelegs(h, false)
	var n int
	var eof bool
	if r.ok() {
		var err error
		n, eof, err = r.fs.Read(ctx, &r.cred, h, uint64(args.Offset), buf)
		if errors.Is(err, vfs.ErrPermission) && r.override(h, true) {
			n, eof, err = r.fs.Read(ctx, r.root(), h, uint64(args.Offset), buf)
		}
		r.check(err)
	}
	post := r.postInto(h, &rc.fattr)
	rc.ok = READ3resok{FileAttributes: post, Count: Count3(n), Eof: eof, Data: buf[:n]}
	rc.fail = READ3resfail{FileAttributes: post}
	rc.res.Resok, rc.res.Resfail = pick(r, &rc.ok, &rc.fail)
	return r.end(&rc.res.Status)
}

// readFromFile answers the READ of rc with data sent from the backend's
// file, if the backend lends it and the range is one fr can send; it
// reports whether it answered. A READ it does not answer (a failure
// included) is left to read, which answers it with the data copied.
func (s *Server) readFromFile(ctx context.Context, fr rpc.FileReplier, call *rpc.Call, rc *readCall) bool {
	args := &rc.args
	r := &rc.r
	h := s.openIn(r, ctx, call, &args.File)
	r.breakDelegs(h, false) // on a failure the copying READ answers
	ro, ok := r.fs.(vfs.RangeOpener)
	if !r.ok() || !ok {
		return false
	}
	count := int(min(uint32(args.Count), maxIO(call)))
	f, err := ro.OpenRange(ctx, &r.cred, h, uint64(args.Offset), count)
	if errors.Is(err, vfs.ErrPermission) && r.override(h, true) {
		f, err = ro.OpenRange(ctx, r.root(), h, uint64(args.Offset), count)
	}
	if err != nil {
		return false
	}
	defer f.Close()
	if f.Count < s.fileMin {
		return false
	}
	rc.ok = READ3resok{FileAttributes: r.postInto(h, &rc.fattr), Count: Count3(f.Count), Eof: f.EOF}
	rc.res = READ3res{Status: NFS3_OK, Resok: &rc.ok}
	return fr.ReplyFile(&rc.res, rpc.FileRange{FD: f.FD, Offset: f.Offset, Count: f.Count}) != rpc.ErrNoFileReply
}

// override reports whether a READ or WRITE the mode bits refused may go
// ahead anyway: the caller owns the file or, for a read, may execute it.
func (r *req) override(h vfs.Handle, read bool) bool {
	a, ok := r.attrs(h)
	return ok && vfs.MayOverride(&r.cred, &a, read)
}

// root returns the caller's identity as the superuser, for an override.
func (r *req) root() *vfs.Cred {
	return &vfs.Cred{UID: 0, GID: r.cred.GID, Groups: r.cred.Groups}
}

// Write answers NFSPROC3_WRITE, passing the stability asked for to the
// backend. Data beyond count is ignored; count beyond the data is
// NFS3ERR_INVAL.
func (s *Server) Write(ctx context.Context, call *rpc.Call, args *WRITE3args) (*WRITE3res, error) {
	r, h := s.open(ctx, call, &args.File)
	r.modify()
	r.breakDelegs(h, true)
	if int64(args.Count) > int64(len(args.Data)) {
		r.fail(NFS3ERR_INVAL)
	}
	data := args.Data[:min(int(args.Count), len(args.Data))]
	want := vfs.Stability(args.Stable) // vfs numbers them as NFSv3 does
	var n int
	var got vfs.Stability
	wcc, _ := r.change(h, nil, func() error {
		var err error
		n, got, err = r.fs.Write(ctx, &r.cred, h, uint64(args.Offset), data, want)
		if errors.Is(err, vfs.ErrPermission) && r.override(h, false) {
			n, got, err = r.fs.Write(ctx, r.root(), h, uint64(args.Offset), data, want)
		}
		if err == nil && got < want {
			// The backend fell short of what was asked: make it so.
			got, err = want, r.fs.Commit(ctx, &r.cred, h, uint64(args.Offset), uint64(n))
		}
		return err
	})
	res := new(WRITE3res)
	res.Resok, res.Resfail = pick(r, &WRITE3resok{FileWcc: wcc, Count: Count3(n), Committed: StableHow(got), Verf: s.verf}, &WRITE3resfail{FileWcc: wcc})
	return res, r.end(&res.Status)
}

// Commit answers NFSPROC3_COMMIT, asking the backend to make earlier
// unstable writes durable.
func (s *Server) Commit(ctx context.Context, call *rpc.Call, args *COMMIT3args) (*COMMIT3res, error) {
	r, h := s.open(ctx, call, &args.File)
	// COMMIT changes no attribute: it takes no stripe.
	wcc, _ := r.around(h, nil, func() error {
		return r.fs.Commit(ctx, &r.cred, h, uint64(args.Offset), uint64(args.Count))
	})
	res := new(COMMIT3res)
	res.Resok, res.Resfail = pick(r, &COMMIT3resok{FileWcc: wcc, Verf: s.verf}, &COMMIT3resfail{FileWcc: wcc})
	return res, r.end(&res.Status)
}

// Fsstat answers NFSPROC3_FSSTAT from the backend's StatFS.
func (s *Server) Fsstat(ctx context.Context, call *rpc.Call, args *FSSTAT3args) (*FSSTAT3res, error) {
	r, h := s.open(ctx, call, &args.Fsroot)
	st := step(r, func() (vfs.FSStat, error) { return r.fs.StatFS(ctx, &r.cred, h) })
	post := r.post(h)
	res := new(FSSTAT3res)
	res.Resok, res.Resfail = pick(r, &FSSTAT3resok{
		ObjAttributes: post,
		Tbytes:        Size3(st.TotalBytes), Fbytes: Size3(st.FreeBytes), Abytes: Size3(st.AvailBytes),
		Tfiles: Size3(st.TotalFiles), Ffiles: Size3(st.FreeFiles), Afiles: Size3(st.AvailFiles),
	}, &FSSTAT3resfail{ObjAttributes: post})
	return res, r.end(&res.Status)
}

// Fsinfo answers NFSPROC3_FSINFO: transfers of up to MaxTransfer bytes
// (MaxDatagramTransfer over UDP), READDIR of PreferredReaddir, times to
// the nanosecond, hard and symbolic links, and settable times.
func (s *Server) Fsinfo(ctx context.Context, call *rpc.Call, args *FSINFO3args) (*FSINFO3res, error) {
	r, h := s.open(ctx, call, &args.Fsroot)
	post := r.get(h)
	io := maxIO(call)
	res := new(FSINFO3res)
	res.Resok, res.Resfail = pick(r, &FSINFO3resok{
		ObjAttributes: post,
		Rtmax:         io, Rtpref: io, Rtmult: 4096,
		Wtmax: io, Wtpref: io, Wtmult: 4096,
		Dtpref:      min(PreferredReaddir, io),
		Maxfilesize: math.MaxInt64,
		TimeDelta:   Nfstime3{Nseconds: 1},
		Properties:  FSF3_LINK | FSF3_SYMLINK | FSF3_HOMOGENEOUS | FSF3_CANSETTIME,
	}, &FSINFO3resfail{ObjAttributes: post})
	return res, r.end(&res.Status)
}

// Pathconf answers NFSPROC3_PATHCONF from the backend's vfs.PathConfer,
// or vfs.DefaultPathConf.
func (s *Server) Pathconf(ctx context.Context, call *rpc.Call, args *PATHCONF3args) (*PATHCONF3res, error) {
	r, h := s.open(ctx, call, &args.Object)
	post := r.get(h)
	pc := step(r, func() (vfs.PathConf, error) {
		if pcr, ok := r.fs.(vfs.PathConfer); ok {
			return pcr.PathConf(ctx, &r.cred, h)
		}
		return vfs.DefaultPathConf, nil
	})
	res := new(PATHCONF3res)
	res.Resok, res.Resfail = pick(r, &PATHCONF3resok{
		ObjAttributes: post, Linkmax: pc.LinkMax, NameMax: pc.NameMax,
		NoTrunc: pc.NoTrunc, ChownRestricted: pc.ChownRestricted,
		CaseInsensitive: pc.CaseInsensitive, CasePreserving: pc.CasePreserving,
	}, &PATHCONF3resfail{ObjAttributes: post})
	return res, r.end(&res.Status)
}
