package conformance

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
)

// nfs3Checks hold the server to RFC 1813's procedures and errors. Each
// works in a directory of its own named after its ID.
var nfs3Checks = []*Check{
	{ID: "NFS3-GETATTR", Area: "NFSv3", Ref: "RFC 1813 §3.3.1",
		Title: "GETATTR of the root gives a directory's attributes",
		run: func(ctx context.Context, e *env, c *Check) error {
			a, err := e.getattr(ctx, e.root)
			if err != nil {
				return err
			}
			if a.Type != nfs3.NF3DIR || a.Fileid == 0 {
				return fmt.Errorf("type %v, fileid %d", a.Type, a.Fileid)
			}
			return nil
		}},
	{ID: "NFS3-SETATTR-MODE", Area: "NFSv3", Ref: "RFC 1813 §3.3.2",
		Title: "SETATTR of the mode answers with wcc data and GETATTR shows it",
		run: func(ctx context.Context, e *env, c *Check) error {
			f, err := e.fileIn(ctx, c, "f", 0o644, []byte("0123456789"))
			if err != nil {
				return err
			}
			res, err := e.nfs.Setattr(ctx, &nfs3.SETATTR3args{Object: fh(f), NewAttributes: modeAttr(0o640)})
			if err != nil {
				return err
			}
			if err := statError("SETATTR", res.Status, nfs3.NFS3_OK); err != nil {
				return err
			}
			after := res.Resok.ObjWcc.After
			if !after.AttributesFollow || after.Attributes.Mode&0o7777 != 0o640 {
				return fmt.Errorf("wcc after: %+v", after)
			}
			a, err := e.getattr(ctx, f)
			if err != nil {
				return err
			}
			if a.Mode&0o7777 != 0o640 {
				return fmt.Errorf("mode %o after SETATTR 0640", a.Mode)
			}
			return nil
		}},
	{ID: "NFS3-SETATTR-SIZE", Area: "NFSv3", Ref: "RFC 1813 §3.3.2",
		Title: "SETATTR of the size truncates the file",
		run: func(ctx context.Context, e *env, c *Check) error {
			f, err := e.fileIn(ctx, c, "f", 0o644, []byte("0123456789"))
			if err != nil {
				return err
			}
			res, err := e.nfs.Setattr(ctx, &nfs3.SETATTR3args{Object: fh(f), NewAttributes: nfs3.Sattr3{Size: nfs3.SetSize3{SetIt: true, Size: 4}}})
			if err != nil {
				return err
			}
			if err := statError("SETATTR", res.Status, nfs3.NFS3_OK); err != nil {
				return err
			}
			return e.readBack(ctx, f, []byte("0123"))
		}},
	{ID: "NFS3-SETATTR-GUARD", Area: "NFSv3", Ref: "RFC 1813 §3.3.2",
		Title: "SETATTR guarded by a ctime that is not the file's gets NOT_SYNC and changes nothing",
		run: func(ctx context.Context, e *env, c *Check) error {
			f, err := e.fileIn(ctx, c, "f", 0o644, []byte("0123456789"))
			if err != nil {
				return err
			}
			a, err := e.getattr(ctx, f)
			if err != nil {
				return err
			}
			wrong := a.Ctime
			wrong.Seconds--
			res, err := e.nfs.Setattr(ctx, &nfs3.SETATTR3args{Object: fh(f), NewAttributes: nfs3.Sattr3{Size: nfs3.SetSize3{SetIt: true, Size: 0}},
				Guard: nfs3.Sattrguard3{Check: true, ObjCtime: &wrong}})
			if err != nil {
				return err
			}
			if err := statError("SETATTR", res.Status, nfs3.NFS3ERR_NOT_SYNC); err != nil {
				return err
			}
			return e.readBack(ctx, f, []byte("0123456789"))
		}},
	{ID: "NFS3-LOOKUP", Area: "NFSv3", Ref: "RFC 1813 §3.3.3",
		Title: "LOOKUP finds a file made in a directory, with its attributes and the directory's",
		run: func(ctx context.Context, e *env, c *Check) error {
			d, err := e.dir(ctx, c)
			if err != nil {
				return err
			}
			f, err := e.create(ctx, d, "f", 0o644, nil)
			if err != nil {
				return err
			}
			want, err := e.getattr(ctx, f)
			if err != nil {
				return err
			}
			res, err := e.nfs.Lookup(ctx, &nfs3.LOOKUP3args{What: dirop(d, "f")})
			if err != nil {
				return err
			}
			if err := statError("LOOKUP", res.Status, nfs3.NFS3_OK); err != nil {
				return err
			}
			ok := res.Resok
			if !ok.ObjAttributes.AttributesFollow || ok.ObjAttributes.Attributes.Fileid != want.Fileid {
				return fmt.Errorf("object attributes %+v, want fileid %d", ok.ObjAttributes, want.Fileid)
			}
			if !ok.DirAttributes.AttributesFollow {
				return fmt.Errorf("no directory attributes")
			}
			return nil
		}},
	{ID: "NFS3-LOOKUP-NOENT", Area: "NFSv3", Ref: "RFC 1813 §3.3.3",
		Title: "LOOKUP of a name that is not there gets NOENT",
		run: func(ctx context.Context, e *env, c *Check) error {
			return e.lookupStat(ctx, e.scratch, "no-such-name", nfs3.NFS3ERR_NOENT)
		}},
	{ID: "NFS3-LOOKUP-NOTDIR", Area: "NFSv3", Ref: "RFC 1813 §3.3.3",
		Title: "LOOKUP in a file gets NOTDIR",
		run: func(ctx context.Context, e *env, c *Check) error {
			f, err := e.fileIn(ctx, c, "f", 0o644, nil)
			if err != nil {
				return err
			}
			return e.lookupStat(ctx, f, "x", nfs3.NFS3ERR_NOTDIR)
		}},
	{ID: "NFS3-ACCESS", Area: "NFSv3", Ref: "RFC 1813 §3.3.4",
		Title: "ACCESS grants the owner READ, MODIFY and EXTEND on a 0644 file, and another user no READ of a 0600 one",
		run: func(ctx context.Context, e *env, c *Check) error {
			d, err := e.dir(ctx, c)
			if err != nil {
				return err
			}
			pub, err := e.create(ctx, d, "pub", 0o644, nil)
			if err != nil {
				return err
			}
			priv, err := e.create(ctx, d, "priv", 0o600, nil)
			if err != nil {
				return err
			}
			want := uint32(nfs3.ACCESS3_READ | nfs3.ACCESS3_MODIFY | nfs3.ACCESS3_EXTEND)
			res, err := e.nfs.Access(ctx, &nfs3.ACCESS3args{Object: fh(pub), Access: want})
			if err != nil {
				return err
			}
			if err := statError("ACCESS", res.Status, nfs3.NFS3_OK); err != nil {
				return err
			}
			if res.Resok.Access != want {
				return fmt.Errorf("owner granted %#x of %#x", res.Resok.Access, want)
			}
			res, err = e.other.Access(ctx, &nfs3.ACCESS3args{Object: fh(priv), Access: nfs3.ACCESS3_READ})
			if err != nil {
				return err
			}
			if err := statError("ACCESS as another user", res.Status, nfs3.NFS3_OK); err != nil {
				return err
			}
			if res.Resok.Access&nfs3.ACCESS3_READ != 0 {
				return fmt.Errorf("another user granted READ of a 0600 file")
			}
			return nil
		}},
	{ID: "NFS3-READ", Area: "NFSv3", Ref: "RFC 1813 §3.3.6",
		Title: "READ gives back what was written, with eof at the end",
		run: func(ctx context.Context, e *env, c *Check) error {
			f, err := e.fileIn(ctx, c, "f", 0o644, []byte("hello, conformance"))
			if err != nil {
				return err
			}
			return e.readBack(ctx, f, []byte("hello, conformance"))
		}},
	{ID: "NFS3-READ-EOF", Area: "NFSv3", Ref: "RFC 1813 §3.3.6",
		Title: "READ past the end gives no data and eof",
		run: func(ctx context.Context, e *env, c *Check) error {
			f, err := e.fileIn(ctx, c, "f", 0o644, []byte("abc"))
			if err != nil {
				return err
			}
			res, err := e.nfs.Read(ctx, &nfs3.READ3args{File: fh(f), Offset: 100, Count: 10})
			if err != nil {
				return err
			}
			if err := statError("READ", res.Status, nfs3.NFS3_OK); err != nil {
				return err
			}
			if res.Resok.Count != 0 || len(res.Resok.Data) != 0 || !res.Resok.Eof {
				return fmt.Errorf("count %d, %d bytes, eof %v", res.Resok.Count, len(res.Resok.Data), res.Resok.Eof)
			}
			return nil
		}},
	{ID: "NFS3-READ-ISDIR", Area: "NFSv3", Ref: "RFC 1813 §3.3.6, Linux behaviour",
		Title: "READ of a directory gets ISDIR",
		run: func(ctx context.Context, e *env, c *Check) error {
			res, err := e.nfs.Read(ctx, &nfs3.READ3args{File: fh(e.scratch), Count: 10})
			if err != nil {
				return err
			}
			return statError("READ", res.Status, nfs3.NFS3ERR_ISDIR)
		}},
	{ID: "NFS3-WRITE-STABLE", Area: "NFSv3", Ref: "RFC 1813 §3.3.7",
		Title: "WRITE commits at least as stably as asked, with one verifier, and wcc data",
		run: func(ctx context.Context, e *env, c *Check) error {
			f, err := e.fileIn(ctx, c, "f", 0o644, nil)
			if err != nil {
				return err
			}
			var verfs []nfs3.Writeverf3
			for i, how := range []nfs3.StableHow{nfs3.UNSTABLE, nfs3.DATA_SYNC, nfs3.FILE_SYNC} {
				res, err := e.nfs.Write(ctx, &nfs3.WRITE3args{File: fh(f), Offset: nfs3.Offset3(4 * i), Count: 4, Stable: how, Data: []byte("abcd")})
				if err != nil {
					return err
				}
				if err := statError("WRITE "+how.String(), res.Status, nfs3.NFS3_OK); err != nil {
					return err
				}
				ok := res.Resok
				if ok.Count != 4 || ok.Committed < how {
					return fmt.Errorf("WRITE %v: count %d, committed %v", how, ok.Count, ok.Committed)
				}
				if !ok.FileWcc.After.AttributesFollow || ok.FileWcc.After.Attributes.Size != nfs3.Size3(4*i+4) {
					return fmt.Errorf("WRITE %v: wcc after %+v", how, ok.FileWcc.After)
				}
				verfs = append(verfs, ok.Verf)
			}
			if verfs[0] != verfs[1] || verfs[1] != verfs[2] {
				return fmt.Errorf("verifiers differ: %x", verfs)
			}
			return e.readBack(ctx, f, []byte("abcdabcdabcd"))
		}},
	{ID: "NFS3-LARGE-IO", Area: "NFSv3", Ref: "RFC 1813 §3.3.6, §3.3.7, §3.3.19",
		Title: "a file of 3 MiB and 3 bytes written in WRITEs of up to wtmax reads back whole in READs of up to rtmax",
		run: func(ctx context.Context, e *env, c *Check) error {
			if _, err := e.dir(ctx, c); err != nil {
				return err
			}
			data := make([]byte, 3<<20+3)
			for i := range data {
				data[i] = byte(i*7 + i>>12)
			}
			name := e.scratchName + "/" + c.ID + "/big"
			if err := e.files.WriteFile(ctx, name, data, 0o644); err != nil {
				return err
			}
			got, err := e.files.ReadFile(ctx, name)
			if err != nil {
				return err
			}
			if !bytes.Equal(got, data) {
				return fmt.Errorf("read back %d bytes, not the %d written", len(got), len(data))
			}
			return nil
		}},
	{ID: "NFS3-COMMIT", Area: "NFSv3", Ref: "RFC 1813 §3.3.21",
		Title: "COMMIT after an UNSTABLE WRITE gives the WRITE's verifier",
		run: func(ctx context.Context, e *env, c *Check) error {
			f, err := e.fileIn(ctx, c, "f", 0o644, nil)
			if err != nil {
				return err
			}
			w, err := e.nfs.Write(ctx, &nfs3.WRITE3args{File: fh(f), Count: 3, Stable: nfs3.UNSTABLE, Data: []byte("xyz")})
			if err != nil {
				return err
			}
			if err := statError("WRITE", w.Status, nfs3.NFS3_OK); err != nil {
				return err
			}
			res, err := e.nfs.Commit(ctx, &nfs3.COMMIT3args{File: fh(f)})
			if err != nil {
				return err
			}
			if err := statError("COMMIT", res.Status, nfs3.NFS3_OK); err != nil {
				return err
			}
			if res.Resok.Verf != w.Resok.Verf {
				return fmt.Errorf("COMMIT verifier %x, WRITE's %x", res.Resok.Verf, w.Resok.Verf)
			}
			return nil
		}},
	{ID: "NFS3-WRITE-ISDIR", Area: "NFSv3", Ref: "RFC 1813 §3.3.7, Linux behaviour",
		Title: "WRITE to a directory gets ISDIR",
		run: func(ctx context.Context, e *env, c *Check) error {
			d, err := e.dir(ctx, c)
			if err != nil {
				return err
			}
			res, err := e.nfs.Write(ctx, &nfs3.WRITE3args{File: fh(d), Count: 1, Stable: nfs3.FILE_SYNC, Data: []byte("x")})
			if err != nil {
				return err
			}
			return statError("WRITE", res.Status, nfs3.NFS3ERR_ISDIR)
		}},
	{ID: "NFS3-CREATE-UNCHECKED", Area: "NFSv3", Ref: "RFC 1813 §3.3.8",
		Title: "CREATE UNCHECKED of a name that exists succeeds, with dir wcc data",
		run: func(ctx context.Context, e *env, c *Check) error {
			d, err := e.dir(ctx, c)
			if err != nil {
				return err
			}
			for i := range 2 {
				attr := modeAttr(0o644)
				res, err := e.nfs.Create(ctx, &nfs3.CREATE3args{Where: dirop(d, "f"), How: nfs3.Createhow3{Mode: nfs3.UNCHECKED, ObjAttributes: &attr}})
				if err != nil {
					return err
				}
				if err := statError(fmt.Sprintf("CREATE UNCHECKED #%d", i+1), res.Status, nfs3.NFS3_OK); err != nil {
					return err
				}
				if !res.Resok.DirWcc.After.AttributesFollow {
					return fmt.Errorf("CREATE #%d: no directory attributes after", i+1)
				}
			}
			return nil
		}},
	{ID: "NFS3-CREATE-GUARDED", Area: "NFSv3", Ref: "RFC 1813 §3.3.8",
		Title: "CREATE GUARDED of a name that exists gets EXIST",
		run: func(ctx context.Context, e *env, c *Check) error {
			t, err := e.tree(ctx, c, "f")
			if err != nil {
				return err
			}
			attr := modeAttr(0o644)
			res, err := e.nfs.Create(ctx, &nfs3.CREATE3args{Where: dirop(t[""], "f"), How: nfs3.Createhow3{Mode: nfs3.GUARDED, ObjAttributes: &attr}})
			if err != nil {
				return err
			}
			return statError("CREATE GUARDED", res.Status, nfs3.NFS3ERR_EXIST)
		}},
	{ID: "NFS3-CREATE-EXCLUSIVE", Area: "NFSv3", Ref: "RFC 1813 §3.3.8",
		Title: "CREATE EXCLUSIVE again with the same verifier succeeds on the same file; with another gets EXIST",
		run: func(ctx context.Context, e *env, c *Check) error {
			d, err := e.dir(ctx, c)
			if err != nil {
				return err
			}
			excl := func(v byte) (*nfs3.CREATE3res, error) {
				return e.nfs.Create(ctx, &nfs3.CREATE3args{Where: dirop(d, "f"), How: nfs3.Createhow3{Mode: nfs3.EXCLUSIVE, Verf: nfs3.Createverf3{1, 2, 3, 4, 5, 6, 7, v}}})
			}
			var ids []nfs3.Fileid3
			for i := range 2 {
				res, err := excl(1)
				if err != nil {
					return err
				}
				if err := statError(fmt.Sprintf("CREATE EXCLUSIVE #%d", i+1), res.Status, nfs3.NFS3_OK); err != nil {
					return err
				}
				f, err := e.handleOf(ctx, d, "f", res.Resok.Obj)
				if err != nil {
					return err
				}
				a, err := e.getattr(ctx, f)
				if err != nil {
					return err
				}
				ids = append(ids, a.Fileid)
			}
			if ids[0] != ids[1] {
				return fmt.Errorf("the retry made another file: fileids %v", ids)
			}
			res, err := excl(2)
			if err != nil {
				return err
			}
			return statError("CREATE EXCLUSIVE with another verifier", res.Status, nfs3.NFS3ERR_EXIST)
		}},
	{ID: "NFS3-CREATE-NOTDIR", Area: "NFSv3", Ref: "RFC 1813 §3.3.8",
		Title: "CREATE in a file gets NOTDIR",
		run: func(ctx context.Context, e *env, c *Check) error {
			f, err := e.fileIn(ctx, c, "f", 0o644, nil)
			if err != nil {
				return err
			}
			attr := modeAttr(0o644)
			res, err := e.nfs.Create(ctx, &nfs3.CREATE3args{Where: dirop(f, "x"), How: nfs3.Createhow3{Mode: nfs3.UNCHECKED, ObjAttributes: &attr}})
			if err != nil {
				return err
			}
			return statError("CREATE", res.Status, nfs3.NFS3ERR_NOTDIR)
		}},
	{ID: "NFS3-NAMETOOLONG", Area: "NFSv3", Ref: "RFC 1813 §3.3.8",
		Title: "CREATE of a name of 300 bytes gets NAMETOOLONG",
		run: func(ctx context.Context, e *env, c *Check) error {
			d, err := e.dir(ctx, c)
			if err != nil {
				return err
			}
			attr := modeAttr(0o644)
			res, err := e.nfs.Create(ctx, &nfs3.CREATE3args{Where: dirop(d, strings.Repeat("n", 300)), How: nfs3.Createhow3{Mode: nfs3.UNCHECKED, ObjAttributes: &attr}})
			if err != nil {
				return err
			}
			return statError("CREATE", res.Status, nfs3.NFS3ERR_NAMETOOLONG)
		}},
	{ID: "NFS3-ACCES-CREATE", Area: "NFSv3", Ref: "RFC 1813 §3.3.8",
		Title: "CREATE by another user in a 0755 directory gets ACCES",
		run: func(ctx context.Context, e *env, c *Check) error {
			d, err := e.dir(ctx, c)
			if err != nil {
				return err
			}
			closed, err := e.mkdir(ctx, d, "closed", 0o755)
			if err != nil {
				return err
			}
			attr := modeAttr(0o644)
			res, err := e.other.Create(ctx, &nfs3.CREATE3args{Where: dirop(closed, "f"), How: nfs3.Createhow3{Mode: nfs3.UNCHECKED, ObjAttributes: &attr}})
			if err != nil {
				return err
			}
			return statError("CREATE as another user", res.Status, nfs3.NFS3ERR_ACCES)
		}},
	{ID: "NFS3-ACCES-READ", Area: "NFSv3", Ref: "RFC 1813 §3.3.6",
		Title: "READ by another user of a 0600 file gets ACCES",
		run: func(ctx context.Context, e *env, c *Check) error {
			f, err := e.fileIn(ctx, c, "f", 0o600, []byte("secret"))
			if err != nil {
				return err
			}
			res, err := e.other.Read(ctx, &nfs3.READ3args{File: fh(f), Count: 10})
			if err != nil {
				return err
			}
			return statError("READ as another user", res.Status, nfs3.NFS3ERR_ACCES)
		}},
	{ID: "NFS3-MKDIR", Area: "NFSv3", Ref: "RFC 1813 §3.3.9",
		Title: "MKDIR makes a directory with the mode asked; again gets EXIST",
		run: func(ctx context.Context, e *env, c *Check) error {
			d, err := e.dir(ctx, c)
			if err != nil {
				return err
			}
			sub, err := e.mkdir(ctx, d, "sub", 0o750)
			if err != nil {
				return err
			}
			a, err := e.getattr(ctx, sub)
			if err != nil {
				return err
			}
			if a.Type != nfs3.NF3DIR || a.Mode&0o7777 != 0o750 {
				return fmt.Errorf("type %v mode %o", a.Type, a.Mode)
			}
			res, err := e.nfs.Mkdir(ctx, &nfs3.MKDIR3args{Where: dirop(d, "sub"), Attributes: modeAttr(0o750)})
			if err != nil {
				return err
			}
			return statError("MKDIR again", res.Status, nfs3.NFS3ERR_EXIST)
		}},
	{ID: "NFS3-SYMLINK", Area: "NFSv3", Ref: "RFC 1813 §3.3.10, §3.3.5",
		Title: "SYMLINK makes a link whose READLINK gives the target back",
		run: func(ctx context.Context, e *env, c *Check) error {
			d, err := e.dir(ctx, c)
			if err != nil {
				return err
			}
			const target = "../some/where/else"
			res, err := e.nfs.Symlink(ctx, &nfs3.SYMLINK3args{Where: dirop(d, "l"), Symlink: nfs3.Symlinkdata3{SymlinkAttributes: modeAttr(0o777), SymlinkData: target}})
			if err != nil {
				return err
			}
			if err := statError("SYMLINK", res.Status, nfs3.NFS3_OK); err != nil {
				return err
			}
			l, err := e.handleOf(ctx, d, "l", res.Resok.Obj)
			if err != nil {
				return err
			}
			rl, err := e.nfs.Readlink(ctx, &nfs3.READLINK3args{Symlink: fh(l)})
			if err != nil {
				return err
			}
			if err := statError("READLINK", rl.Status, nfs3.NFS3_OK); err != nil {
				return err
			}
			if rl.Resok.Data != target {
				return fmt.Errorf("READLINK %q, want %q", rl.Resok.Data, target)
			}
			a, err := e.getattr(ctx, l)
			if err != nil {
				return err
			}
			if a.Type != nfs3.NF3LNK {
				return fmt.Errorf("type %v", a.Type)
			}
			return nil
		}},
	{ID: "NFS3-MKNOD", Area: "NFSv3", Ref: "RFC 1813 §3.3.11",
		Title: "MKNOD makes a FIFO, and refuses a regular file with BADTYPE",
		run: func(ctx context.Context, e *env, c *Check) error {
			d, err := e.dir(ctx, c)
			if err != nil {
				return err
			}
			attr := modeAttr(0o644)
			res, err := e.nfs.Mknod(ctx, &nfs3.MKNOD3args{Where: dirop(d, "fifo"), What: nfs3.Mknoddata3{Type: nfs3.NF3FIFO, PipeAttributes: &attr}})
			if err != nil {
				return err
			}
			if res.Status == nfs3.NFS3ERR_NOTSUPP {
				return skipf("MKNOD: NOTSUPP")
			}
			if err := statError("MKNOD FIFO", res.Status, nfs3.NFS3_OK); err != nil {
				return err
			}
			f, err := e.handleOf(ctx, d, "fifo", res.Resok.Obj)
			if err != nil {
				return err
			}
			a, err := e.getattr(ctx, f)
			if err != nil {
				return err
			}
			if a.Type != nfs3.NF3FIFO {
				return fmt.Errorf("type %v", a.Type)
			}
			res, err = e.nfs.Mknod(ctx, &nfs3.MKNOD3args{Where: dirop(d, "reg"), What: nfs3.Mknoddata3{Type: nfs3.NF3REG}})
			if err != nil {
				return err
			}
			return statError("MKNOD NF3REG", res.Status, nfs3.NFS3ERR_BADTYPE)
		}},
	{ID: "NFS3-REMOVE", Area: "NFSv3", Ref: "RFC 1813 §3.3.12",
		Title: "REMOVE takes the name away, with dir wcc data before and after; again gets NOENT",
		run: func(ctx context.Context, e *env, c *Check) error {
			t, err := e.tree(ctx, c, "f")
			if err != nil {
				return err
			}
			d := t[""]
			res, err := e.nfs.Remove(ctx, &nfs3.REMOVE3args{Object: dirop(d, "f")})
			if err != nil {
				return err
			}
			if err := statError("REMOVE", res.Status, nfs3.NFS3_OK); err != nil {
				return err
			}
			if w := res.Resok.DirWcc; !w.Before.AttributesFollow || !w.After.AttributesFollow {
				return fmt.Errorf("dir wcc: before %v, after %v", w.Before.AttributesFollow, w.After.AttributesFollow)
			}
			if err := e.lookupStat(ctx, d, "f", nfs3.NFS3ERR_NOENT); err != nil {
				return err
			}
			res, err = e.nfs.Remove(ctx, &nfs3.REMOVE3args{Object: dirop(d, "f")})
			if err != nil {
				return err
			}
			return statError("REMOVE again", res.Status, nfs3.NFS3ERR_NOENT)
		}},
	{ID: "NFS3-REMOVE-DIR", Area: "NFSv3", Ref: "Linux behaviour",
		Title: "REMOVE of a directory is refused with ISDIR",
		run: func(ctx context.Context, e *env, c *Check) error {
			t, err := e.tree(ctx, c, "sub/")
			if err != nil {
				return err
			}
			res, err := e.nfs.Remove(ctx, &nfs3.REMOVE3args{Object: dirop(t[""], "sub")})
			if err != nil {
				return err
			}
			return statError("REMOVE of a directory", res.Status, nfs3.NFS3ERR_ISDIR)
		}},
	{ID: "NFS3-RMDIR", Area: "NFSv3", Ref: "RFC 1813 §3.3.13",
		Title: "RMDIR removes an empty directory, refuses a full one with NOTEMPTY and a file with NOTDIR",
		run: func(ctx context.Context, e *env, c *Check) error {
			t, err := e.tree(ctx, c, "empty/", "full/", "full/f", "file")
			if err != nil {
				return err
			}
			d := t[""]
			for _, tc := range []struct {
				name string
				want nfs3.Nfsstat3
			}{{"full", nfs3.NFS3ERR_NOTEMPTY}, {"file", nfs3.NFS3ERR_NOTDIR}, {"empty", nfs3.NFS3_OK}, {"empty", nfs3.NFS3ERR_NOENT}} {
				res, err := e.nfs.Rmdir(ctx, &nfs3.RMDIR3args{Object: dirop(d, tc.name)})
				if err != nil {
					return err
				}
				if err := statError("RMDIR "+tc.name, res.Status, tc.want); err != nil {
					return err
				}
			}
			return nil
		}},
	{ID: "NFS3-RENAME", Area: "NFSv3", Ref: "RFC 1813 §3.3.14",
		Title: "RENAME moves a file over another, with wcc data of both directories",
		run: func(ctx context.Context, e *env, c *Check) error {
			t, err := e.tree(ctx, c, "to/", "a", "to/b")
			if err != nil {
				return err
			}
			d, to := t[""], t["to/"]
			res, err := e.nfs.Rename(ctx, &nfs3.RENAME3args{Fromfile: dirop(d, "a"), Tofile: dirop(to, "b")})
			if err != nil {
				return err
			}
			if err := statError("RENAME", res.Status, nfs3.NFS3_OK); err != nil {
				return err
			}
			if !res.Resok.FromdirWcc.After.AttributesFollow || !res.Resok.TodirWcc.After.AttributesFollow {
				return fmt.Errorf("no directory attributes after")
			}
			if err := e.lookupStat(ctx, d, "a", nfs3.NFS3ERR_NOENT); err != nil {
				return err
			}
			b, _, _, err := e.lookup(ctx, to, "b")
			if err != nil {
				return err
			}
			return e.readBack(ctx, b, []byte("a"))
		}},
	{ID: "NFS3-RENAME-NOENT", Area: "NFSv3", Ref: "RFC 1813 §3.3.14",
		Title: "RENAME of a name that is not there gets NOENT",
		run: func(ctx context.Context, e *env, c *Check) error {
			d, err := e.dir(ctx, c)
			if err != nil {
				return err
			}
			res, err := e.nfs.Rename(ctx, &nfs3.RENAME3args{Fromfile: dirop(d, "nothing"), Tofile: dirop(d, "b")})
			if err != nil {
				return err
			}
			return statError("RENAME", res.Status, nfs3.NFS3ERR_NOENT)
		}},
	{ID: "NFS3-RENAME-NOTEMPTY", Area: "NFSv3", Ref: "RFC 1813 §3.3.14",
		Title: "RENAME of a directory over a full one gets EXIST or NOTEMPTY",
		run: func(ctx context.Context, e *env, c *Check) error {
			t, err := e.tree(ctx, c, "a/", "full/", "full/f")
			if err != nil {
				return err
			}
			res, err := e.nfs.Rename(ctx, &nfs3.RENAME3args{Fromfile: dirop(t[""], "a"), Tofile: dirop(t[""], "full")})
			if err != nil {
				return err
			}
			return statError("RENAME", res.Status, nfs3.NFS3ERR_EXIST, nfs3.NFS3ERR_NOTEMPTY)
		}},
	{ID: "NFS3-LINK", Area: "NFSv3", Ref: "RFC 1813 §3.3.15",
		Title: "LINK gives a file a second name (nlink 2); onto a name that exists gets EXIST",
		run: func(ctx context.Context, e *env, c *Check) error {
			d, err := e.dir(ctx, c)
			if err != nil {
				return err
			}
			f, err := e.create(ctx, d, "f", 0o644, []byte("linked"))
			if err != nil {
				return err
			}
			res, err := e.nfs.Link(ctx, &nfs3.LINK3args{File: fh(f), Link: dirop(d, "g")})
			if err != nil {
				return err
			}
			if res.Status == nfs3.NFS3ERR_NOTSUPP {
				return skipf("LINK: NOTSUPP")
			}
			if err := statError("LINK", res.Status, nfs3.NFS3_OK); err != nil {
				return err
			}
			if fa := res.Resok.FileAttributes; !fa.AttributesFollow || fa.Attributes.Nlink != 2 {
				return fmt.Errorf("file attributes after LINK: %+v", fa)
			}
			g, _, _, err := e.lookup(ctx, d, "g")
			if err != nil {
				return err
			}
			if err := e.readBack(ctx, g, []byte("linked")); err != nil {
				return err
			}
			res, err = e.nfs.Link(ctx, &nfs3.LINK3args{File: fh(f), Link: dirop(d, "g")})
			if err != nil {
				return err
			}
			return statError("LINK again", res.Status, nfs3.NFS3ERR_EXIST)
		}},
	{ID: "NFS3-READDIR", Area: "NFSv3", Ref: "RFC 1813 §3.3.16",
		Title: "READDIR in small replies, following cookies and the cookie verifier, lists every name once",
		run: func(ctx context.Context, e *env, c *Check) error {
			d, err := e.dir(ctx, c)
			if err != nil {
				return err
			}
			var want []string
			for i := range 40 {
				n := fmt.Sprintf("entry-with-a-longish-name-%02d", i)
				if _, err := e.create(ctx, d, n, 0o644, nil); err != nil {
					return err
				}
				want = append(want, n)
			}
			names, err := e.list(ctx, d)
			if err != nil {
				return err
			}
			var got []string
			for _, n := range names {
				if n != "." && n != ".." {
					got = append(got, n)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				return fmt.Errorf("listed %d names %q, want the %d made", len(got), got, len(want))
			}
			return passf("%d entries with . and ..: %v", len(names), len(names) == len(got)+2)
		}},
	{ID: "NFS3-READDIRPLUS", Area: "NFSv3", Ref: "RFC 1813 §3.3.17",
		Title: "READDIRPLUS gives each entry's handle and attributes, matching LOOKUP",
		run: func(ctx context.Context, e *env, c *Check) error {
			d, err := e.dir(ctx, c)
			if err != nil {
				return err
			}
			f, err := e.create(ctx, d, "f", 0o644, []byte("plus"))
			if err != nil {
				return err
			}
			want, err := e.getattr(ctx, f)
			if err != nil {
				return err
			}
			res, err := e.nfs.Readdirplus(ctx, &nfs3.READDIRPLUS3args{Dir: fh(d), Dircount: 4096, Maxcount: 32768})
			if err != nil {
				return err
			}
			if res.Status == nfs3.NFS3ERR_NOTSUPP {
				return skipf("READDIRPLUS: NOTSUPP")
			}
			if err := statError("READDIRPLUS", res.Status, nfs3.NFS3_OK); err != nil {
				return err
			}
			for _, en := range res.Resok.Reply.Entries {
				if en.Name != "f" {
					continue
				}
				if !en.NameAttributes.AttributesFollow || en.NameAttributes.Attributes.Fileid != want.Fileid || en.NameAttributes.Attributes.Size != 4 {
					return fmt.Errorf("attributes %+v, want fileid %d size 4", en.NameAttributes.Attributes, want.Fileid)
				}
				if !en.NameHandle.HandleFollows {
					return fmt.Errorf("no handle")
				}
				return e.readBack(ctx, en.NameHandle.Handle.Data, []byte("plus"))
			}
			return fmt.Errorf("f not listed (eof %v)", res.Resok.Reply.Eof)
		}},
	{ID: "NFS3-FSSTAT", Area: "NFSv3", Ref: "RFC 1813 §3.3.18",
		Title: "FSSTAT gives sizes with total >= free >= available",
		run: func(ctx context.Context, e *env, c *Check) error {
			res, err := e.nfs.Fsstat(ctx, &nfs3.FSSTAT3args{Fsroot: fh(e.root)})
			if err != nil {
				return err
			}
			if err := statError("FSSTAT", res.Status, nfs3.NFS3_OK); err != nil {
				return err
			}
			ok := res.Resok
			if ok.Tbytes < ok.Fbytes || ok.Fbytes < ok.Abytes || ok.Tfiles < ok.Ffiles || ok.Ffiles < ok.Afiles {
				return fmt.Errorf("bytes %d/%d/%d, files %d/%d/%d", ok.Tbytes, ok.Fbytes, ok.Abytes, ok.Tfiles, ok.Ffiles, ok.Afiles)
			}
			return nil
		}},
	{ID: "NFS3-FSINFO", Area: "NFSv3", Ref: "RFC 1813 §3.3.19",
		Title: "FSINFO gives transfer sizes (max >= preferred > 0) and a maximum file size",
		run: func(ctx context.Context, e *env, c *Check) error {
			res, err := e.nfs.Fsinfo(ctx, &nfs3.FSINFO3args{Fsroot: fh(e.root)})
			if err != nil {
				return err
			}
			if err := statError("FSINFO", res.Status, nfs3.NFS3_OK); err != nil {
				return err
			}
			ok := res.Resok
			if ok.Rtpref == 0 || ok.Rtmax < ok.Rtpref || ok.Wtpref == 0 || ok.Wtmax < ok.Wtpref || ok.Maxfilesize == 0 {
				return fmt.Errorf("read %d/%d, write %d/%d, max file size %d", ok.Rtmax, ok.Rtpref, ok.Wtmax, ok.Wtpref, ok.Maxfilesize)
			}
			return passf("rtmax %d wtmax %d dtpref %d properties %#x", ok.Rtmax, ok.Wtmax, ok.Dtpref, ok.Properties)
		}},
	{ID: "NFS3-PATHCONF", Area: "NFSv3", Ref: "RFC 1813 §3.3.20",
		Title: "PATHCONF gives a name_max of at least 255",
		run: func(ctx context.Context, e *env, c *Check) error {
			res, err := e.nfs.Pathconf(ctx, &nfs3.PATHCONF3args{Object: fh(e.root)})
			if err != nil {
				return err
			}
			if err := statError("PATHCONF", res.Status, nfs3.NFS3_OK); err != nil {
				return err
			}
			if res.Resok.NameMax < 255 {
				return fmt.Errorf("name_max %d", res.Resok.NameMax)
			}
			return passf("name_max %d linkmax %d no_trunc %v", res.Resok.NameMax, res.Resok.Linkmax, res.Resok.NoTrunc)
		}},
	{ID: "NFS3-STALE", Area: "NFSv3", Ref: "RFC 1813 §2.6",
		Title: "the handle of a removed file gets STALE",
		run: func(ctx context.Context, e *env, c *Check) error {
			t, err := e.tree(ctx, c, "f")
			if err != nil {
				return err
			}
			f := t["f"]
			rm, err := e.nfs.Remove(ctx, &nfs3.REMOVE3args{Object: dirop(t[""], "f")})
			if err != nil {
				return err
			}
			if err := statError("REMOVE", rm.Status, nfs3.NFS3_OK); err != nil {
				return err
			}
			res, err := e.nfs.Getattr(ctx, &nfs3.GETATTR3args{Object: fh(f)})
			if err != nil {
				return err
			}
			return statError("GETATTR", res.Status, nfs3.NFS3ERR_STALE)
		}},
	{ID: "NFS3-BADHANDLE", Area: "NFSv3", Ref: "RFC 1813 §2.6, Linux behaviour",
		Title: "a handle the server never made (8 bytes of 0xff) gets BADHANDLE",
		run: func(ctx context.Context, e *env, c *Check) error {
			res, err := e.nfs.Getattr(ctx, &nfs3.GETATTR3args{Object: fh(bytes.Repeat([]byte{0xff}, 8))})
			if err != nil {
				return err
			}
			return statError("GETATTR", res.Status, nfs3.NFS3ERR_BADHANDLE)
		}},
	{ID: "NFS3-ROFS", Area: "NFSv3", Ref: "RFC 1813 §3.3.8",
		Title: "CREATE on a read-only export gets ROFS",
		run: func(ctx context.Context, e *env, c *Check) error {
			if e.cfg.ReadOnlyExport == "" {
				return skipf("no read-only export given (-ro-export)")
			}
			m, err := e.mnt.Mnt(ctx, mount.Dirpath(e.cfg.ReadOnlyExport))
			if err != nil {
				return err
			}
			if m.FhsStatus != mount.MNT3_OK {
				return fmt.Errorf("MNT %s: %s", e.cfg.ReadOnlyExport, m.FhsStatus.String())
			}
			defer e.mnt.Umnt(ctx, mount.Dirpath(e.cfg.ReadOnlyExport))
			attr := modeAttr(0o644)
			res, err := e.nfs.Create(ctx, &nfs3.CREATE3args{Where: dirop(m.Mountinfo.Fhandle, "nfskit-conformance"), How: nfs3.Createhow3{Mode: nfs3.UNCHECKED, ObjAttributes: &attr}})
			if err != nil {
				return err
			}
			return statError("CREATE", res.Status, nfs3.NFS3ERR_ROFS)
		}},
}

// tree makes the check's own directory and in it what paths name, in
// order: a path ending in "/" a directory (0755), any other a file
// (0644) holding its path as data. It returns their handles by path,
// the check's directory under "".
func (e *env) tree(ctx context.Context, c *Check, paths ...string) (map[string][]byte, error) {
	d, err := e.dir(ctx, c)
	if err != nil {
		return nil, err
	}
	t := map[string][]byte{"": d}
	for _, p := range paths {
		parent, name := "", strings.TrimSuffix(p, "/")
		if i := strings.LastIndex(name, "/"); i >= 0 {
			parent, name = name[:i+1], name[i+1:]
		}
		if strings.HasSuffix(p, "/") {
			t[p], err = e.mkdir(ctx, t[parent], name, 0o755)
		} else {
			t[p], err = e.create(ctx, t[parent], name, 0o644, []byte(p))
		}
		if err != nil {
			return nil, err
		}
	}
	return t, nil
}

// fileIn makes a file with data in the check's own directory.
func (e *env) fileIn(ctx context.Context, c *Check, name string, mode uint32, data []byte) ([]byte, error) {
	d, err := e.dir(ctx, c)
	if err != nil {
		return nil, err
	}
	return e.create(ctx, d, name, mode, data)
}

// readBack checks that the whole of file f reads as want, with eof.
func (e *env) readBack(ctx context.Context, f []byte, want []byte) error {
	res, err := e.nfs.Read(ctx, &nfs3.READ3args{File: fh(f), Count: nfs3.Count3(len(want) + 100)})
	if err != nil {
		return err
	}
	if err := statError("READ", res.Status, nfs3.NFS3_OK); err != nil {
		return err
	}
	ok := res.Resok
	if !bytes.Equal(ok.Data, want) || int(ok.Count) != len(want) || !ok.Eof {
		return fmt.Errorf("READ gave %q (count %d, eof %v), want %q", ok.Data, ok.Count, ok.Eof, want)
	}
	return nil
}

// lookupStat checks that LOOKUP of name in dir answers want.
func (e *env) lookupStat(ctx context.Context, dir []byte, name string, want nfs3.Nfsstat3) error {
	_, _, st, err := e.lookup(ctx, dir, name)
	if err != nil {
		return err
	}
	return statError("LOOKUP "+name, st, want)
}
