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
