package etcd

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// FuzzDecodeRecord: any key and value decode to a record whose owner is
// the key's, or to an error; never a panic.
func FuzzDecodeRecord(f *testing.F) {
	good, err := json.Marshal(record{Owner: []byte("a"), Principal: "p", Time: time.Unix(1, 0).UTC()})
	require.NoError(f, err)
	f.Add("0000000000000001/61", good)
	f.Add("0000000000000001/62", good)
	f.Add("zz/61", good)
	f.Add("0000000000000001", good)
	f.Add("1/61", []byte("{"))
	f.Add("1/", []byte(`{"owner":null}`))
	f.Fuzz(func(t *testing.T, key string, value []byte) {
		epoch, r, err := decodeRecord(key, value)
		if err != nil {
			return
		}
		e, owner, _ := strings.Cut(key, "/")
		require.Equal(t, owner, hex.EncodeToString(r.Owner))
		want, err := strconv.ParseUint(e, 16, 64)
		require.NoError(t, err)
		require.Equal(t, want, epoch)
	})
}
