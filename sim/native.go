package sim

import (
	"math/rand/v2"
	"unsafe"

	"github.com/stratbench/stratbench/strategies"
)

// The engine picks servers itself for the policies that matter most at
// scale and whose rule is fixed by their definition: p2c (and pod with
// d = 2), jsq, sed with equal speeds, and lwl at FIFO servers. It draws
// from the policy's own random stream (scenario.StreamPolicy) exactly the
// numbers the policy would, in the same order, and chooses the same server
// (TestNativeChangesNothing runs every case both ways and compares the
// records bit for bit), without an interface call per look at a server,
// and for p2c with the next arrival's two servers known, and fetched from
// memory, one arrival ahead. Faults go through the policy (pickUp).

// pickKind says how the engine picks servers.
type pickKind uint8

const (
	pickPolicy pickKind = iota // ask the policy
	pickP2C                    // two distinct servers at random, the less loaded (the first on a tie)
	pickMin                    // the least loaded, ties at random (jsq; sed with equal speeds)
	pickLWL                    // the least work left, ties at random (lwl, FIFO)
)

// useNative lets tests run every policy through its Pick.
var useNative = true

// nativePick returns how the engine can pick for configuration c (defaults
// filled in) with policy pol.
func nativePick(c *Config, pol strategies.Policy, indexed bool) pickKind {
	if !useNative || len(c.Faults) > 0 || c.ViewDelay > 0 {
		return pickPolicy
	}
	if _, ok := pol.(strategies.Observer); ok {
		return pickPolicy
	}
	switch c.Policy {
	case "p2c":
		return pickP2C
	case "pod":
		if c.D == 0 || c.D == 2 {
			return pickP2C
		}
	case "jsq":
		if indexed {
			return pickMin
		}
	case "sed":
		if indexed && equalSpeeds(c.Speeds) {
			return pickMin
		}
	case "lwl":
		if indexed && c.Discipline == FIFO {
			return pickLWL
		}
	}
	return pickPolicy
}

// equalSpeeds reports whether every speed is the same (true for none).
func equalSpeeds(speeds []float64) bool {
	for _, s := range speeds {
		if s != speeds[0] {
			return false
		}
	}
	return true
}

// ones returns n speeds of 1.
func ones(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

// drawP2C draws the two candidates of the arrival after next as
// strategies' SampleDistinct does for two of n (no draw when n <= 2):
// the policy's draws come in the order of the arrivals, so drawing them
// ahead changes none of them. In a large cluster it asks the memory for
// their state, two arrivals before it is read.
func (c *cluster) drawP2C() {
	c.cand[0] = c.cand[1]
	if c.n <= 2 {
		c.cand[1] = [2]int32{0, int32(c.n) - 1}
		return
	}
	a := c.prng.IntN(c.n)
	b := c.prng.IntN(c.n - 1)
	if b >= a {
		b++
	}
	c.cand[1] = [2]int32{int32(a), int32(b)}
	if c.lad != nil { // a large cluster
		prefetch(unsafe.Pointer(&c.srv[a]))
		prefetch(unsafe.Pointer(&c.srv[b]))
	}
}

// pickP2C is pod's Pick with d = 2: of the two candidates, the second only
// if it holds fewer jobs.
func (c *cluster) pickP2C() int {
	a, b := c.cand[0][0], c.cand[0][1]
	s := a
	if la, lb := c.srv[a].load, c.srv[b].load; b != a && (lb < la || la == loadCap && lb == loadCap && c.loadOf(int(b)) < c.loadOf(int(a))) {
		s = b
	}
	c.drawP2C()
	return int(s)
}

// pickMinLoaded is strategies' choice of the least loaded server through a
// load index: one draw among the tied, none without a tie.
func pickMinLoaded(x *loadIndex, r *rand.Rand) int {
	_, ties := x.MinLoad()
	if ties <= 1 {
		return x.NthMinLoaded(0)
	}
	return x.NthMinLoaded(r.IntN(ties))
}
