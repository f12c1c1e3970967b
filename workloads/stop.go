package workloads

import "sync/atomic"

// Stoppable is a Batch whose tasks can run long (they are calibrated in
// time: a size of 60 × a 1s unit is a minute of work). After SetStop, a
// running task returns early, within a few milliseconds, once *stop is
// true, so that Ctrl-C reaches it; the round it was in is not a
// measurement any more.
type Stoppable interface {
	SetStop(stop *atomic.Bool)
}

// stopEveryNs is how much work a task does between looks at its stop flag.
const stopEveryNs = 1e6

// stopEveryReads is the number of dependent reads between looks (at about
// 100ns a read out of cache, 6.5 ms).
const stopEveryReads = 1 << 16

// SpinStop is Spin returning early once stop (which may be nil) is set.
// It does the same work as Spin: the loop in pieces, its state carried.
func SpinStop(ns float64, stop *atomic.Bool) {
	if ns <= 0 {
		return
	}
	rate := calibration().ItersPerNs
	n := int64(ns*rate + 0.5)
	x := uint64(ns) | 1
	if stop == nil {
		keep(spinLoop(n, x))
		return
	}
	piece := max(int64(stopEveryNs*rate), 1)
	for n > 0 && !stop.Load() {
		k := min(n, piece)
		x = spinLoop(k, x)
		n -= k
	}
	keep(x)
}

// chaseStop is chase returning early once stop (which may be nil) is set;
// the chain of reads is the same.
func chaseStop(words []uint64, n int64, x uint64, stop *atomic.Bool) uint64 {
	if stop == nil {
		return chase(words, n, x)
	}
	for n > 0 && !stop.Load() {
		k := min(n, stopEveryReads)
		x = chase(words, k, x)
		n -= k
	}
	return x
}
