package sim

import (
	"math/rand/v2"
	"testing"
)

// TestLoadIndexMatchesNaive moves random servers' loads up and down by one
// and checks the index against a scan of the loads after every move: the
// smallest load, how many servers have it, and each of them in order.
func TestLoadIndexMatchesNaive(t *testing.T) {
	for _, n := range []int{1, 2, 7, 64, 100, 1000} {
		r := rand.New(rand.NewPCG(uint64(n), 5))
		load := make([]int32, n)
		for i := range load {
			load[i] = int32(r.IntN(3))
		}
		x := newLoadIndex(load)
		for op := range 5000 {
			s := r.IntN(n)
			from := load[s]
			// Drift upwards then drain, so that the minimum moves both ways.
			up := r.IntN(100) < 55
			if op > 2500 {
				up = r.IntN(100) < 45
			}
			switch {
			case up:
				load[s]++
			case load[s] > 0:
				load[s]--
			default:
				continue
			}
			x.moved(s, from, load[s])
			min, at := int32(1<<30), []int{}
			for i, l := range load {
				switch {
				case l < min:
					min, at = l, []int{i}
				case l == min:
					at = append(at, i)
				}
			}
			gotMin, gotCount := x.MinLoad()
			if gotMin != int(min) || gotCount != len(at) {
				t.Fatalf("n=%d op %d: MinLoad = %d, %d; want %d, %d", n, op, gotMin, gotCount, min, len(at))
			}
			for k, want := range at {
				if got := x.NthMinLoaded(k); got != want {
					t.Fatalf("n=%d op %d: NthMinLoaded(%d) = %d, want %d", n, op, k, got, want)
				}
			}
		}
	}
}
