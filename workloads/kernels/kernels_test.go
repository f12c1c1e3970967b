package kernels

import (
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/stratbench/stratbench/workloads"
)

// sizes are the input sizes every family is tested at: the smallest ones
// exercise the loops' tails (fewer elements than accumulators or lanes),
// the largest the main loops.
var sizes = []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 64, 1000}

// TestTwinsAgree: every variant agrees with its family's naive variant, by
// the family's rule, on random seeded inputs of many sizes.
func TestTwinsAgree(t *testing.T) {
	for _, f := range Families() {
		naive := f.Naive()
		for seed := uint64(1); seed <= 2; seed++ {
			ns := sizes
			if seed == 1 {
				ns = append(ns, f.N) // the default size once: the race detector makes loops slow
			}
			for _, n := range ns {
				if f.Name == "matmul" && n > 100 {
					n = 100 // n³: keep the test fast
				}
				in := f.NewInput(n, seed)
				want := naive.Run(in)
				for _, v := range f.Variants[1:] {
					if err := in.Agree(want, v.Run(in)); err != nil {
						t.Errorf("%s, n=%d, seed %d: %v", v.FullName(), n, seed, err)
					}
				}
			}
		}
	}
}

// exactSum is Σx computed exactly (a float64 sum needs at most about 2100
// bits; 4096 is plenty).
func exactSum(x []float64) float64 {
	s := new(big.Float).SetPrec(4096)
	for _, v := range x {
		s.Add(s, big.NewFloat(v))
	}
	f, _ := s.Float64()
	return f
}

// TestSumNearExact: every sum variant is within γ(n)·Σ|x| (half the twin
// bound) of the exact sum, the bound that makes the twin bound hold.
func TestSumNearExact(t *testing.T) {
	f, _, _ := Lookup("sum.range")
	for _, n := range append(sizes, 1<<16) {
		in := f.NewInput(n, 9)
		x := in.in.([]float64)
		exact := exactSum(x)
		for _, v := range f.Variants {
			got := v.Run(in).Float
			if d, b := math.Abs(got-exact), SumBound(x)/2; d > b {
				t.Errorf("%s, n=%d: %v is %g from the exact sum %v, bound %g", v.FullName(), n, got, d, exact, b)
			}
		}
	}
}

// TestMatmulElementwise: every element of every variant's product is
// within 2·γ(n)·(|A||B|)_ij of the ijk product.
func TestMatmulElementwise(t *testing.T) {
	for _, n := range []int{1, 2, 5, 63, 64, 65, 130} {
		f, _, _ := Lookup("matmul.ijk")
		m := f.NewInput(n, uint64(n)).in.(matInput)
		want := matIJK(m)
		bound := matAbsBound(m, n)
		for name, mul := range map[string]func(matInput) []float64{"ikj": matIKJ, "blocked": matBlocked, "gonum": matGonum} {
			got := mul(m)
			for i := range want {
				if d := math.Abs(got[i] - want[i]); d > bound[i] {
					t.Fatalf("matmul.%s, n=%d: element %d is %v, ijk says %v: off by %g > %g", name, n, i, got[i], want[i], d, bound[i])
				}
			}
		}
		// A strided view must give the same product as a copy.
		big := f.NewInput(n+3, 1).in.(matInput)
		view := big
		view.n = n
		cp := matInput{a: make([]float64, n*n), b: make([]float64, n*n), n: n, stride: n}
		for i := 0; i < n; i++ {
			copy(cp.a[i*n:], big.a[i*big.stride:i*big.stride+n])
			copy(cp.b[i*n:], big.b[i*big.stride:i*big.stride+n])
		}
		if got, want := matIKJ(view), matIKJ(cp); !equalFloats(got, want) {
			t.Errorf("n=%d: the product of a strided view differs from a copy's", n)
		}
	}
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestKnownAnswers pins a few results that are known independently.
func TestKnownAnswers(t *testing.T) {
	cases := []struct {
		kernel string
		n      int
		want   int64
	}{
		{"primes.trial", 100, 25},          // 2, 3, 5, ..., 97
		{"primes.sieve", 1_000_000, 78498}, // π(10⁶)
		{"primes.bitsieve", 1_000_000, 78498},
		{"primes.bitsieve", 3, 1}, // just 2
		{"primes.trial", 2, 0},
		{"primes.bitsieve", 130, 31}, // a bound that is not a multiple of 128
	}
	for _, tc := range cases {
		f, v, err := Lookup(tc.kernel)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.Run(f.NewInput(tc.n, 1)).Int; got != tc.want {
			t.Errorf("%s(%d) = %d, want %d", tc.kernel, tc.n, got, tc.want)
		}
	}
	// Words: "whereupon" appears about once in 60 words, and never overlaps.
	f, v, _ := Lookup("substr.naive")
	text := Input{f, textInput{text: []byte("whereuponwhereupon where upon whereupo whereupon"), word: []byte(needle)}}
	if got := v.Run(text).Int; got != 3 {
		t.Errorf("substr.naive: %d occurrences, want 3", got)
	}
}

func TestLookup(t *testing.T) {
	if _, v, err := Lookup("sum.acc8"); err != nil || v.FullName() != "sum.acc8" {
		t.Errorf("Lookup(sum.acc8) = %v, %v", v, err)
	}
	_, _, err := Lookup("sum.nope")
	if err == nil || !strings.Contains(err.Error(), "sum.acc8") {
		t.Errorf("Lookup(sum.nope): %v; want an error listing the known kernels", err)
	}
	for _, f := range Families() {
		if f.Help == "" || f.Unit == "" || f.Agreement == "" || len(f.Variants) < 2 {
			t.Errorf("family %s is missing help, unit, agreement rule or variants", f.Name)
		}
		for _, v := range f.Variants {
			if v.Help == "" {
				t.Errorf("kernel %s has no help", v.FullName())
			}
		}
	}
}

// TestBatches: every kernel runs as a batch workload, every task once, and
// its results pass the batch's own check; sizes follow the distribution.
func TestBatches(t *testing.T) {
	size, err := workloads.ParseSize("lognormal:sigma=1")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range All() {
		f, _, _ := Lookup(v.FullName())
		n := min(f.N, 200)
		if f.Name == "matmul" {
			n = 16
		}
		b, err := workloads.NewBatch("kernel:"+v.FullName(), workloads.BatchConfig{
			Tasks: 8, Size: size, Unit: time.Microsecond, Seed: 3, Args: map[string]string{"n": itoa(n)},
		})
		if err != nil {
			t.Fatal(err)
		}
		for round := 0; round < 2; round++ {
			b.Reset()
			for i := 0; i < b.Len(); i++ {
				b.Run(i)
			}
			if err := b.Check(); err != nil {
				t.Errorf("%s: %v", v.FullName(), err)
			}
		}
		if amount, unit := b.Work(); amount <= 0 || unit != f.Unit {
			t.Errorf("%s: work %v %q, want a positive amount of %s", v.FullName(), amount, unit, f.Unit)
		}
		b.Reset()
		b.Run(0)
		if err := b.Check(); err == nil {
			t.Errorf("%s: Check passed with tasks not run", v.FullName())
		}
	}
	if _, err := workloads.NewBatch("kernel:sum.acc8", workloads.BatchConfig{Tasks: 1, Args: map[string]string{"m": "3"}}); err == nil {
		t.Error("an unknown argument was accepted")
	}
}

func itoa(n int) string { return strings.TrimSpace(big.NewInt(int64(n)).String()) }
