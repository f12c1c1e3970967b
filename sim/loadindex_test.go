package sim

import (
	"math/rand/v2"
	"testing"
)

// TestLoadIndexMatchesNaive moves random servers' loads up and down by one
// and checks the index against a scan of the loads after every move: the
// smallest load, how many servers have it, each of them in order, and the
// rank of every server among them.
func TestLoadIndexMatchesNaive(t *testing.T) {
	for _, n := range []int{1, 2, 7, 63, 64, 65, 100, 1000, 4099} {
		r := rand.New(rand.NewPCG(uint64(n), 5))
		servers := make([]srv, n)
		for i := range servers {
			servers[i].load = uint16(r.IntN(3))
		}
		load := loadsOf(servers)
		x := newLoadIndex(servers, nil)
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
				servers[s].load++
			case servers[s].load > 0:
				servers[s].load--
			default:
				continue
			}
			load[s] = int32(servers[s].load)
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
			if op%50 == 0 {
				below := 0
				for i, l := range load {
					if got := x.rank(i); got != below {
						t.Fatalf("n=%d op %d: rank(%d) = %d, want %d", n, op, i, got, below)
					}
					if l == min {
						below++
					}
				}
			}
		}
	}
}

func loadsOf(servers []srv) []int32 {
	load := make([]int32, len(servers))
	for i := range servers {
		load[i] = int32(servers[i].load)
	}
	return load
}

// TestSelectBit checks the position of the r-th set bit against a loop.
func TestSelectBit(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for range 10000 {
		x := r.Uint64() & r.Uint64()
		if r.IntN(4) == 0 {
			x = ^uint64(0) >> r.IntN(64)
		}
		k := 0
		for p := range 64 {
			if x>>p&1 == 1 {
				if got := selectBit(x, k); got != p {
					t.Fatalf("selectBit(%#x, %d) = %d, want %d", x, k, got, p)
				}
				k++
			}
		}
	}
}
