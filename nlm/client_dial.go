package nlm

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
)

// lookup asks the port mapper on host where NLM version 4 listens: on
// network if given, else on TCP and, failing that, UDP. It returns the
// network and port.
func (c *Client) lookup(ctx context.Context, host, network string) (string, int, error) {
	pmAddr := net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(c.opts.PortMapperPort))
	rc, err := c.dialRPC(ctx, "tcp", pmAddr, &rpc.ClientOptions{Logger: c.logger})
	if err != nil {
		return "", 0, &DialError{Host: host, Kind: ErrNoPortMapper, Err: err}
	}
	defer rc.Close()
	pm := portmap.NewClient(rc)
	networks := []string{"tcp", "udp"}
	if network != "" {
		networks = []string{network}
	}
	var errs []error
	for _, nw := range networks {
		base := strings.TrimRight(nw, "46")
		port, err := pm.GetPort(ctx, NLM_PROG, NLM4_VERS, base)
		if err == nil {
			return nw, port, nil
		}
		if !errors.Is(err, portmap.ErrNotRegistered) {
			return "", 0, &DialError{Host: host, Kind: ErrNoPortMapper, Err: err}
		}
		errs = append(errs, err)
	}
	return "", 0, &DialError{Host: host, Kind: ErrNoLockManager, Err: errors.Join(errs...)}
}

// dialRPC connects an RPC client to addr, through the Dial option on a
// stream network when it is set.
func (c *Client) dialRPC(ctx context.Context, network, addr string, ro *rpc.ClientOptions) (*rpc.Client, error) {
	if c.opts.Dial == nil || strings.HasPrefix(network, "udp") {
		return rpc.Dial(ctx, network, addr, ro)
	}
	nc, err := c.opts.Dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	// The first connection is the one just made; later ones (after it
	// breaks) are dialled again.
	first := nc
	var once sync.Once
	return rpc.NewClient(func(ctx context.Context) (net.Conn, error) {
		var conn net.Conn
		once.Do(func() { conn, first = first, nil })
		if conn != nil {
			return conn, nil
		}
		return c.opts.Dial(ctx, network, addr)
	}, ro), nil
}
