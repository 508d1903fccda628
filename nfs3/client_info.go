package nfs3

import (
	"io/fs"
	"time"

	"github.com/nfskit/nfskit/internal/remotefile"
)

// remoteInfo is an fs.FileInfo of a remote file; Sys returns its
// *Fattr3.
type remoteInfo struct {
	name string
	attr Fattr3
}

func newRemoteInfo(name string, a *Fattr3) *remoteInfo {
	return &remoteInfo{name: name, attr: *a}
}

func (i *remoteInfo) Name() string       { return i.name }
func (i *remoteInfo) Size() int64        { return int64(i.attr.Size) }
func (i *remoteInfo) Mode() fs.FileMode  { return fsMode(&i.attr) }
func (i *remoteInfo) IsDir() bool        { return i.attr.Type == NF3DIR }
func (i *remoteInfo) Sys() any           { return &i.attr }
func (i *remoteInfo) ModTime() time.Time { t, _ := goTime(&i.attr.Mtime); return t }

// remoteEntry is an fs.DirEntry of a remote directory, with the entry's
// attributes and handle.
type remoteEntry struct {
	info remoteInfo
	fh   NfsFh3
}

func (e *remoteEntry) Name() string               { return e.info.name }
func (e *remoteEntry) IsDir() bool                { return e.info.IsDir() }
func (e *remoteEntry) Type() fs.FileMode          { return e.info.Mode().Type() }
func (e *remoteEntry) Info() (fs.FileInfo, error) { return &e.info, nil }
func (e *remoteEntry) String() string             { return fs.FormatDirEntry(e) }

// fsMode converts a file's type and mode bits to an fs.FileMode.
func fsMode(a *Fattr3) fs.FileMode {
	return remotefile.Mode(uint32(a.Type), uint32(a.Mode))
}

// mode3Of converts the permission bits of an fs.FileMode (with setuid,
// setgid and sticky) to mode3.
func mode3Of(m fs.FileMode) Mode3 {
	b := Mode3(remotefile.ModeBits(m))
	return b
}

// sattrMode returns settable attributes that set the mode bits.
func sattrMode(m fs.FileMode) Sattr3 {
	return Sattr3{Mode: SetMode3{SetIt: true, Mode: mode3Of(m)}}
}
