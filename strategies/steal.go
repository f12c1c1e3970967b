package strategies

import (
	"sync/atomic"
)

// rangeDeque is one worker's deque of consecutive indices [lo, hi), packed
// into one word so that the owner (taking from lo) and thieves (taking from
// hi) agree with a single compare-and-swap. It fills two cache lines so
// that workers' deques never share one.
type rangeDeque struct {
	v atomic.Uint64
	_ [120]byte
}

func pack(lo, hi int) uint64         { return uint64(hi)<<32 | uint64(uint32(lo)) }
func unpack(x uint64) (lo, hi int)   { return int(uint32(x)), int(x >> 32) }
func (d *rangeDeque) set(lo, hi int) { d.v.Store(pack(lo, hi)) }

// stealSegment bounds the indices handled by one round of stealRun, so
// that they fit the packed 32-bit halves.
const stealSegment = 1 << 31

// stealRun calls body(worker, lo, hi) on disjoint chunks covering [0, n)
// from `workers` goroutines. Each worker's deque starts with an equal block;
// the owner takes chunks of max(minChunk, remaining/16) capped at 64 (and
// at least minChunk) from the bottom, and a worker whose deque is empty
// steals the top half of the first non-empty deque it finds, scanning from
// a pseudo-random victim. A worker leaves when it finds every deque empty:
// a range in flight belongs to the thief that took it, so nothing is lost.
func stealRun(n, workers, minChunk int, hooks WorkerHooks, body func(worker, lo, hi int)) {
	minChunk = max(minChunk, 1)
	for base := 0; base < n; base += stealSegment {
		m := min(n-base, stealSegment)
		stealSegmentRun(base, m, clampWorkers(m, workers), minChunk, hooks, body)
	}
}

func stealSegmentRun(base, n, workers, minChunk int, hooks WorkerHooks, body func(worker, lo, hi int)) {
	deques := make([]rangeDeque, workers)
	for w := range deques {
		deques[w].set(w*n/workers, (w+1)*n/workers)
	}
	spawn(workers, hooks, func(w int) {
		own := &deques[w]
		seed := uint64(w)*0x9e3779b97f4a7c15 + 1
		for {
			// Run our own deque from the bottom.
			for {
				x := own.v.Load()
				lo, hi := unpack(x)
				if lo >= hi {
					break
				}
				k := min(max(minChunk, min((hi-lo)/16, 64)), hi-lo)
				if own.v.CompareAndSwap(x, pack(lo+k, hi)) {
					body(w, base+lo, base+lo+k)
				}
			}
			if workers == 1 || !stealInto(deques, w, &seed) {
				return
			}
		}
	})
}

// stealInto moves the top half of another worker's deque into worker w's
// (empty) deque, scanning the victims from a pseudo-random one; it reports
// false when every other deque is empty.
func stealInto(deques []rangeDeque, w int, seed *uint64) bool {
	*seed ^= *seed << 13
	*seed ^= *seed >> 7
	*seed ^= *seed << 17
	n := len(deques)
	first := int(*seed % uint64(n))
	for k := range n {
		v := (first + k) % n
		if v == w {
			continue
		}
		d := &deques[v]
		for {
			x := d.v.Load()
			lo, hi := unpack(x)
			rem := hi - lo
			if rem <= 0 {
				break
			}
			mid := hi - (rem+1)/2
			if d.v.CompareAndSwap(x, pack(lo, mid)) {
				// Only w ever grows its own deque, and thieves never touch
				// an empty one, so a plain store is safe.
				deques[w].set(mid, hi)
				return true
			}
		}
	}
	return false
}
