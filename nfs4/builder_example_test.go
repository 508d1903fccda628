package nfs4_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"sync"

	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/rpc"
)

// A COMPOUND is built one operation at a time, each encoded as it is
// appended.
func ExampleNewCompound() {
	c := nfs4.NewCompound(1).Tag("t").
		PutRootFH().Lookup("vfs").GetAttr(nfs4.FATTR4_TYPE, nfs4.FATTR4_SIZE).GetFH()
	b, err := c.Bytes()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Len(), "operations, the third", c.OpAt(2))
	fmt.Println(hex.EncodeToString(b))
	// Output:
	// 4 operations, the third OP_GETATTR
	// 00000001740000000000000100000004000000180000000f00000003766673000000000900000001000000120000000a
}

// The raw escape hatch sends what no server should accept: here an
// operation number no minor version defines.
func ExampleCompound_Raw() {
	b, err := nfs4.NewCompound(0).PutRootFH().Raw(9999, nil).Bytes()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(hex.EncodeToString(b))
	// Output:
	// 000000000000000000000002000000180000270f
}

// An attribute bitmap from attribute numbers, and a fattr4 decoded.
func ExampleDecodeAttrs() {
	f := nfs4.Fattr4{
		Attrmask: nfs4.Bitmap(nfs4.FATTR4_TYPE, nfs4.FATTR4_SIZE),
		AttrVals: []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x10, 0},
	}
	a, err := nfs4.DecodeAttrs(&f)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.Attrmask, a.Type, a.Size)
	// Output:
	// [18] NF4REG 4096
}

// A 4.1 session puts SEQUENCE in front of every COMPOUND sent through
// it; a failing operation is a typed error that matches its status.
func ExampleNewSession() {
	ctx := context.Background()
	auth, err := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: "client"})
	if err != nil {
		log.Fatal(err)
	}
	client, err := rpc.Dial(ctx, "tcp", "127.0.0.1:2049", &rpc.ClientOptions{Auth: auth})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	s, err := nfs4.NewSession(ctx, client, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close(ctx)
	if err := s.ReclaimComplete(ctx); err != nil {
		log.Fatal(err)
	}
	res, err := s.Call(ctx, nfs4.NewCompound(1).PutRootFH().Lookup("vfs", "missing").GetFH())
	if err != nil {
		log.Fatal(err)
	}
	if errors.Is(res.Err(), nfs4.NFS4ERR_NOENT) {
		fmt.Println("no such file:", res.Err())
	}
}

// READs of a file in chunks, several at once on one session, as a file
// client makes them: each goroutine keeps a Compound and a Results that
// it reuses, and lends each READ the part of p its data goes to, so
// that no READ allocates and no data is copied past the decoder.
func ExampleSession_CallInto() {
	var (
		ctx = context.Background()
		s   *nfs4.Session // made by NewSession, as above
		fh  nfs4.NfsFh4   // the file's handle (GETFH)
		st  nfs4.Stateid4 // the stateid of its OPEN
		p   = make([]byte, 1<<20)
	)
	const chunk, goroutines = 64 << 10, 8
	var wg sync.WaitGroup
	for g := range goroutines {
		c, res := nfs4.NewCompound(1), new(nfs4.Results)
		wg.Go(func() {
			for off := g * chunk; off < len(p); off += goroutines * chunk {
				buf := p[off : off+chunk]
				c.Reset().PutFH(fh).Read(st, uint64(off), chunk)
				if err := s.CallInto(ctx, c, res.ReadInto(1, buf)); err != nil {
					log.Fatal(err)
				}
				rd, err := res.Read(1)
				if err != nil {
					log.Fatal(err)
				}
				fmt.Println(len(rd.Data), "bytes at", off, "in p:", &rd.Data[0] == &buf[0])
			}
		})
	}
	wg.Wait()
}

// A 4.0 client id, then an OPEN by one of its open-owners.
func ExampleSetClientID() {
	ctx := context.Background()
	client, err := rpc.Dial(ctx, "tcp", "127.0.0.1:2049", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	id, err := nfs4.SetClientID(ctx, client, nil)
	if err != nil {
		log.Fatal(err)
	}
	res, err := nfs4.NewCompound(0).PutRootFH().Lookup("vfs").
		Open(0, nfs4.OPEN4_SHARE_ACCESS_READ, nfs4.OPEN4_SHARE_DENY_NONE, id.OpenOwner("me"), nfs4.NoCreate(), nfs4.ClaimNull("f")).
		GetFH().Call(ctx, client)
	if err != nil {
		log.Fatal(err)
	}
	open, err := res.Open(2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(open.Stateid)
}
