package nfs4

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/xdr"
)

func read(off uint64, count uint32) NfsArgop4 {
	return NfsArgop4{Argop: OP_READ, Opread: &READ4args{Offset: Offset4(off), Count: Count4(count)}}
}

func write(off uint64, data string) NfsArgop4 {
	return NfsArgop4{Argop: OP_WRITE, Opwrite: &WRITE4args{Offset: Offset4(off), Stable: FILE_SYNC4, Data: []byte(data)}}
}

// TestSameHandlesAsV3 writes a file over NFSv3 and reads it over NFSv4,
// and the other way round: the handles are the same bytes.
func TestSameHandlesAsV3(t *testing.T) {
	e := newEnv(t, "/data")
	v3 := nfs3.NewServer(e.table, nil)
	root, err := e.table.Get(1).RootHandle(bg)
	require.NoError(t, err)
	call := e.call(nil)
	cr, err := v3.Create(bg, call, &nfs3.CREATE3args{Where: nfs3.Diropargs3{Dir: nfs3.NfsFh3{Data: root}, Name: "f"},
		How: nfs3.Createhow3{Mode: nfs3.UNCHECKED}})
	require.NoError(t, err)
	require.Equal(t, nfs3.NFS3_OK, cr.Status)
	fh := cr.Resok.Obj.Handle.Data
	wr, err := v3.Write(bg, call, &nfs3.WRITE3args{File: nfs3.NfsFh3{Data: fh}, Count: 11, Stable: nfs3.FILE_SYNC, Data: []byte("over nfsv3!")})
	require.NoError(t, err)
	require.Equal(t, nfs3.NFS3_OK, wr.Status)

	res := e.ok(putroot(), lookup("data"), lookup("f"), getfh(), read(0, 100))
	require.Equal(t, fh, fhOf(t, res.Resarray[3]))
	rd := res.Resarray[4].Opread.Resok4
	require.True(t, rd.Eof)
	require.Equal(t, "over nfsv3!", string(rd.Data))

	res = e.ok(putfh(fh), write(5, "NFSV4"))
	wres := res.Resarray[1].Opwrite.Resok4
	require.Equal(t, Count4(5), wres.Count)
	require.Equal(t, FILE_SYNC4, wres.Committed)
	rr, err := v3.Read(bg, call, &nfs3.READ3args{File: nfs3.NfsFh3{Data: fh}, Count: 100})
	require.NoError(t, err)
	require.Equal(t, nfs3.NFS3_OK, rr.Status)
	require.Equal(t, "over NFSV4!", string(rr.Resok.Data))

	cases := []struct {
		name string
		ops  []NfsArgop4
		st   Nfsstat4
	}{
		{"read a directory", []NfsArgop4{putfh(root), read(0, 10)}, NFS4ERR_ISDIR},
		{"read pseudo", []NfsArgop4{putroot(), read(0, 10)}, NFS4ERR_ISDIR},
		{"write pseudo", []NfsArgop4{putroot(), write(0, "x")}, NFS4ERR_ISDIR},
		{"read with an unknown stateid", []NfsArgop4{putfh(fh), func() NfsArgop4 {
			op := read(0, 10)
			op.Opread.Stateid.Other[0] = 7
			return op
		}()}, NFS4ERR_BAD_STATEID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { e.with(t).fails(tc.st, tc.ops...) })
	}
}

// TestReadData reads twice in one COMPOUND: each READ's data is its
// own, and a READ that would pass the reply's bound fails alone.
func TestReadData(t *testing.T) {
	e := newEnv(t, "/data")
	big := make([]byte, 100<<10)
	for i := range big {
		big[i] = byte(i % 251)
	}
	f := e.mkfile("/data", "f", string(big))
	res := e.ok(putfh(f), read(0, 5), read(50<<10, 64<<10), getattr(FATTR4_SIZE))
	require.Equal(t, big[:5], []byte(res.Resarray[1].Opread.Resok4.Data))
	require.Equal(t, big[50<<10:], []byte(res.Resarray[2].Opread.Resok4.Data))
	require.True(t, res.Resarray[2].Opread.Resok4.Eof)

	e.srv.maxReply = 80 << 10
	res = e.compound(0, putfh(f), read(0, 3), read(0, 90<<10), getfh())
	require.Equal(t, NFS4ERR_RESOURCE, res.Status)
	require.Len(t, res.Resarray, 3)
	require.Equal(t, big[:3], []byte(res.Resarray[1].Opread.Resok4.Data))
	require.Nil(t, res.Resarray[2].Opread.Resok4)
}

// TestReadOverUDP: a READ whose reply would not fit a datagram fails with
// NFS4ERR_RESOURCE.
func TestReadOverUDP(t *testing.T) {
	e := newEnv(t, "/data")
	f := e.mkfile("/data", "f", string(make([]byte, 64<<10)))
	args, err := xdr.Marshal(&COMPOUND4args{Tag: Utf8strCs("t"), Argarray: []NfsArgop4{putfh(f), read(0, 4096), read(0, 64<<10)}})
	require.NoError(t, err)
	call := e.call(args)
	call.Network = "udp"
	var r recorder
	e.h.ServeRPC(bg, &r, call)
	var res COMPOUND4res
	require.NoError(t, xdr.Unmarshal(r.body, &res))
	require.Equal(t, NFS4ERR_RESOURCE, res.Status)
	require.Len(t, res.Resarray, 3)
	require.Len(t, res.Resarray[1].Opread.Resok4.Data, 4096)
}
