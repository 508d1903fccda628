package nfsd

import (
	"errors"
	"net"
	"strconv"

	"github.com/nfskit/nfskit/netns"
)

// Transport is what a service is served on: a stream listener (TCP), a
// datagram socket (UDP), or both. Either may be nil.
type Transport struct {
	Stream net.Listener
	Packet net.PacketConn
}

// Listeners are the transports handed to Serve, by service. The NFS,
// MOUNT and NLM services need one each; NSM needs one when the Server
// serves its own status monitor, and the port mapper when it serves its
// own port mapper (with PortmapAuto and none handed in, it serves none).
type Listeners map[Service]Transport

// Endpoint is where a service is served: its TCP and UDP addresses (nil
// when it is not served over that protocol).
type Endpoint struct {
	TCP, UDP net.Addr
}

// Port returns the service's port: its TCP port, else its UDP port.
func (e Endpoint) Port() int {
	if a, ok := e.TCP.(*net.TCPAddr); ok {
		return a.Port
	}
	if a, ok := e.UDP.(*net.UDPAddr); ok {
		return a.Port
	}
	return 0
}

// addrs returns e's TCP and UDP addresses, leaving out a missing one.
func (e Endpoint) addrs() []net.Addr {
	var out []net.Addr
	for _, a := range []net.Addr{e.TCP, e.UDP} {
		if a != nil {
			out = append(out, a)
		}
	}
	return out
}

// freePortTries bounds the attempts at a free port that is free on both
// TCP and UDP.
const freePortTries = 20

// listenPair listens on TCP and UDP at host:port; port 0 takes a port
// free on both.
func listenPair(host string, port int) (Transport, error) { return listenPairIn(nil, host, port) }

// listenPairIn is listenPair in namespace ns (nil: the process's).
func listenPairIn(ns *netns.Namespace, host string, port int) (Transport, error) {
	tries := 1
	if port == 0 {
		tries = freePortTries
	}
	var err error
	for range tries {
		var l net.Listener
		l, err = listenStream(ns, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return Transport{}, err
		}
		var pc net.PacketConn
		pc, err = listenPacket(ns, "udp", net.JoinHostPort(host, strconv.Itoa(l.Addr().(*net.TCPAddr).Port)))
		if err != nil {
			l.Close() // the UDP port is taken: with port 0, try another
			continue
		}
		return Transport{Stream: l, Packet: pc}, nil
	}
	return Transport{}, err
}

// listenAll listens on TCP and UDP at port on every one of hosts; port
// 0 takes a port free on the first host, and then the same on the
// others (another free one if it is taken there).
func listenAll(hosts []string, port int) ([]Transport, error) { return listenAllIn(nil, hosts, port) }

// listenAllIn is listenAll in namespace ns (nil: the process's).
func listenAllIn(ns *netns.Namespace, hosts []string, port int) ([]Transport, error) {
	tries := 1
	if port == 0 {
		tries = freePortTries
	}
	var err error
	for range tries {
		var first Transport
		if first, err = listenPairIn(ns, hosts[0], port); err != nil {
			return nil, err
		}
		ts := []Transport{first}
		at := first.endpoint().Port()
		for _, h := range hosts[1:] {
			var t Transport
			if t, err = listenPairIn(ns, h, at); err != nil {
				break
			}
			ts = append(ts, t)
		}
		if err == nil {
			return ts, nil
		}
		for _, t := range ts {
			t.close()
		}
	}
	return nil, err
}

// endpoint returns where t serves.
func (t Transport) endpoint() Endpoint {
	var e Endpoint
	if t.Stream != nil {
		e.TCP = t.Stream.Addr()
	}
	if t.Packet != nil {
		e.UDP = t.Packet.LocalAddr()
	}
	return e
}

// close closes both of t's sockets.
func (t Transport) close() error {
	var errs []error
	if t.Stream != nil {
		errs = append(errs, t.Stream.Close())
	}
	if t.Packet != nil {
		errs = append(errs, t.Packet.Close())
	}
	return errors.Join(errs...)
}
