package nfs4

import (
	"testing"

	"github.com/nfskit/nfskit/xdr"
)

// setattr builds a SETATTR of one attribute with its encoded value.
func setattr(attr int, val []byte) NfsArgop4 {
	return NfsArgop4{Argop: OP_SETATTR, Opsetattr: &SETATTR4args{ObjAttributes: Fattr4{Attrmask: trim(maskOf(attr)), AttrVals: val}}}
}

func modeVal(m uint32) []byte {
	var e xdr.Encoder
	e.PutUint32(m)
	return e.Bytes()
}

var _ = testing.T{}
