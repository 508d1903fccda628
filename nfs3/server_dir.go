package nfs3

import (
	"context"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
)

// isDot reports whether name is "." or "..", which name no entry a
// client can make, remove or rename.
func isDot(name string) bool { return name == "." || name == ".." }

// Lookup answers NFSPROC3_LOOKUP, resolving "." to the directory itself
// and ".." to its parent (the export's root is its own parent).
func (s *Server) Lookup(ctx context.Context, call *rpc.Call, args *LOOKUP3args) (*LOOKUP3res, error) {
	r, dir := s.open(ctx, call, &args.What.Dir)
	var a vfs.Attr
	obj := step(r, func() (h vfs.Handle, err error) {
		h, a, err = r.lookup(dir, string(args.What.Name))
		return h, err
	})
	fh, attr := r.made(obj, &a)
	dirAttr := r.post(dir)
	res := new(LOOKUP3res)
	res.Resok, res.Resfail = pick(r, &LOOKUP3resok{ObjAttributes: attr, DirAttributes: dirAttr}, &LOOKUP3resfail{DirAttributes: dirAttr})
	if res.Resok != nil {
		res.Resok.Object = *fh.Handle
	}
	return res, r.end(&res.Status)
}

// lookup finds name in dir, "." and ".." included.
func (r *req) lookup(dir vfs.Handle, name string) (vfs.Handle, vfs.Attr, error) {
	switch name {
	case ".":
		a, err := r.fs.GetAttr(r.ctx, &r.cred, dir)
		switch {
		case err != nil:
		case a.Type != vfs.TypeDirectory:
			err = vfs.ErrNotDir
		case !vfs.Permitted(&r.cred, &a, vfs.MayExec):
			err = vfs.ErrPermission
		}
		return dir, a, err
	case "..":
		return r.fs.Parent(r.ctx, &r.cred, dir)
	}
	return r.fs.Lookup(r.ctx, &r.cred, dir, name)
}

// maker makes name in dir with the attributes set.
type maker func(r *req, dir vfs.Handle, name string, set vfs.SetAttr) (vfs.Handle, vfs.Attr, error)

// make serves a call that makes a file: CREATE, MKDIR, SYMLINK or MKNOD,
// whose results are alike. It runs op, if the call is still good, to
// make the file named by where, with the attributes attrs (which may be
// nil), and returns the arm of CREATE's result to send, for the caller to
// convert to its own. "." and ".." exist already.
func (s *Server) make(ctx context.Context, call *rpc.Call, where *Diropargs3, attrs *Sattr3, op maker) (*req, *CREATE3resok, *CREATE3resfail) {
	r, dir := s.open(ctx, call, &where.Dir)
	r.modify()
	name := string(where.Name)
	if isDot(name) {
		r.fail(NFS3ERR_EXIST)
	}
	set, good := setAttr(attrs)
	if !good {
		r.fail(NFS3ERR_INVAL)
	}
	keepOwnership(&r.cred, &set)
	var h vfs.Handle
	var a vfs.Attr
	wcc, _ := r.change(dir, nil, func() (err error) {
		h, a, err = op(r, dir, name, set)
		return err
	})
	fh, attr := r.made(h, &a)
	ok, fail := pick(r, &CREATE3resok{Obj: fh, ObjAttributes: attr, DirWcc: wcc}, &CREATE3resfail{DirWcc: wcc})
	return r, ok, fail
}

// keepOwnership drops from set the ownership a caller other than root
// may not give a file it makes, as Linux's server does rather than fail
// the call: such a caller may set the owner to itself and the group to
// one it is in; other owners and groups are left to the backend's
// defaults. (SETATTR of an existing file still refuses them.) A root
// caller squashed to the anonymous user is not root.
func keepOwnership(cred *vfs.Cred, set *vfs.SetAttr) {
	if cred.UID == 0 {
		return
	}
	if set.UID != nil && *set.UID != cred.UID {
		set.UID = nil
	}
	if set.GID != nil && !cred.InGroup(*set.GID) {
		set.GID = nil
	}
}

// Create answers NFSPROC3_CREATE: UNCHECKED, GUARDED and EXCLUSIVE, whose
// verifier the backend keeps so that a retransmission finds the file it
// made.
func (s *Server) Create(ctx context.Context, call *rpc.Call, args *CREATE3args) (*CREATE3res, error) {
	r, ok, fail := s.make(ctx, call, &args.Where, args.How.ObjAttributes, func(r *req, dir vfs.Handle, name string, set vfs.SetAttr) (vfs.Handle, vfs.Attr, error) {
		how := vfs.CreateHow{Mode: vfs.CreateMode(args.How.Mode), Attr: set, Verifier: args.How.Verf} // numbered alike
		return r.fs.Create(ctx, &r.cred, dir, name, how)
	})
	res := &CREATE3res{Resok: ok, Resfail: fail}
	return res, r.end(&res.Status)
}

// Mkdir answers NFSPROC3_MKDIR.
func (s *Server) Mkdir(ctx context.Context, call *rpc.Call, args *MKDIR3args) (*MKDIR3res, error) {
	r, ok, fail := s.make(ctx, call, &args.Where, &args.Attributes, func(r *req, dir vfs.Handle, name string, set vfs.SetAttr) (vfs.Handle, vfs.Attr, error) {
		return r.fs.Mkdir(ctx, &r.cred, dir, name, set)
	})
	res := &MKDIR3res{Resok: (*MKDIR3resok)(ok), Resfail: (*MKDIR3resfail)(fail)}
	return res, r.end(&res.Status)
}

// Symlink answers NFSPROC3_SYMLINK. A size in the link's attributes is
// ignored, as Linux's server ignores it (a link's size is its target's
// length); the other attributes apply.
func (s *Server) Symlink(ctx context.Context, call *rpc.Call, args *SYMLINK3args) (*SYMLINK3res, error) {
	r, ok, fail := s.make(ctx, call, &args.Where, &args.Symlink.SymlinkAttributes, func(r *req, dir vfs.Handle, name string, set vfs.SetAttr) (vfs.Handle, vfs.Attr, error) {
		set.Size = nil
		return r.fs.Symlink(ctx, &r.cred, dir, name, string(args.Symlink.SymlinkData), set)
	})
	res := &SYMLINK3res{Resok: (*SYMLINK3resok)(ok), Resfail: (*SYMLINK3resfail)(fail)}
	return res, r.end(&res.Status)
}

// Mknod answers NFSPROC3_MKNOD through the backend's vfs.Mknoder:
// NFS3ERR_NOTSUPP if it has none, NFS3ERR_BADTYPE for a type MKNOD does
// not make.
func (s *Server) Mknod(ctx context.Context, call *rpc.Call, args *MKNOD3args) (*MKNOD3res, error) {
	what := &args.What
	var attrs *Sattr3
	var spec Specdata3
	switch {
	case (what.Type == NF3CHR || what.Type == NF3BLK) && what.Device != nil:
		attrs, spec = &what.Device.DevAttributes, what.Device.Spec
	case what.Type == NF3SOCK || what.Type == NF3FIFO:
		attrs = what.PipeAttributes
	}
	r, ok, fail := s.make(ctx, call, &args.Where, attrs, func(r *req, dir vfs.Handle, name string, set vfs.SetAttr) (vfs.Handle, vfs.Attr, error) {
		mk, can := r.fs.(vfs.Mknoder)
		switch {
		case what.Type < NF3BLK || what.Type > NF3FIFO || what.Type == NF3LNK:
			return nil, vfs.Attr{}, vfs.ErrBadType
		case !can:
			return nil, vfs.Attr{}, vfs.ErrNotSupported
		}
		return mk.Mknod(ctx, &r.cred, dir, name, vfs.FileType(what.Type), spec.Specdata1, spec.Specdata2, set)
	})
	res := &MKNOD3res{Resok: (*MKNOD3resok)(ok), Resfail: (*MKNOD3resfail)(fail)}
	return res, r.end(&res.Status)
}

// unlink serves REMOVE, or RMDIR, of obj, and returns the directory's
// weak cache consistency data. "." and ".." are directories to REMOVE
// (NFS3ERR_ISDIR, as unlink(2) says); to RMDIR "." is NFS3ERR_INVAL and
// ".." NFS3ERR_NOTEMPTY, as rmdir(2) says.
func (s *Server) unlink(ctx context.Context, call *rpc.Call, obj *Diropargs3, rmdir bool) (*req, WccData) {
	r, dir := s.open(ctx, call, &obj.Dir)
	r.modify()
	name := string(obj.Name)
	switch {
	case isDot(name) && !rmdir:
		r.fail(NFS3ERR_ISDIR)
	case name == ".":
		r.fail(NFS3ERR_INVAL)
	case name == "..":
		r.fail(NFS3ERR_NOTEMPTY)
	}
	if !rmdir {
		r.breakChild(dir, name)
	}
	wcc, _ := r.change(dir, nil, func() error {
		if rmdir {
			return r.fs.Rmdir(ctx, &r.cred, dir, name)
		}
		return r.fs.Remove(ctx, &r.cred, dir, name)
	})
	return r, wcc
}

// Remove answers NFSPROC3_REMOVE.
func (s *Server) Remove(ctx context.Context, call *rpc.Call, args *REMOVE3args) (*REMOVE3res, error) {
	r, wcc := s.unlink(ctx, call, &args.Object, false)
	res := new(REMOVE3res)
	res.Resok, res.Resfail = pick(r, &REMOVE3resok{DirWcc: wcc}, &REMOVE3resfail{DirWcc: wcc})
	return res, r.end(&res.Status)
}

// Rmdir answers NFSPROC3_RMDIR.
func (s *Server) Rmdir(ctx context.Context, call *rpc.Call, args *RMDIR3args) (*RMDIR3res, error) {
	r, wcc := s.unlink(ctx, call, &args.Object, true)
	res := new(RMDIR3res)
	res.Resok, res.Resfail = pick(r, &RMDIR3resok{DirWcc: wcc}, &RMDIR3resfail{DirWcc: wcc})
	return res, r.end(&res.Status)
}

// Rename answers NFSPROC3_RENAME. Both directories must be of one export
// (NFS3ERR_XDEV otherwise); "." or ".." on either side is NFS3ERR_INVAL.
func (s *Server) Rename(ctx context.Context, call *rpc.Call, args *RENAME3args) (*RENAME3res, error) {
	r, from := s.open(ctx, call, &args.Fromfile.Dir)
	to := r.also(&args.Tofile.Dir)
	r.modify()
	fromName, toName := string(args.Fromfile.Name), string(args.Tofile.Name)
	if isDot(fromName) || isDot(toName) {
		r.fail(NFS3ERR_INVAL)
	}
	r.breakChild(from, fromName)
	r.breakChild(to, toName)
	fromWcc, toWcc := r.change(from, to, func() error {
		return r.fs.Rename(ctx, &r.cred, from, fromName, to, toName)
	})
	res := new(RENAME3res)
	res.Resok, res.Resfail = pick(r, &RENAME3resok{FromdirWcc: fromWcc, TodirWcc: toWcc}, &RENAME3resfail{FromdirWcc: fromWcc, TodirWcc: toWcc})
	return res, r.end(&res.Status)
}

// Link answers NFSPROC3_LINK. The file and the directory must be of one
// export (NFS3ERR_XDEV otherwise).
func (s *Server) Link(ctx context.Context, call *rpc.Call, args *LINK3args) (*LINK3res, error) {
	r, file := s.open(ctx, call, &args.File)
	dir := r.also(&args.Link.Dir)
	r.modify()
	name := string(args.Link.Name)
	if isDot(name) {
		r.fail(NFS3ERR_EXIST)
	}
	r.breakDelegs(file, true)
	// The file's link count changes too: both stripes are held.
	wcc, _ := r.around(dir, nil, func() error {
		held := s.objs.share(file, dir)
		defer s.objs.unshare(held)
		return r.fs.Link(ctx, &r.cred, file, dir, name)
	})
	post := r.post(file)
	res := new(LINK3res)
	res.Resok, res.Resfail = pick(r, &LINK3resok{FileAttributes: post, LinkdirWcc: wcc}, &LINK3resfail{FileAttributes: post, LinkdirWcc: wcc})
	return res, r.end(&res.Status)
}
