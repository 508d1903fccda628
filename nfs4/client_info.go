package nfs4

import (
	"io/fs"
	"time"

	"github.com/nfskit/nfskit/internal/remotefile"
)

// fileInfo is an fs.FileInfo and fs.DirEntry of a remote file.
type fileInfo struct {
	name string
	a    *Attrs
}

func newFileInfo(name string, a *Attrs) *fileInfo { return &fileInfo{name: name, a: a} }

func (i *fileInfo) Name() string       { return i.name }
func (i *fileInfo) Size() int64        { return int64(i.a.Size) }
func (i *fileInfo) Mode() fs.FileMode  { return fileMode(i.a) }
func (i *fileInfo) ModTime() time.Time { return i.a.TimeModify }
func (i *fileInfo) IsDir() bool        { return i.a.Type == NF4DIR }

// Sys returns the file's attributes as an *Attrs.
func (i *fileInfo) Sys() any { return i.a }

// Type returns the type bits of the mode (fs.DirEntry).
func (i *fileInfo) Type() fs.FileMode { return i.Mode().Type() }

// Info returns the entry itself (fs.DirEntry).
func (i *fileInfo) Info() (fs.FileInfo, error) { return i, nil }

// String is as fs.FormatDirEntry shows an entry.
func (i *fileInfo) String() string { return fs.FormatFileInfo(i) }

// fileMode is an fs.FileMode of a file's type and mode attribute.
func fileMode(a *Attrs) fs.FileMode {
	return remotefile.Mode(uint32(a.Type), a.Mode)
}

// dirEntryAttrs are the attributes READDIR asks for each entry.
var dirEntryAttrs = Bitmap(FATTR4_TYPE, FATTR4_CHANGE, FATTR4_SIZE, FATTR4_FILEHANDLE, FATTR4_FILEID, FATTR4_MODE,
	FATTR4_NUMLINKS, FATTR4_OWNER, FATTR4_OWNER_GROUP, FATTR4_RAWDEV, FATTR4_SPACE_USED, FATTR4_TIME_ACCESS,
	FATTR4_TIME_METADATA, FATTR4_TIME_MODIFY, FATTR4_RDATTR_ERROR)
