package peers

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// pdmlLock is tshark's PDML for an NLM LOCK call and its reply, then a
// packet holding a reply and another call, cut to the parts parsePDML
// reads.
const pdmlLock = `<?xml version="1.0" encoding="utf-8"?>
<pdml version="0" creator="wireshark/4.0.17">
<packet>
  <proto name="frame"><field name="frame.number" show="22"/></proto>
  <proto name="tcp"><field name="tcp.srcport" show="40152"/></proto>
  <proto name="rpc" showname="Remote Procedure Call, Type:Call XID:0x0faf72be">
    <field name="rpc.xid" show="0x0faf72be"/>
    <field name="rpc.msgtyp" show="0"/>
    <field name="rpc.program" show="100021"/>
    <field name="rpc.programversion" show="4"/>
    <field name="rpc.procedure" show="2"/>
  </proto>
  <proto name="nlm">
    <field name="nlm.procedure_v4" show="2"/>
    <field name="rpc.programversion" show="4"/>
    <field name="" show="cookie"><field name="nlm.cookie" show="74:31"/></field>
    <field name="nlm.exclusive" show="1"/>
    <field name="nlm.lock" show="">
      <field name="nlm.lock.caller_name" show="a.test"/>
      <field name="nlm.lock.svid" show="1"/>
      <field name="nlm.lock.l_len64" show="10"/>
    </field>
  </proto>
</packet>
<packet>
  <proto name="frame"><field name="frame.number" show="31"/></proto>
  <proto name="rpc">
    <field name="rpc.xid" show="0x0faf72be"/>
    <field name="rpc.msgtyp" show="1"/>
    <field name="rpc.repframe" show="22"/>
    <field name="rpc.program" show="100021"/>
    <field name="rpc.programversion" show="4"/>
    <field name="rpc.procedure" show="2"/>
  </proto>
  <proto name="nlm"><field name="nlm.cookie" show="74:31"/><field name="nlm.stat" show="0"/></proto>
</packet>
<packet>
  <proto name="frame"><field name="frame.number" show="40"/></proto>
  <proto name="rpc"><field name="rpc.fragment" show="continuation"/></proto>
  <proto name="rpc">
    <field name="rpc.xid" show="0x00000007"/>
    <field name="rpc.msgtyp" show="0"/>
    <field name="rpc.program" show="100024"/>
    <field name="rpc.programversion" show="1"/>
    <field name="rpc.procedure" show="2"/>
  </proto>
  <proto name="stat"><field name="stat.mon_id.name" show="peer.test"/><field name="stat.mon_id.name" show="again"/></proto>
</packet>
</pdml>
`

func TestParsePDML(t *testing.T) {
	msgs, err := parsePDML(strings.NewReader(pdmlLock))
	require.NoError(t, err)
	require.Len(t, msgs, 3, "the continuation without an xid is no message")
	require.Equal(t, 22, msgs[0].Frame)
	require.Equal(t, "a.test", msgs[0].Value("nlm.lock.caller_name"))
	require.Equal(t, "74:31", msgs[0].Value("nlm.cookie"), "a field nested in a nameless one")
	require.Empty(t, msgs[0].Value("tcp.srcport"), "fields before the RPC header are not the message's")
	require.Equal(t, "4", msgs[0].Value("rpc.programversion"), "tshark's copy in the NLM element is not counted")
	require.Equal(t, 31, msgs[1].Frame)
	require.Equal(t, "0", msgs[1].Value("nlm.stat"))
	require.Equal(t, 40, msgs[2].Frame)
	require.Equal(t, "peer.test,again", msgs[2].Value("stat.mon_id.name"))
}

func TestMatchExchanges(t *testing.T) {
	msgs, err := parsePDML(strings.NewReader(pdmlLock))
	require.NoError(t, err)
	lock := Exchange{
		Name:  "LOCK",
		Call:  RPC(100021, 4, 2, Fields{"nlm.cookie": Bytes([]byte("t1")), "nlm.lock.caller_name": "a.test", "nlm.lock.svid": Uint(1), "nlm.exclusive": Bool(true)}),
		Reply: Fields{"nlm.cookie": Bytes([]byte("t1")), "nlm.stat": Uint(0)},
	}
	mon := Exchange{Name: "MON", Call: RPC(100024, 1, 2, Fields{"stat.mon_id.name": "peer.test,again"})}
	cases := []struct {
		name  string
		want  []Exchange
		fails []string // in the error, nil when it matches
	}{
		{"call and reply", []Exchange{lock}, nil},
		{"a call alone", []Exchange{mon}, nil},
		{"both", []Exchange{mon, lock}, nil},
		{"a call field differs", []Exchange{{Name: "x", Call: RPC(100021, 4, 2, Fields{"nlm.lock.svid": "2"})}},
			[]string{`nlm.lock.svid="1", want "2"`}},
		{"a reply field differs", []Exchange{{Name: "x", Call: lock.Call, Reply: Fields{"nlm.stat": "1"}}},
			[]string{`reply in frame 31`, `nlm.stat="0", want "1"`}},
		{"a field not shown", []Exchange{{Name: "x", Call: RPC(100021, 4, 2, Fields{"nlm.block": "1"})}},
			[]string{`nlm.block="", want "1"`}},
		{"another procedure", []Exchange{{Name: "x", Call: RPC(100021, 4, 4, nil)}},
			[]string{"no unmatched call"}},
		{"a call matches once", []Exchange{lock, lock}, []string{`"LOCK"`, "no unmatched call"}},
		{"a call without its reply", []Exchange{{Name: "x", Call: mon.Call, Reply: Fields{}}},
			[]string{"frame 40: no reply"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := matchExchanges(msgs, tc.want)
			if tc.fails == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, s := range tc.fails {
				require.Contains(t, err.Error(), s)
			}
		})
	}
	require.Equal(t, "0x0000002a", XID(42))
	require.Equal(t, "", Bytes(nil))
	require.Equal(t, "00:ff", Bytes([]byte{0, 255}))
}
