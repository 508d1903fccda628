package nfs4

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"strings"
)

// How often a directory is read again from its start when the server
// says its cookies went stale while it was read.
const maxReaddirRestarts = 3

// ReadDir reads the named directory, following symbolic links, and
// returns its entries sorted by name. Each entry's Info has the
// attributes READDIR returned with it (its Sys method, an *Attrs).
func (c *Client) ReadDir(ctx context.Context, name string) ([]fs.DirEntry, error) {
	fh, a, err := c.resolve(ctx, name, true)
	if err == nil && a.Type != NF4DIR {
		err = NFS4ERR_NOTDIR
	}
	if err != nil {
		return nil, pathError("readdir", name, err)
	}
	list, err := c.readDir(ctx, fh)
	return list, pathError("readdir", name, err)
}

// readDir reads the whole directory dir, sorted by name.
func (c *Client) readDir(ctx context.Context, dir NfsFh4) ([]fs.DirEntry, error) {
	var entries []*fileInfo
	var err error
	for range maxReaddirRestarts {
		if entries, err = c.readDirPages(ctx, dir); !errors.Is(err, NFS4ERR_BAD_COOKIE) && !errors.Is(err, NFS4ERR_NOT_SAME) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	slices.SortFunc(entries, func(a, b *fileInfo) int { return strings.Compare(a.name, b.name) })
	out := make([]fs.DirEntry, len(entries))
	for i, e := range entries {
		out[i] = e
	}
	return out, nil
}

// readDirPages reads dir with READDIR, page after page, each from the
// cookie of the last entry before with the page's cookie verifier.
func (c *Client) readDirPages(ctx context.Context, dir NfsFh4) ([]*fileInfo, error) {
	var entries []*fileInfo
	var cookie uint64
	var verf Verifier4
	maxcount := uint32(c.sizes.read() + 4096)
	for {
		res, err := c.exec(ctx, &request{build: func() (*Compound, error) {
			return c.compound("readdir").PutFH(dir).ReadDir(cookie, verf, maxcount, maxcount, dirEntryAttrs), nil
		}})
		if err != nil {
			return nil, err
		}
		page, err := res.ReadDir(1)
		if err != nil {
			return nil, err
		}
		verf = page.Cookieverf
		for i := range page.Reply.Entries {
			e := &page.Reply.Entries[i]
			cookie = uint64(e.Cookie)
			a, err := DecodeAttrs(&e.Attrs)
			if err != nil {
				return nil, err
			}
			if a.Mask.Has(FATTR4_RDATTR_ERROR) && a.RdattrError != NFS4_OK {
				a = &Attrs{Mask: a.Mask, RdattrError: a.RdattrError}
			}
			entries = append(entries, newFileInfo(string(e.Name), a))
		}
		if page.Reply.Eof {
			return entries, nil
		}
		if len(page.Reply.Entries) == 0 {
			return nil, NFS4ERR_TOOSMALL
		}
	}
}
