package harness

import (
	"math"
	rtmetrics "runtime/metrics"
)

// Runtime counters read around each measured run from runtime/metrics:
// heap allocations (objects and bytes), GC cycles, and the stop-the-world
// pause time of the GC. Small-object counts are tallied per P when a span
// is handed out, so a reading can run ahead by at most a span per size
// class and P: negligible over the many tasks of a run.
var runtimeSamples = []string{
	"/gc/heap/allocs:objects",
	"/gc/heap/allocs:bytes",
	"/gc/cycles/total:gc-cycles",
	"/sched/pauses/total/gc:seconds",
}

// runtimeSnap holds one reading; its samples are reused between readings
// so that reading allocates nothing once warm.
type runtimeSnap struct {
	s []rtmetrics.Sample
}

func newRuntimeSnap() *runtimeSnap {
	s := make([]rtmetrics.Sample, len(runtimeSamples))
	for i, name := range runtimeSamples {
		s[i].Name = name
	}
	return &runtimeSnap{s: s}
}

func (r *runtimeSnap) read() { rtmetrics.Read(r.s) }

func (r *runtimeSnap) uint(i int) uint64 {
	if r.s[i].Value.Kind() != rtmetrics.KindUint64 {
		return 0
	}
	return r.s[i].Value.Uint64()
}

// pauseSum estimates the total GC pause time in seconds from the pause
// histogram: each bucket's count times its midpoint (its finite bound for
// the open-ended buckets).
func (r *runtimeSnap) pauseSum() float64 {
	v := r.s[3].Value
	if v.Kind() != rtmetrics.KindFloat64Histogram {
		return 0
	}
	h := v.Float64Histogram()
	sum := 0.0
	for i, c := range h.Counts {
		if c == 0 {
			continue
		}
		lo, hi := h.Buckets[i], h.Buckets[i+1]
		var mid float64
		switch {
		case math.IsInf(lo, -1):
			mid = hi
		case math.IsInf(hi, 1):
			mid = lo
		default:
			mid = (lo + hi) / 2
		}
		sum += float64(c) * mid
	}
	return sum
}

// runtimeDelta is what the runtime did between two readings.
type runtimeDelta struct {
	allocs, bytes, gcs uint64
	pauseSec           float64
}

func deltaOf(a, b *runtimeSnap) runtimeDelta {
	sub := func(i int) uint64 {
		x, y := a.uint(i), b.uint(i)
		if y < x {
			return 0
		}
		return y - x
	}
	return runtimeDelta{
		allocs:   sub(0),
		bytes:    sub(1),
		gcs:      sub(2),
		pauseSec: max(b.pauseSum()-a.pauseSum(), 0),
	}
}
