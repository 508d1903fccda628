package vfs

// Access is a set of permissions asked for.
type Access uint8

// Permissions, as the mode bits' rwx.
const (
	MayRead  Access = 4
	MayWrite Access = 2
	MayExec  Access = 1
)

// Permitted reports whether cred may access a file with attributes a as
// want asks, by POSIX mode bits: the owner's bits if cred owns the file,
// else the group's if cred is in its group, else the others'. The
// superuser may read and write anything, and execute anything that has an
// execute bit set for someone (or search any directory).
func Permitted(cred *Cred, a *Attr, want Access) bool {
	if cred.UID == 0 {
		if want&MayExec == 0 || a.Type == TypeDirectory || a.Mode&0o111 != 0 {
			return true
		}
		return false
	}
	var bits uint32
	switch {
	case cred.UID == a.UID:
		bits = a.Mode >> 6
	case cred.InGroup(a.GID):
		bits = a.Mode >> 3
	default:
		bits = a.Mode
	}
	return Access(bits&7)&want == want
}

// Owns reports whether cred may change a file's attributes as its owner
// does (chmod, utimes to arbitrary times): the owner or the superuser.
func Owns(cred *Cred, a *Attr) bool { return cred.UID == 0 || cred.UID == a.UID }

// The bits of NFS's ACCESS procedure, the same in NFSv3 (ACCESS3_*) and
// NFSv4 (ACCESS4_*).
const (
	AccessRead    = 0x01 // read data or list a directory
	AccessLookup  = 0x02 // look up a name in a directory
	AccessModify  = 0x04 // rewrite data, change a directory's entries
	AccessExtend  = 0x08 // write past the end, add entries
	AccessDelete  = 0x10 // delete a directory's entries
	AccessExecute = 0x20 // execute a file
)

// Granted returns the ACCESS bits cred has on a file with attributes a
// by its mode bits (see Permitted); on a read-only export (readOnly)
// MODIFY, EXTEND and DELETE are never granted.
func Granted(cred *Cred, a *Attr, readOnly bool) uint32 {
	var bits uint32
	dir := a.Type == TypeDirectory
	if Permitted(cred, a, MayRead) {
		bits |= AccessRead
	}
	if Permitted(cred, a, MayWrite) && !readOnly {
		bits |= AccessModify | AccessExtend
		if dir {
			bits |= AccessDelete
		}
	}
	if Permitted(cred, a, MayExec) {
		if dir {
			bits |= AccessLookup
		} else {
			bits |= AccessExecute
		}
	}
	return bits
}

// MayOverride reports whether a READ or WRITE of a file with attributes a
// that the mode bits refused cred may go ahead anyway, as Linux's server
// allows: the caller owns the regular file (it may write through the
// descriptor that created it read-only) or, for a read, may execute it
// (the client reads what it executes). The client enforces open-time
// permissions.
func MayOverride(cred *Cred, a *Attr, read bool) bool {
	return a.Type == TypeRegular && (a.UID == cred.UID || read && Permitted(cred, a, MayExec))
}
