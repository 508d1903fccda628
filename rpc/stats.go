package rpc

import (
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Stats counts calls and their latency per program, version and
// procedure: the numbers behind an nfsstat-like report. Install it with
// Middleware; read it with Snapshot. It is safe for concurrent use.
type Stats struct {
	mu    sync.RWMutex
	procs map[procKey]*procCounters
}

type procKey struct{ prog, vers, proc uint32 }

// LatencyBuckets is the number of latency histogram buckets: bucket i
// counts calls answered in less than 2^i microseconds (the last bucket
// takes everything slower).
const LatencyBuckets = 28

type procCounters struct {
	calls, errors atomic.Uint64
	buckets       [LatencyBuckets]atomic.Uint64
	total         atomic.Int64 // nanoseconds
}

// ProcStats is a snapshot of one procedure's counters.
type ProcStats struct {
	Prog, Vers, Proc uint32
	// Calls counts answered and dropped calls.
	Calls uint64
	// Errors counts calls not answered with SUCCESS (RPC-level errors,
	// denials and drops; a procedure's own error status is a SUCCESS
	// reply).
	Errors uint64
	// Latency is the histogram of answer latencies; see LatencyBuckets.
	Latency [LatencyBuckets]uint64
	// Total is the sum of the latencies.
	Total time.Duration
}

// Mean returns the average latency.
func (p ProcStats) Mean() time.Duration {
	if p.Calls == 0 {
		return 0
	}
	return p.Total / time.Duration(p.Calls)
}

// Quantile returns an upper bound of the q-th latency quantile (0 < q <=
// 1): the upper edge of the histogram bucket it falls in.
func (p ProcStats) Quantile(q float64) time.Duration {
	var n uint64
	for _, c := range p.Latency {
		n += c
	}
	if n == 0 {
		return 0
	}
	want := uint64(q * float64(n))
	var seen uint64
	for i, c := range p.Latency {
		seen += c
		if seen >= want && c > 0 {
			return time.Duration(1<<i) * time.Microsecond
		}
	}
	return time.Duration(1<<(LatencyBuckets-1)) * time.Microsecond
}

// NewStats returns empty counters.
func NewStats() *Stats { return &Stats{procs: map[procKey]*procCounters{}} }

// Middleware counts every call passing through it.
func (s *Stats) Middleware(next Handler) Handler {
	return Observe(s.record)(next)
}

func (s *Stats) record(c *Call, o Outcome) {
	k := procKey{c.Prog, c.Vers, c.Proc}
	s.mu.RLock()
	pc := s.procs[k]
	s.mu.RUnlock()
	if pc == nil {
		s.mu.Lock()
		if pc = s.procs[k]; pc == nil {
			pc = new(procCounters)
			s.procs[k] = pc
		}
		s.mu.Unlock()
	}
	pc.calls.Add(1)
	if !o.OK() {
		pc.errors.Add(1)
	}
	pc.total.Add(int64(o.Latency))
	pc.buckets[latencyBucket(o.Latency)].Add(1)
}

func latencyBucket(d time.Duration) int {
	us := uint64(d / time.Microsecond)
	return min(bits.Len64(us), LatencyBuckets-1)
}

// Snapshot returns the counters of every procedure seen, ordered by
// program, version and procedure.
func (s *Stats) Snapshot() []ProcStats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]ProcStats, 0, len(s.procs))
	for k, pc := range s.procs {
		ps := ProcStats{Prog: k.prog, Vers: k.vers, Proc: k.proc,
			Calls: pc.calls.Load(), Errors: pc.errors.Load(), Total: time.Duration(pc.total.Load())}
		for i := range pc.buckets {
			ps.Latency[i] = pc.buckets[i].Load()
		}
		out = append(out, ps)
	}
	slices.SortFunc(out, func(a, b ProcStats) int {
		if a.Prog != b.Prog {
			return cmpUint32(a.Prog, b.Prog)
		}
		if a.Vers != b.Vers {
			return cmpUint32(a.Vers, b.Vers)
		}
		return cmpUint32(a.Proc, b.Proc)
	})
	return out
}

// Program sums the counters of every procedure of one program.
func (s *Stats) Program(prog uint32) ProcStats {
	sum := ProcStats{Prog: prog}
	for _, p := range s.Snapshot() {
		if p.Prog != prog {
			continue
		}
		sum.Calls += p.Calls
		sum.Errors += p.Errors
		sum.Total += p.Total
		for i := range p.Latency {
			sum.Latency[i] += p.Latency[i]
		}
	}
	return sum
}
