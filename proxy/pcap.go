package proxy

import (
	"encoding/binary"
	"io"
	"net"
	"sync"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// pcapSnapLen is the largest frame a PcapWriter writes: an IP packet of at
// most 64 KiB and its Ethernet header.
const pcapSnapLen = 1 << 17

// tcpSegment is the most payload a synthesized TCP segment carries, so
// that each fits an IPv4 packet; tshark reassembles longer records.
const tcpSegment = 32 << 10

// PcapWriter writes RPC messages into a pcap file as Ethernet frames
// around IPv4 or IPv6 and TCP or UDP, with the real addresses and ports
// of the two ends, so that tshark dissects them as RPC. A TCP stream
// starts with a three-way handshake and carries each message as a record
// (one fragment with its record mark), split into segments of at most
// 32 KiB with consistent sequence numbers. It is safe for concurrent use.
type PcapWriter struct {
	mu      sync.Mutex
	w       *pcapgo.Writer
	streams map[streamKey]*tcpStream
	// Now stamps the packets; nil means time.Now.
	Now func() time.Time
}

type streamKey struct{ a, b string }

// tcpStream holds the next sequence number of each direction of a
// synthesized TCP connection.
type tcpStream struct{ next map[string]uint32 }

// NewPcapWriter writes the pcap file header to w and returns a writer of
// packets after it.
func NewPcapWriter(w io.Writer) (*PcapWriter, error) {
	pw := pcapgo.NewWriter(w)
	if err := pw.WriteFileHeader(pcapSnapLen, layers.LinkTypeEthernet); err != nil {
		return nil, err
	}
	return &PcapWriter{w: pw, streams: map[streamKey]*tcpStream{}}, nil
}

// WriteMessage writes one RPC message (without a record mark) sent from
// src to dst over network "tcp" or "udp"; src and dst are *net.TCPAddr
// or *net.UDPAddr.
func (p *PcapWriter) WriteMessage(network string, src, dst net.Addr, msg []byte) error {
	sip, sport := ipPort(src)
	dip, dport := ipPort(dst)
	p.mu.Lock()
	defer p.mu.Unlock()
	if network != "tcp" {
		udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
		return p.write(sip, dip, udp, msg)
	}
	rec := make([]byte, 4+len(msg))
	binary.BigEndian.PutUint32(rec, uint32(len(msg))|1<<31)
	copy(rec[4:], msg)
	return p.writeTCP(src, dst, sip, dip, sport, dport, rec)
}

// WriteStream writes bytes sent from src to dst on a TCP connection as
// they are (a captured connection's reads and writes, record marks
// included), continuing the stream's sequence numbers.
func (p *PcapWriter) WriteStream(src, dst net.Addr, b []byte) error {
	sip, sport := ipPort(src)
	dip, dport := ipPort(dst)
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.writeTCP(src, dst, sip, dip, sport, dport, b)
}

// writeTCP writes rec as the next segments from src to dst, opening the
// stream first if it is new; p.mu is held.
func (p *PcapWriter) writeTCP(src, dst net.Addr, sip, dip net.IP, sport, dport int, rec []byte) error {
	k := streamKey{src.String(), dst.String()}
	if k.b < k.a {
		k.a, k.b = k.b, k.a
	}
	s := p.streams[k]
	if s == nil {
		// Open the connection as the sender of the first message did.
		s = &tcpStream{next: map[string]uint32{src.String(): 1, dst.String(): 1}}
		p.streams[k] = s
		syn := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), SYN: true, Seq: 0, Window: 65535}
		synack := &layers.TCP{SrcPort: layers.TCPPort(dport), DstPort: layers.TCPPort(sport), SYN: true, ACK: true, Seq: 0, Ack: 1, Window: 65535}
		ack := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), ACK: true, Seq: 1, Ack: 1, Window: 65535}
		for _, seg := range []struct {
			t        *layers.TCP
			from, to net.IP
		}{{syn, sip, dip}, {synack, dip, sip}, {ack, sip, dip}} {
			if err := p.write(seg.from, seg.to, seg.t, nil); err != nil {
				return err
			}
		}
	}
	for len(rec) > 0 {
		n := min(len(rec), tcpSegment)
		t := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), ACK: true, PSH: n == len(rec),
			Seq: s.next[src.String()], Ack: s.next[dst.String()], Window: 65535}
		if err := p.write(sip, dip, t, rec[:n]); err != nil {
			return err
		}
		s.next[src.String()] += uint32(n)
		rec = rec[n:]
	}
	return nil
}

// transport is a TCP or UDP layer whose checksum covers an IP header.
type transport interface {
	gopacket.SerializableLayer
	SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
}

// write writes one frame carrying tr and payload from src to dst.
func (p *PcapWriter) write(src, dst net.IP, tr transport, payload []byte) error {
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}}
	proto := layers.IPProtocolTCP
	if _, ok := tr.(*layers.UDP); ok {
		proto = layers.IPProtocolUDP
	}
	var ip interface {
		gopacket.NetworkLayer
		gopacket.SerializableLayer
	}
	if s4, d4 := src.To4(), dst.To4(); s4 != nil && d4 != nil {
		eth.EthernetType = layers.EthernetTypeIPv4
		ip = &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Flags: layers.IPv4DontFragment, Protocol: proto, SrcIP: s4, DstIP: d4}
	} else {
		eth.EthernetType = layers.EthernetTypeIPv6
		ip = &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: src.To16(), DstIP: dst.To16()}
	}
	if err := tr.SetNetworkLayerForChecksum(ip); err != nil {
		return err
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, eth, ip, tr, gopacket.Payload(payload)); err != nil {
		return err
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	b := buf.Bytes()
	return p.w.WritePacket(gopacket.CaptureInfo{Timestamp: now(), CaptureLength: len(b), Length: len(b)}, b)
}

// ipPort returns the IP address and port of a TCP or UDP address, or the
// unspecified IPv4 address and port 0 for any other.
func ipPort(a net.Addr) (net.IP, int) {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP, a.Port
	case *net.UDPAddr:
		return a.IP, a.Port
	}
	return net.IPv4zero, 0
}
