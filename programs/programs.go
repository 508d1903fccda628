// Package programs is the table of every RPC program nfskit describes:
// port mapper and rpcbind, MOUNT, NFSv3, NFSv4 and its callback program,
// NLM and NSM. A proxy or tracer decodes the calls and replies of any of
// them with it, without importing each protocol package itself.
//
// Each protocol package lists its own programs (nfs3.Programs and the
// like); a program that is not part of nfskit joins them in a table made
// with rpc.NewProgramTable(append(programs.Table().All(), mine...)...).
package programs

import (
	"slices"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
)

// Table returns a table of every program version the protocol packages
// describe.
func Table() *rpc.ProgramTable {
	return rpc.NewProgramTable(slices.Concat(
		portmap.Programs().All(),
		mount.Programs().All(),
		nfs3.Programs().All(),
		nfs4.Programs().All(),
		nlm.Programs().All(),
		nsm.Programs().All(),
	)...)
}
