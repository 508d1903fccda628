package netns

import (
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// Do runs fn on an OS thread that has joined the namespace, and returns
// what fn returns. Sockets fn makes are in the namespace; fn must not
// start goroutines that make sockets, which would run outside it. The
// thread returns to its own namespace before it runs anything else; if it
// cannot, it is discarded. A nil Namespace runs fn directly.
func (ns *Namespace) Do(fn func() error) error {
	if ns == nil {
		return fn()
	}
	done := make(chan error, 1)
	go ns.run(fn, done)
	return <-done
}

// run is Do's goroutine.
func (ns *Namespace) run(fn func() error, done chan<- error) {
	runtime.LockOSThread()
	home, err := os.Open(threadSelf)
	if err != nil {
		runtime.UnlockOSThread()
		done <- &Error{Op: "enter", Namespace: ns.path, Err: err}
		return
	}
	defer home.Close()
	if err := unix.Setns(int(ns.f.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		done <- &Error{Op: "enter", Namespace: ns.path, Err: os.NewSyscallError("setns", err)}
		return
	}
	err = fn()
	if unix.Setns(int(home.Fd()), unix.CLONE_NEWNET) != nil {
		// The goroutine ends locked: the runtime ends the thread with
		// it instead of running other goroutines in the namespace.
		done <- err
		return
	}
	runtime.UnlockOSThread()
	done <- err
}
