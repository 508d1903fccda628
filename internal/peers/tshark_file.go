package peers

import "testing"

// OpenCapture returns a Capture over a pcap file written by something
// else (a program that writes its own capture), to read with tshark as
// a live capture is read; ports are decoded as RPC as StartCapture's are.
func OpenCapture(t testing.TB, file string, ports ...int) *Capture {
	t.Helper()
	Require(t, "tshark")
	return &Capture{t: t, file: file, ports: ports}
}
