package rpc

import (
	"encoding/binary"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/race"
)

// TestServerNullPathAllocatesNothing: a NULL call's whole way through
// the server over TCP (record read, authenticator, Mux, reply written),
// with AUTH_NONE and AUTH_SYS, allocates nothing once the server's
// pools are warm. The raw client allocates nothing itself, so the
// process's allocations are the server's.
func TestServerNullPathAllocatesNothing(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	addr := benchServer(t, benchProg, benchVers)
	for _, tt := range []struct {
		name string
		call []byte
	}{{"AUTH_NONE", benchNullCall}, {"AUTH_SYS", benchSysNullCall}} {
		t.Run(tt.name, func(t *testing.T) {
			nc, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer nc.Close()
			reply := make([]byte, 28) // record mark, xid, REPLY, accepted, verifier, SUCCESS
			var failed error
			call := func() {
				if _, err := nc.Write(tt.call); err != nil {
					failed = err
					return
				}
				if _, err := io.ReadFull(nc, reply); err != nil {
					failed = err
				}
			}
			allocs := testing.AllocsPerRun(500, call)
			require.NoError(t, failed)
			require.Equal(t, lastFragment|uint32(24), binary.BigEndian.Uint32(reply))
			require.Equal(t, uint32(REPLY), binary.BigEndian.Uint32(reply[8:]))
			require.Equal(t, uint32(SUCCESS), binary.BigEndian.Uint32(reply[24:]))
			require.Zero(t, allocs)
		})
	}
}
