package remotefile

import (
	"sync"
	"sync/atomic"
)

// Pipeline runs op over [0, n) in chunks of the given size, in order of
// offset, with up to depth of them running at once. op does a whole
// chunk or reports why not; after the first chunk that op leaves short
// (or fails), chunks not yet started are skipped. Pipeline returns the
// bytes done before that chunk plus what op did of it, and its error.
func Pipeline(depth, n, chunk int, op func(lo, hi int) (int, error)) (int, error) {
	count := (n + chunk - 1) / chunk
	bounds := func(i int) (int, int) { return i * chunk, min((i+1)*chunk, n) }
	if count == 1 || depth <= 1 {
		total := 0
		for i := range count {
			lo, hi := bounds(i)
			done, err := op(lo, hi)
			total += done
			if done < hi-lo || err != nil {
				return total, err
			}
		}
		return total, nil
	}
	done := make([]int, count)
	errs := make([]error, count)
	var next, stop atomic.Int64
	stop.Store(int64(count))
	var wg sync.WaitGroup
	for range min(depth, count) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= count || int64(i) > stop.Load() {
					return
				}
				lo, hi := bounds(i)
				done[i], errs[i] = op(lo, hi)
				if done[i] < hi-lo || errs[i] != nil {
					for s := stop.Load(); int64(i) < s && !stop.CompareAndSwap(s, int64(i)); s = stop.Load() {
					}
				}
			}
		})
	}
	wg.Wait()
	total := 0
	for i := range count {
		lo, hi := bounds(i)
		total += done[i]
		if done[i] < hi-lo || errs[i] != nil {
			return total, errs[i]
		}
	}
	return total, nil
}
