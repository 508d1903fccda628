package addrwatch

import (
	"log/slog"
	"net"
	"net/netip"

	"github.com/nfskit/nfskit/netns"
	"github.com/nfskit/nfskit/rpc"
)

// CloseConns watches namespace ns (nil: the process's), the one the
// servers listen in, and when an address is removed from it closes at
// once every connection of every one of servers that arrived on it
// (rpc.Server.CloseAddr), logging what it closed at Info on logger (nil:
// slog.Default()). Close the Watcher to stop.
func CloseConns(ns *netns.Namespace, logger *slog.Logger, servers ...*rpc.Server) (*Watcher, error) {
	if logger == nil {
		logger = slog.Default()
	}
	return Watch(ns, func(a netip.Addr) {
		ip := net.IP(a.Unmap().AsSlice())
		n := 0
		for _, s := range servers {
			n += s.CloseAddr(ip)
		}
		logger.Info("address removed: its connections closed", "addr", a, "conns", n)
	})
}
