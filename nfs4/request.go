package nfs4

import (
	"errors"
	"unicode/utf8"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
)

// authorize applies ex's policy to the caller, once per export and
// COMPOUND: NFS4ERR_WRONGSEC for a flavor the export does not allow,
// NFS4ERR_ACCESS for a client it is not open to. Other denials of the
// credential deny the whole call.
func (c *compound) authorize(ex *export.Export) Nfsstat4 {
	if c.authEx != ex {
		c.authEx = ex
		c.pol, c.cred, c.authErr = ex.Authorize(c.call)
	}
	switch err := c.authErr; {
	case err == nil:
		return NFS4_OK
	case errors.Is(err, rpc.AUTH_TOOWEAK):
		return NFS4ERR_WRONGSEC
	case export.IsDenial(err):
		c.denied = err
		return NFS4ERR_ACCESS
	default:
		return StatusOf(err)
	}
}

// open admits the caller to the current filehandle's export and returns
// its file system and backend handle; fs is nil for a pseudo directory.
func (c *compound) open() (fs vfs.FS, h vfs.Handle, st Nfsstat4) {
	if c.cur.node != nil {
		return nil, nil, NFS4_OK
	}
	if st := c.authorize(c.cur.ex); st != NFS4_OK {
		return nil, nil, st
	}
	return c.cur.ex.FS, c.cur.backend(), NFS4_OK
}

// openFile is open for an operation on a file's data: NFS4ERR_ISDIR for
// a pseudo directory.
func (c *compound) openFile() (vfs.FS, vfs.Handle, Nfsstat4) {
	fs, h, st := c.open()
	if st == NFS4_OK && fs == nil {
		return nil, nil, NFS4ERR_ISDIR
	}
	return fs, h, st
}

// modify admits a change to the current filehandle's object: NFS4ERR_ROFS
// for a pseudo directory or a read-only export.
func (c *compound) modify() (vfs.FS, vfs.Handle, Nfsstat4) {
	fs, h, st := c.open()
	switch {
	case st != NFS4_OK:
		return nil, nil, st
	case fs == nil || c.pol.ReadOnly:
		return nil, nil, NFS4ERR_ROFS
	}
	return fs, h, NFS4_OK
}

// check maps a backend error, logging those that are the server's fault.
func (c *compound) check(err error) Nfsstat4 {
	st := StatusOf(err)
	if st == NFS4ERR_IO || st == NFS4ERR_SERVERFAULT {
		attrs := []any{"err", err}
		if c.cur.ex != nil {
			attrs = append(attrs, "export", c.cur.ex.Path)
		}
		c.s.logger.Error("nfs4: backend failed", attrs...)
	}
	return st
}

// notDir is the status of a directory operation on h that the backend
// refused as not a directory: NFS4ERR_SYMLINK for a symbolic link (RFC
// 5661 section 15.1.2.7), else NFS4ERR_NOTDIR.
func (c *compound) notDir(fs vfs.FS, h vfs.Handle) Nfsstat4 {
	if a, err := fs.GetAttr(c.ctx, &c.cred, h); err == nil && a.Type == vfs.TypeSymlink {
		return NFS4ERR_SYMLINK
	}
	return NFS4ERR_NOTDIR
}

// checkDir is check for an operation on the directory h.
func (c *compound) checkDir(err error, fs vfs.FS, h vfs.Handle) Nfsstat4 {
	if errors.Is(err, vfs.ErrNotDir) {
		return c.notDir(fs, h)
	}
	return c.check(err)
}

// component decodes a component4 and checks it as a name to look up or
// make (RFC 5661 section 14.2): NFS4ERR_INVAL for an empty or non-UTF-8
// name, NFS4ERR_NAMETOOLONG beyond the limit, NFS4ERR_BADNAME for "." and
// "..", NFS4ERR_BADCHAR for "/" or NUL.
func (c *compound) component(dst *Component4) (string, Nfsstat4) {
	*dst = Component4(c.d.Opaque((*dst)[:0], NFS4_OPAQUE_LIMIT))
	if c.d.Err() != nil {
		return "", NFS4ERR_BADXDR
	}
	return checkName(*dst)
}

func checkName(b []byte) (string, Nfsstat4) {
	switch {
	case len(b) == 0 || !utf8.Valid(b):
		return "", NFS4ERR_INVAL
	case len(b) > int(vfs.DefaultPathConf.NameMax):
		return "", NFS4ERR_NAMETOOLONG
	case string(b) == "." || string(b) == "..":
		return "", NFS4ERR_BADNAME
	}
	for _, ch := range b {
		if ch == '/' || ch == 0 {
			return "", NFS4ERR_BADCHAR
		}
	}
	return string(b), NFS4_OK
}

// decoded reports NFS4ERR_BADXDR if the operation's arguments did not
// decode.
func (c *compound) decoded() Nfsstat4 {
	if c.d.Err() != nil {
		return NFS4ERR_BADXDR
	}
	return NFS4_OK
}
