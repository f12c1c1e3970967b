//go:build race

package sim_test

// raceEnabled shrinks the runs of theory tests under the race detector,
// which slows the engine about tenfold; tolerances follow the intervals.
const raceEnabled = true
