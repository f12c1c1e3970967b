//go:build race

package harness

// raceEnabled is true when the race detector, which allocates on its own, is on.
const raceEnabled = true
