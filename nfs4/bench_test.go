package nfs4

import (
	"testing"

	"github.com/nfskit/nfskit/internal/xdrtest"
	"github.com/nfskit/nfskit/xdr"
)

// A COMPOUND of SEQUENCE, PUTFH and GETATTR: the shape of most NFSv4.1
// requests. The reflection codec of davecgh/go-xdr has no unions, so it
// is given mirror types laid out as the wire is for these values.

var (
	benchSession = Sessionid4{0x5f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	benchFH      = []byte{1, 0, 0, 0, 0x81, 0, 0, 0, 0x2a, 0, 0, 0, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}
	benchMask    = []uint32{0x0010011a, 0x00b0a23a}
	benchAttrs   = []byte{
		0, 0, 0, 1, // type NF4REG
		0, 0, 0, 0, 0, 0, 0x10, 0, // change
		0, 0, 0, 0, 0, 0x10, 0, 0, // size
		0, 0, 0, 0, 0, 0, 0, 0x2a, // fileid
		0, 0, 1, 0xa4, // mode
		0, 0, 0, 1, // numlinks
		0, 0, 0, 4, '1', '0', '0', '0', // owner
		0, 0, 0, 4, '1', '0', '0', '0', // owner_group
	}
)

type refCompoundCall struct {
	Tag          []byte
	Minorversion uint32
	Ops          uint32
	OpSequence   int32
	Sessionid    [16]byte
	Sequenceid   uint32
	Slotid       uint32
	HighestSlot  uint32
	Cachethis    bool
	OpPutfh      int32
	FH           []byte
	OpGetattr    int32
	AttrRequest  []uint32
}

func sampleCompoundCall() (COMPOUND4args, *refCompoundCall) {
	args := COMPOUND4args{Tag: Utf8strCs("getattr"), Minorversion: 1, Argarray: []NfsArgop4{
		{Argop: OP_SEQUENCE, Opsequence: &SEQUENCE4args{SaSessionid: benchSession, SaSequenceid: 77, SaSlotid: 3, SaHighestSlotid: 15}},
		{Argop: OP_PUTFH, Opputfh: &PUTFH4args{Object: benchFH}},
		{Argop: OP_GETATTR, Opgetattr: &GETATTR4args{AttrRequest: benchMask}},
	}}
	ref := &refCompoundCall{Tag: []byte("getattr"), Minorversion: 1, Ops: 3,
		OpSequence: int32(OP_SEQUENCE), Sessionid: benchSession, Sequenceid: 77, Slotid: 3, HighestSlot: 15,
		OpPutfh: int32(OP_PUTFH), FH: benchFH, OpGetattr: int32(OP_GETATTR), AttrRequest: benchMask}
	return args, ref
}

type refCompoundReply struct {
	Status         int32
	Tag            []byte
	Ops            uint32
	OpSequence     int32
	SequenceStatus int32
	Sessionid      [16]byte
	Sequenceid     uint32
	Slotid         uint32
	HighestSlot    uint32
	TargetHighest  uint32
	StatusFlags    uint32
	OpPutfh        int32
	PutfhStatus    int32
	OpGetattr      int32
	GetattrStatus  int32
	Attrmask       []uint32
	AttrVals       []byte
}

func sampleCompoundReply() (COMPOUND4res, *refCompoundReply) {
	res := COMPOUND4res{Status: NFS4_OK, Tag: Utf8strCs("getattr"), Resarray: []NfsResop4{
		{Resop: OP_SEQUENCE, Opsequence: &SEQUENCE4res{SrStatus: NFS4_OK, SrResok4: &SEQUENCE4resok{
			SrSessionid: benchSession, SrSequenceid: 77, SrSlotid: 3, SrHighestSlotid: 15, SrTargetHighestSlotid: 15}}},
		{Resop: OP_PUTFH, Opputfh: &PUTFH4res{Status: NFS4_OK}},
		{Resop: OP_GETATTR, Opgetattr: &GETATTR4res{Status: NFS4_OK, Resok4: &GETATTR4resok{
			ObjAttributes: Fattr4{Attrmask: benchMask, AttrVals: benchAttrs}}}},
	}}
	ref := &refCompoundReply{Status: int32(NFS4_OK), Tag: []byte("getattr"), Ops: 3,
		OpSequence: int32(OP_SEQUENCE), Sessionid: benchSession, Sequenceid: 77, Slotid: 3, HighestSlot: 15, TargetHighest: 15,
		OpPutfh: int32(OP_PUTFH), OpGetattr: int32(OP_GETATTR), Attrmask: benchMask, AttrVals: benchAttrs}
	return res, ref
}

func BenchmarkCompoundCall(b *testing.B) {
	ours, ref := sampleCompoundCall()
	xdrtest.BenchCodec(b, &ours, func() xdr.Codec { return new(COMPOUND4args) }, ref, func() any { return new(refCompoundCall) }, false)
}

func BenchmarkCompoundReply(b *testing.B) {
	ours, ref := sampleCompoundReply()
	xdrtest.BenchCodec(b, &ours, func() xdr.Codec { return new(COMPOUND4res) }, ref, func() any { return new(refCompoundReply) }, false)
}

// TestReflectionAgreesOnCompound checks the benchmark messages both ways:
// the reflection codec decodes what nfskit encodes and the reverse.
func TestReflectionAgreesOnCompound(t *testing.T) {
	c, cr := sampleCompoundCall()
	xdrtest.CheckAgainstReflection(t, &c, func() xdr.Codec { return new(COMPOUND4args) }, cr, func() any { return new(refCompoundCall) })
	r, rr := sampleCompoundReply()
	xdrtest.CheckAgainstReflection(t, &r, func() xdr.Codec { return new(COMPOUND4res) }, rr, func() any { return new(refCompoundReply) })
}
