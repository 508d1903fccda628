package nfs4

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDelegationOf(t *testing.T) {
	st := Stateid4{Seqid: 3, Other: [12]byte{1}}
	for _, tc := range []struct {
		name string
		d    OpenDelegation4
		ok   bool
	}{
		{"none", OpenDelegation4{DelegationType: OPEN_DELEGATE_NONE}, false},
		{"read", OpenDelegation4{DelegationType: OPEN_DELEGATE_READ, Read: &OpenReadDelegation4{Stateid: st}}, true},
		{"write", OpenDelegation4{DelegationType: OPEN_DELEGATE_WRITE, Write: &OpenWriteDelegation4{Stateid: st}}, true},
		{"read without its body", OpenDelegation4{DelegationType: OPEN_DELEGATE_READ}, false},
		{"none, with a reason", OpenDelegation4{DelegationType: OPEN_DELEGATE_NONE_EXT}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := delegationOf(&tc.d)
			require.Equal(t, tc.ok, ok)
			if ok {
				require.Equal(t, st, got)
			}
		})
	}
}
