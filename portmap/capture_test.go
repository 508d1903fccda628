package portmap

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/xdrtest/wiretest"
	"github.com/nfskit/nfskit/xdr"
)

// captureUint is a bare "unsigned int", the result of PMAPPROC_GETPORT and
// GETTIME, for which xdrgen makes no type of its own.
type captureUint uint32

func (v *captureUint) MarshalXDR(e *xdr.Encoder) error { e.PutUint32(uint32(*v)); return nil }

func (v *captureUint) UnmarshalXDR(d *xdr.Decoder) error {
	*v = captureUint(d.Uint32())
	return d.Err()
}

// captureBool is a bare "bool", the result of SET and UNSET.
type captureBool bool

func (v *captureBool) MarshalXDR(e *xdr.Encoder) error { e.PutBool(bool(*v)); return nil }

func (v *captureBool) UnmarshalXDR(d *xdr.Decoder) error {
	*v = captureBool(d.Bool())
	return d.Err()
}

// rpcbindProc reports whether proc is a procedure of rpcbind version vers
// (3 or 4): version 4 adds procedures 9 to 12.
func rpcbindProc(vers, proc uint32) bool {
	return vers == RPCBVERS4 || vers == RPCBVERS && proc <= RPCBPROC_TADDR2UADDR
}

// captureArgs returns a new value of the argument type of a procedure of
// program 100000, following portmap.x; nil for void.
func captureArgs(vers, proc uint32) (xdr.Codec, bool) {
	if vers == PMAP_VERS {
		switch proc {
		case PMAPPROC_NULL, PMAPPROC_DUMP:
			return nil, true
		case PMAPPROC_SET, PMAPPROC_UNSET, PMAPPROC_GETPORT:
			return new(Mapping), true
		case PMAPPROC_CALLIT:
			return new(CallArgs), true
		}
		return nil, false
	}
	if !rpcbindProc(vers, proc) {
		return nil, false
	}
	switch proc {
	case RPCBPROC_NULL, RPCBPROC_DUMP, RPCBPROC_GETTIME, RPCBPROC4_GETSTAT:
		return nil, true
	case RPCBPROC_SET, RPCBPROC_UNSET, RPCBPROC_GETADDR, RPCBPROC4_GETVERSADDR, RPCBPROC4_GETADDRLIST:
		return new(Rpcb), true
	case RPCBPROC_CALLIT, RPCBPROC4_INDIRECT:
		return new(RpcbRmtcallargs), true
	case RPCBPROC_UADDR2TADDR:
		return new(Uaddr), true
	case RPCBPROC_TADDR2UADDR:
		return new(Netbuf), true
	}
	return nil, false
}

// captureResults returns a new value of the result type of a procedure of
// program 100000, following portmap.x; nil for void.
func captureResults(vers, proc uint32) (xdr.Codec, bool) {
	if vers == PMAP_VERS {
		switch proc {
		case PMAPPROC_NULL:
			return nil, true
		case PMAPPROC_SET, PMAPPROC_UNSET:
			return new(captureBool), true
		case PMAPPROC_GETPORT:
			return new(captureUint), true
		case PMAPPROC_DUMP:
			return new(PmaplistPtr), true
		case PMAPPROC_CALLIT:
			return new(CallResult), true
		}
		return nil, false
	}
	if !rpcbindProc(vers, proc) {
		return nil, false
	}
	switch proc {
	case RPCBPROC_NULL:
		return nil, true
	case RPCBPROC_SET, RPCBPROC_UNSET:
		return new(captureBool), true
	case RPCBPROC_GETADDR, RPCBPROC_TADDR2UADDR, RPCBPROC4_GETVERSADDR:
		return new(Uaddr), true
	case RPCBPROC_DUMP:
		return new(RpcblistPtr), true
	case RPCBPROC_CALLIT, RPCBPROC4_INDIRECT:
		return new(RpcbRmtcallres), true
	case RPCBPROC_GETTIME:
		return new(captureUint), true
	case RPCBPROC_UADDR2TADDR:
		return new(Netbuf), true
	case RPCBPROC4_GETADDRLIST:
		return new(RpcbEntryListPtr), true
	case RPCBPROC4_GETSTAT:
		return new(RpcbStatByvers), true
	}
	return nil, false
}

var captureLibnfs = &wiretest.AuthSys{Stamp: 0x00032f0b, Machine: "libnfs"}

// The values below are those of the .txt beside each capture (tshark -V).
var captures = []wiretest.Capture{
	{
		Name: "pmap_dump_call", Xid: 0xfe2bf8cb,
		Prog: PMAP_PROG, Vers: PMAP_VERS, Proc: PMAPPROC_DUMP,
		Check: func(t *testing.T, v xdr.Codec) { require.Nil(t, v, "DUMP takes no arguments") },
	},
	{
		Name: "pmap_dump_reply", Xid: 0xfe2bf8cb,
		Prog: PMAP_PROG, Vers: PMAP_VERS, Proc: PMAPPROC_DUMP,
		Check: func(t *testing.T, v xdr.Codec) {
			l := *v.(*PmaplistPtr)
			want := []Mapping{
				{100000, 4, IPPROTO_TCP, 111},
				{100000, 3, IPPROTO_TCP, 111},
				{100000, 2, IPPROTO_TCP, 111},
				{100000, 4, IPPROTO_UDP, 111},
				{100000, 3, IPPROTO_UDP, 111},
				{100000, 2, IPPROTO_UDP, 111},
				{100003, 3, IPPROTO_UDP, 2049},
				{100003, 3, IPPROTO_TCP, 2049},
				{100005, 1, IPPROTO_UDP, 45071},
				{100005, 1, IPPROTO_TCP, 36565},
				{100005, 3, IPPROTO_UDP, 45071},
				{100005, 3, IPPROTO_TCP, 36565},
				{100021, 4, IPPROTO_UDP, 40462},
				{100021, 4, IPPROTO_TCP, 37325},
				{100003, 4, IPPROTO_UDP, 2049},
				{100003, 4, IPPROTO_TCP, 2049},
			}
			require.Len(t, l, len(want))
			for i, m := range want {
				require.Equal(t, m, l[i].Map, "entry %d", i)
			}
		},
	},
	{
		Name: "pmap_getport_call", Xid: 0x127c2f0c,
		Prog: PMAP_PROG, Vers: PMAP_VERS, Proc: PMAPPROC_GETPORT,
		Cred: captureLibnfs,
		Check: func(t *testing.T, v xdr.Codec) {
			require.Equal(t, &Mapping{Prog: 100005, Vers: 3, Prot: IPPROTO_TCP, Port: 0}, v)
		},
	},
	{
		Name: "pmap_getport_reply", Xid: 0x127c2f0c,
		Prog: PMAP_PROG, Vers: PMAP_VERS, Proc: PMAPPROC_GETPORT,
		Check: func(t *testing.T, v xdr.Codec) {
			require.Equal(t, captureUint(36565), *v.(*captureUint), "port")
		},
	},
	{
		Name: "rpcb_v3_dump_call", Xid: 0x12a1553d,
		Prog: PMAP_PROG, Vers: RPCBVERS, Proc: RPCBPROC_DUMP,
		Check: func(t *testing.T, v xdr.Codec) { require.Nil(t, v, "DUMP takes no arguments") },
	},
	{
		Name: "rpcb_v3_dump_reply", Xid: 0x12a1553d,
		Prog: PMAP_PROG, Vers: RPCBVERS, Proc: RPCBPROC_DUMP,
		Check: func(t *testing.T, v xdr.Codec) {
			l := *v.(*RpcblistPtr)
			const su = "superuser"
			want := []Rpcb{
				{100000, 4, "tcp6", "::.0.111", su},
				{100000, 3, "tcp6", "::.0.111", su},
				{100000, 4, "udp6", "::.0.111", su},
				{100000, 3, "udp6", "::.0.111", su},
				{100000, 4, "tcp", "0.0.0.0.0.111", su},
				{100000, 3, "tcp", "0.0.0.0.0.111", su},
				{100000, 2, "tcp", "0.0.0.0.0.111", su},
				{100000, 4, "udp", "0.0.0.0.0.111", su},
				{100000, 3, "udp", "0.0.0.0.0.111", su},
				{100000, 2, "udp", "0.0.0.0.0.111", su},
				{100000, 4, "local", "/run/rpcbind.sock", su},
				{100000, 3, "local", "/run/rpcbind.sock", su},
				{100003, 3, "udp", "0.0.0.0.8.1", su},
				{100003, 3, "udp6", "::ffff:127.0.0.1.8.1", su},
				{100003, 3, "tcp", "0.0.0.0.8.1", su},
				{100003, 3, "tcp6", "::ffff:127.0.0.1.8.1", su},
				{100005, 1, "udp", "0.0.0.0.176.15", su},
				{100005, 1, "udp6", "::ffff:127.0.0.1.176.15", su},
				{100005, 1, "tcp", "0.0.0.0.142.213", su},
				{100005, 1, "tcp6", "::ffff:127.0.0.1.142.213", su},
				{100005, 3, "udp", "0.0.0.0.176.15", su},
				{100005, 3, "udp6", "::ffff:127.0.0.1.176.15", su},
				{100005, 3, "tcp", "0.0.0.0.142.213", su},
				{100005, 3, "tcp6", "::ffff:127.0.0.1.142.213", su},
				{100021, 4, "udp", "0.0.0.0.158.14", su},
				{100021, 4, "udp6", "::ffff:127.0.0.1.158.14", su},
				{100021, 4, "tcp", "0.0.0.0.145.205", su},
				{100021, 4, "tcp6", "::ffff:127.0.0.1.145.205", su},
				{100003, 4, "udp", "0.0.0.0.8.1", su},
				{100003, 4, "udp6", "::ffff:127.0.0.1.8.1", su},
				{100003, 4, "tcp", "0.0.0.0.8.1", su},
				{100003, 4, "tcp6", "::ffff:127.0.0.1.8.1", su},
			}
			require.Len(t, l, len(want))
			for i, r := range want {
				require.Equal(t, r, l[i].RpcbMap, "entry %d", i)
			}
		},
	},
	{
		Name: "rpcb_v4_getaddr_call", Xid: 0xfe2b8695,
		Prog: PMAP_PROG, Vers: RPCBVERS4, Proc: RPCBPROC4_GETADDR,
		Check: func(t *testing.T, v xdr.Codec) {
			require.Equal(t, &Rpcb{
				RProg:  100000,
				RVers:  2,
				RNetid: "tcp",
				RAddr:  "127.0.0.1.0.111",
				ROwner: "libtirpc",
			}, v)
		},
	},
	{
		Name: "rpcb_v4_getaddr_reply", Xid: 0xfe2b8695,
		Prog: PMAP_PROG, Vers: RPCBVERS4, Proc: RPCBPROC4_GETADDR,
		Check: func(t *testing.T, v xdr.Codec) {
			require.Equal(t, Uaddr("127.0.0.1.0.111"), *v.(*Uaddr))
		},
	},
}

func TestCapture(t *testing.T) { wiretest.CheckCaptures(t, captures, captureArgs, captureResults) }
