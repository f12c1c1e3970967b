//go:build race

package balancer

// raceEnabled: the race detector shadows the heap, so tests of memory
// allow more.
const raceEnabled = true
