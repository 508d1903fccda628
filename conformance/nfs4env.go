package conformance

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nfskit/nfskit/nfs4"
)

// v4caller sends one COMPOUND: straight over the connection (4.0), or
// through a session that puts SEQUENCE in front of it (4.1 and 4.2).
type v4caller func(ctx context.Context, c *nfs4.Compound) (*nfs4.Results, error)

// v40 sends COMPOUNDs over the checks' NFS connection, with no session.
func (e *env) v40(ctx context.Context, c *nfs4.Compound) (*nfs4.Results, error) {
	return c.Call(ctx, e.conn)
}

// needMinor skips the check unless the server serves NFSv4 minor
// version m, which a PUTROOTFH of that minor version tells (in 4.1 and
// later it fails with NFS4ERR_OP_NOT_IN_SESSION, not with
// NFS4ERR_MINOR_VERS_MISMATCH).
func (e *env) needMinor(ctx context.Context, m uint32) error {
	if why, ok := e.v4minors[m]; ok {
		return why
	}
	if e.conn == nil {
		return skipf("NFS not found on the server")
	}
	res, err := nfs4.NewCompound(m).Tag("probe").PutRootFH().Call(ctx, e.conn)
	var why error
	switch {
	case err != nil:
		why = skipf("NFSv4 not served: %v", err)
	case res.Status == nfs4.NFS4ERR_MINOR_VERS_MISMATCH:
		why = skipf("NFSv4.%d not served: NFS4ERR_MINOR_VERS_MISMATCH", m)
	}
	e.v4minors[m] = why
	return why
}

// v4export is the export's path in the pseudo file system, as
// components.
func (e *env) v4export() []string {
	return strings.FieldsFunc(e.cfg.V4Path, func(r rune) bool { return r == '/' })
}

// v4dir makes a directory of the check's own in the scratch directory
// (over NFSv3) and returns its NFSv4 path from the root.
func (e *env) v4dir(ctx context.Context, c *Check) ([]string, error) {
	if _, err := e.dir(ctx, c); err != nil {
		return nil, err
	}
	return append(e.v4export(), e.scratchName, c.ID), nil
}

// v4file makes a file holding data in the check's own directory (over
// NFSv3) and returns the directory's NFSv4 path from the root.
func (e *env) v4file(ctx context.Context, c *Check, name string, data []byte) ([]string, error) {
	d, err := e.dir(ctx, c)
	if err != nil {
		return nil, err
	}
	if _, err := e.create(ctx, d, name, 0o666, data); err != nil {
		return nil, err
	}
	return append(e.v4export(), e.scratchName, c.ID), nil
}

// v4fh returns the filehandle of path, walked from the root with
// PUTROOTFH and a LOOKUP per component.
func v4fh(ctx context.Context, call v4caller, minor uint32, path ...string) (nfs4.NfsFh4, error) {
	res, err := call(ctx, nfs4.NewCompound(minor).Tag("lookup").PutRootFH().Lookup(path...).GetFH())
	if err != nil {
		return nil, err
	}
	fh, err := res.GetFH(len(path) + 1)
	if err != nil {
		return nil, fmt.Errorf("LOOKUP /%s: %w", strings.Join(path, "/"), err)
	}
	return fh, nil
}

// v4session makes a session of minor version m over the checks'
// connection, with RECLAIM_COMPLETE sent unless fresh, and returns it
// with a function that destroys it and its client id.
func (e *env) v4session(ctx context.Context, m uint32, fresh bool) (*nfs4.Session, func(), error) {
	if err := e.needMinor(ctx, m); err != nil {
		return nil, nil, err
	}
	s, err := nfs4.NewSession(ctx, e.conn, &nfs4.SessionOptions{Minor: m, Slots: 8})
	if err != nil {
		return nil, nil, fmt.Errorf("EXCHANGE_ID, CREATE_SESSION: %w", err)
	}
	end := func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.cfg.Timeout)
		defer cancel()
		s.Close(cctx)
	}
	if !fresh {
		if err := s.ReclaimComplete(ctx); err != nil {
			end()
			return nil, nil, fmt.Errorf("RECLAIM_COMPLETE: %w", err)
		}
	}
	return s, end, nil
}

// v40client establishes a fresh 4.0 client id.
func (e *env) v40client(ctx context.Context) (*nfs4.ClientID, error) {
	if err := e.needMinor(ctx, 0); err != nil {
		return nil, err
	}
	cl, err := nfs4.SetClientID(ctx, e.conn, nil)
	if err != nil {
		return nil, fmt.Errorf("SETCLIENTID: %w", err)
	}
	return cl, nil
}

// v4owner is an open-owner with the sequence id of its next
// seqid-changing operation (4.0; 4.1 and later send 0).
type v4owner struct {
	owner nfs4.OpenOwner4
	minor uint32
	seq   uint32
	call  v4caller
}

// next returns the sequence id to send and counts it.
func (o *v4owner) next() uint32 {
	if o.minor > 0 {
		return 0
	}
	s := o.seq
	o.seq++
	return s
}

// open opens (or creates, as how says) name in dir, confirming a 4.0
// open that asks for it, and returns the file's handle and the open
// stateid. A failing OPEN gives an *nfs4.Error.
func (o *v4owner) open(ctx context.Context, dir nfs4.NfsFh4, name string, access, deny uint32, how nfs4.Openflag4) (nfs4.NfsFh4, nfs4.Stateid4, error) {
	var st nfs4.Stateid4
	res, err := o.call(ctx, nfs4.NewCompound(o.minor).Tag("open").PutFH(dir).Open(o.next(), access, deny, o.owner, how, nfs4.ClaimNull(name)).GetFH())
	if err != nil {
		return nil, st, err
	}
	ok, err := res.Open(1)
	if err != nil {
		return nil, st, err
	}
	fh, err := res.GetFH(2)
	if err != nil {
		return nil, st, err
	}
	st = ok.Stateid
	if ok.Rflags&nfs4.OPEN4_RESULT_CONFIRM != 0 {
		res, err := o.call(ctx, nfs4.NewCompound(o.minor).Tag("open_confirm").PutFH(fh).OpenConfirm(st, o.next()))
		if err != nil {
			return nil, st, err
		}
		if st, err = res.OpenConfirm(1); err != nil {
			return nil, st, err
		}
	}
	return fh, st, nil
}

// close closes the open st of fh.
func (o *v4owner) close(ctx context.Context, fh nfs4.NfsFh4, st nfs4.Stateid4) error {
	res, err := o.call(ctx, nfs4.NewCompound(o.minor).Tag("close").PutFH(fh).Close(o.next(), st))
	if err != nil {
		return err
	}
	return res.Err()
}

// v4status returns nil when err is nil and NFS4_OK is among want, or
// when err is a COMPOUND that failed with a status among want; else it
// says what came instead.
func v4status(what string, err error, want ...nfs4.Nfsstat4) error {
	got := nfs4.NFS4_OK
	var ne *nfs4.Error
	switch {
	case errors.As(err, &ne):
		got = ne.Status
	case err != nil:
		return fmt.Errorf("%s: %w", what, err)
	}
	for _, w := range want {
		if got == w {
			return nil
		}
	}
	return fmt.Errorf("%s: %w, want %s", what, got, names(want))
}

// resStatus is v4status of a COMPOUND's results.
func resStatus(what string, res *nfs4.Results, err error, want ...nfs4.Nfsstat4) error {
	if err != nil {
		return v4status(what, err, want...)
	}
	return v4status(what, res.Err(), want...)
}

// optional skips the check when err says the server lacks an
// OPTIONAL operation (NFS4ERR_NOTSUPP), and returns err otherwise.
func optional(what string, err error) error {
	if errors.Is(err, nfs4.NFS4ERR_NOTSUPP) {
		return skipf("%s: NFS4ERR_NOTSUPP (OPTIONAL)", what)
	}
	return err
}

// attrUint32 encodes an fattr4 of one uint32 attribute.
func attrUint32(attr, v uint32) nfs4.Fattr4 {
	return nfs4.Fattr4{Attrmask: nfs4.Bitmap(attr), AttrVals: nfs4.Attrlist4{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}}
}
