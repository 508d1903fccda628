package nlm

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLMCache(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newLMCache(3, time.Minute)
	c.now = func() time.Time { return now }
	key := func(i int) lmKey { return lmKey{host: fmt.Sprintf("192.0.2.%d", i), network: "udp", vers: NLM4_VERS} }
	addr := func(i int) string { return fmt.Sprintf("192.0.2.%d:4045", i) }

	steps := []struct {
		name string
		do   func()
		want map[int]bool // which keys are remembered
	}{
		{"put three", func() {
			for i := 1; i <= 3; i++ {
				c.put(key(i), addr(i))
				now = now.Add(time.Second)
			}
		}, map[int]bool{1: true, 2: true, 3: true}},
		{"full: the one closest to expiry goes", func() { c.put(key(4), addr(4)) }, map[int]bool{2: true, 3: true, 4: true}},
		{"a new address for a key in the cache takes no room", func() { c.put(key(3), "192.0.2.3:999") }, map[int]bool{2: true, 3: true, 4: true}},
		{"drop of another address keeps it", func() { c.drop(key(3), addr(3)) }, map[int]bool{2: true, 3: true, 4: true}},
		{"drop of its address forgets it", func() { c.drop(key(3), "192.0.2.3:999") }, map[int]bool{2: true, 4: true}},
		{"expired addresses are not used", func() { now = now.Add(time.Minute - 2*time.Second) }, map[int]bool{4: true}},
		{"fill again", func() {
			c.put(key(5), addr(5))
			now = now.Add(30 * time.Second)
			c.put(key(6), addr(6))
		}, map[int]bool{5: true, 6: true}},
	}
	for _, s := range steps {
		s.do()
		for i := 1; i <= 6; i++ {
			a, ok := c.get(key(i))
			require.Equal(t, s.want[i], ok, "%s: key %d", s.name, i)
			if ok && i != 3 {
				require.Equal(t, addr(i), a, s.name)
			}
		}
		require.LessOrEqual(t, c.len(), 3, s.name)
	}

	// Full of 1 and 2, expired and not read since, and 3: a new
	// address takes the room of every expired one, and not of 3.
	c = newLMCache(3, time.Minute)
	c.now = func() time.Time { return now }
	for i, at := range map[int]time.Duration{1: 0, 2: 10 * time.Second, 3: 40 * time.Second} {
		now = time.Unix(2000, 0).Add(at)
		c.put(key(i), addr(i))
	}
	now = time.Unix(2000, 0).Add(75 * time.Second)
	require.Equal(t, 3, c.len())
	c.put(key(4), addr(4))
	require.Equal(t, 2, c.len())
	for i, want := range map[int]bool{1: false, 2: false, 3: true, 4: true} {
		_, ok := c.get(key(i))
		require.Equal(t, want, ok, "key %d", i)
	}
}
