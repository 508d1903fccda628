package nfs4

import (
	"errors"

	"github.com/nfskit/nfskit/vfs"
)

// fileStatus is the status of an operation on a regular file's data
// given a file of type t (RFC 7862's operations answer as READ does in
// RFC 5661 section 18.22.3): NFS4ERR_ISDIR for a directory,
// NFS4ERR_SYMLINK for a symbolic link, NFS4ERR_WRONG_TYPE for anything
// else but a regular file.
func fileStatus(t vfs.FileType) Nfsstat4 {
	switch t {
	case vfs.TypeRegular:
		return NFS4_OK
	case vfs.TypeDirectory:
		return NFS4ERR_ISDIR
	case vfs.TypeSymlink:
		return NFS4ERR_SYMLINK
	}
	return NFS4ERR_WRONG_TYPE
}

// dataFile admits an operation on the data of the current filehandle's
// file, under sid, which lets it read (write false) or change it: the
// file must be a regular file of an export (writable, for a change). It
// returns the file system, the backend's handle and the attributes.
func (c *compound) dataFile(sid *Stateid4, write bool) (vfs.FS, vfs.Handle, vfs.Attr, Nfsstat4) {
	fs, h, st := c.openFile()
	switch {
	case st != NFS4_OK:
		return nil, nil, vfs.Attr{}, st
	case write && c.pol.ReadOnly:
		return nil, nil, vfs.Attr{}, NFS4ERR_ROFS
	}
	a, err := fs.GetAttr(c.ctx, &c.cred, h)
	if err != nil {
		return nil, nil, vfs.Attr{}, c.check(err)
	}
	if st := fileStatus(a.Type); st != NFS4_OK {
		return nil, nil, vfs.Attr{}, st
	}
	if st := c.checkStateid(sid, write); st != NFS4_OK {
		return nil, nil, vfs.Attr{}, st
	}
	return fs, h, a, NFS4_OK
}

// statuses42 map the vfs errors of the optional interfaces NFSv4.2
// serves to the statuses of their own that NFSv3 lacks.
var statuses42 = [...]struct {
	err error
	st  Nfsstat4
}{
	{vfs.ErrNoXattr, NFS4ERR_NOXATTR},
	{vfs.ErrXattrTooBig, NFS4ERR_XATTR2BIG},
	{vfs.ErrNoRegion, NFS4ERR_NXIO},
}

// check42 is check for the errors of the optional interfaces.
func (c *compound) check42(err error) Nfsstat4 {
	if st, ok := status42(err); ok {
		return st
	}
	return c.check(err)
}

// status42 is the status of one of statuses42's errors; ok is false for
// any other error.
func status42(err error) (Nfsstat4, bool) {
	for _, m := range statuses42 {
		if errors.Is(err, m.err) {
			return m.st, true
		}
	}
	return 0, false
}

// stateidArg decodes an operation's stateid4 argument into
// c.args.stateid; false if it does not decode.
func (c *compound) stateidArg() (*Stateid4, bool) {
	sid := &c.args.stateid
	return sid, sid.UnmarshalXDR(&c.d) == nil
}
