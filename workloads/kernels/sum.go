package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"

	"gonum.org/v1/gonum/floats"

	"github.com/stratbench/stratbench/strategies"
)

// The sum family: the sum of n float64s, uniform in [-1, 1) so that terms
// cancel and the order of the additions shows in the last bits.
//
// Agreement: a sum of n terms computed in any order differs from the exact
// sum by at most γ(n-1)·Σ|x_i|, γ(k) = k·u/(1-k·u), u = 2⁻⁵³ (Higham,
// Accuracy and Stability of Numerical Algorithms, 2nd ed., §4.2). Two
// orders therefore differ by at most twice that; the variants here (one to
// eight running accumulators, SIMD lanes, per-worker partial sums, gonum's
// unrolled assembly) are all such orders.

func init() {
	register(&Family{
		Name:      "sum",
		Help:      "sum of n float64s",
		Unit:      "elements",
		N:         1 << 16,
		Agreement: "within 2·γ(n-1)·Σ|x|, γ(k) = k·2⁻⁵³/(1-k·2⁻⁵³): the bound of any summation order, twice",
		Variants: []*Variant{
			{Name: "range", Help: "for range loop, one accumulator: every addition waits for the last", run: func(in any) Result { return Result{Float: sumRange(in.([]float64))} }},
			{Name: "acc4", Help: "indexed loop with 4 independent accumulators: 4 additions in flight", run: func(in any) Result { return Result{Float: sumAcc4(in.([]float64))} }},
			{Name: "acc8", Help: "indexed loop with 8 independent accumulators", run: func(in any) Result { return Result{Float: sumAcc8(in.([]float64))} }},
			{Name: "gonum", Help: "gonum floats.Sum: a tuned library (assembly on amd64)", run: func(in any) Result { return Result{Float: floats.Sum(in.([]float64))} }},
			{Name: "parallel", Help: "acc8 on equal blocks, one per core (strategies' static schedule), partial sums added in block order", run: func(in any) Result { return Result{Float: sumParallel(in.([]float64))} }},
		},
		input: func(n int, r *rand.Rand) any {
			x := make([]float64, n)
			for i := range x {
				x[i] = 2*r.Float64() - 1
			}
			return x
		},
		prefix: func(in any, n int) any { return in.([]float64)[:n] },
		work:   func(in any) float64 { return float64(len(in.([]float64))) },
		agree:  sumAgree,
	})
}

// gamma is γ(k) = k·u/(1-k·u) with u = 2⁻⁵³, the unit roundoff of float64.
func gamma(k int) float64 {
	const u = 0x1p-53
	ku := float64(k) * u
	return ku / (1 - ku)
}

// SumBound is the largest difference allowed between two summation orders
// of x: 2·γ(n-1)·Σ|x_i|.
func SumBound(x []float64) float64 {
	abs := 0.0
	for _, v := range x {
		abs += math.Abs(v)
	}
	// Σ|x| itself is computed in floating point; γ(n) instead of γ(n-1)
	// covers that rounding.
	return 2 * gamma(len(x)) * abs
}

func sumAgree(in any, want, got Result) error {
	x := in.([]float64)
	if d, b := math.Abs(got.Float-want.Float), SumBound(x); !(d <= b) {
		return fmt.Errorf("sum %v differs from %v by %g, more than the bound %g", got.Float, want.Float, d, b)
	}
	return nil
}

func sumRange(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

func sumAcc4(x []float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4] // one bounds check for the four loads
		s0 += v[0]
		s1 += v[1]
		s2 += v[2]
		s3 += v[3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func sumAcc8(x []float64) float64 {
	var s0, s1, s2, s3, s4, s5, s6, s7 float64
	i := 0
	for ; i+8 <= len(x); i += 8 {
		v := x[i : i+8 : i+8]
		s0 += v[0]
		s1 += v[1]
		s2 += v[2]
		s3 += v[3]
		s4 += v[4]
		s5 += v[5]
		s6 += v[6]
		s7 += v[7]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

var staticSchedule, _ = strategies.NewSchedule("static", strategies.ScheduleConfig{})

// sumParallel splits x into one block per core; each adds its block with
// eight accumulators into its own cache line.
func sumParallel(x []float64) float64 {
	workers := runtime.GOMAXPROCS(0)
	const pad = 8 // float64s per cache line: no false sharing of partials
	part := make([]float64, workers*pad)
	staticSchedule.Run(len(x), workers, func(w, lo, hi int) {
		part[w*pad] = sumAcc8(x[lo:hi])
	})
	s := 0.0
	for w := 0; w < workers; w++ {
		s += part[w*pad]
	}
	return s
}
