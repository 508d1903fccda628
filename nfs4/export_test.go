package nfs4

// RaceEnabled tells the package's external tests whether the race
// detector runs, as counts of allocations mean nothing then.
const RaceEnabled = raceEnabled
