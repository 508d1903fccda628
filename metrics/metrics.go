// Package metrics exports an rpc.Stats in the form Prometheus scrapes:
// per program, version and procedure, the calls answered, the calls that
// failed at the RPC level, and a histogram of answer latencies.
//
// A Collector reads the Stats at each scrape; counting stays in the
// Stats' middleware, which costs no allocation per call.
//
//	stats := rpc.NewStats()
//	srv := &nfsd.Server{Stats: stats}
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(metrics.NewCollector(stats, nil))
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
package metrics

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nfskit/nfskit/programs"
	"github.com/nfskit/nfskit/rpc"
)

// Metric names, each with the labels program, version and procedure.
const (
	// CallsName counts the calls answered or dropped.
	CallsName = "nfskit_rpc_calls_total"
	// ErrorsName counts the calls not answered with SUCCESS: RPC-level
	// errors, denied credentials and drops. A procedure's own error
	// status (NFS3ERR_NOENT, say) is a successful RPC.
	ErrorsName = "nfskit_rpc_errors_total"
	// LatencyName is the histogram of answer latencies, in seconds.
	LatencyName = "nfskit_rpc_latency_seconds"
)

// Options configure a Collector.
type Options struct {
	// Programs names programs and procedures in the labels; nil means
	// programs.Table(), every program nfskit describes. A program or
	// procedure it does not name is labelled with its number.
	Programs *rpc.ProgramTable
	// ConstLabels are added to every metric (a node's name, say).
	ConstLabels prometheus.Labels
}

// Collector is a prometheus.Collector of an rpc.Stats.
type Collector struct {
	stats                  *rpc.Stats
	table                  *rpc.ProgramTable
	calls, errors, latency *prometheus.Desc
}

// NewCollector returns a Collector of stats. o may be nil.
func NewCollector(stats *rpc.Stats, o *Options) *Collector {
	if o == nil {
		o = &Options{}
	}
	table := o.Programs
	if table == nil {
		table = programs.Table()
	}
	labels := []string{"program", "version", "procedure"}
	return &Collector{
		stats: stats,
		table: table,
		calls: prometheus.NewDesc(CallsName, "RPC calls answered or dropped, by program, version and procedure.",
			labels, o.ConstLabels),
		errors: prometheus.NewDesc(ErrorsName, "RPC calls not answered with SUCCESS (RPC errors, denied credentials, drops).",
			labels, o.ConstLabels),
		latency: prometheus.NewDesc(LatencyName, "Time from a call's arrival to its answer.",
			labels, o.ConstLabels),
	}
}

// Describe sends the descriptions of the Collector's metrics.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.calls
	ch <- c.errors
	ch <- c.latency
}

// Collect sends the counters of every procedure the Stats has seen.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.stats.Snapshot() {
		labels := c.labels(p)
		ch <- prometheus.MustNewConstMetric(c.calls, prometheus.CounterValue, float64(p.Calls), labels...)
		ch <- prometheus.MustNewConstMetric(c.errors, prometheus.CounterValue, float64(p.Errors), labels...)
		buckets := make(map[float64]uint64, rpc.LatencyBuckets-1)
		var cum, count uint64
		for i, n := range p.Latency {
			count += n
			if i == rpc.LatencyBuckets-1 {
				break // the last bucket is +Inf's
			}
			cum += n
			buckets[bucketBound(i)] = cum
		}
		ch <- prometheus.MustNewConstHistogram(c.latency, count, p.Total.Seconds(), buckets, labels...)
	}
}

// bucketBound is the upper bound, in seconds, of rpc.Stats' latency
// bucket i: 2^i microseconds.
func bucketBound(i int) float64 {
	return (time.Duration(1<<i) * time.Microsecond).Seconds()
}

// labels returns the program, version and procedure labels of p.
func (c *Collector) labels(p rpc.ProcStats) []string {
	prog, proc := strconv.FormatUint(uint64(p.Prog), 10), strconv.FormatUint(uint64(p.Proc), 10)
	if pr, ok := c.table.Lookup(p.Prog, p.Vers); ok {
		prog = programLabel(pr.Name)
		if pp, ok := pr.Procedure(p.Proc); ok {
			proc = procedureLabel(pp.Name)
		}
	}
	return []string{prog, strconv.FormatUint(uint64(p.Vers), 10), proc}
}

// programLabel turns a program's XDR name into a short label:
// NFS_PROGRAM and NFS4_PROGRAM are "nfs" (one program number, one
// label, whatever the version), NLM_PROG "nlm", PMAP_PROG "pmap".
func programLabel(name string) string {
	for _, suffix := range []string{"_PROGRAM", "_PROG"} {
		name = strings.TrimSuffix(name, suffix)
	}
	return strings.ToLower(strings.TrimRight(name, "0123456789"))
}

// procPrefix matches the program part of a procedure's XDR name:
// NFSPROC3_, MOUNTPROC3_, NLMPROC4_, PMAPPROC_, RPCBPROC_.
var procPrefix = regexp.MustCompile(`^[A-Z0-9]*PROC[0-9]*_`)

// procedureLabel turns a procedure's XDR name into the label nfsstat
// would print: NFSPROC3_GETATTR is "getattr", SM_MON is "sm_mon".
func procedureLabel(name string) string {
	return strings.ToLower(procPrefix.ReplaceAllString(name, ""))
}
