package proxy

import (
	"net"

	"github.com/nfskit/nfskit/programs"
	"github.com/nfskit/nfskit/rpc"
)

// tableOr returns t, or the table of every program nfskit describes.
func tableOr(t *rpc.ProgramTable) *rpc.ProgramTable {
	if t == nil {
		return programs.Table()
	}
	return t
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
