package conformance

import (
	"context"
	"crypto/rand"
	"fmt"
	"reflect"

	"github.com/nfskit/nfskit/nfs4"
)

// nfs41Checks hold the server to RFC 8881's sessions and client ids.
var nfs41Checks = []*Check{
	{ID: "NFS41-SESSION", Area: "NFSv4.1", Ref: "RFC 8881 §18.35, §18.36, §18.46",
		Title: "EXCHANGE_ID, CREATE_SESSION, then SEQUENCE and PUTROOTFH succeed",
		run: func(ctx context.Context, e *env, c *Check) error {
			s, end, err := e.v4session(ctx, 1, false)
			if err != nil {
				return err
			}
			defer end()
			res, err := s.Call(ctx, nfs4.NewCompound(1).PutRootFH().GetFH())
			if err := resStatus("SEQUENCE, PUTROOTFH, GETFH", res, err, nfs4.NFS4_OK); err != nil {
				return err
			}
			if sq := res.Sequence(); sq == nil || sq.SrResok4.SrSessionid != s.ID {
				return fmt.Errorf("SEQUENCE result %+v", sq)
			}
			return passf("%d slots, %d operations", s.Slots(), s.Fore.CaMaxoperations)
		}},
	{ID: "NFS41-OPEN-CLOSE", Area: "NFSv4.1", Ref: "RFC 8881 §18.16.3, §18.2",
		Title: "OPEN with create needs no OPEN_CONFIRM (OPEN4_RESULT_CONFIRM clear); WRITE, READ, CLOSE succeed",
		run: func(ctx context.Context, e *env, c *Check) error {
			s, end, err := e.v4session(ctx, 1, false)
			if err != nil {
				return err
			}
			defer end()
			dir, err := e.v4dir(ctx, c)
			if err != nil {
				return err
			}
			res, err := s.Call(ctx, nfs4.NewCompound(1).PutRootFH().Lookup(dir...).Open(0, nfs4.OPEN4_SHARE_ACCESS_BOTH, nfs4.OPEN4_SHARE_DENY_NONE,
				s.OpenOwner("a"), nfs4.CreateUnchecked(nfs4.Fattr4{Attrmask: nfs4.Bitmap()}), nfs4.ClaimNull("f")).GetFH())
			if err != nil {
				return err
			}
			ok, err := res.Open(len(dir) + 1)
			if err != nil {
				return err
			}
			if ok.Rflags&nfs4.OPEN4_RESULT_CONFIRM != 0 {
				return fmt.Errorf("OPEN4_RESULT_CONFIRM set in 4.1")
			}
			fh, err := res.GetFH(len(dir) + 2)
			if err != nil {
				return err
			}
			if err := rw(ctx, s.Call, 1, fh, ok.Stateid); err != nil {
				return err
			}
			res, err = s.Call(ctx, nfs4.NewCompound(1).PutFH(fh).Close(0, ok.Stateid))
			return resStatus("CLOSE", res, err, nfs4.NFS4_OK)
		}},
	{ID: "NFS41-SLOT-REPLAY", Area: "NFSv4.1", Ref: "RFC 8881 §2.10.6.1",
		Title: "a request sent again on its slot with its sequence id gets the cached reply",
		run: func(ctx context.Context, e *env, c *Check) error {
			s, end, err := e.v4session(ctx, 1, true)
			if err != nil {
				return err
			}
			defer end()
			cmp := nfs4.NewCompound(1).Tag("replay").Sequence(s.ID, 1, 0, 0, true).PutRootFH().GetFH()
			first, err := e.v40(ctx, cmp)
			if err := resStatus("SEQUENCE, PUTROOTFH, GETFH", first, err, nfs4.NFS4_OK); err != nil {
				return err
			}
			again, err := e.v40(ctx, cmp)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(first.COMPOUND4res, again.COMPOUND4res) {
				return fmt.Errorf("the replay answered %s with %d results, the first %s with %d", again.Status, again.Len(), first.Status, first.Len())
			}
			next, err := e.v40(ctx, nfs4.NewCompound(1).Sequence(s.ID, 2, 0, 0, false))
			return resStatus("SEQUENCE with the next sequence id", next, err, nfs4.NFS4_OK)
		}},
	{ID: "NFS41-SEQ-MISORDERED", Area: "NFSv4.1", Ref: "RFC 8881 §2.10.6.1, §18.46.3",
		Title: "SEQUENCE with a sequence id two ahead of the slot's gets NFS4ERR_SEQ_MISORDERED",
		run: func(ctx context.Context, e *env, c *Check) error {
			s, end, err := e.v4session(ctx, 1, true)
			if err != nil {
				return err
			}
			defer end()
			res, err := e.v40(ctx, nfs4.NewCompound(1).Sequence(s.ID, 1, 0, 0, false))
			if err := resStatus("SEQUENCE 1", res, err, nfs4.NFS4_OK); err != nil {
				return err
			}
			res, err = e.v40(ctx, nfs4.NewCompound(1).Sequence(s.ID, 3, 0, 0, false).PutRootFH())
			return resStatus("SEQUENCE 3", res, err, nfs4.NFS4ERR_SEQ_MISORDERED)
		}},
	{ID: "NFS41-BADSLOT", Area: "NFSv4.1", Ref: "RFC 8881 §18.46.3",
		Title: "SEQUENCE on a slot beyond those the session has gets NFS4ERR_BADSLOT",
		run: func(ctx context.Context, e *env, c *Check) error {
			s, end, err := e.v4session(ctx, 1, true)
			if err != nil {
				return err
			}
			defer end()
			n := uint32(s.Fore.CaMaxrequests)
			res, err := e.v40(ctx, nfs4.NewCompound(1).Sequence(s.ID, 1, n, n, false).PutRootFH())
			return resStatus(fmt.Sprintf("SEQUENCE on slot %d", n), res, err, nfs4.NFS4ERR_BADSLOT)
		}},
	{ID: "NFS41-BADSESSION", Area: "NFSv4.1", Ref: "RFC 8881 §18.46.3",
		Title: "SEQUENCE of a session the server never made gets NFS4ERR_BADSESSION",
		run: func(ctx context.Context, e *env, c *Check) error {
			if err := e.needMinor(ctx, 1); err != nil {
				return err
			}
			var sid nfs4.Sessionid4
			rand.Read(sid[:])
			res, err := e.v40(ctx, nfs4.NewCompound(1).Sequence(sid, 1, 0, 0, false).PutRootFH())
			return resStatus("SEQUENCE", res, err, nfs4.NFS4ERR_BADSESSION)
		}},
	{ID: "NFS41-OP-NOT-IN-SESSION", Area: "NFSv4.1", Ref: "RFC 8881 §18.46.3, §16.2.3",
		Title: "a 4.1 COMPOUND that does not start with SEQUENCE fails at its first operation with NFS4ERR_OP_NOT_IN_SESSION",
		run: func(ctx context.Context, e *env, c *Check) error {
			if err := e.needMinor(ctx, 1); err != nil {
				return err
			}
			res, err := e.v40(ctx, nfs4.NewCompound(1).PutRootFH().GetFH())
			if err := resStatus("PUTROOTFH", res, err, nfs4.NFS4ERR_OP_NOT_IN_SESSION); err != nil {
				return err
			}
			if res.Len() != 1 || res.Op(0).Resop != nfs4.OP_PUTROOTFH {
				return fmt.Errorf("%d results, want one: PUTROOTFH's", res.Len())
			}
			return nil
		}},
	{ID: "NFS41-V40-OP", Area: "NFSv4.1", Ref: "RFC 8881 §17",
		Title: "RENEW and OPEN_CONFIRM, which 4.1 must not implement, get NFS4ERR_NOTSUPP in a session",
		run: func(ctx context.Context, e *env, c *Check) error {
			s, end, err := e.v4session(ctx, 1, false)
			if err != nil {
				return err
			}
			defer end()
			res, err := s.Call(ctx, nfs4.NewCompound(1).Renew(s.ClientID))
			if err := resStatus("RENEW", res, err, nfs4.NFS4ERR_NOTSUPP); err != nil {
				return err
			}
			res, err = s.Call(ctx, nfs4.NewCompound(1).PutRootFH().OpenConfirm(nfs4.Stateid4{Seqid: 1}, 1))
			return resStatus("PUTROOTFH, OPEN_CONFIRM", res, err, nfs4.NFS4ERR_NOTSUPP)
		}},
	{ID: "NFS41-SEQUENCE-POS", Area: "NFSv4.1", Ref: "RFC 8881 §18.46.3",
		Title: "SEQUENCE anywhere but first gets NFS4ERR_SEQUENCE_POS",
		run: func(ctx context.Context, e *env, c *Check) error {
			s, end, err := e.v4session(ctx, 1, false)
			if err != nil {
				return err
			}
			defer end()
			res, err := s.Call(ctx, nfs4.NewCompound(1).PutRootFH().Sequence(s.ID, 1, 1, 1, false))
			if err := resStatus("SEQUENCE, PUTROOTFH, SEQUENCE", res, err, nfs4.NFS4ERR_SEQUENCE_POS); err != nil {
				return err
			}
			if res.Len() != 2 {
				return fmt.Errorf("%d results after the first SEQUENCE, want 2", res.Len())
			}
			return nil
		}},
	{ID: "NFS41-NOT-ONLY-OP", Area: "NFSv4.1", Ref: "RFC 8881 §18.50.3",
		Title: "DESTROY_CLIENTID without SEQUENCE and not alone gets NFS4ERR_NOT_ONLY_OP",
		run: func(ctx context.Context, e *env, c *Check) error {
			s, end, err := e.v4session(ctx, 1, true)
			if err != nil {
				return err
			}
			defer end()
			res, err := e.v40(ctx, nfs4.NewCompound(1).DestroyClientID(s.ClientID).PutRootFH())
			return resStatus("DESTROY_CLIENTID, PUTROOTFH", res, err, nfs4.NFS4ERR_NOT_ONLY_OP)
		}},
	{ID: "NFS41-TOO-MANY-OPS", Area: "NFSv4.1", Ref: "RFC 8881 §18.36.3",
		Title: "a COMPOUND of more operations than ca_maxoperations gets NFS4ERR_TOO_MANY_OPS (or is done in full)",
		run: func(ctx context.Context, e *env, c *Check) error {
			s, end, err := e.v4session(ctx, 1, false)
			if err != nil {
				return err
			}
			defer end()
			n := int(s.Fore.CaMaxoperations)
			if n > 4096 {
				return skipf("ca_maxoperations %d", n)
			}
			cmp := nfs4.NewCompound(1)
			for range n {
				cmp.PutRootFH()
			}
			res, err := s.Call(ctx, cmp)
			if err != nil {
				return err
			}
			switch {
			case res.Status == nfs4.NFS4ERR_TOO_MANY_OPS:
				return passf("ca_maxoperations %d", n)
			case res.Status == nfs4.NFS4_OK && res.Len() == n:
				return passf("ca_maxoperations %d, all %d done", n, n+1)
			}
			return fmt.Errorf("%d operations (ca_maxoperations %d): %s with %d results", n+1, n, res.Status, res.Len())
		}},
	{ID: "NFS41-RECLAIM-COMPLETE", Area: "NFSv4.1", Ref: "RFC 8881 §18.51.3",
		Title: "RECLAIM_COMPLETE succeeds once, and gets NFS4ERR_COMPLETE_ALREADY the second time",
		run: func(ctx context.Context, e *env, c *Check) error {
			s, end, err := e.v4session(ctx, 1, true)
			if err != nil {
				return err
			}
			defer end()
			if err := v4status("RECLAIM_COMPLETE", s.ReclaimComplete(ctx), nfs4.NFS4_OK); err != nil {
				return err
			}
			return v4status("RECLAIM_COMPLETE again", s.ReclaimComplete(ctx), nfs4.NFS4ERR_COMPLETE_ALREADY)
		}},
	{ID: "NFS41-TEST-FREE-STATEID", Area: "NFSv4.1", Ref: "RFC 8881 §18.48, §18.38",
		Title: "TEST_STATEID tells an open's stateid from one it never gave; FREE_STATEID of that one gets NFS4ERR_BAD_STATEID",
		run: func(ctx context.Context, e *env, c *Check) error {
			s, end, err := e.v4session(ctx, 1, false)
			if err != nil {
				return err
			}
			defer end()
			_, fh, st, err := e.v41open(ctx, c, s)
			if err != nil {
				return err
			}
			// Another stateid of the same server instance: the open's
			// with the last byte of its other changed.
			bogus := st
			bogus.Other[11] ^= 0xa5
			res, err := s.Call(ctx, nfs4.NewCompound(1).TestStateID(st, bogus))
			if err != nil {
				return err
			}
			codes, err := res.TestStateID(0)
			if err != nil {
				return err
			}
			if len(codes) != 2 || codes[0] != nfs4.NFS4_OK || codes[1] != nfs4.NFS4ERR_BAD_STATEID {
				return fmt.Errorf("TEST_STATEID of the open's and another stateid: %v", codes)
			}
			res, err = s.Call(ctx, nfs4.NewCompound(1).FreeStateID(bogus))
			if err := resStatus("FREE_STATEID", res, err, nfs4.NFS4ERR_BAD_STATEID); err != nil {
				return err
			}
			res, err = s.Call(ctx, nfs4.NewCompound(1).PutFH(fh).Close(0, st))
			return resStatus("CLOSE", res, err, nfs4.NFS4_OK)
		}},
	{ID: "NFS41-DESTROY-CLIENTID-BUSY", Area: "NFSv4.1", Ref: "RFC 8881 §18.50.3",
		Title: "DESTROY_CLIENTID of a client id with a session gets NFS4ERR_CLIENTID_BUSY",
		run: func(ctx context.Context, e *env, c *Check) error {
			s, end, err := e.v4session(ctx, 1, true)
			if err != nil {
				return err
			}
			defer end()
			res, err := e.v40(ctx, nfs4.NewCompound(1).DestroyClientID(s.ClientID))
			return resStatus("DESTROY_CLIENTID", res, err, nfs4.NFS4ERR_CLIENTID_BUSY)
		}},
}

// v41open makes a file of 10 bytes in the check's directory and opens
// it for read and write in session s, returning the directory's handle,
// the file's and the open stateid.
func (e *env) v41open(ctx context.Context, c *Check, s *nfs4.Session) (dirFH, fh nfs4.NfsFh4, st nfs4.Stateid4, err error) {
	dir, err := e.v4file(ctx, c, "f", []byte("0123456789"))
	if err != nil {
		return nil, nil, st, err
	}
	res, err := s.Call(ctx, nfs4.NewCompound(s.Minor).PutRootFH().Lookup(dir...).GetFH().Open(0, nfs4.OPEN4_SHARE_ACCESS_BOTH, nfs4.OPEN4_SHARE_DENY_NONE,
		s.OpenOwner("a"), nfs4.NoCreate(), nfs4.ClaimNull("f")).GetFH())
	if err != nil {
		return nil, nil, st, err
	}
	ok, err := res.Open(len(dir) + 2)
	if err != nil {
		return nil, nil, st, fmt.Errorf("OPEN: %w", err)
	}
	dirFH, _ = res.GetFH(len(dir) + 1)
	fh, err = res.GetFH(len(dir) + 3)
	return dirFH, fh, ok.Stateid, err
}
