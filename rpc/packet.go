package rpc

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/nfskit/nfskit/xdr"
)

// packetServer serves one datagram socket. Each datagram is one message.
// Replies leave from the address the call was sent to, read from the
// socket's control messages, so a server on a wildcard address of a
// multi-homed host, or one whose floating address moved in, answers from
// the address the client expects.
type packetServer struct {
	s       *Server
	pc      net.PacketConn
	p4      *ipv4.PacketConn
	p6      *ipv6.PacketConn
	slots   chan struct{}
	active  sync.WaitGroup
	stopped atomic.Bool
	wmu     sync.Mutex
}

// ServePacket serves calls arriving on a datagram socket (UDP) until it
// fails or the server shuts down (ErrServerClosed).
func (s *Server) ServePacket(pc net.PacketConn) error {
	s.init()
	p := &packetServer{s: s, pc: pc, slots: make(chan struct{}, 4*s.cfg.maxInFlight)}
	if uc, ok := pc.(*net.UDPConn); ok {
		la, _ := uc.LocalAddr().(*net.UDPAddr)
		if la != nil && la.IP.To4() != nil && !la.IP.Equal(net.IPv4zero) {
			p.p4 = ipv4.NewPacketConn(uc)
		} else if la != nil && la.IP.To4() == nil && len(la.IP) == net.IPv6len {
			p.p6 = ipv6.NewPacketConn(uc)
		} else {
			p.p4 = ipv4.NewPacketConn(uc)
		}
		// Without the destination address the reply leaves from the
		// kernel's choice; serve anyway if the option is refused.
		if p.p4 != nil && p.p4.SetControlMessage(ipv4.FlagDst|ipv4.FlagInterface, true) != nil {
			p.p4 = nil
		}
		if p.p6 != nil && p.p6.SetControlMessage(ipv6.FlagDst|ipv6.FlagInterface, true) != nil {
			p.p6 = nil
		}
	}
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.packets[p] = struct{}{}
	s.served.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.packets, p)
		s.mu.Unlock()
		s.served.Done()
	}()
	return p.serve()
}

// ListenAndServePacket listens on a datagram network ("udp", "udp4",
// "udp6") and serves it.
func (s *Server) ListenAndServePacket(network, address string) error {
	pc, err := net.ListenPacket(network, address)
	if err != nil {
		return err
	}
	return s.ServePacket(pc)
}

func (p *packetServer) stopReading() {
	p.stopped.Store(true)
	p.pc.SetReadDeadline(time.Unix(1, 0))
}

func (p *packetServer) serve() error {
	scratch := make([]byte, maxDatagram)
	for {
		n, dst, ifIndex, src, err := p.read(scratch)
		if err != nil {
			if p.stopped.Load() || p.s.closing.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		buf := getBuf()
		*buf = append((*buf)[:0], scratch[:n]...)
		rw := getReplyWriter()
		rw.t = p
		rw.auths = p.s.cfg.auths
		rw.rec = buf
		ok, reply := parseCall(*buf, &rw.call)
		if !ok {
			// Not a call: datagram servers take no replies.
			rw.free()
			putBuf(buf)
			continue
		}
		rw.dst, rw.src, rw.ifIndex = src, dst, ifIndex
		local := p.pc.LocalAddr()
		if dst != nil {
			if la, ok := local.(*net.UDPAddr); ok {
				local = &net.UDPAddr{IP: dst, Port: la.Port}
			}
		}
		rw.call.Transport = Transport{Network: "udp", LocalAddr: local, RemoteAddr: src}
		p.slots <- struct{}{}
		p.active.Add(1)
		if reply != nil {
			rw.pending.Store(1)
			putBuf(rw.rec)
			rw.rec = nil
			reply(rw)
			continue
		}
		p.s.cfg.workers.dispatch(p.s.ctx, rw)
	}
}

// read reads one datagram, with its destination address and interface
// when the socket reports them.
func (p *packetServer) read(b []byte) (n int, dst net.IP, ifIndex int, src net.Addr, err error) {
	switch {
	case p.p4 != nil:
		var cm *ipv4.ControlMessage
		n, cm, src, err = p.p4.ReadFrom(b)
		if cm != nil {
			dst, ifIndex = cm.Dst, cm.IfIndex
		}
	case p.p6 != nil:
		var cm *ipv6.ControlMessage
		n, cm, src, err = p.p6.ReadFrom(b)
		if cm != nil {
			dst, ifIndex = cm.Dst, cm.IfIndex
		}
	default:
		n, src, err = p.pc.ReadFrom(b)
	}
	return
}

func (p *packetServer) replyPrefix() int { return 0 }

// sendReply sends the reply datagram from the call's destination address.
func (p *packetServer) sendReply(rw *replyWriter, e *xdr.Encoder) error {
	defer p.release()
	b := e.Bytes()
	if len(b) > maxDatagram {
		// Results too large for a datagram: tell the caller the server
		// failed rather than send something truncated.
		var small xdr.Encoder
		small.Reset(b[:0:0])
		encodeAcceptedHeader(&small, rw.call.Xid, &noneAuth, SYSTEM_ERR, 0, 0)
		b = small.Bytes()
	}
	var err error
	switch {
	case p.p4 != nil && rw.src != nil:
		_, err = p.p4.WriteTo(b, &ipv4.ControlMessage{Src: rw.src.To4()}, rw.dst)
	case p.p6 != nil && rw.src != nil && rw.src.To4() != nil:
		// An IPv4 datagram on a dual-stack socket: its destination is
		// reported IPv4-mapped, which IPV6_PKTINFO cannot carry as a
		// source (x/net leaves it out and the kernel picks one), but
		// IP_PKTINFO can, and Linux takes it on an IPv6 socket sending
		// to an IPv4 address.
		oob := (&ipv4.ControlMessage{Src: rw.src.To4()}).Marshal()
		_, _, err = p.pc.(*net.UDPConn).WriteMsgUDP(b, oob, rw.dst.(*net.UDPAddr))
	case p.p6 != nil && rw.src != nil:
		_, err = p.p6.WriteTo(b, &ipv6.ControlMessage{Src: rw.src}, rw.dst)
	default:
		_, err = p.pc.WriteTo(b, rw.dst)
	}
	return err
}

func (p *packetServer) dropped(*replyWriter) { p.release() }

func (p *packetServer) release() {
	<-p.slots
	p.active.Done()
}
