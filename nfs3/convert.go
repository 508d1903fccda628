package nfs3

import (
	"math"
	"time"

	"github.com/nfskit/nfskit/vfs"
)

// fattr converts attributes for the wire. A backend that reports no file
// system id gets the export's id, so that different exports never look
// like one file system to a client.
func (r *req) fattr(a *vfs.Attr) Fattr3 {
	fsid := a.FSID
	if fsid == 0 {
		fsid = uint64(r.ex.ID)
	}
	return Fattr3{
		Type:   Ftype3(a.Type), // vfs numbers the types as NFSv3 does
		Mode:   Mode3(a.Mode & 0o7777),
		Nlink:  a.Nlink,
		Uid:    Uid3(a.UID),
		Gid:    Gid3(a.GID),
		Size:   Size3(a.Size),
		Used:   Size3(a.Used),
		Rdev:   Specdata3{Specdata1: a.RdevMajor, Specdata2: a.RdevMinor},
		Fsid:   fsid,
		Fileid: Fileid3(a.FileID),
		Atime:  nfstime(a.Atime),
		Mtime:  nfstime(a.Mtime),
		Ctime:  nfstime(a.Ctime),
	}
}

// nfstime converts a time for the wire, clamped to what nfstime3 holds
// (1970 to 2106).
func nfstime(t time.Time) Nfstime3 {
	s := t.Unix()
	switch {
	case s < 0:
		return Nfstime3{}
	case s > math.MaxUint32:
		return Nfstime3{Seconds: math.MaxUint32, Nseconds: 999999999}
	}
	return Nfstime3{Seconds: uint32(s), Nseconds: uint32(t.Nanosecond())}
}

// goTime converts a time from the wire; false if its nanoseconds are out
// of range.
func goTime(t *Nfstime3) (time.Time, bool) {
	if t == nil || t.Nseconds >= 1e9 {
		return time.Time{}, false
	}
	return time.Unix(int64(t.Seconds), int64(t.Nseconds)), true
}

// setAttr converts settable attributes from the wire; false if a time is
// malformed.
func setAttr(s *Sattr3) (vfs.SetAttr, bool) {
	var set vfs.SetAttr
	if s == nil {
		return set, true
	}
	if s.Mode.SetIt {
		m := uint32(s.Mode.Mode) & 0o7777
		set.Mode = &m
	}
	if s.Uid.SetIt {
		u := uint32(s.Uid.Uid)
		set.UID = &u
	}
	if s.Gid.SetIt {
		g := uint32(s.Gid.Gid)
		set.GID = &g
	}
	if s.Size.SetIt {
		n := uint64(s.Size.Size)
		set.Size = &n
	}
	ok := true
	set.Atime, set.AtimeNow, ok = setTime(s.Atime.SetIt, s.Atime.Atime, ok)
	set.Mtime, set.MtimeNow, ok = setTime(s.Mtime.SetIt, s.Mtime.Mtime, ok)
	return set, ok
}

// setTime converts one time of settable attributes; ok stays false once
// a time was malformed.
func setTime(how TimeHow, t *Nfstime3, ok bool) (*time.Time, bool, bool) {
	switch how {
	case SET_TO_SERVER_TIME:
		return nil, true, ok
	case SET_TO_CLIENT_TIME:
		gt, good := goTime(t)
		return &gt, false, ok && good
	}
	return nil, false, ok
}
