package nfs4

// Results are the server's answer to a [Compound]: the COMPOUND4res as
// decoded, read by the position of each operation as the Compound built
// it (a SEQUENCE that a [Session] put first is not counted: see
// [Results.Sequence]). Only the operations up to the first that failed
// have results.
type Results struct {
	COMPOUND4res
	// skip is how many results the caller did not build (a session's
	// SEQUENCE).
	skip int
}

func newResults(_ *Compound, skip int) *Results { return &Results{skip: skip} }

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
// saying why it cannot be read: not reached, another operation, or
// failed with status.
func (r *Results) result(i int, op NfsOpnum4) (*NfsResop4, error) {
	res := r.Op(i)
	if res == nil {
		if err := r.Err(); err != nil {
			return nil, err
		}
		return nil, &Error{Op: op, Index: i + r.skip, Status: NFS4ERR_SERVERFAULT}
	}
	if res.Resop != op {
		return nil, &Error{Op: res.Resop, Index: i + r.skip, Status: NFS4ERR_OP_ILLEGAL}
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

// GetFH returns the filehandle the i-th operation, a GETFH, returned.
func (r *Results) GetFH(i int) (NfsFh4, error) {
	res, err := r.result(i, OP_GETFH)
	if err != nil {
		return nil, err
	}
	if err := r.opErr(i, OP_GETFH, res.Opgetfh.Status); err != nil {
		return nil, err
	}
	return res.Opgetfh.Resok4.Object, nil
}

// GetAttr returns the attributes the i-th operation, a GETATTR,
// returned, decoded.
func (r *Results) GetAttr(i int) (*Attrs, error) {
	res, err := r.result(i, OP_GETATTR)
	if err != nil {
		return nil, err
	}
	if err := r.opErr(i, OP_GETATTR, res.Opgetattr.Status); err != nil {
		return nil, err
	}
	return DecodeAttrs(&res.Opgetattr.Resok4.ObjAttributes)
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
	res, err := r.result(i, OP_ACCESS)
	if err != nil {
		return nil, err
	}
	return res.Opaccess.Resok4, r.opErr(i, OP_ACCESS, res.Opaccess.Status)
}

// Close returns the stateid the i-th operation, a CLOSE, returned.
func (r *Results) Close(i int) (Stateid4, error) {
	res, err := r.result(i, OP_CLOSE)
	if err != nil {
		return Stateid4{}, err
	}
	if err := r.opErr(i, OP_CLOSE, res.Opclose.Status); err != nil {
		return Stateid4{}, err
	}
	return *res.Opclose.OpenStateid, nil
}

// Create returns what the i-th operation, a CREATE, returned.
func (r *Results) Create(i int) (*CREATE4resok, error) {
	res, err := r.result(i, OP_CREATE)
	if err != nil {
		return nil, err
	}
	return res.Opcreate.Resok4, r.opErr(i, OP_CREATE, res.Opcreate.Status)
}

// Open returns what the i-th operation, an OPEN, returned.
func (r *Results) Open(i int) (*OPEN4resok, error) {
	res, err := r.result(i, OP_OPEN)
	if err != nil {
		return nil, err
	}
	return res.Opopen.Resok4, r.opErr(i, OP_OPEN, res.Opopen.Status)
}

// OpenConfirm returns the open stateid the i-th operation, an
// OPEN_CONFIRM, returned.
func (r *Results) OpenConfirm(i int) (Stateid4, error) {
	res, err := r.result(i, OP_OPEN_CONFIRM)
	if err != nil {
		return Stateid4{}, err
	}
	if err := r.opErr(i, OP_OPEN_CONFIRM, res.OpopenConfirm.Status); err != nil {
		return Stateid4{}, err
	}
	return res.OpopenConfirm.Resok4.OpenStateid, nil
}

// Read returns what the i-th operation, a READ, returned.
func (r *Results) Read(i int) (*READ4resok, error) {
	res, err := r.result(i, OP_READ)
	if err != nil {
		return nil, err
	}
	return res.Opread.Resok4, r.opErr(i, OP_READ, res.Opread.Status)
}

// Write returns what the i-th operation, a WRITE, returned.
func (r *Results) Write(i int) (*WRITE4resok, error) {
	res, err := r.result(i, OP_WRITE)
	if err != nil {
		return nil, err
	}
	return res.Opwrite.Resok4, r.opErr(i, OP_WRITE, res.Opwrite.Status)
}

// ReadDir returns what the i-th operation, a READDIR, returned.
func (r *Results) ReadDir(i int) (*READDIR4resok, error) {
	res, err := r.result(i, OP_READDIR)
	if err != nil {
		return nil, err
	}
	return res.Opreaddir.Resok4, r.opErr(i, OP_READDIR, res.Opreaddir.Status)
}

// ReadLink returns the target the i-th operation, a READLINK, returned.
func (r *Results) ReadLink(i int) (string, error) {
	res, err := r.result(i, OP_READLINK)
	if err != nil {
		return "", err
	}
	if err := r.opErr(i, OP_READLINK, res.Opreadlink.Status); err != nil {
		return "", err
	}
	return string(res.Opreadlink.Resok4.Link), nil
}

// Lock returns the lock stateid the i-th operation, a LOCK, returned.
// When the lock is held by another owner the error is an [*Error] with
// NFS4ERR_DENIED, and [Results.LockDenied] says who holds it.
func (r *Results) Lock(i int) (Stateid4, error) {
	res, err := r.result(i, OP_LOCK)
	if err != nil {
		return Stateid4{}, err
	}
	if err := r.opErr(i, OP_LOCK, res.Oplock.Status); err != nil {
		return Stateid4{}, err
	}
	return res.Oplock.Resok4.LockStateid, nil
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
	res, err := r.result(i, OP_LOCKU)
	if err != nil {
		return Stateid4{}, err
	}
	if err := r.opErr(i, OP_LOCKU, res.Oplocku.Status); err != nil {
		return Stateid4{}, err
	}
	return *res.Oplocku.LockStateid, nil
}

// Remove returns the directory's change information the i-th operation,
// a REMOVE, returned.
func (r *Results) Remove(i int) (*ChangeInfo4, error) {
	res, err := r.result(i, OP_REMOVE)
	if err != nil {
		return nil, err
	}
	if err := r.opErr(i, OP_REMOVE, res.Opremove.Status); err != nil {
		return nil, err
	}
	return &res.Opremove.Resok4.Cinfo, nil
}

// SetClientID returns what the i-th operation, a SETCLIENTID, returned.
func (r *Results) SetClientID(i int) (*SETCLIENTID4resok, error) {
	res, err := r.result(i, OP_SETCLIENTID)
	if err != nil {
		return nil, err
	}
	return res.Opsetclientid.Resok4, r.opErr(i, OP_SETCLIENTID, res.Opsetclientid.Status)
}

// ExchangeID returns what the i-th operation, an EXCHANGE_ID, returned.
func (r *Results) ExchangeID(i int) (*EXCHANGEID4resok, error) {
	res, err := r.result(i, OP_EXCHANGE_ID)
	if err != nil {
		return nil, err
	}
	return res.OpexchangeId.EirResok4, r.opErr(i, OP_EXCHANGE_ID, res.OpexchangeId.EirStatus)
}

// CreateSession returns what the i-th operation, a CREATE_SESSION,
// returned.
func (r *Results) CreateSession(i int) (*CREATESESSION4resok, error) {
	res, err := r.result(i, OP_CREATE_SESSION)
	if err != nil {
		return nil, err
	}
	return res.OpcreateSession.CsrResok4, r.opErr(i, OP_CREATE_SESSION, res.OpcreateSession.CsrStatus)
}

// TestStateID returns the status of each stateid the i-th operation, a
// TEST_STATEID, tested.
func (r *Results) TestStateID(i int) ([]Nfsstat4, error) {
	res, err := r.result(i, OP_TEST_STATEID)
	if err != nil {
		return nil, err
	}
	if err := r.opErr(i, OP_TEST_STATEID, res.OptestStateid.TsrStatus); err != nil {
		return nil, err
	}
	return res.OptestStateid.TsrResok4.TsrStatusCodes, nil
}
