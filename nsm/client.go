package nsm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
)

// DialFunc connects to version vers of program prog on host. The
// returned Client is closed after one call.
type DialFunc func(ctx context.Context, host string, prog, vers uint32) (*rpc.Client, error)

// DialPortmap is the default DialFunc: it asks the port mapper on host
// (port 111, over UDP) where the program version listens, preferring UDP
// and falling back to TCP, and connects there.
func DialPortmap(ctx context.Context, host string, prog, vers uint32) (*rpc.Client, error) {
	return dialPortmap(ctx, nil, host, prog, vers)
}

// DialPortmapWith returns a DialFunc that does what DialPortmap does,
// dialling the port mapper and the program with opts (nil: the
// defaults): with an Enter hook ((*netns.Namespace).Do), in another
// network namespace.
func DialPortmapWith(opts *rpc.ClientOptions) DialFunc {
	return func(ctx context.Context, host string, prog, vers uint32) (*rpc.Client, error) {
		return dialPortmap(ctx, opts, host, prog, vers)
	}
}

// dialPortmap is DialPortmap with the RPC clients' options.
func dialPortmap(ctx context.Context, opts *rpc.ClientOptions, host string, prog, vers uint32) (*rpc.Client, error) {
	pm, err := portmap.Dial(ctx, "udp", host, opts)
	if err != nil {
		return nil, err
	}
	defer pm.Close()
	var errs []error
	for _, network := range []string{"udp", "tcp"} {
		port, err := pm.GetPort(ctx, prog, vers, network)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c, err := rpc.Dial(ctx, network, net.JoinHostPort(host, strconv.Itoa(port)), opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		return c, nil
	}
	return nil, fmt.Errorf("nsm: dial program %d version %d on %s: %w", prog, vers, host, errors.Join(errs...))
}

// callHost makes one call through a connection dial opens, and closes it.
func callHost(ctx context.Context, dial DialFunc, host string, prog, vers, proc uint32, args *Status, chg *StatChge) error {
	if dial == nil {
		dial = DialPortmap
	}
	c, err := dial(ctx, host, prog, vers)
	if err != nil {
		return err
	}
	defer c.Close()
	if chg != nil {
		return NewV1Client(c).Notify(ctx, chg)
	}
	return c.Call(ctx, prog, vers, proc, args, nil)
}

// notify sends SM_NOTIFY {myName, state} to the NSM on host.
func notify(ctx context.Context, dial DialFunc, host, myName string, state int32) error {
	return callHost(ctx, dial, host, SM_PROG, SM_VERS, SM_NOTIFY, nil, &StatChge{MonName: myName, State: state})
}

// Notify tells the NSM on host (found through its port mapper) that host
// myName is now in state state, with SM_NOTIFY, as a rebooted host does.
func Notify(ctx context.Context, host, myName string, state int32) error {
	return notify(ctx, DialPortmap, host, myName, state)
}

// Callback sends the status callback st to the program, version and
// procedure id names, on host id.MyName (127.0.0.1 when empty), through a
// connection dial opens (DialPortmap when nil). The procedure's result is
// ignored.
func Callback(ctx context.Context, dial DialFunc, id MyId, st *Status) error {
	host := id.MyName
	if host == "" {
		host = "127.0.0.1"
	}
	return callHost(ctx, dial, host, uint32(id.MyProg), uint32(id.MyVers), uint32(id.MyProc), st, nil)
}
