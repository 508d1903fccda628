// Package netns opens sockets inside a Linux network namespace.
//
// A network namespace is opened by path: a name that ip-netns(8) gave it
// (/run/netns/NAME) or a process's (/proc/PID/ns/net). Listen,
// ListenPacket and Dial run on an OS thread locked to a goroutine of
// their own, which joins the namespace with setns(2), makes the socket and
// returns to the namespace it came from before the thread is given back to
// the Go runtime. A socket keeps the namespace it was made in for its
// whole life, so what these return is used as any other: an
// rpc.Server serves the listener (Serve, ServePacket), an rpc.Client
// dials through Do (see rpc.ClientOptions.Enter).
//
// If the thread cannot return to its namespace, its goroutine ends still
// locked to it and the runtime discards the thread: no goroutine ever
// runs in a namespace it did not ask for.
//
// Host names are resolved by the Go resolver, whose lookups run on
// goroutines of their own, and so in the network namespace of the process
// (the one every thread not locked here is in), with the file system's
// /etc/hosts and /etc/resolv.conf. Only the socket that is dialled is
// made inside the namespace; Dial tries the addresses a name has one
// after another, never in parallel (no Happy Eyeballs), so that no
// socket is made by a goroutine outside it.
//
// Every error names the namespace and the operation: it is an *Error.
// Joining a namespace needs CAP_SYS_ADMIN.
package netns
