//go:build !linux

package ptimer

import "time"

// newSleeper returns the sleeper of this system: a Go timer.
func newSleeper() sleeper { return newGoSleeper() }

// sleepThread sleeps about ns nanoseconds.
func sleepThread(ns int64) { time.Sleep(time.Duration(ns)) }
