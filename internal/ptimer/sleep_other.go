//go:build !linux

package ptimer

// newSleeper returns the sleeper of this system: a Go timer.
func newSleeper() sleeper { return newGoSleeper() }
