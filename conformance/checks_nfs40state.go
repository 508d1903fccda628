package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/nfskit/nfskit/nfs4"
)

// nfs40StateChecks hold the server to RFC 7530's client ids, opens,
// stateids, sequence ids and byte-range locks.
var nfs40StateChecks = []*Check{
	{ID: "NFS40-SETCLIENTID-STALE", Area: "NFSv4.0", Ref: "RFC 7530 §16.34.4",
		Title: "SETCLIENTID_CONFIRM of a client id the server never gave gets NFS4ERR_STALE_CLIENTID",
		run: func(ctx context.Context, e *env, c *Check) error {
			return e.compound(ctx, nfs4.NewCompound(0).SetClientIDConfirm(0x7a7a7a7a7a7a7a7a, nfs4.Verifier4{1, 2, 3}), nfs4.NFS4ERR_STALE_CLIENTID, 1)
		}},
	{ID: "NFS40-SETCLIENTID-CALLBACK", Area: "NFSv4.0", Ref: "RFC 7530 §16.33.5",
		Title: "SETCLIENTID again with the same verifier and a new callback keeps the client id; its confirm and RENEW succeed",
		run: func(ctx context.Context, e *env, c *Check) error {
			cl, err := e.v40client(ctx)
			if err != nil {
				return err
			}
			cb := nfs4.CbClient4{CbProgram: 0x40000001, CbLocation: nfs4.Netaddr4{NaRNetid: "tcp", NaRAddr: "127.0.0.1.0.1"}}
			res, err := e.v40(ctx, nfs4.NewCompound(0).SetClientID(cl.Verifier, cl.Owner, cb, 7))
			if err != nil {
				return err
			}
			ok, err := res.SetClientID(0)
			if err != nil {
				return fmt.Errorf("SETCLIENTID with a new callback: %w", err)
			}
			if ok.Clientid != cl.ID {
				return fmt.Errorf("client id %#x, was %#x", ok.Clientid, cl.ID)
			}
			if err := e.compound(ctx, nfs4.NewCompound(0).SetClientIDConfirm(ok.Clientid, ok.SetclientidConfirm), nfs4.NFS4_OK, 1); err != nil {
				return fmt.Errorf("SETCLIENTID_CONFIRM: %w", err)
			}
			return v4status("RENEW", cl.Renew(ctx), nfs4.NFS4_OK)
		}},
	{ID: "NFS40-OPEN-CLOSE", Area: "NFSv4.0", Ref: "RFC 7530 §16.16, §16.18, §16.2",
		Title: "OPEN with create, OPEN_CONFIRM if asked, WRITE, READ and CLOSE; the closed stateid is then refused",
		run: func(ctx context.Context, e *env, c *Check) error {
			s, err := e.v40state(ctx, c)
			if err != nil {
				return err
			}
			o := s.owner("a")
			fh, st, err := o.open(ctx, s.dir, "new", nfs4.OPEN4_SHARE_ACCESS_BOTH, nfs4.OPEN4_SHARE_DENY_NONE, nfs4.CreateUnchecked(nfs4.Fattr4{Attrmask: nfs4.Bitmap()}))
			if err != nil {
				return fmt.Errorf("OPEN: %w", err)
			}
			if err := rw(ctx, o.call, 0, fh, st); err != nil {
				return err
			}
			if err := v4status("CLOSE", o.close(ctx, fh, st), nfs4.NFS4_OK); err != nil {
				return err
			}
			res, err := o.call(ctx, nfs4.NewCompound(0).PutFH(fh).Read(st, 0, 10))
			return resStatus("READ under the closed stateid", res, err, nfs4.NFS4ERR_BAD_STATEID, nfs4.NFS4ERR_OLD_STATEID)
		}},
	{ID: "NFS40-OPEN-GUARDED", Area: "NFSv4.0", Ref: "RFC 7530 §16.16.5",
		Title: "OPEN GUARDED4 of a file that exists gets NFS4ERR_EXIST",
		run: func(ctx context.Context, e *env, c *Check) error {
			s, err := e.v40state(ctx, c)
			if err != nil {
				return err
			}
			_, _, err = s.owner("a").open(ctx, s.dir, "f", nfs4.OPEN4_SHARE_ACCESS_BOTH, nfs4.OPEN4_SHARE_DENY_NONE, nfs4.CreateGuarded(nfs4.Fattr4{Attrmask: nfs4.Bitmap()}))
			return v4status("OPEN GUARDED4", err, nfs4.NFS4ERR_EXIST)
		}},
	{ID: "NFS40-OPEN-EXCLUSIVE", Area: "NFSv4.0", Ref: "RFC 7530 §16.16.5",
		Title: "OPEN EXCLUSIVE4 sent again with its verifier opens the file it made; with another verifier gets NFS4ERR_EXIST",
		run: func(ctx context.Context, e *env, c *Check) error {
			s, err := e.v40state(ctx, c)
			if err != nil {
				return err
			}
			var verf nfs4.Verifier4
			rand.Read(verf[:])
			first, _, err := s.owner("a").open(ctx, s.dir, "excl", nfs4.OPEN4_SHARE_ACCESS_BOTH, nfs4.OPEN4_SHARE_DENY_NONE, nfs4.CreateExclusive(verf))
			if err != nil {
				return fmt.Errorf("OPEN EXCLUSIVE4: %w", err)
			}
			again, _, err := s.owner("b").open(ctx, s.dir, "excl", nfs4.OPEN4_SHARE_ACCESS_BOTH, nfs4.OPEN4_SHARE_DENY_NONE, nfs4.CreateExclusive(verf))
			if err != nil {
				return fmt.Errorf("OPEN EXCLUSIVE4 again, same verifier: %w", err)
			}
			if !bytes.Equal(first, again) {
				return fmt.Errorf("the retry opened %x, not %x", again, first)
			}
			verf[0]++
			_, _, err = s.owner("c").open(ctx, s.dir, "excl", nfs4.OPEN4_SHARE_ACCESS_BOTH, nfs4.OPEN4_SHARE_DENY_NONE, nfs4.CreateExclusive(verf))
			if err := v4status("OPEN EXCLUSIVE4, another verifier", err, nfs4.NFS4ERR_EXIST); err != nil {
				return err
			}
			return nil
		}},
	{ID: "NFS40-SHARE-DENIED", Area: "NFSv4.0", Ref: "RFC 7530 §9.9, §16.16.5",
		Title: "an OPEN for write where another owner denies write gets NFS4ERR_SHARE_DENIED; one for read succeeds",
		run: func(ctx context.Context, e *env, c *Check) error {
			s, err := e.v40state(ctx, c)
			if err != nil {
				return err
			}
			if _, _, err := s.owner("a").open(ctx, s.dir, "f", nfs4.OPEN4_SHARE_ACCESS_BOTH, nfs4.OPEN4_SHARE_DENY_WRITE, nfs4.NoCreate()); err != nil {
				return fmt.Errorf("OPEN by A, deny write: %w", err)
			}
			_, _, err = s.owner("b").open(ctx, s.dir, "f", nfs4.OPEN4_SHARE_ACCESS_WRITE, nfs4.OPEN4_SHARE_DENY_NONE, nfs4.NoCreate())
			if err := v4status("OPEN by B for write", err, nfs4.NFS4ERR_SHARE_DENIED); err != nil {
				return err
			}
			_, _, err = s.owner("c").open(ctx, s.dir, "f", nfs4.OPEN4_SHARE_ACCESS_READ, nfs4.OPEN4_SHARE_DENY_NONE, nfs4.NoCreate())
			return v4status("OPEN by C for read", err, nfs4.NFS4_OK)
		}},
	{ID: "NFS40-BAD-STATEID", Area: "NFSv4.0", Ref: "RFC 7530 §9.1.4",
		Title: "READ under a stateid the server never gave gets NFS4ERR_BAD_STATEID or NFS4ERR_STALE_STATEID",
		run: func(ctx context.Context, e *env, c *Check) error {
			s, err := e.v40state(ctx, c)
			if err != nil {
				return err
			}
			var bogus nfs4.Stateid4
			bogus.Seqid = 1
			rand.Read(bogus.Other[:])
			res, err := s.call(ctx, nfs4.NewCompound(0).PutFH(s.file).Read(bogus, 0, 10))
			return resStatus("READ", res, err, nfs4.NFS4ERR_BAD_STATEID, nfs4.NFS4ERR_STALE_STATEID)
		}},
	{ID: "NFS40-OLD-STATEID", Area: "NFSv4.0", Ref: "RFC 7530 §9.1.4.4",
		Title: "after an OPEN upgrade, READ under the stateid's older seqid gets NFS4ERR_OLD_STATEID",
		run: func(ctx context.Context, e *env, c *Check) error {
			s, err := e.v40state(ctx, c)
			if err != nil {
				return err
			}
			o := s.owner("a")
			_, st, err := o.open(ctx, s.dir, "f", nfs4.OPEN4_SHARE_ACCESS_READ, nfs4.OPEN4_SHARE_DENY_NONE, nfs4.NoCreate())
			if err != nil {
				return fmt.Errorf("OPEN: %w", err)
			}
			_, up, err := o.open(ctx, s.dir, "f", nfs4.OPEN4_SHARE_ACCESS_BOTH, nfs4.OPEN4_SHARE_DENY_NONE, nfs4.NoCreate())
			if err != nil {
				return fmt.Errorf("OPEN upgrade: %w", err)
			}
			if up.Other != st.Other || up.Seqid <= st.Seqid {
				return fmt.Errorf("upgrade gave stateid %+v after %+v", up, st)
			}
			res, err := s.call(ctx, nfs4.NewCompound(0).PutFH(s.file).Read(st, 0, 10))
			return resStatus("READ under the old stateid", res, err, nfs4.NFS4ERR_OLD_STATEID)
		}},
	{ID: "NFS40-SEQID-REPLAY", Area: "NFSv4.0", Ref: "RFC 7530 §9.1.7, §9.1.8",
		Title: "an OPEN sent again with the same seqid gets the same reply; a seqid ahead gets NFS4ERR_BAD_SEQID",
		run: func(ctx context.Context, e *env, c *Check) error {
			s, err := e.v40state(ctx, c)
			if err != nil {
				return err
			}
			o := s.owner("a")
			if _, _, err := o.open(ctx, s.dir, "f", nfs4.OPEN4_SHARE_ACCESS_READ, nfs4.OPEN4_SHARE_DENY_NONE, nfs4.NoCreate()); err != nil {
				return fmt.Errorf("OPEN: %w", err)
			}
			cmp := nfs4.NewCompound(0).Tag("replay").PutFH(s.dir).Open(o.next(), nfs4.OPEN4_SHARE_ACCESS_BOTH, nfs4.OPEN4_SHARE_DENY_NONE,
				o.owner, nfs4.NoCreate(), nfs4.ClaimNull("f"))
			first, err := s.call(ctx, cmp)
			if err != nil {
				return err
			}
			ok1, err := first.Open(1)
			if err != nil {
				return fmt.Errorf("OPEN upgrade: %w", err)
			}
			again, err := s.call(ctx, cmp)
			if err != nil {
				return err
			}
			ok2, err := again.Open(1)
			if err != nil {
				return fmt.Errorf("the same OPEN again: %w", err)
			}
			if ok1.Stateid != ok2.Stateid {
				return fmt.Errorf("the replay answered stateid %+v, the first %+v", ok2.Stateid, ok1.Stateid)
			}
			res, err := s.call(ctx, nfs4.NewCompound(0).PutFH(s.dir).Open(o.seq+5, nfs4.OPEN4_SHARE_ACCESS_BOTH, nfs4.OPEN4_SHARE_DENY_NONE,
				o.owner, nfs4.NoCreate(), nfs4.ClaimNull("f")))
			return resStatus("OPEN with a seqid 5 ahead", res, err, nfs4.NFS4ERR_BAD_SEQID)
		}},
	{ID: "NFS40-LOCK", Area: "NFSv4.0", Ref: "RFC 7530 §16.10, §16.11, §16.12",
		Title: "LOCK by A; LOCKT and LOCK by B get NFS4ERR_DENIED naming A's lock; after LOCKU, B's LOCKT succeeds",
		run: func(ctx context.Context, e *env, c *Check) error {
			s, err := e.v40state(ctx, c)
			if err != nil {
				return err
			}
			a, b := s.owner("a"), s.owner("b")
			lockA := nfs4.LockOwner4{Clientid: s.cl.ID, Owner: []byte("lock-a")}
			lockB := nfs4.LockOwner4{Clientid: s.cl.ID, Owner: []byte("lock-b")}
			stA, err := a.lock(ctx, s.dir, "f", lockA, 0, 100)
			if err != nil {
				return fmt.Errorf("LOCK by A: %w", err)
			}
			res, err := s.call(ctx, nfs4.NewCompound(0).PutFH(s.file).LockT(nfs4.WRITE_LT, 50, 10, lockB))
			if err := denied("LOCKT by B", res, err, lockA); err != nil {
				return err
			}
			_, err = b.lock(ctx, s.dir, "f", lockB, 50, 10)
			if err := v4status("LOCK by B", err, nfs4.NFS4ERR_DENIED); err != nil {
				return err
			}
			res, err = s.call(ctx, nfs4.NewCompound(0).PutFH(s.file).LockU(nfs4.WRITE_LT, 1, stA, 0, 100))
			if err := resStatus("LOCKU by A", res, err, nfs4.NFS4_OK); err != nil {
				return err
			}
			res, err = s.call(ctx, nfs4.NewCompound(0).PutFH(s.file).LockT(nfs4.WRITE_LT, 50, 10, lockB))
			return resStatus("LOCKT by B after LOCKU", res, err, nfs4.NFS4_OK)
		}},
	{ID: "NFS40-RELEASE-LOCKOWNER", Area: "NFSv4.0", Ref: "RFC 7530 §16.37.4",
		Title: "RELEASE_LOCKOWNER of an owner holding a lock gets NFS4ERR_LOCKS_HELD; after LOCKU it succeeds",
		run: func(ctx context.Context, e *env, c *Check) error {
			s, err := e.v40state(ctx, c)
			if err != nil {
				return err
			}
			lo := nfs4.LockOwner4{Clientid: s.cl.ID, Owner: []byte("lock-a")}
			st, err := s.owner("a").lock(ctx, s.dir, "f", lo, 0, 10)
			if err != nil {
				return fmt.Errorf("LOCK: %w", err)
			}
			res, err := s.call(ctx, nfs4.NewCompound(0).ReleaseLockOwner(lo))
			if err := resStatus("RELEASE_LOCKOWNER with a lock", res, err, nfs4.NFS4ERR_LOCKS_HELD); err != nil {
				return err
			}
			res, err = s.call(ctx, nfs4.NewCompound(0).PutFH(s.file).LockU(nfs4.WRITE_LT, 1, st, 0, 10))
			if err := resStatus("LOCKU", res, err, nfs4.NFS4_OK); err != nil {
				return err
			}
			res, err = s.call(ctx, nfs4.NewCompound(0).ReleaseLockOwner(lo))
			return resStatus("RELEASE_LOCKOWNER after LOCKU", res, err, nfs4.NFS4_OK)
		}},
}

// v40st is what the 4.0 state checks start from: a fresh client id and
// a file f of 10 bytes in the check's directory.
type v40st struct {
	cl        *nfs4.ClientID
	call      v4caller
	dir, file nfs4.NfsFh4
}

func (e *env) v40state(ctx context.Context, c *Check) (*v40st, error) {
	dir, err := e.v4file(ctx, c, "f", []byte("0123456789"))
	if err != nil {
		return nil, err
	}
	cl, err := e.v40client(ctx)
	if err != nil {
		return nil, err
	}
	s := &v40st{cl: cl, call: e.v40}
	if s.dir, err = v4fh(ctx, e.v40, 0, dir...); err != nil {
		return nil, err
	}
	res, err := e.v40(ctx, nfs4.NewCompound(0).PutFH(s.dir).Lookup("f").GetFH())
	if err != nil {
		return nil, err
	}
	s.file, err = res.GetFH(2)
	return s, err
}

// owner returns the open-owner name of the client.
func (s *v40st) owner(name string) *v4owner {
	return &v4owner{owner: s.cl.OpenOwner(name), call: s.call}
}

// lock opens name in dir for read and write and takes a write lock of
// length at offset as the new lock-owner lo, returning the lock stateid.
func (o *v4owner) lock(ctx context.Context, dir nfs4.NfsFh4, name string, lo nfs4.LockOwner4, offset, length uint64) (nfs4.Stateid4, error) {
	fh, open, err := o.open(ctx, dir, name, nfs4.OPEN4_SHARE_ACCESS_BOTH, nfs4.OPEN4_SHARE_DENY_NONE, nfs4.NoCreate())
	if err != nil {
		return open, err
	}
	res, err := o.call(ctx, nfs4.NewCompound(o.minor).PutFH(fh).Lock(nfs4.WRITE_LT, offset, length, nfs4.NewLockOwner(o.next(), open, 0, lo)))
	if err != nil {
		return open, err
	}
	return res.Lock(1)
}

// rw writes 10 bytes under st and reads them back.
func rw(ctx context.Context, call v4caller, minor uint32, fh nfs4.NfsFh4, st nfs4.Stateid4) error {
	data := []byte("nfskit v4\n")
	res, err := call(ctx, nfs4.NewCompound(minor).PutFH(fh).Write(st, 0, nfs4.FILE_SYNC4, data).Read(st, 0, 100))
	if err := resStatus("WRITE, READ", res, err, nfs4.NFS4_OK); err != nil {
		return err
	}
	r, err := res.Read(2)
	if err != nil {
		return err
	}
	if !bytes.Equal(r.Data, data) {
		return fmt.Errorf("READ gave %q after WRITE of %q", r.Data, data)
	}
	return nil
}

// denied checks that a LOCK or LOCKT was denied naming owner's lock.
func denied(what string, res *nfs4.Results, err error, owner nfs4.LockOwner4) error {
	if err := resStatus(what, res, err, nfs4.NFS4ERR_DENIED); err != nil {
		return err
	}
	d := res.LockDenied(res.Len() - 1)
	if d == nil {
		return errors.New(what + ": NFS4ERR_DENIED with no holder")
	}
	if d.Owner.Clientid != owner.Clientid || !bytes.Equal(d.Owner.Owner, owner.Owner) || d.Offset != 0 || d.Length != 100 || d.Locktype != nfs4.WRITE_LT {
		return fmt.Errorf("%s: the holder is %q at %d+%d (%s), want %q at 0+100", what, d.Owner.Owner, d.Offset, d.Length, d.Locktype, owner.Owner)
	}
	return nil
}
