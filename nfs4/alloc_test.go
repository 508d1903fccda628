package nfs4

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/xdrtest"
	"github.com/nfskit/nfskit/xdr"
)

func TestCompoundReusesMemory(t *testing.T) {
	c, _ := sampleCompoundCall()
	r, _ := sampleCompoundReply()
	cases := map[string]struct {
		v    xdr.Codec
		into xdr.Codec
	}{
		"call":  {&c, new(COMPOUND4args)},
		"reply": {&r, new(COMPOUND4res)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			buf := make([]byte, 0, 4096)
			e := xdr.NewEncoder(buf)
			allocs := testing.AllocsPerRun(50, func() {
				e.Reset(buf)
				require.NoError(t, tc.v.MarshalXDR(e))
			})
			require.Zero(t, allocs, "encoding into a reused buffer")

			b := xdrtest.Encode(t, tc.v)
			d := xdr.NewDecoder(b)
			require.NoError(t, tc.into.UnmarshalXDR(d))
			allocs = testing.AllocsPerRun(50, func() {
				d.Reset(b)
				require.NoError(t, tc.into.UnmarshalXDR(d))
			})
			require.Zero(t, allocs, "decoding into a reused value")
			require.Equal(t, tc.v, tc.into)
		})
	}
}
