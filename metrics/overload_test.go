package metrics

import (
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// TestOverloadWarning checks the per-server stability rule shared by the
// simulator and the harness.
func TestOverloadWarning(t *testing.T) {
	for _, tc := range []struct {
		name             string
		load             float64
		dispatched, busy []float64
		speeds           []float64
		want             string // "" for no warning
	}{
		{"even split", 0.9, []float64{100, 100, 100}, []float64{0.9, 0.9, 0.9}, []float64{1, 1, 1}, ""},
		{"rr ignores speeds", 0.8, []float64{10000, 10000, 10000}, []float64{0.53, 1, 1}, []float64{2, 1, 1}, "2 servers (1, 2) more work than they can serve (up to 107% of capacity)"},
		{"rr ignores speeds, too short to tell", 0.8, []float64{100, 100, 100}, []float64{0.53, 1, 1}, []float64{2, 1, 1}, ""},
		{"overloaded but not busy: noise", 0.8, []float64{100, 100, 100}, []float64{0.5, 0.9, 0.9}, []float64{2, 1, 1}, ""},
		{"one hot server", 0.9, []float64{150, 75, 75}, nil, []float64{1, 1, 1}, "server 0 more work"},
		{"short run, many servers: chance", 0.9, shortRun(100_000, 10), nil, nil, ""},
		{"total load >= 1 is said elsewhere", 1.2, []float64{100, 100}, nil, []float64{1, 1}, ""},
		{"nothing dispatched", 0.5, []float64{0, 0}, nil, []float64{1, 1}, ""},
	} {
		if tc.speeds == nil {
			tc.speeds = ones(len(tc.dispatched))
		}
		got := OverloadWarning("p", tc.load, tc.dispatched, tc.busy, tc.speeds)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func ones(n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = 1
	}
	return xs
}

// shortRun is the dispatch counts of a balanced policy over a short run:
// Poisson counts of mean perServer at each of n servers (drawn
// deterministically), the situation of a p2c run of 10 jobs per server at
// 10^5 servers where hundreds of servers see 30% more jobs than average.
func shortRun(n int, perServer float64) []float64 {
	r := rand.New(rand.NewPCG(1, 2))
	p := distuv.Poisson{Lambda: perServer, Src: r}
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = p.Rand()
	}
	return xs
}
