package proxy

import (
	"testing"

	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/programs"
	"github.com/nfskit/nfskit/rpc"
)

// FuzzDecode decodes any bytes as the arguments and as the results of any
// procedure of the program table, as the Logger and Faults do, and reads
// their status, names and NFSv4 operations: never a panic.
func FuzzDecode(f *testing.F) {
	f.Add(uint32(100003), uint32(3), uint32(1), []byte{0, 0, 0, 0})
	f.Add(uint32(100003), uint32(4), uint32(1), []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 24})
	f.Add(uint32(100005), uint32(3), uint32(1), []byte{0, 0, 0, 1, '/', 0, 0, 0})
	table := programs.Table()
	f.Fuzz(func(t *testing.T, prog, vers, proc uint32, body []byte) {
		c := &rpc.Call{Prog: prog, Vers: vers, Proc: proc, Args: body}
		_, p := lookup(table, c)
		args := decodeArgs(table, c)
		names(args)
		if a, ok := args.(*nfs4.COMPOUND4args); ok {
			compoundOps(a)
			if _, err := StatusResults(p, a, 10008); err != nil {
				t.Fatal(err)
			}
		}
		if p == nil {
			return
		}
		res, err := decode(p.NewResult, body)
		if err != nil {
			return
		}
		status(res)
		if r, ok := res.(*nfs4.COMPOUND4res); ok {
			compoundResults(r)
		}
	})
}
