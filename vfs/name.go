package vfs

import "strings"

// CheckName reports whether name may name a directory entry: ErrInvalid
// for "", ".", ".." and names holding "/" or a NUL byte, ErrNameTooLong
// for names longer than max bytes (PathConf's NameMax), else nil. A
// backend calls it for every name it is given.
func CheckName(name string, max int) error {
	switch {
	case name == "" || name == "." || name == "..":
		return ErrInvalid
	case len(name) > max:
		return ErrNameTooLong
	case strings.ContainsAny(name, "/\x00"):
		return ErrInvalid
	}
	return nil
}
