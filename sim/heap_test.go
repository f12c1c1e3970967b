package sim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestEventHeapMatchesNaive drives the indexed heap and a naive twin (a
// slice of times scanned for its minimum) with the same random operations
// (set earlier, set later, add, remove) and checks after each that both
// agree on the earliest time, that the heap's top slot has that time, and
// that every slot's position index is right.
func TestEventHeapMatchesNaive(t *testing.T) {
	for _, tc := range []struct {
		name  string
		slots int
		ties  bool // times on a coarse grid, so that many are equal
	}{
		{"one slot", 1, false},
		{"5 slots", 5, false},
		{"100 slots", 100, false},
		{"100 slots, ties", 100, true},
		{"1000 slots", 1000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(tc.slots), 3))
			h := newEventHeap(tc.slots)
			naive := make([]float64, tc.slots) // -1: no timer
			for i := range naive {
				naive[i] = -1
			}
			draw := func() float64 {
				if tc.ties {
					return float64(r.IntN(20))
				}
				return r.ExpFloat64() * 10
			}
			for op := range 20000 {
				s := r.IntN(tc.slots)
				if r.IntN(5) == 0 {
					h.remove(int32(s))
					naive[s] = -1
				} else {
					v := draw()
					h.set(int32(s), v)
					naive[s] = v
				}
				lo, n := math.Inf(1), 0
				for _, v := range naive {
					if v >= 0 {
						n++
						lo = min(lo, v)
					}
				}
				if h.len() != n {
					t.Fatalf("op %d: heap holds %d timers, naive %d", op, h.len(), n)
				}
				if n == 0 {
					continue
				}
				top := h.top()
				if top.t() != lo || naive[top.slot] != lo {
					t.Fatalf("op %d: heap top is slot %d at %v, the earliest time is %v", op, top.slot, top.t(), lo)
				}
				for i, e := range h.items {
					if h.pos[e.slot] != int32(i) {
						t.Fatalf("op %d: slot %d is at %d, its index says %d", op, e.slot, i, h.pos[e.slot])
					}
				}
			}
		})
	}
}

// TestTimeBitsOrder checks what the heap relies on: for times that are not
// negative (zero, subnormal, normal, +Inf), the order of their bit patterns
// as integers is their order as numbers.
func TestTimeBitsOrder(t *testing.T) {
	special := []float64{0, math.SmallestNonzeroFloat64, 1e-310, 1e-300, 0.5, 1, 1 + 1e-16, 1e300, math.MaxFloat64, math.Inf(1)}
	r := rand.New(rand.NewPCG(1, 2))
	xs := append([]float64(nil), special...)
	for range 1000 {
		xs = append(xs, r.ExpFloat64()*math.Pow(10, float64(r.IntN(40)-20)))
	}
	for _, a := range xs {
		for _, b := range special {
			if (a < b) != (math.Float64bits(a) < math.Float64bits(b)) || (b < a) != (math.Float64bits(b) < math.Float64bits(a)) {
				t.Fatalf("%v and %v order differently as bits", a, b)
			}
		}
	}
}

// TestNoPosMatchesIndexed drives the indexed heap (set, remove) and the
// position-free operations (pushNoPos, replaceTopNoPos, popTopNoPos) with
// the operations a FIFO cluster makes, times with many ties included, and
// checks that their items stay identical, order and all.
func TestNoPosMatchesIndexed(t *testing.T) {
	for _, ties := range []bool{false, true} {
		r := rand.New(rand.NewPCG(7, 7))
		const slots = 300
		a, b := newEventHeap(slots), newEventHeapFor(slots, false)
		busy := make([]bool, slots)
		now := 0.0
		draw := func() float64 {
			if ties {
				return now + float64(r.IntN(4))
			}
			return now + r.ExpFloat64()
		}
		for op := range 100_000 {
			switch k := r.IntN(3); {
			case k == 0 || a.len() == 0: // an arrival at an idle server
				s := r.IntN(slots)
				if busy[s] {
					continue
				}
				busy[s] = true
				v := draw()
				a.set(int32(s), v)
				b.pushNoPos(int32(s), v)
			case k == 1: // a departure with a job waiting
				now = a.top().t()
				v := draw()
				a.set(a.top().slot, v)
				b.replaceTopNoPos(v)
			default: // a departure leaving the server idle
				now = a.top().t()
				busy[a.top().slot] = false
				a.remove(a.top().slot)
				b.popTopNoPos()
			}
			if len(a.items) != len(b.items) {
				t.Fatalf("op %d: %d vs %d items", op, len(a.items), len(b.items))
			}
			for i := range a.items {
				if a.items[i] != b.items[i] {
					t.Fatalf("ties %v, op %d: item %d differs: %v vs %v", ties, op, i, a.items[i], b.items[i])
				}
			}
		}
	}
}
