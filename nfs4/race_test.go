//go:build race

package nfs4

// raceEnabled: the race detector makes sync.Pool drop items, so counts of
// allocations mean nothing.
const raceEnabled = true
