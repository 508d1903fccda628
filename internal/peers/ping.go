package peers

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"time"
)

// Ping makes an ONC RPC NULL call (procedure 0, AUTH_NONE) to version vers
// of program prog at addr over "tcp" or "udp", and returns nil if the
// server accepted it with SUCCESS. It is hand-encoded, independent of the
// rpc package, so that peers can be checked by code that does not trust
// the package under test (and so the rpc package's own tests can import
// this one).
func Ping(network, addr string, prog, vers uint32) error {
	c, err := net.DialTimeout(network, addr, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	xid := rand.Uint32()
	var msg []byte
	stream := network != "udp" && network != "udp4" && network != "udp6"
	if stream {
		msg = binary.BigEndian.AppendUint32(msg, 1<<31|40)
	}
	// xid, CALL, rpcvers 2, prog, vers, proc 0, AUTH_NONE cred and verf.
	for _, w := range []uint32{xid, 0, 2, prog, vers, 0, 0, 0, 0, 0} {
		msg = binary.BigEndian.AppendUint32(msg, w)
	}
	if _, err := c.Write(msg); err != nil {
		return err
	}
	var reply []byte
	if stream {
		var mark [4]byte
		if _, err := io.ReadFull(c, mark[:]); err != nil {
			return fmt.Errorf("reading reply: %w", err)
		}
		n := binary.BigEndian.Uint32(mark[:]) &^ (1 << 31)
		if n > 4096 {
			return fmt.Errorf("reply fragment of %d bytes to a NULL call", n)
		}
		reply = make([]byte, n)
		if _, err := io.ReadFull(c, reply); err != nil {
			return fmt.Errorf("reading reply: %w", err)
		}
	} else {
		reply = make([]byte, 4096)
		n, err := c.Read(reply)
		if err != nil {
			return fmt.Errorf("reading reply: %w", err)
		}
		reply = reply[:n]
	}
	return checkNullReply(reply, xid)
}

var acceptStats = []string{"SUCCESS", "PROG_UNAVAIL", "PROG_MISMATCH", "PROC_UNAVAIL", "GARBAGE_ARGS", "SYSTEM_ERR"}

// checkNullReply checks a reply to a NULL call: accepted, SUCCESS, no
// results.
func checkNullReply(b []byte, xid uint32) error {
	word := func(i int) uint32 { return binary.BigEndian.Uint32(b[4*i:]) }
	if len(b) < 16 {
		return fmt.Errorf("short reply (%d bytes)", len(b))
	}
	if word(0) != xid || word(1) != 1 {
		return fmt.Errorf("not a reply to our call (xid %#x, type %d)", word(0), word(1))
	}
	if word(2) != 0 {
		return fmt.Errorf("call denied (reject_stat %d)", word(3))
	}
	if len(b) < 24 {
		return fmt.Errorf("short reply (%d bytes)", len(b))
	}
	verfLen := int(word(4))
	off := 20 + (verfLen+3)&^3
	if verfLen > 400 || len(b) < off+4 {
		return fmt.Errorf("malformed reply verifier (length %d)", verfLen)
	}
	stat := binary.BigEndian.Uint32(b[off:])
	if stat == 0 {
		return nil
	}
	name := fmt.Sprintf("accept_stat %d", stat)
	if int(stat) < len(acceptStats) {
		name = acceptStats[stat]
	}
	if stat == 2 && len(b) >= off+12 {
		return fmt.Errorf("%s: server has versions %d to %d", name,
			binary.BigEndian.Uint32(b[off+4:]), binary.BigEndian.Uint32(b[off+8:]))
	}
	return fmt.Errorf("call not accepted: %s", name)
}
