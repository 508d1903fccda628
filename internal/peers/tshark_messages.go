package peers

import (
	"bytes"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Message is one RPC message of a capture as tshark decoded it: every
// field it showed in the message's RPC header and in the protocol above
// it, by field name (as in `tshark -G fields`), with each value in the
// order shown. Several messages can share one packet.
type Message struct {
	// Frame is the number of the packet that completed the message.
	Frame int
	// Fields are the values tshark showed, as in its "show" text.
	Fields map[string][]string
}

// Value returns the values of field name, joined by ",", or "" if
// tshark did not show it.
func (m Message) Value(name string) string { return strings.Join(m.Fields[name], ",") }

// String shows the message's frame, xid and fields, for failures.
func (m Message) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "frame %d:", m.Frame)
	for _, k := range slices.Sorted(maps.Keys(m.Fields)) {
		fmt.Fprintf(&b, " %s=%s", k, m.Value(k))
	}
	return b.String()
}

// Fields are field values a test expects tshark to show in one message:
// field name to value, as tshark shows it (see [XID], [Bytes]); a field
// shown several times is the values joined by ",".
type Fields map[string]string

// RPC returns the fields of a message's RPC header naming program prog,
// version vers and procedure proc, with the fields of more.
func RPC(prog, vers, proc uint32, more Fields) Fields {
	f := Fields{
		"rpc.program":        strconv.FormatUint(uint64(prog), 10),
		"rpc.programversion": strconv.FormatUint(uint64(vers), 10),
		"rpc.procedure":      strconv.FormatUint(uint64(proc), 10),
	}
	maps.Copy(f, more)
	return f
}

// XID is an xid as tshark shows it.
func XID(xid uint32) string { return fmt.Sprintf("0x%08x", xid) }

// Bytes is an opaque value as tshark shows it: hex bytes joined by ":".
func Bytes(b []byte) string {
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = hex.EncodeToString([]byte{c})
	}
	return strings.Join(parts, ":")
}

// Uint is a number as tshark shows a decimal field.
func Uint[T ~uint32 | ~uint64 | ~int32 | ~int64 | ~int](v T) string {
	return strconv.FormatInt(int64(v), 10)
}

// Bool is a boolean as tshark shows it: "1" or "0".
func Bool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Exchange is a call a test made and the reply it got, as tshark must
// show them: a call whose fields include Call, answered by the reply
// tshark pairs with it (same xid, its request frame the call's) whose
// fields include Reply. A nil Reply checks the call alone.
type Exchange struct {
	// Name says what the exchange is, for failures.
	Name string
	// Call are fields of the call, its program, version and procedure
	// among them (see [RPC]).
	Call Fields
	// Reply are fields of the reply.
	Reply Fields
}

// Messages returns the RPC messages of the captured packets that match
// the display filter, in capture order, each with the fields tshark
// decoded.
func (c *Capture) Messages(filter string) []Message {
	c.t.Helper()
	msgs, err := parsePDML(bytes.NewReader(c.tshark("-Y", filter, "-T", "pdml")))
	if err != nil {
		c.t.Fatalf("reading tshark's decoding: %v", err)
	}
	return msgs
}

// RequireExchanges fails the test unless tshark decoded every exchange of
// want, each from a call of its own: two equal exchanges need two calls.
// Calls are matched in capture order, so a table in the order the test
// made its calls pairs each with its own. It returns every RPC message
// tshark decoded, for further checks without decoding the capture again.
func (c *Capture) RequireExchanges(want []Exchange) []Message {
	c.t.Helper()
	msgs, err := c.Exchanges(want)
	if err != nil {
		c.t.Fatal(err)
	}
	return msgs
}

// Exchanges is RequireExchanges returning what tshark did not decode as
// an error rather than failing the test.
func (c *Capture) Exchanges(want []Exchange) ([]Message, error) {
	c.t.Helper()
	msgs := c.Messages("rpc")
	return msgs, matchExchanges(msgs, want)
}

// Retransmissions counts the TCP segments of the capture that were sent
// again. On loopback under load a burst is sometimes retransmitted, and
// tshark may then not reassemble the message the segments carry.
func (c *Capture) Retransmissions() int {
	c.t.Helper()
	return len(c.Read("tcp.analysis.retransmission || tcp.analysis.fast_retransmission || tcp.analysis.spurious_retransmission"))
}

// matchExchanges finds each exchange of want in msgs.
func matchExchanges(msgs []Message, want []Exchange) error {
	used := make([]bool, len(msgs))
	var errs []error
	for _, x := range want {
		if err := matchExchange(msgs, used, x); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// matchExchange finds the first unused call of x with a reply of x,
// marking it used.
func matchExchange(msgs []Message, used []bool, x Exchange) error {
	var near []string
	for i, call := range msgs {
		if used[i] || call.Value("rpc.msgtyp") != "0" || !sameRPC(call, x.Call) {
			continue
		}
		if diff := mismatch(call, x.Call); diff != "" {
			near = append(near, "call "+diff)
			continue
		}
		if x.Reply == nil {
			used[i] = true
			return nil
		}
		reply, ok := replyTo(msgs, call)
		if !ok {
			near = append(near, fmt.Sprintf("call in frame %d: no reply", call.Frame))
			continue
		}
		if diff := mismatch(reply, x.Reply); diff != "" {
			near = append(near, "reply "+diff)
			continue
		}
		used[i] = true
		return nil
	}
	if len(near) == 0 {
		near = append(near, "no unmatched call of this program, version and procedure")
	}
	return fmt.Errorf("tshark decoded no exchange %q (call %v, reply %v):\n\t%s", x.Name, x.Call, x.Reply, strings.Join(near, "\n\t"))
}

// sameRPC reports whether call is of want's program, version and
// procedure, those of them it names.
func sameRPC(call Message, want Fields) bool {
	for _, k := range []string{"rpc.program", "rpc.programversion", "rpc.procedure"} {
		if v, ok := want[k]; ok && call.Value(k) != v {
			return false
		}
	}
	return true
}

// mismatch describes the fields of m that differ from want, or returns
// "" if none does.
func mismatch(m Message, want Fields) string {
	var diffs []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got := m.Value(k); got != want[k] {
			diffs = append(diffs, fmt.Sprintf("%s=%q, want %q", k, got, want[k]))
		}
	}
	if len(diffs) == 0 {
		return ""
	}
	return fmt.Sprintf("in frame %d (xid %s): %s", m.Frame, m.Value("rpc.xid"), strings.Join(diffs, ", "))
}

// replyTo finds the reply tshark pairs with call: the same xid, and the
// call's frame as the one it answers (tshark's rpc.repframe in a reply).
func replyTo(msgs []Message, call Message) (Message, bool) {
	xid, frame := call.Value("rpc.xid"), strconv.Itoa(call.Frame)
	for _, m := range msgs {
		if m.Value("rpc.msgtyp") == "1" && m.Value("rpc.xid") == xid && slices.Contains(m.Fields["rpc.repframe"], frame) {
			return m, true
		}
	}
	return Message{}, false
}

// pdmlElement is the part of a PDML element the parser reads.
type pdmlElement struct {
	name, show string
}

// parsePDML reads tshark's PDML output: each "rpc" protocol element starts
// a message, which takes the fields of the protocols after it in its
// packet, each from its own protocol's element (rpc.* from rpc, nlm.*
// from nlm). RPC elements without an xid (continuation data) are
// skipped.
func parsePDML(r io.Reader) ([]Message, error) {
	var (
		msgs  []Message
		cur   *Message
		proto string // the protocol element the parser is in
		frame int
		depth int // of elements inside a packet
	)
	flush := func() {
		if cur != nil && len(cur.Fields["rpc.xid"]) > 0 {
			msgs = append(msgs, *cur)
		}
		cur = nil
	}
	d := xml.NewDecoder(r)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			flush()
			return msgs, nil
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := element(tok)
			switch {
			case e.name == "packet":
				flush()
				depth = 0
			case tok.Name.Local == "proto" && depth == 0:
				proto = e.name
				if proto == "rpc" {
					flush()
					cur = &Message{Frame: frame, Fields: map[string][]string{}}
				}
			case tok.Name.Local == "field" && e.name == "frame.number":
				frame, _ = strconv.Atoi(e.show)
			case tok.Name.Local == "field" && cur != nil && strings.HasPrefix(e.name, proto+"."):
				// A protocol's own fields only: tshark repeats some RPC
				// fields inside the protocol above it.
				cur.Fields[e.name] = append(cur.Fields[e.name], e.show)
			}
			if tok.Name.Local != "packet" {
				depth++
			}
		case xml.EndElement:
			if tok.Name.Local == "packet" {
				flush()
			} else if depth > 0 {
				depth--
			}
		}
	}
}

// element returns the name and show attributes of a PDML element (the
// name of a packet element is "packet").
func element(tok xml.StartElement) pdmlElement {
	e := pdmlElement{}
	if tok.Name.Local == "packet" {
		e.name = "packet"
		return e
	}
	for _, a := range tok.Attr {
		switch a.Name.Local {
		case "name":
			e.name = a.Value
		case "show":
			e.show = a.Value
		}
	}
	return e
}
