package peers

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// captureBufferMiB is the size of a capture's kernel buffer, in MiB.
const captureBufferMiB = 64

// Capture is a tshark capture on the loopback interface.
type Capture struct {
	t     testing.TB
	file  string
	proc  *Process
	ports []int
	probe net.PacketConn // a UDP socket of ours, captured too: see sync
	seq   int
}

// StartCapture captures TCP and UDP traffic on lo to or from the given
// ports until Stop. It holds no lock: captures filter by port. It returns
// once packets are really being captured.
func StartCapture(t testing.TB, ports ...int) *Capture {
	t.Helper()
	Require(t, "tshark")
	RequireRoot(t)
	probe, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startCapture(t, probe, []string{"tshark", "-i", "lo"}, ports)
}

// StartCaptureIn is StartCapture on every interface of the network
// namespace at nsPath (such as /run/netns/NAME), through nsenter;
// listenPacket opens the probe socket in that namespace (as
// (*netns.Namespace).ListenPacket does).
func StartCaptureIn(t testing.TB, nsPath string, listenPacket func(network, address string) (net.PacketConn, error), ports ...int) *Capture {
	t.Helper()
	Require(t, "tshark", "nsenter")
	RequireRoot(t)
	probe, err := listenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startCapture(t, probe, []string{"nsenter", "--net=" + nsPath, "tshark", "-i", "any"}, ports)
}

// startCapture runs the capture command (tshark and its interface, or
// what runs it) with a filter for ports and the probe's.
func startCapture(t testing.TB, probe net.PacketConn, command []string, ports []int) *Capture {
	t.Helper()
	t.Cleanup(func() { probe.Close() })
	c := &Capture{t: t, file: filepath.Join(t.TempDir(), "capture.pcapng"), ports: ports, probe: probe}
	parts := []string{fmt.Sprintf("udp port %d", probe.LocalAddr().(*net.UDPAddr).Port)}
	for _, p := range ports {
		parts = append(parts, fmt.Sprintf("tcp port %d or udp port %d", p, p))
	}
	// A kernel buffer of captureBufferMiB rather than tshark's 2 MiB: a
	// burst on loopback (a 1 MiB READ reply, pipelined calls) overflows
	// the small one, and the packets dropped are missing from the capture.
	args := append(command[1:len(command):len(command)], "-B", strconv.Itoa(captureBufferMiB),
		"-f", strings.Join(parts, " or "), "-w", c.file)
	c.proc = Start(t, command[0], args...)
	WaitFor(t, 20*time.Second, "tshark to start capturing", func() error {
		if c.proc.Exited() {
			t.Fatalf("tshark exited: %s", c.proc.Output())
		}
		if strings.Contains(c.proc.Output(), "Capturing on") {
			return nil
		}
		return fmt.Errorf("not capturing yet")
	})
	// "Capturing on" comes some milliseconds before packets are captured.
	c.sync("start")
	return c
}

// sync sends probe datagrams to the capture's own probe port until one of
// them is in the capture file: packets sent before sync returns are then
// known to be captured (dumpcap writes them in order).
func (c *Capture) sync(what string) {
	c.t.Helper()
	c.seq++
	token := []byte(fmt.Sprintf("nfskit-capture-probe-%d-%d", os.Getpid(), c.seq))
	var sent time.Time
	WaitFor(c.t, 20*time.Second, "tshark to capture its probe ("+what+")", func() error {
		if c.proc.Exited() {
			c.t.Fatalf("tshark exited: %s", c.proc.Output())
		}
		if time.Since(sent) > 100*time.Millisecond {
			c.probe.WriteTo(token, c.probe.LocalAddr())
			sent = time.Now()
		}
		b, err := os.ReadFile(c.file)
		if err != nil {
			return err
		}
		if !bytes.Contains(b, token) {
			return fmt.Errorf("probe not in %s yet", c.file)
		}
		return nil
	})
}

// Stop ends the capture once everything sent before it is captured. It
// fails the test if the capture dropped packets: what they held is
// missing from the capture, and tshark would decode the rest of a
// stream cleanly without it.
func (c *Capture) Stop() {
	c.t.Helper()
	if !c.proc.Exited() {
		c.sync("stop")
	}
	c.proc.Stop()
	if n := droppedPackets(c.proc.Output()); n > 0 {
		c.t.Fatalf("the capture dropped %d packets", n)
	}
}

// tsharkDropped is how tshark reports, as it ends, packets the kernel
// dropped from a capture.
var tsharkDropped = regexp.MustCompile(`(\d+) packets? dropped`)

// droppedPackets returns the number of packets tshark's output says it
// dropped.
func droppedPackets(output string) int {
	n := 0
	for _, m := range tsharkDropped.FindAllStringSubmatch(output, -1) {
		d, _ := strconv.Atoi(m[1])
		n += d
	}
	return n
}

// decodeArgs makes tshark dissect our ports as ONC RPC, calls to programs
// it does not know included (tests serve programs of their own).
func (c *Capture) decodeArgs() []string {
	args := []string{"-r", c.file, "-o", "rpc.dissect_unknown_programs:TRUE"}
	for _, p := range c.ports {
		args = append(args, "-d", fmt.Sprintf("tcp.port==%d,rpc", p), "-d", fmt.Sprintf("udp.port==%d,rpc", p))
	}
	return args
}

// tshark runs tshark over the capture with the decoding arguments and
// more, and returns what it prints.
func (c *Capture) tshark(more ...string) []byte {
	c.t.Helper()
	args := append(c.decodeArgs(), more...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "tshark", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr // "Running as user root..." and the like
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("tshark %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return out
}

// Read returns tshark's one-line summaries of the captured packets that
// match a display filter.
func (c *Capture) Read(filter string) []string {
	c.t.Helper()
	out := c.tshark("-Y", filter)
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// Details returns tshark's full decoding, as text, of the captured
// packets that match a display filter: every field with its name and
// how tshark shows its value ("Opcode: SEQUENCE (53)").
func (c *Capture) Details(filter string) string {
	c.t.Helper()
	return string(c.tshark("-Y", filter, "-V"))
}

// Fields returns the values of fields (tshark -T fields) of each
// captured packet that matches a display filter, one row per packet.
func (c *Capture) Fields(filter string, fields ...string) [][]string {
	c.t.Helper()
	args := []string{"-Y", filter, "-T", "fields", "-E", "separator=/t"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	var rows [][]string
	for _, l := range strings.Split(strings.TrimSpace(string(c.tshark(args...))), "\n") {
		if l != "" {
			rows = append(rows, strings.Split(l, "\t"))
		}
	}
	return rows
}

// cleanFilter finds the packets tshark could not decode. A TCP segment
// sent again (loopback under load retransmits too) is left out: its
// bytes overlap what was already reassembled, which tshark reports as a
// reassembly error of TCP's, not of what the segment carries.
const cleanFilter = "(_ws.malformed || _ws.expert.severity >= error) && " +
	"!(tcp.analysis.retransmission || tcp.analysis.fast_retransmission || tcp.analysis.spurious_retransmission)"

// RequireClean fails the test if tshark found any malformed packet or
// error-level expert item, and if it decoded fewer than minRPC RPC
// messages (a capture that saw nothing proves nothing). Only packets that
// tshark decoded as a call or a reply count, not "Continuation" data.
func (c *Capture) RequireClean(minRPC int) {
	c.t.Helper()
	if bad := c.Read(cleanFilter); len(bad) > 0 {
		c.t.Fatalf("tshark found %d malformed packets:\n%s", len(bad), strings.Join(bad, "\n"))
	}
	if n := len(c.Read("rpc.xid")); n < minRPC {
		c.t.Fatalf("tshark decoded %d RPC packets, want at least %d", n, minRPC)
	}
}

// Keep copies the capture file to path (for debugging).
func (c *Capture) Keep(path string) error {
	b, err := os.ReadFile(c.file)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
