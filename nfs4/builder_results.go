package nfs4

// Results are the server's answer to a [Compound]: the COMPOUND4res as
// decoded, read by the position of each operation as the Compound built
// it (a SEQUENCE that a [Session] put first is not counted: see
// [Results.Sequence]). Only the operations up to the first that failed
// have results.
//
// A Results may be reused, by [Compound.CallInto] and
// [Session.CallInto]: each reply is then decoded into the memory the
// last one left (its result array, each operation's result, filehandles
// and data), so that calls of one shape allocate nothing after the
// first. Whatever was read from a Results, data slices and filehandles
// included, is then valid only until its next reply. [Results.ReadInto]
// lends a READ a buffer of the caller's for its data.
type Results struct {
	COMPOUND4res
	// skip is how many results the caller did not build (a session's
	// SEQUENCE).
	skip int
	// lend are the buffers that READs are to decode into on the next
	// reply; lent are those lent to the last one, taken back before the
	// next.
	lend, lent []lentBuffer
}

// lentBuffer is a buffer lent to the READ at position i of the
// operations a caller built.
type lentBuffer struct {
	i   int
	buf []byte
}

// ReadInto lends buf to the READ that is the i-th operation, for the
// next reply these Results receive through a CallInto: its data is
// decoded into buf (up to its capacity, the data [Results.Read] then
// returns being buf[:n]; more data than that would be in a buffer of
// its own). The loan lasts for that one reply: a later reply into the
// same Results does not write into buf unless ReadInto lends it again.
func (r *Results) ReadInto(i int, buf []byte) *Results {
	if i >= 0 {
		r.lend = append(r.lend, lentBuffer{i, buf})
	}
	return r
}

// begin readies r for a reply to a COMPOUND of ops operations, of whose
// results the first skip were not built by the caller: it makes room
// for every result (so that the reply decodes into the values there),
// takes back the buffers lent for the last reply and lends those of
// [Results.ReadInto].
func (r *Results) begin(skip, ops int) {
	r.skip = skip
	r.reserve(ops)
	for _, l := range r.lent {
		if ok := r.readResok(l.i, false); ok != nil {
			ok.Data = nil
		}
	}
	clear(r.lent)
	r.lent, r.lend = r.lend, r.lent[:0]
	r.lendAgain()
}

// lendAgain points each READ that a buffer was lent to at its buffer,
// before a reply, or before the reply to a COMPOUND sent again.
func (r *Results) lendAgain() {
	for _, l := range r.lent {
		r.readResok(l.i, true).Data = l.buf[:0]
	}
}

// readResok returns the READ4resok that a READ at position i of the
// built operations decodes into, in the result array's capacity; with
// grow it makes room and values for it, else it returns nil where there
// are none.
func (r *Results) readResok(i int, grow bool) *READ4resok {
	j := i + r.skip
	if j >= cap(r.Resarray) {
		if !grow {
			return nil
		}
		r.reserve(j + 1)
	}
	o := &r.Resarray[:cap(r.Resarray)][j]
	if o.Opread == nil || o.Opread.Resok4 == nil {
		if !grow {
			return nil
		}
		if o.Opread == nil {
			o.Opread = new(READ4res)
		}
		o.Opread.Resok4 = new(READ4resok)
	}
	return o.Opread.Resok4
}

// reserve makes the result array's capacity at least n, keeping the
// values in it.
func (r *Results) reserve(n int) {
	if n > cap(r.Resarray) {
		grown := append(r.Resarray[:cap(r.Resarray)], make([]NfsResop4, n-cap(r.Resarray))...)
		r.Resarray = grown[:len(r.Resarray)]
	}
}

// Len returns how many of the built operations have a result.
func (r *Results) Len() int { return max(len(r.Resarray)-r.skip, 0) }

// Op returns the result of the i-th operation, nil if the server did not
// get to it.
func (r *Results) Op(i int) *NfsResop4 {
	i += r.skip
	if i < r.skip || i >= len(r.Resarray) {
		return nil
	}
	return &r.Resarray[i]
}

// Find returns the position of the first result of operation op, -1 if
// there is none.
func (r *Results) Find(op NfsOpnum4) int {
	for i := r.skip; i < len(r.Resarray); i++ {
		if r.Resarray[i].Resop == op {
			return i - r.skip
		}
	}
	return -1
}

// Err returns the first failing operation as an [*Error], nil if the
// COMPOUND succeeded.
func (r *Results) Err() error {
	if r.Status == NFS4_OK {
		return nil
	}
	if len(r.Resarray) == 0 {
		return &Error{Op: OP_ILLEGAL, Index: -1, Status: r.Status}
	}
	last := len(r.Resarray) - 1
	return &Error{Op: r.Resarray[last].Resop, Index: last, Status: r.Status}
}

// Sequence returns the result of the SEQUENCE that a [Session] put
// first, nil for a COMPOUND sent without one.
func (r *Results) Sequence() *SEQUENCE4res {
	if r.skip == 0 || len(r.Resarray) == 0 || r.Resarray[0].Resop != OP_SEQUENCE {
		return nil
	}
	return r.Resarray[0].Opsequence
}

// result returns the i-th result if it is of operation op, or the error
// saying why it cannot be read: the COMPOUND's failure for a result the
// server never got to, a [*ResultError] for one that is not there or
// not of op.
func (r *Results) result(i int, op NfsOpnum4) (*NfsResop4, error) {
	res := r.Op(i)
	if res == nil {
		if err := r.Err(); err != nil {
			return nil, err
		}
		return nil, &ResultError{Index: i, Want: op, Got: OP_ILLEGAL}
	}
	if res.Resop != op {
		return nil, &ResultError{Index: i, Want: op, Got: res.Resop}
	}
	return res, nil
}

// opErr is the error of the i-th result with status st, nil for NFS4_OK.
func (r *Results) opErr(i int, op NfsOpnum4, st Nfsstat4) error {
	if st == NFS4_OK {
		return nil
	}
	return &Error{Op: op, Index: i + r.skip, Status: st}
}

// resok returns value of the i-th result, if it is of operation op and
// its status is NFS4_OK; status reads the status, value is called only
// on success.
func resok[T any](r *Results, i int, op NfsOpnum4, status func(*NfsResop4) Nfsstat4, value func(*NfsResop4) T) (T, error) {
	var zero T
	res, err := r.result(i, op)
	if err != nil {
		return zero, err
	}
	if err := r.opErr(i, op, status(res)); err != nil {
		return zero, err
	}
	return value(res), nil
}

// GetFH returns the filehandle the i-th operation, a GETFH, returned.
func (r *Results) GetFH(i int) (NfsFh4, error) {
	return resok(r, i, OP_GETFH,
		func(o *NfsResop4) Nfsstat4 { return o.Opgetfh.Status },
		func(o *NfsResop4) NfsFh4 { return o.Opgetfh.Resok4.Object })
}

// GetAttr returns the attributes the i-th operation, a GETATTR,
// returned, decoded.
func (r *Results) GetAttr(i int) (*Attrs, error) {
	ok, err := resok(r, i, OP_GETATTR,
		func(o *NfsResop4) Nfsstat4 { return o.Opgetattr.Status },
		func(o *NfsResop4) *GETATTR4resok { return o.Opgetattr.Resok4 })
	if err != nil {
		return nil, err
	}
	return DecodeAttrs(&ok.ObjAttributes)
}

// Attrs returns the attributes the first GETATTR returned, decoded.
func (r *Results) Attrs() (*Attrs, error) {
	i := r.Find(OP_GETATTR)
	if i < 0 {
		return r.GetAttr(r.Len())
	}
	return r.GetAttr(i)
}

// FH returns the filehandle the first GETFH returned.
func (r *Results) FH() (NfsFh4, error) {
	i := r.Find(OP_GETFH)
	if i < 0 {
		return r.GetFH(r.Len())
	}
	return r.GetFH(i)
}

// Access returns what the i-th operation, an ACCESS, returned.
func (r *Results) Access(i int) (*ACCESS4resok, error) {
	return resok(r, i, OP_ACCESS,
		func(o *NfsResop4) Nfsstat4 { return o.Opaccess.Status },
		func(o *NfsResop4) *ACCESS4resok { return o.Opaccess.Resok4 })
}

// Close returns the stateid the i-th operation, a CLOSE, returned.
func (r *Results) Close(i int) (Stateid4, error) {
	return resok(r, i, OP_CLOSE,
		func(o *NfsResop4) Nfsstat4 { return o.Opclose.Status },
		func(o *NfsResop4) Stateid4 { return *o.Opclose.OpenStateid })
}

// Create returns what the i-th operation, a CREATE, returned.
func (r *Results) Create(i int) (*CREATE4resok, error) {
	return resok(r, i, OP_CREATE,
		func(o *NfsResop4) Nfsstat4 { return o.Opcreate.Status },
		func(o *NfsResop4) *CREATE4resok { return o.Opcreate.Resok4 })
}

// Open returns what the i-th operation, an OPEN, returned.
func (r *Results) Open(i int) (*OPEN4resok, error) {
	return resok(r, i, OP_OPEN,
		func(o *NfsResop4) Nfsstat4 { return o.Opopen.Status },
		func(o *NfsResop4) *OPEN4resok { return o.Opopen.Resok4 })
}

// OpenConfirm returns the open stateid the i-th operation, an
// OPEN_CONFIRM, returned.
func (r *Results) OpenConfirm(i int) (Stateid4, error) {
	return resok(r, i, OP_OPEN_CONFIRM,
		func(o *NfsResop4) Nfsstat4 { return o.OpopenConfirm.Status },
		func(o *NfsResop4) Stateid4 { return o.OpopenConfirm.Resok4.OpenStateid })
}

// Read returns what the i-th operation, a READ, returned.
func (r *Results) Read(i int) (*READ4resok, error) {
	return resok(r, i, OP_READ,
		func(o *NfsResop4) Nfsstat4 { return o.Opread.Status },
		func(o *NfsResop4) *READ4resok { return o.Opread.Resok4 })
}

// Write returns what the i-th operation, a WRITE, returned.
func (r *Results) Write(i int) (*WRITE4resok, error) {
	return resok(r, i, OP_WRITE,
		func(o *NfsResop4) Nfsstat4 { return o.Opwrite.Status },
		func(o *NfsResop4) *WRITE4resok { return o.Opwrite.Resok4 })
}

// ReadDir returns what the i-th operation, a READDIR, returned.
func (r *Results) ReadDir(i int) (*READDIR4resok, error) {
	return resok(r, i, OP_READDIR,
		func(o *NfsResop4) Nfsstat4 { return o.Opreaddir.Status },
		func(o *NfsResop4) *READDIR4resok { return o.Opreaddir.Resok4 })
}

// ReadLink returns the target the i-th operation, a READLINK, returned.
func (r *Results) ReadLink(i int) (string, error) {
	return resok(r, i, OP_READLINK,
		func(o *NfsResop4) Nfsstat4 { return o.Opreadlink.Status },
		func(o *NfsResop4) string { return string(o.Opreadlink.Resok4.Link) })
}

// Lock returns the lock stateid the i-th operation, a LOCK, returned.
// When the lock is held by another owner the error is an [*Error] with
// NFS4ERR_DENIED, and [Results.LockDenied] says who holds it.
func (r *Results) Lock(i int) (Stateid4, error) {
	return resok(r, i, OP_LOCK,
		func(o *NfsResop4) Nfsstat4 { return o.Oplock.Status },
		func(o *NfsResop4) Stateid4 { return o.Oplock.Resok4.LockStateid })
}

// LockDenied returns the conflicting lock of the i-th operation, a LOCK
// or LOCKT that failed with NFS4ERR_DENIED; nil otherwise.
func (r *Results) LockDenied(i int) *LOCK4denied {
	res := r.Op(i)
	switch {
	case res == nil:
		return nil
	case res.Resop == OP_LOCK && res.Oplock.Status == NFS4ERR_DENIED:
		return res.Oplock.Denied
	case res.Resop == OP_LOCKT && res.Oplockt.Status == NFS4ERR_DENIED:
		return res.Oplockt.Denied
	}
	return nil
}

// LockU returns the lock stateid the i-th operation, a LOCKU, returned.
func (r *Results) LockU(i int) (Stateid4, error) {
	return resok(r, i, OP_LOCKU,
		func(o *NfsResop4) Nfsstat4 { return o.Oplocku.Status },
		func(o *NfsResop4) Stateid4 { return *o.Oplocku.LockStateid })
}

// Remove returns the directory's change information the i-th operation,
// a REMOVE, returned.
func (r *Results) Remove(i int) (*ChangeInfo4, error) {
	return resok(r, i, OP_REMOVE,
		func(o *NfsResop4) Nfsstat4 { return o.Opremove.Status },
		func(o *NfsResop4) *ChangeInfo4 { return &o.Opremove.Resok4.Cinfo })
}

// SetClientID returns what the i-th operation, a SETCLIENTID, returned.
func (r *Results) SetClientID(i int) (*SETCLIENTID4resok, error) {
	return resok(r, i, OP_SETCLIENTID,
		func(o *NfsResop4) Nfsstat4 { return o.Opsetclientid.Status },
		func(o *NfsResop4) *SETCLIENTID4resok { return o.Opsetclientid.Resok4 })
}

// ExchangeID returns what the i-th operation, an EXCHANGE_ID, returned.
func (r *Results) ExchangeID(i int) (*EXCHANGEID4resok, error) {
	return resok(r, i, OP_EXCHANGE_ID,
		func(o *NfsResop4) Nfsstat4 { return o.OpexchangeId.EirStatus },
		func(o *NfsResop4) *EXCHANGEID4resok { return o.OpexchangeId.EirResok4 })
}

// CreateSession returns what the i-th operation, a CREATE_SESSION,
// returned.
func (r *Results) CreateSession(i int) (*CREATESESSION4resok, error) {
	return resok(r, i, OP_CREATE_SESSION,
		func(o *NfsResop4) Nfsstat4 { return o.OpcreateSession.CsrStatus },
		func(o *NfsResop4) *CREATESESSION4resok { return o.OpcreateSession.CsrResok4 })
}

// TestStateID returns the status of each stateid the i-th operation, a
// TEST_STATEID, tested.
func (r *Results) TestStateID(i int) ([]Nfsstat4, error) {
	return resok(r, i, OP_TEST_STATEID,
		func(o *NfsResop4) Nfsstat4 { return o.OptestStateid.TsrStatus },
		func(o *NfsResop4) []Nfsstat4 { return o.OptestStateid.TsrResok4.TsrStatusCodes })
}

// OpenDowngrade returns the open stateid the i-th operation, an
// OPEN_DOWNGRADE, returned.
func (r *Results) OpenDowngrade(i int) (Stateid4, error) {
	return resok(r, i, OP_OPEN_DOWNGRADE,
		func(o *NfsResop4) Nfsstat4 { return o.OpopenDowngrade.Status },
		func(o *NfsResop4) Stateid4 { return o.OpopenDowngrade.Resok4.OpenStateid })
}

// SetAttr returns the attributes the i-th operation, a SETATTR, set
// (after a failure, Op(i).Opsetattr.Attrsset still says which).
func (r *Results) SetAttr(i int) (Bitmap4, error) {
	return resok(r, i, OP_SETATTR,
		func(o *NfsResop4) Nfsstat4 { return o.Opsetattr.Status },
		func(o *NfsResop4) Bitmap4 { return o.Opsetattr.Attrsset })
}

// SecInfo returns the security flavors the i-th operation, a SECINFO or
// SECINFO_NO_NAME, returned.
func (r *Results) SecInfo(i int) (SECINFO4resok, error) {
	if res := r.Op(i); res != nil && res.Resop == OP_SECINFO_NO_NAME {
		return resok(r, i, OP_SECINFO_NO_NAME,
			func(o *NfsResop4) Nfsstat4 { return o.OpsecinfoNoName.Status },
			func(o *NfsResop4) SECINFO4resok { return o.OpsecinfoNoName.Resok4 })
	}
	return resok(r, i, OP_SECINFO,
		func(o *NfsResop4) Nfsstat4 { return o.Opsecinfo.Status },
		func(o *NfsResop4) SECINFO4resok { return o.Opsecinfo.Resok4 })
}

// Commit returns the write verifier the i-th operation, a COMMIT,
// returned.
func (r *Results) Commit(i int) (Verifier4, error) {
	return resok(r, i, OP_COMMIT,
		func(o *NfsResop4) Nfsstat4 { return o.Opcommit.Status },
		func(o *NfsResop4) Verifier4 { return o.Opcommit.Resok4.Writeverf })
}
