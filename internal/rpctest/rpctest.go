// Package rpctest forwards to the public test kit [rpctest], under
// which its names now live, for the tests that still import it here.
package rpctest

import (
	"testing"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
)

// Served is [rpctest.Served].
type Served = rpctest.Served

// Option is [rpctest.Option].
type Option = rpctest.Option

// Serve is [rpctest.Serve].
func Serve(t testing.TB, h rpc.Handler, opts ...Option) *Served {
	t.Helper()
	return rpctest.Serve(t, h, opts...)
}

// WithServer is [rpctest.WithServer].
func WithServer(s *rpc.Server) Option { return rpctest.WithServer(s) }

// Address is [rpctest.Address].
func Address(address string) Option { return rpctest.Address(address) }

// TCPOnly is [rpctest.TCPOnly].
func TCPOnly() Option { return rpctest.TCPOnly() }

// SamePort is [rpctest.SamePort].
func SamePort() Option { return rpctest.SamePort() }
