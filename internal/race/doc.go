// Package race tells tests whether the race detector is on: it makes
// sync.Pool drop items at random, so that counts of allocations on paths
// that reuse pooled memory mean nothing under it.
package race
