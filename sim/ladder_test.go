package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestLadderMatchesHeap drives the ladder and the heap with the same
// operations a FIFO cluster makes (a timer for an idle server, the
// earliest timer moved later, the earliest removed), with delays drawn
// from several distributions (ties on a grid, heavy tails that reach far
// past the wheel, a few enormous ones, bursts of zero delay), and checks
// that both always give the same earliest timer, slot and time.
func TestLadderMatchesHeap(t *testing.T) {
	for _, tc := range []struct {
		name  string
		slots int
		rate  float64 // the ladder's expected rate of departures
		delay func(r *rand.Rand) float64
	}{
		{"exp", 5000, 4500, func(r *rand.Rand) float64 { return r.ExpFloat64() }},
		{"exp, rate guessed wrong", 5000, 50, func(r *rand.Rand) float64 { return r.ExpFloat64() }},
		{"exp, rate guessed wrong the other way", 500, 1e7, func(r *rand.Rand) float64 { return r.ExpFloat64() }},
		{"ties", 3000, 2000, func(r *rand.Rand) float64 { return float64(r.IntN(8)) / 4 }},
		{"zero delays", 300, 300, func(r *rand.Rand) float64 {
			if r.IntN(3) == 0 {
				return 0
			}
			return r.ExpFloat64()
		}},
		{"pareto", 3000, 2700, func(r *rand.Rand) float64 { return math.Pow(r.Float64(), -1/1.2) / 6 }},
		{"enormous", 1000, 900, func(r *rand.Rand) float64 {
			if r.IntN(100) == 0 {
				return 1e300 * r.Float64()
			}
			return r.ExpFloat64()
		}},
	} {
		// As many slot bits as the slots need, and 31: most times then
		// cannot be packed and stay wide.
		for _, wide := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/wide=%v", tc.name, wide), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(tc.slots), 11))
				h := newEventHeapFor(tc.slots, false)
				l := newLadder(tc.slots, tc.rate, float64(tc.slots)*0.9, ladderHorizon)
				if wide {
					l.slotBits = 31
				}
				busy := make([]bool, tc.slots)
				now := 0.0
				for op := range 300_000 {
					he, hok := event{}, h.len() > 0
					if hok {
						he = h.top()
					}
					le, lok := event{}, false
					if x, ok := l.top(); ok {
						le, lok = event{x.key, x.slot}, true
						if x.idlo != uint32(x.slot)*7 || x.arr != float64(x.slot) {
							t.Fatalf("op %d: timer of slot %d carries id %d and arrival %g", op, x.slot, x.idlo, x.arr)
						}
					}
					if hok != lok || he != le || h.len() != l.len() {
						t.Fatalf("op %d: heap top %v (%v, %d timers), ladder top %v (%v, %d timers)", op, he, hok, h.len(), le, lok, l.len())
					}
					switch k := r.IntN(3); {
					case k == 0 || !hok: // an arrival at an idle server
						s := r.IntN(tc.slots)
						if busy[s] {
							continue
						}
						busy[s] = true
						v := now + tc.delay(r)
						h.pushNoPos(int32(s), v)
						l.add(timer{key: math.Float64bits(v), slot: int32(s), idlo: uint32(s) * 7, arr: float64(s)})
					case k == 1: // a departure with a job waiting
						now = he.t()
						v := now + tc.delay(r)
						h.replaceTopNoPos(v)
						l.pop()
						l.add(timer{key: math.Float64bits(v), slot: he.slot, idlo: uint32(he.slot) * 7, arr: float64(he.slot)})
					default: // a departure leaving the server idle
						now = he.t()
						busy[he.slot] = false
						h.popTopNoPos()
						l.pop()
					}
				}
			})
		}
	}
}
