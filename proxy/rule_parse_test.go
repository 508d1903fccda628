package proxy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/rpc"
)

func TestParseRule(t *testing.T) {
	cases := []struct {
		in   string
		want *Rule
		err  bool
	}{
		{in: "prog=100003,vers=3,proc=NFSPROC3_READ,action=status:NFS3ERR_JUKEBOX,count=2",
			want: &Rule{Prog: 100003, Vers: 3, Proc: "NFSPROC3_READ", Action: Status, Status: 10008, Count: 2}},
		{in: "proc=OP_LOOKUP,action=status:NFS4ERR_DELAY", want: &Rule{Proc: "OP_LOOKUP", Action: Status, Status: 10008}},
		{in: "name=*.txt,action=delay:150ms", want: &Rule{Name: "*.txt", Action: Delay, Delay: 150 * time.Millisecond}},
		{in: "action=refuse:SYSTEM_ERR", want: &Rule{Action: Refuse, Accept: rpc.SYSTEM_ERR}},
		{in: "action=status:70000", want: &Rule{Action: Status, Status: 70000}},
		{in: "action=drop", want: &Rule{Action: Drop}},
		{in: "action=close", want: &Rule{Action: Close}},
		{in: "proc=X", err: true},
		{in: "action=explode", err: true},
		{in: "prog=x,action=drop", err: true},
		{in: "action", err: true},
		{in: "action=status:NOPE", err: true},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			r, err := ParseRule(c.in)
			if c.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.want.Prog, r.Prog)
			require.Equal(t, c.want.Vers, r.Vers)
			require.Equal(t, c.want.Proc, r.Proc)
			require.Equal(t, c.want.Name, r.Name)
			require.Equal(t, c.want.Action, r.Action)
			require.Equal(t, c.want.Delay, r.Delay)
			require.Equal(t, c.want.Accept, r.Accept)
			require.Equal(t, c.want.Status, r.Status)
			require.Equal(t, c.want.Count, r.Count)
		})
	}
}
