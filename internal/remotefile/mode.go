package remotefile

import "io/fs"

// Perm converts POSIX mode bits (the permissions, setuid, setgid and
// sticky) to an fs.FileMode with no type bits.
func Perm(mode uint32) fs.FileMode {
	m := fs.FileMode(mode & 0o777)
	if mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// ModeBits converts the permission bits of an fs.FileMode (with setuid,
// setgid and sticky) to POSIX mode bits.
func ModeBits(m fs.FileMode) uint32 {
	b := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		b |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		b |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		b |= 0o1000
	}
	return b
}

// The file types of NFSv3's ftype3 and NFSv4's nfs_ftype4, which number
// them alike (NFSv4 adds its named attributes: 8, a directory of them,
// and 9, one of them).
const (
	typeDir     = 2
	typeBlock   = 3
	typeChar    = 4
	typeLink    = 5
	typeSocket  = 6
	typeFIFO    = 7
	typeAttrDir = 8
)

// Mode converts a file's NFS type (ftype3 or nfs_ftype4) and POSIX mode
// bits to an fs.FileMode.
func Mode(typ, mode uint32) fs.FileMode {
	m := Perm(mode)
	switch typ {
	case typeDir, typeAttrDir:
		m |= fs.ModeDir
	case typeLink:
		m |= fs.ModeSymlink
	case typeBlock:
		m |= fs.ModeDevice
	case typeChar:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case typeSocket:
		m |= fs.ModeSocket
	case typeFIFO:
		m |= fs.ModeNamedPipe
	}
	return m
}
