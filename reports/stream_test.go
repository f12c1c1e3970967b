package reports

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"golang.org/x/perf/benchmath"
)

// TestUTestPMemo holds the remembered U test to benchmath's on random
// samples: sizes 2 to 60, with and without ties, twice each (the second
// time from the memo).
func TestUTestPMemo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 4000 {
		n1, n2 := 2+rng.IntN(59), 2+rng.IntN(59)
		if i%2 == 0 {
			n1, n2 = 2+rng.IntN(12), 2+rng.IntN(30)
		}
		gen := func(n int, shift float64) []float64 {
			xs := make([]float64, n)
			for k := range xs {
				xs[k] = rng.NormFloat64() + shift
				if i%5 == 0 {
					xs[k] = math.Round(xs[k] * 2) // ties
				}
			}
			return xs
		}
		a, b := gen(n1, 0), gen(n2, rng.Float64())
		s1 := benchmath.NewSample(slices.Clone(a), &benchmath.Thresholds{CompareAlpha: Alpha})
		s2 := benchmath.NewSample(slices.Clone(b), &benchmath.Thresholds{CompareAlpha: Alpha})
		want := benchmath.AssumeNothing.Compare(s1, s2).P
		for range 2 {
			if got := uTestP(a, b); got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Fatalf("n=%d,%d: p = %v, benchmath gives %v", n1, n2, got, want)
			}
		}
	}
}
