//go:build race

package cluster

// raceEnabled: the race detector slows the processes tenfold, so tests of
// timing (traffic moving within a few hundred ms) only check accounting.
const raceEnabled = true
