package vfs

import (
	"context"
	"errors"
)

// Extended attributes are name-value pairs kept with a file. The names a
// Xattrer takes and gives are those of the user namespace without its
// prefix: "mime_type" is what Linux calls "user.mime_type". NFSv4.2's
// extended attribute operations (RFC 8276) carry such names, so the
// server passes them through unchanged, and a backend on a Linux file
// system (osfs) adds "user." on the way down and lists only the user
// namespace, with the prefix taken off. A name is a single component of
// at most XattrNameMax bytes; a value holds at most XattrSizeMax bytes.
const (
	// XattrNameMax is the longest name: Linux's 255 bytes, less the
	// "user." prefix.
	XattrNameMax = 255 - len("user.")
	// XattrSizeMax is the largest value, Linux's limit.
	XattrSizeMax = 64 << 10
)

// Errors of extended attributes.
var (
	ErrNoXattr     = errors.New("vfs: no such extended attribute") // NOXATTR (ENODATA)
	ErrXattrTooBig = errors.New("vfs: extended attribute too big") // XATTR2BIG (E2BIG, ERANGE)
)

// XattrSet says what SetXattr does when the name does or does not exist.
type XattrSet uint8

// Ways of SetXattr, as NFSv4.2 and setxattr(2) name them.
const (
	XattrEither  XattrSet = iota // make the attribute or replace its value
	XattrCreate                  // ErrExist if it exists
	XattrReplace                 // ErrNoXattr if it does not
)

// Xattrer is implemented by file systems that keep extended attributes
// of the user namespace on regular files and directories (other files
// get ErrNotSupported or ErrNotPermit, as Linux has it).
type Xattrer interface {
	// GetXattr returns the value of name (ErrNoXattr if it has none);
	// cred needs read permission.
	GetXattr(ctx context.Context, cred *Cred, h Handle, name string) ([]byte, error)
	// SetXattr sets name to value as how says; cred needs write
	// permission. A value over XattrSizeMax gets ErrXattrTooBig.
	SetXattr(ctx context.Context, cred *Cred, h Handle, name string, value []byte, how XattrSet) error
	// ListXattrs returns the names of the file's attributes, sorted.
	ListXattrs(ctx context.Context, cred *Cred, h Handle) ([]string, error)
	// RemoveXattr removes name (ErrNoXattr if it has none); cred needs
	// write permission.
	RemoveXattr(ctx context.Context, cred *Cred, h Handle, name string) error
}

// CheckXattrName checks an extended attribute name: ErrInvalid for an
// empty one or one holding NUL, ErrNameTooLong past XattrNameMax.
func CheckXattrName(name string) error {
	switch {
	case name == "":
		return ErrInvalid
	case len(name) > XattrNameMax:
		return ErrNameTooLong
	}
	for i := 0; i < len(name); i++ {
		if name[i] == 0 {
			return ErrInvalid
		}
	}
	return nil
}
