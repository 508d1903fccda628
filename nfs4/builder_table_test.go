package nfs4_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/rpc"
)

// v4Env is what the steps of the interop table share: the connection,
// the client id or session, and the handles and stateids the earlier
// steps got.
type v4Env struct {
	ctx     context.Context
	minor   uint32
	caller  rpc.Caller
	session *nfs4.Session   // 4.1 and later
	client  *nfs4.ClientID  // 4.0
	owner   nfs4.OpenOwner4 // the open-owner of every OPEN
	// ownerSeq is the open-owner's next sequence id (4.0; 4.1 sends 0).
	ownerSeq uint32
	quirks   v4Quirks
	export   string      // the export's pseudo path, one component
	dir      nfs4.NfsFh4 // the export's root directory
	file     nfs4.NfsFh4 // the file the steps create
	open     nfs4.Stateid4
}

// v4Quirks are where a server is known to depart from the RFCs; the
// table expects the RFC's behaviour unless told otherwise.
type v4Quirks struct {
	// writeUnderReadOpen: WRITE under the stateid of an open that has
	// no write access (after OPEN_DOWNGRADE to read) succeeds, where
	// RFC 7530 section 16.36.4 and RFC 5661 section 18.32.3 have it
	// fail with NFS4ERR_OPENMODE.
	writeUnderReadOpen bool
	// opNotInSessionNoResult: a 4.1 COMPOUND whose first operation is
	// not SEQUENCE is answered NFS4ERR_OP_NOT_IN_SESSION with no
	// results, where RFC 5661 section 18.46.3 has that operation fail
	// with the status, and section 16.2.3 has the results run up to
	// and include the failed operation's: one result, the first
	// operation's.
	opNotInSessionNoResult bool
	// readPlusEmpty: READ_PLUS answers one data segment at offset 0
	// holding no bytes, wherever it reads, where RFC 7862 section
	// 15.10.3 has it return the file's bytes as data and holes.
	readPlusEmpty bool
	// ioAdviseStuck: IO_ADVISE leaves the open's state held: a later
	// CLOSE of the file answers NFS4ERR_LOCKS_HELD though no lock was
	// taken, and an IO_ADVISE may get no reply at all (seen with the
	// hint IO_ADVISE4_SEQUENTIAL), so the table sends none.
	ioAdviseStuck bool
	// noCopy: COPY within the server is NFS4ERR_NOTSUPP (an OPTIONAL
	// operation of RFC 7862).
	noCopy bool
	// noXattrs: the extended attribute operations are NFS4ERR_NOTSUPP
	// (RFC 8276 makes them OPTIONAL).
	noXattrs bool
}

// call sends c, through the session in 4.1.
func (e *v4Env) call(t *testing.T, c *nfs4.Compound) *nfs4.Results {
	t.Helper()
	var res *nfs4.Results
	var err error
	if e.session != nil {
		res, err = e.session.Call(e.ctx, c)
	} else {
		res, err = c.Call(e.ctx, e.caller)
	}
	require.NoError(t, err)
	return res
}

// seq returns the open-owner's sequence id for the next seqid-changing
// operation and counts it (4.0); 0 in 4.1, where sequence ids of
// owners are not used.
func (e *v4Env) seq() uint32 {
	if e.minor > 0 {
		return 0
	}
	s := e.ownerSeq
	e.ownerSeq++
	return s
}

// confirm confirms a 4.0 open that asks for it (OPEN4_RESULT_CONFIRM)
// and returns the open stateid to use.
func (e *v4Env) confirm(t *testing.T, fh nfs4.NfsFh4, ok *nfs4.OPEN4resok) nfs4.Stateid4 {
	t.Helper()
	if ok.Rflags&nfs4.OPEN4_RESULT_CONFIRM == 0 {
		return ok.Stateid
	}
	require.Zero(t, e.minor, "OPEN4_RESULT_CONFIRM is 4.0's alone")
	res := e.call(t, nfs4.NewCompound(e.minor).Tag("open_confirm").PutFH(fh).OpenConfirm(ok.Stateid, e.seq()))
	st, err := res.OpenConfirm(1)
	require.NoError(t, err)
	require.Equal(t, ok.Stateid.Other, st.Other)
	return st
}

const interopData = "hello, nfs4\n"

// v4Steps is the table of COMPOUNDs runV4Table runs, in order, each
// building on what the ones before it left in the v4Env. It asserts what
// RFC 7530 and RFC 5661 require of any server; what ganesha 4.3 does
// where the RFCs leave a choice is noted where a step meets it:
//   - 4.0: ganesha asks a new open-owner to confirm its first OPEN
//     (OPEN4_RESULT_CONFIRM); confirm handles either answer.
//   - the owner attribute is whatever the server's id mapping makes of
//     uid 0 ("root" or "root@domain" for ganesha), so only its presence
//     is checked.
//   - ganesha grants a session the slots asked for (8 here, at most
//     64); another server may grant fewer, which Session handles.
//   - ganesha answers a 4.1 COMPOUND without SEQUENCE with
//     NFS4ERR_OP_NOT_IN_SESSION and no result for its first operation,
//     and lets a WRITE through under a read-only open (see v4Quirks).
var v4Steps = []struct {
	name string
	run  func(t *testing.T, e *v4Env)
}{{
	name: "client id",
	run: func(t *testing.T, e *v4Env) {
		if e.minor == 0 {
			c, err := nfs4.SetClientID(e.ctx, e.caller, nil)
			require.NoError(t, err)
			require.NoError(t, c.Renew(e.ctx))
			e.client, e.owner = c, c.OpenOwner("interop-open-owner")
			return
		}
		s, err := nfs4.NewSession(e.ctx, e.caller, &nfs4.SessionOptions{Minor: e.minor, Slots: 8})
		require.NoError(t, err)
		require.Positive(t, s.Slots())
		require.NoError(t, s.ReclaimComplete(e.ctx))
		e.session, e.owner = s, s.OpenOwner("interop-open-owner")
	},
}, {
	name: "root, lookup the export, getattr, getfh",
	run: func(t *testing.T, e *v4Env) {
		res := e.call(t, nfs4.NewCompound(e.minor).Tag("lookup").PutRootFH().Lookup(e.export).
			GetAttr(nfs4.FATTR4_SUPPORTED_ATTRS, nfs4.FATTR4_TYPE, nfs4.FATTR4_FSID, nfs4.FATTR4_FILEID, nfs4.FATTR4_MODE, nfs4.FATTR4_NUMLINKS).
			GetFH())
		require.NoError(t, res.Err())
		require.Equal(t, "lookup", string(res.Tag), "the tag is echoed")
		a, err := res.GetAttr(2)
		require.NoError(t, err)
		require.Equal(t, nfs4.NF4DIR, a.Type)
		require.True(t, a.SupportedAttrs.Has(nfs4.FATTR4_SIZE) && a.SupportedAttrs.Has(nfs4.FATTR4_FILEHANDLE))
		require.Positive(t, a.NumLinks)
		e.dir, err = res.GetFH(3)
		require.NoError(t, err)
		require.NotEmpty(t, e.dir)
	},
}, {
	name: "lookup of a missing name",
	run: func(t *testing.T, e *v4Env) {
		res := e.call(t, nfs4.NewCompound(e.minor).PutFH(e.dir).Lookup("no-such-file").GetFH())
		require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_NOENT)
		var ne *nfs4.Error
		require.ErrorAs(t, res.Err(), &ne)
		require.Equal(t, nfs4.OP_LOOKUP, ne.Op)
		require.Equal(t, 2, res.Len(), "results stop at the failing op")
	},
}, {
	name: "open create, write, close",
	run: func(t *testing.T, e *v4Env) {
		mode := uint32(0o644)
		res := e.call(t, nfs4.NewCompound(e.minor).Tag("create").PutFH(e.dir).
			Open(e.seq(), nfs4.OPEN4_SHARE_ACCESS_BOTH, nfs4.OPEN4_SHARE_DENY_NONE, e.owner,
				nfs4.CreateGuarded(nfs4.SetAttrs{Mode: &mode}.Fattr4()), nfs4.ClaimNull("hello.txt")).
			GetFH())
		require.NoError(t, res.Err())
		ok, err := res.Open(1)
		require.NoError(t, err)
		e.file, err = res.GetFH(2)
		require.NoError(t, err)
		st := e.confirm(t, e.file, ok)

		res = e.call(t, nfs4.NewCompound(e.minor).Tag("write").PutFH(e.file).
			Write(st, 0, nfs4.FILE_SYNC4, []byte(interopData)).
			GetAttr(nfs4.FATTR4_TYPE, nfs4.FATTR4_SIZE, nfs4.FATTR4_MODE, nfs4.FATTR4_OWNER, nfs4.FATTR4_CHANGE).
			Close(e.seq(), st))
		require.NoError(t, res.Err())
		w, err := res.Write(1)
		require.NoError(t, err)
		require.Equal(t, nfs4.Count4(len(interopData)), w.Count)
		require.Equal(t, nfs4.FILE_SYNC4, w.Committed)
		a, err := res.GetAttr(2)
		require.NoError(t, err)
		require.Equal(t, nfs4.NF4REG, a.Type)
		require.Equal(t, uint64(len(interopData)), a.Size)
		require.Equal(t, mode, a.Mode&0o7777)
		require.NotEmpty(t, a.Owner) // ganesha: "root" or "0", as its idmapping says
		_, err = res.Close(3)
		require.NoError(t, err)
	},
}, {
	name: "guarded create of an existing file",
	run: func(t *testing.T, e *v4Env) {
		res := e.call(t, nfs4.NewCompound(e.minor).PutFH(e.dir).
			Open(e.seq(), nfs4.OPEN4_SHARE_ACCESS_READ, nfs4.OPEN4_SHARE_DENY_NONE, e.owner,
				nfs4.CreateGuarded(nfs4.Fattr4{}), nfs4.ClaimNull("hello.txt")))
		require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_EXIST)
	},
}, {
	name: "open and read back",
	run: func(t *testing.T, e *v4Env) {
		res := e.call(t, nfs4.NewCompound(e.minor).Tag("open").PutFH(e.dir).
			Open(e.seq(), nfs4.OPEN4_SHARE_ACCESS_READ, nfs4.OPEN4_SHARE_DENY_NONE, e.owner, nfs4.NoCreate(), nfs4.ClaimNull("hello.txt")).
			GetFH())
		ok, err := res.Open(1)
		require.NoError(t, err)
		fh, err := res.GetFH(2)
		require.NoError(t, err)
		require.Equal(t, e.file, fh)
		e.open = e.confirm(t, fh, ok)

		res = e.call(t, nfs4.NewCompound(e.minor).Tag("read").PutFH(e.file).Read(e.open, 0, 4096))
		r, err := res.Read(1)
		require.NoError(t, err)
		require.Equal(t, interopData, string(r.Data))
		require.True(t, r.Eof)
	},
}, {
	name: "readdir",
	run: func(t *testing.T, e *v4Env) {
		res := e.call(t, nfs4.NewCompound(e.minor).PutFH(e.dir).
			ReadDir(0, nfs4.Verifier4{}, 4096, 16384, nfs4.Bitmap(nfs4.FATTR4_TYPE, nfs4.FATTR4_SIZE, nfs4.FATTR4_FILEID)))
		rd, err := res.ReadDir(1)
		require.NoError(t, err)
		require.True(t, rd.Reply.Eof)
		var names []string
		for _, ent := range rd.Reply.Entries {
			names = append(names, string(ent.Name))
			if string(ent.Name) == "hello.txt" {
				a, err := nfs4.DecodeAttrs(&ent.Attrs)
				require.NoError(t, err)
				require.Equal(t, nfs4.NF4REG, a.Type)
				require.Equal(t, uint64(len(interopData)), a.Size)
				require.NotZero(t, a.FileID)
			}
		}
		require.Equal(t, []string{"hello.txt"}, names, "no . or .. in NFSv4")
	},
}, {
	name: "lock, lockt, locku",
	run: func(t *testing.T, e *v4Env) {
		lockOwner := nfs4.LockOwner4{Clientid: e.owner.Clientid, Owner: []byte("interop-lock-owner")}
		res := e.call(t, nfs4.NewCompound(e.minor).Tag("lock").PutFH(e.file).
			Lock(nfs4.READ_LT, 0, 5, nfs4.NewLockOwner(e.seq(), e.open, 0, lockOwner)))
		lst, err := res.Lock(1)
		require.NoError(t, err)

		other := nfs4.LockOwner4{Clientid: e.owner.Clientid, Owner: []byte("interop-other-owner")}
		res = e.call(t, nfs4.NewCompound(e.minor).PutFH(e.file).
			LockT(nfs4.WRITE_LT, 2, 10, other))
		require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_DENIED)
		denied := res.LockDenied(1)
		require.NotNil(t, denied)
		require.Equal(t, nfs4.READ_LT, denied.Locktype)
		require.Equal(t, nfs4.Offset4(0), denied.Offset)
		require.Equal(t, nfs4.Length4(5), denied.Length)
		require.Equal(t, lockOwner.Owner, denied.Owner.Owner)

		res = e.call(t, nfs4.NewCompound(e.minor).PutFH(e.file).
			LockT(nfs4.WRITE_LT, 5, 10, other). // past the lock
			LockU(nfs4.READ_LT, 1, lst, 0, 5).  // lock seqid 1 in 4.0
			LockT(nfs4.WRITE_LT, 0, 10, other)) // nothing in the way now
		require.NoError(t, res.Err())
		ust, err := res.LockU(2)
		require.NoError(t, err)
		require.Equal(t, lst.Other, ust.Other)

		close := nfs4.NewCompound(e.minor).Tag("close").PutFH(e.file)
		if e.minor > 0 {
			close.FreeStateID(ust)
		}
		close.Close(e.seq(), e.open)
		if e.minor == 0 {
			close.ReleaseLockOwner(lockOwner)
		}
		require.NoError(t, e.call(t, close).Err())
	},
}, {
	name: "directories, links and renames",
	run: func(t *testing.T, e *v4Env) {
		res := e.call(t, nfs4.NewCompound(e.minor).PutFH(e.dir).Mkdir("sub", 0o755).GetFH().
			GetAttr(nfs4.FATTR4_TYPE, nfs4.FATTR4_MODE))
		require.NoError(t, res.Err())
		sub, err := res.GetFH(2)
		require.NoError(t, err)
		a, err := res.GetAttr(3)
		require.NoError(t, err)
		require.Equal(t, nfs4.NF4DIR, a.Type)
		require.Equal(t, uint32(0o755), a.Mode&0o7777)

		res = e.call(t, nfs4.NewCompound(e.minor).PutFH(e.dir).Symlink("ln", "hello.txt").
			PutFH(e.dir).Lookup("ln").ReadLink())
		target, err := res.ReadLink(4)
		require.NoError(t, err)
		require.Equal(t, "hello.txt", target)

		// LINK: the saved filehandle is the file, the current one the
		// directory of the new name. RENAME: saved is the source
		// directory, current the target.
		res = e.call(t, nfs4.NewCompound(e.minor).PutFH(e.file).SaveFH().PutFH(sub).Link("hard").
			PutFH(e.dir).SaveFH().PutFH(sub).Rename("ln", "ln2").
			PutFH(e.file).GetAttr(nfs4.FATTR4_NUMLINKS).
			PutFH(sub).Lookup("ln2").PutFH(sub).LookupP().GetFH().
			PutFH(e.dir).SaveFH().PutFH(e.file).RestoreFH().GetFH())
		require.NoError(t, res.Err())
		a, err = res.GetAttr(9)
		require.NoError(t, err)
		require.Equal(t, uint32(2), a.NumLinks)
		parent, err := res.GetFH(14)
		require.NoError(t, err)
		require.Equal(t, e.dir, parent)
		restored, err := res.GetFH(19)
		require.NoError(t, err)
		require.Equal(t, e.dir, restored)

		res = e.call(t, nfs4.NewCompound(e.minor).PutFH(sub).Remove("hard").Remove("ln2").
			PutFH(e.dir).Remove("sub").PutFH(e.file).GetAttr(nfs4.FATTR4_NUMLINKS))
		require.NoError(t, res.Err())
		a, err = res.Attrs()
		require.NoError(t, err)
		require.Equal(t, uint32(1), a.NumLinks)
	},
}, {
	name: "setattr, verify, access, secinfo, commit, open_downgrade",
	run: func(t *testing.T, e *v4Env) {
		mode, other := uint32(0o600), uint32(0o644)
		res := e.call(t, nfs4.NewCompound(e.minor).PutFH(e.file).
			SetAttr(nfs4.AnonymousStateid, nfs4.SetAttrs{Mode: &mode}.Fattr4()).
			Verify(nfs4.SetAttrs{Mode: &mode}.Fattr4()).
			Access(nfs4.ACCESS4_READ|nfs4.ACCESS4_MODIFY).
			Commit(0, 0))
		require.NoError(t, res.Err())
		set, err := res.SetAttr(1)
		require.NoError(t, err)
		require.True(t, set.Has(nfs4.FATTR4_MODE))
		acc, err := res.Access(3)
		require.NoError(t, err)
		require.Equal(t, uint32(nfs4.ACCESS4_READ|nfs4.ACCESS4_MODIFY), acc.Access&acc.Supported, "root may read and write")
		_, err = res.Commit(4)
		require.NoError(t, err)

		res = e.call(t, nfs4.NewCompound(e.minor).PutFH(e.file).NVerify(nfs4.SetAttrs{Mode: &mode}.Fattr4()))
		require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_SAME)
		res = e.call(t, nfs4.NewCompound(e.minor).PutFH(e.file).Verify(nfs4.SetAttrs{Mode: &other}.Fattr4()))
		require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_NOT_SAME)

		sec := nfs4.NewCompound(e.minor).PutFH(e.dir).SecInfo("hello.txt")
		if e.minor > 0 {
			sec.PutFH(e.dir).SecInfoNoName(nfs4.SECINFO_STYLE4_CURRENT_FH)
		}
		res = e.call(t, sec)
		require.NoError(t, res.Err())
		for i := 1; i < res.Len(); i += 2 {
			flavors, err := res.SecInfo(i)
			require.NoError(t, err)
			require.Contains(t, flavors, nfs4.Secinfo4{Flavor: nfs4.AUTH_SYS}, "the export is SecType sys")
		}

		// OPEN_DOWNGRADE may only go back to modes the open was asked
		// for (RFC 5661 section 18.18.3): open for reading, upgrade to
		// both, then downgrade.
		open := func(access uint32) nfs4.Stateid4 {
			res := e.call(t, nfs4.NewCompound(e.minor).PutFH(e.dir).
				Open(e.seq(), access, nfs4.OPEN4_SHARE_DENY_NONE, e.owner, nfs4.NoCreate(), nfs4.ClaimNull("hello.txt")))
			ok, err := res.Open(1)
			require.NoError(t, err)
			return e.confirm(t, e.file, ok)
		}
		first := open(nfs4.OPEN4_SHARE_ACCESS_READ)
		st := open(nfs4.OPEN4_SHARE_ACCESS_BOTH)
		require.Equal(t, first.Other, st.Other, "one open per open-owner and file")
		res = e.call(t, nfs4.NewCompound(e.minor).PutFH(e.file).
			OpenDowngrade(st, e.seq(), nfs4.OPEN4_SHARE_ACCESS_READ, nfs4.OPEN4_SHARE_DENY_NONE))
		down, err := res.OpenDowngrade(1)
		require.NoError(t, err)
		require.Equal(t, st.Other, down.Other)
		require.Equal(t, st.Seqid+1, down.Seqid, "the stateid's seqid counts the downgrade")
		res = e.call(t, nfs4.NewCompound(e.minor).PutFH(e.file).Write(down, 0, nfs4.UNSTABLE4, []byte("h")))
		if e.quirks.writeUnderReadOpen {
			require.NoError(t, res.Err())
		} else {
			require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_OPENMODE, "a WRITE under a read-only open")
		}
		res = e.call(t, nfs4.NewCompound(e.minor).PutFH(e.file).Close(e.seq(), down))
		closed, err := res.Close(1)
		require.NoError(t, err)
		if e.minor > 0 {
			require.Equal(t, nfs4.Stateid4{Seqid: nfs4.NFS4_UINT32_MAX}, closed,
				"CLOSE answers the invalid special stateid (RFC 8881 section 18.2.4)")
			res = e.call(t, nfs4.NewCompound(e.minor).TestStateID(closed, down))
			codes, err := res.TestStateID(0)
			require.NoError(t, err)
			require.Len(t, codes, 2)
			require.NotEqual(t, nfs4.NFS4_OK, codes[1], "a closed open's stateid is no longer valid")
		}
	},
}, {
	name: "4.2: seek, read_plus, allocate, deallocate, copy, clone, io_advise",
	run:  runV42Steps,
}, {
	name: "4.2: extended attributes",
	run:  runV42XattrSteps,
}, {
	name: "illegal operation",
	run: func(t *testing.T, e *v4Env) {
		res := e.call(t, nfs4.NewCompound(e.minor).PutRootFH().Raw(9999, nil).GetFH())
		var ne *nfs4.Error
		require.ErrorAs(t, res.Err(), &ne)
		require.Equal(t, nfs4.NFS4ERR_OP_ILLEGAL, ne.Status)
		require.Equal(t, nfs4.OP_ILLEGAL, ne.Op, "the result of an unknown op is OP_ILLEGAL's")
		require.Equal(t, 2, res.Len())
	},
}, {
	name: "protocol errors",
	run: func(t *testing.T, e *v4Env) {
		direct := func(c *nfs4.Compound) *nfs4.Results {
			res, err := c.Call(e.ctx, e.caller)
			require.NoError(t, err)
			return res
		}
		res := direct(nfs4.NewCompound(3).PutRootFH())
		require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_MINOR_VERS_MISMATCH)
		require.Zero(t, res.Len(), "no results for a minor version the server lacks")
		if e.minor == 0 {
			res = direct(nfs4.NewCompound(0).PutRootFH().ReclaimComplete(false))
			require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_OP_ILLEGAL, "a 4.1 operation in 4.0")
			require.Equal(t, nfs4.OP_ILLEGAL, res.Op(1).Resop)
			return
		}
		// RFC 5661 has the first operation fail with
		// NFS4ERR_OP_NOT_IN_SESSION (see v4Quirks).
		res = direct(nfs4.NewCompound(e.minor).PutRootFH().GetFH())
		require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_OP_NOT_IN_SESSION)
		if !e.quirks.opNotInSessionNoResult {
			require.Equal(t, 1, res.Len(), "the results stop at the first operation")
			require.Equal(t, nfs4.OP_PUTROOTFH, res.Op(0).Resop)
		}
		res = e.call(t, nfs4.NewCompound(e.minor).PutRootFH().Sequence(e.session.ID, 1, 0, 0, false))
		require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_SEQUENCE_POS)
		res = e.call(t, nfs4.NewCompound(e.minor).ReclaimComplete(false))
		require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_COMPLETE_ALREADY, "RECLAIM_COMPLETE was sent once already")
		res = direct(nfs4.NewCompound(e.minor).Sequence(e.session.ID, 1, 5000, 5000, false).PutRootFH())
		require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_BADSLOT)
	},
}, {
	name: "remove",
	run: func(t *testing.T, e *v4Env) {
		res := e.call(t, nfs4.NewCompound(e.minor).PutFH(e.dir).Remove("hello.txt").Lookup("hello.txt"))
		require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_NOENT)
		var ne *nfs4.Error
		require.ErrorAs(t, res.Err(), &ne)
		require.Equal(t, nfs4.OP_LOOKUP, ne.Op)
		_, err := res.Remove(1)
		require.NoError(t, err)
	},
}, {
	name: "end",
	run: func(t *testing.T, e *v4Env) {
		if e.session != nil {
			require.NoError(t, e.session.Close(e.ctx))
			return
		}
		require.NoError(t, e.client.Renew(e.ctx))
	},
}}

// runV4Table runs v4Steps in minor version minor against the NFSv4
// server at addr (TCP), whose pseudo file system has an empty export
// at /export (one component: "vfs" for ganesha), expecting the
// departures from the RFCs in quirks. Each step is a subtest; a failing
// step stops the rest.
func runV4Table(t *testing.T, addr, export string, minor uint32, quirks v4Quirks) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	auth, err := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: "nfskit-interop"})
	require.NoError(t, err)
	c, err := rpc.Dial(ctx, "tcp", addr, &rpc.ClientOptions{Auth: auth})
	require.NoError(t, err)
	defer c.Close()
	e := &v4Env{ctx: ctx, minor: minor, caller: c, quirks: quirks, export: export}
	for _, s := range v4Steps {
		if !t.Run(s.name, func(t *testing.T) { s.run(t, e) }) {
			return
		}
	}
	require.False(t, bytes.Equal(e.dir, e.file))
}
