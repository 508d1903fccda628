package proxy

import (
	"reflect"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// decode decodes b into a new value made by newValue, leniently: enum
// values the definitions do not name are kept as numbers. It returns nil
// for a void type.
func decode(newValue func() xdr.Codec, b []byte) (xdr.Codec, error) {
	if newValue == nil {
		if len(b) != 0 {
			return nil, xdr.ErrTrailingData
		}
		return nil, nil
	}
	v := newValue()
	d := xdr.NewDecoder(b)
	d.SetLenientEnums(true)
	if err := v.UnmarshalXDR(d); err != nil {
		return nil, err
	}
	if d.Remaining() != 0 {
		return nil, xdr.ErrTrailingData
	}
	return v, nil
}

// lookup returns the table's description of the procedure c calls.
func lookup(table *rpc.ProgramTable, c *rpc.Call) (*rpc.Program, *rpc.Procedure) {
	prog, ok := table.Lookup(c.Prog, c.Vers)
	if !ok {
		return nil, nil
	}
	proc, ok := prog.Procedure(c.Proc)
	if !ok {
		return prog, nil
	}
	return prog, proc
}

// decodeArgs decodes the arguments of c with the table, or returns nil
// for a procedure the table does not know or arguments that do not
// decode.
func decodeArgs(table *rpc.ProgramTable, c *rpc.Call) xdr.Codec {
	_, proc := lookup(table, c)
	if proc == nil {
		return nil
	}
	v, err := decode(proc.NewArgs, c.Args)
	if err != nil {
		return nil
	}
	return v
}

// enumValue is what every generated enum type has.
type enumValue interface {
	Valid() bool
	String() string
}

var enumType = reflect.TypeFor[enumValue]()

// status returns the procedure status of decoded results: the first
// enum found in them, breadth first (a result union's discriminant, or
// the status inside its first struct field), or "" if there is none.
func status(res any) string {
	if res == nil {
		return ""
	}
	level := []reflect.Value{reflect.ValueOf(res)}
	for range 3 {
		var next []reflect.Value
		for _, v := range level {
			for v.Kind() == reflect.Pointer {
				if v.IsNil() {
					break
				}
				v = v.Elem()
			}
			if v.Kind() != reflect.Struct {
				if v.IsValid() && v.Type().Implements(enumType) {
					return v.Interface().(enumValue).String()
				}
				continue
			}
			for i := range v.NumField() {
				f := v.Field(i)
				if !f.CanInterface() {
					continue
				}
				if f.Type().Implements(enumType) {
					return f.Interface().(enumValue).String()
				}
				if f.Kind() == reflect.Struct || f.Kind() == reflect.Pointer {
					next = append(next, f)
				}
			}
		}
		level = next
	}
	return ""
}

// opStatus is an NFSv4 operation and its status.
type opStatus struct {
	Op     string `json:"op"`
	Status string `json:"status,omitempty"`
}

// compoundOps lists the operations of an NFSv4 COMPOUND call.
func compoundOps(args *nfs4.COMPOUND4args) []string {
	ops := make([]string, len(args.Argarray))
	for i := range args.Argarray {
		ops[i] = args.Argarray[i].Argop.String()
	}
	return ops
}

// compoundResults lists the operations of an NFSv4 COMPOUND reply with
// their statuses.
func compoundResults(res *nfs4.COMPOUND4res) []opStatus {
	out := make([]opStatus, len(res.Resarray))
	for i := range res.Resarray {
		r := &res.Resarray[i]
		out[i] = opStatus{Op: r.Resop.String()}
		v := reflect.ValueOf(r).Elem()
		for j := 1; j < v.NumField(); j++ {
			if f := v.Field(j); f.Kind() == reflect.Pointer && !f.IsNil() {
				out[i].Status = status(f.Interface())
				break
			}
		}
	}
	return out
}

// names returns the file names a call's arguments carry: the name looked
// up, created or removed in NFSv3 and NFSv4, the directory path of a
// MOUNT.
func names(args any) []string {
	switch a := args.(type) {
	case *nfs3.LOOKUP3args:
		return []string{string(a.What.Name)}
	case *nfs3.CREATE3args:
		return []string{string(a.Where.Name)}
	case *nfs3.MKDIR3args:
		return []string{string(a.Where.Name)}
	case *nfs3.SYMLINK3args:
		return []string{string(a.Where.Name)}
	case *nfs3.MKNOD3args:
		return []string{string(a.Where.Name)}
	case *nfs3.REMOVE3args:
		return []string{string(a.Object.Name)}
	case *nfs3.RMDIR3args:
		return []string{string(a.Object.Name)}
	case *nfs3.RENAME3args:
		return []string{string(a.Fromfile.Name), string(a.Tofile.Name)}
	case *nfs3.LINK3args:
		return []string{string(a.Link.Name)}
	case *mount.Dirpath:
		return []string{string(*a)}
	case *nfs4.COMPOUND4args:
		var out []string
		for i := range a.Argarray {
			op := &a.Argarray[i]
			switch {
			case op.Oplookup != nil:
				out = append(out, string(op.Oplookup.Objname))
			case op.Opcreate != nil:
				out = append(out, string(op.Opcreate.Objname))
			case op.Opremove != nil:
				out = append(out, string(op.Opremove.Target))
			case op.Opopen != nil && op.Opopen.Claim.Claim == nfs4.CLAIM_NULL:
				out = append(out, string(op.Opopen.Claim.File))
			}
		}
		return out
	}
	return nil
}
