package reports

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSignedRankExact checks the exact null distribution against the
// published critical values of the Wilcoxon signed-rank statistic
// (e.g. Hollander & Wolfe, table A.4): for n = 10, P(W⁺ <= 10) = 0.042,
// P(W⁺ <= 8) = 0.024, P(W⁺ <= 5) = 0.010, P(W⁺ <= 3) = 0.005, and
// P(W⁺ = 55) = 1/1024; for n = 20, P(W⁺ <= 52) = 0.025.
func TestSignedRankExact(t *testing.T) {
	// Differences whose positive ranks sum to w: ranks 1..n, the positive
	// ones chosen greedily from the top.
	withW := func(n, w int) []float64 {
		d := make([]float64, n)
		for r := n; r >= 1; r-- {
			d[r-1] = -float64(r)
			if w >= r {
				d[r-1] = float64(r)
				w -= r
			}
		}
		return d
	}
	neg := func(d []float64) []float64 {
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = -x
		}
		return out
	}
	for _, tc := range []struct {
		n, w int
		want float64 // P(W⁺ <= w)
		tol  float64
	}{
		{10, 10, 0.042, 0.0005}, {10, 8, 0.0244, 0.0001}, {10, 5, 0.0098, 0.0001}, {10, 3, 0.0049, 0.0001},
		{10, 0, 1.0 / 1024, 1e-12}, {20, 52, 0.0242, 0.0005}, {6, 0, 1.0 / 64, 1e-12},
	} {
		// P(W⁺ <= w) = P(W⁻ >= n(n+1)/2 - w): the greater-tail of -d.
		got := signedRankGreater(neg(withW(tc.n, tc.w)))
		if math.Abs(got-tc.want) > tc.tol {
			t.Errorf("n=%d: P(W+ <= %d) = %.5f, want %.4f", tc.n, tc.w, got, tc.want)
		}
	}
	if p := signedRankGreater(withW(10, 55)); p != 1.0/1024 {
		t.Errorf("all 10 positive: p = %v, want 1/1024", p)
	}
	if p := signedRankGreater([]float64{0, 0, 0}); p != 1 {
		t.Errorf("all zero: p = %v, want 1", p)
	}
	// Ties get midranks: 1, 1, -1, 2 has ranks 2, 2, 2, 4 and W⁺ = 8 of 10;
	// of the 16 sign patterns, W⁺ >= 8 for {+,+,+,+}(10), three with one
	// of the tied negative (8): 4/16.
	if p := signedRankGreater([]float64{1, 1, -1, 2}); math.Abs(p-4.0/16) > 1e-12 {
		t.Errorf("tied: p = %v, want 0.25", p)
	}
}

// TestSignedRankNormal checks that above the exact limit the normal
// approximation agrees with the exact distribution where both are
// computed.
func TestSignedRankNormal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	d := make([]float64, maxExactSignedRank)
	for i := range d {
		d[i] = rng.NormFloat64() + 0.15
	}
	exact := signedRankGreater(d)
	more := append(d, d...) // 400 differences: the approximation
	approx := signedRankGreater(more)
	if !(exact < 0.05 && approx < exact) {
		t.Errorf("exact p %.4g (n=200), approximate p %.4g (n=400, same data twice): want both small, the second smaller", exact, approx)
	}
	// The approximation at n=200 itself is close to the exact value.
	ranks2, pos := signedRanks(d)
	w2 := 0
	for i, r := range ranks2 {
		if pos[i] {
			w2 += r
		}
	}
	n := float64(len(d))
	z := (float64(w2)/2 - 0.5 - n*(n+1)/4) / math.Sqrt(n*(n+1)*(2*n+1)/24)
	if a := 0.5 * math.Erfc(z/math.Sqrt2); math.Abs(a-exact) > 0.1*exact+1e-4 {
		t.Errorf("normal approximation %.4g against exact %.4g at n=200", a, exact)
	}
}

// TestHodgesLehmann checks the estimate and interval: the estimate of a
// symmetric sample is its centre; the 95% interval at n = 10 is the 9th
// smallest to the 9th largest Walsh average; it covers the true centre
// in about 95% of samples; below 6 values it is unbounded.
func TestHodgesLehmann(t *testing.T) {
	est, lo, hi := hodgesLehmann([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.95)
	// Walsh averages of 1..10 are k/2 for k = 2..20 with multiplicities;
	// the 9th smallest is 3.0 (1,1.5,2,2,2.5,2.5,3,3,3) and by symmetry
	// the 9th largest 8.0.
	if est != 5.5 || lo != 3 || hi != 8 {
		t.Errorf("1..10: est %v [%v, %v], want 5.5 [3, 8]", est, lo, hi)
	}
	if _, lo, hi := hodgesLehmann([]float64{1, 2, 3, 4, 5}, 0.95); !math.IsInf(lo, -1) || !math.IsInf(hi, 1) {
		t.Errorf("5 values: [%v, %v], want unbounded", lo, hi)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	covered, trials := 0, 2000
	for range trials {
		d := make([]float64, 12)
		for i := range d {
			d[i] = 0.3 + rng.NormFloat64()
		}
		if _, lo, hi := hodgesLehmann(d, 0.95); lo <= 0.3 && 0.3 <= hi {
			covered++
		}
	}
	// The exact level at n=12 is 1-2·P(W⁺<=13) = 0.9575.
	if c := float64(covered) / float64(trials); c < 0.94 || c > 0.975 {
		t.Errorf("coverage %.3f of the 95%% interval, want about 0.9575", c)
	}
}

// TestSignedRankLevel checks that the one-sided test holds its level on
// symmetric data (of many shapes) and rejects a shift.
func TestSignedRankLevel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	shapes := map[string]func() float64{
		"normal":  rng.NormFloat64,
		"laplace": func() float64 { return rng.ExpFloat64() * float64(1-2*rng.IntN(2)) },
		"cauchy":  func() float64 { return math.Tan(math.Pi * (rng.Float64() - 0.5)) },
	}
	for name, draw := range shapes {
		rejected := 0
		const trials = 4000
		for range trials {
			d := make([]float64, 15)
			for i := range d {
				d[i] = draw()
			}
			if signedRankGreater(d) < 0.05 {
				rejected++
			}
		}
		// The exact test is conservative: its level is at most 0.05.
		if r := float64(rejected) / trials; r > 0.058 || r < 0.035 {
			t.Errorf("%s: rejected %.3f of null samples at 0.05", name, r)
		}
	}
}
