package sim

import (
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
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(tc.slots), 11))
			h := newEventHeapFor(tc.slots, false)
			l := newLadder(tc.rate, float64(tc.slots)*0.9, ladderHorizon)
			busy := make([]bool, tc.slots)
			now := 0.0
			for op := range 300_000 {
				he, hok := event{}, h.len() > 0
				if hok {
					he = h.top()
				}
				le, lok := l.top()
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
					l.add(int32(s), v)
				case k == 1: // a departure with a job waiting
					now = he.t()
					v := now + tc.delay(r)
					h.replaceTopNoPos(v)
					l.pop()
					l.add(he.slot, v)
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
