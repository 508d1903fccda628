package netns

import (
	"errors"
	"strings"
)

// ErrNotNetwork means a path opened as a network namespace is not one.
var ErrNotNetwork = errors.New("not a network namespace")

// Error is the failure of an operation in a network namespace.
type Error struct {
	// Op is what failed: "open", "stat", "enter" (joining the
	// namespace), "listen", "dial", "socket".
	Op string
	// Namespace is the path the namespace was opened by.
	Namespace string
	// Network and Address are the socket's, when Op made one.
	Network, Address string
	// Err says why.
	Err error
}

// Error reads "netns PATH: OP NETWORK ADDRESS: ERR".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("netns ")
	b.WriteString(e.Namespace)
	b.WriteString(": ")
	b.WriteString(e.Op)
	for _, s := range []string{e.Network, e.Address} {
		if s != "" {
			b.WriteByte(' ')
			b.WriteString(s)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }
