package etcd

import (
	"errors"
	"fmt"
)

// ErrFenced is returned by a write for an address that this node no
// longer owns: its session lease expired (the node was cut off from etcd
// for longer than its TTL) or the address was released or taken over.
// The node must stop serving the address.
var ErrFenced = errors.New("etcd: this node no longer owns the address")

// ErrClosed is returned by a Node, or an Address of it, after Close.
var ErrClosed = errors.New("etcd: node closed")

// InUseError says that a node name or an address is held by a live node.
type InUseError struct {
	// What is "node" or "address"; Name is the node name or the address.
	What, Name string
	// Holder is the node that holds it.
	Holder string
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("etcd: %s %q is held by node %q", e.What, e.Name, e.Holder)
}

// Error is a failed etcd request or a value in etcd that does not
// decode.
type Error struct {
	// Op is what was being done ("load", "add", "claim", ...), Key the
	// key or prefix concerned.
	Op, Key string
	Err     error
}

func (e *Error) Error() string { return fmt.Sprintf("etcd: %s %s: %v", e.Op, e.Key, e.Err) }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }
