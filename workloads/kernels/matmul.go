package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// The matmul family: C = A·B for n×n matrices of float64s in [-1, 1). All
// variants do the same n³ multiply-adds; they differ in the order they walk
// memory. Work is counted in flops (2n³).
//
// Agreement: each element of C is a dot product of n terms, so two orders
// differ by at most 2·γ(n)·(|A|·|B|)_ij (see the sum family). The result
// kept per call is Σ_ij C_ij, so results must agree within the sum of those
// bounds plus the rounding of the outer sum: 2·γ(n²+n)·Σ_ij (|A|·|B|)_ij.

type matInput struct {
	a, b   []float64 // row-major, the first n rows and columns of stride×stride matrices
	n      int
	stride int
}

func init() {
	register(&Family{
		Name:      "matmul",
		Help:      "multiply two n×n float64 matrices",
		Unit:      "flops",
		N:         256,
		Agreement: "elementwise within 2·γ(n)·(|A||B|)_ij; the sums of C within 2·γ(n²+n)·Σ(|A||B|)_ij",
		Variants: []*Variant{
			{Name: "ijk", Help: "textbook loops: the inner loop walks a column of B, one cache line per multiply", run: func(in any) Result { return matResult(matIJK(in.(matInput))) }},
			{Name: "ikj", Help: "loops reordered: the inner loop walks rows of B and C, contiguous", run: func(in any) Result { return matResult(matIKJ(in.(matInput))) }},
			{Name: "blocked", Help: "ikj on 64×64 tiles of B and C: pays off only once the matrices outgrow the caches", run: func(in any) Result { return matResult(matBlocked(in.(matInput))) }},
			{Name: "gonum", Help: "gonum mat.Dense.Mul (gonum's Go BLAS Dgemm, which may use several goroutines)", run: func(in any) Result { return matResult(matGonum(in.(matInput))) }},
		},
		input: func(n int, r *rand.Rand) any {
			m := matInput{a: make([]float64, n*n), b: make([]float64, n*n), n: n, stride: n}
			for i := range m.a {
				m.a[i] = 2*r.Float64() - 1
				m.b[i] = 2*r.Float64() - 1
			}
			return m
		},
		prefix: func(in any, n int) any {
			m := in.(matInput)
			m.n = min(n, m.stride)
			return m
		},
		work:  func(in any) float64 { n := float64(in.(matInput).n); return 2 * n * n * n },
		agree: matAgree,
		ref:   2,
	})
}

func matResult(c []float64) Result {
	s := 0.0
	for _, v := range c {
		s += v
	}
	return Result{Float: s}
}

// matAbsBound returns 2·γ(k)·(|A||B|)_ij for every element.
func matAbsBound(m matInput, k int) []float64 {
	abs := matInput{a: make([]float64, len(m.a)), b: make([]float64, len(m.b)), n: m.n, stride: m.stride}
	for i := range m.a {
		abs.a[i], abs.b[i] = math.Abs(m.a[i]), math.Abs(m.b[i])
	}
	c := matIKJ(abs)
	g := 2 * gamma(k)
	for i := range c {
		c[i] *= g * (1 + 0x1p-50) // the bound's own rounding
	}
	return c
}

func matAgree(in any, want, got Result) error {
	m := in.(matInput)
	bound := 0.0
	for _, v := range matAbsBound(m, m.n*m.n+m.n) {
		bound += v
	}
	if d := math.Abs(got.Float - want.Float); !(d <= bound) {
		return fmt.Errorf("ΣC %v differs from %v by %g, more than the bound %g", got.Float, want.Float, d, bound)
	}
	return nil
}

func matIJK(m matInput) []float64 {
	n, s := m.n, m.stride
	c := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			sum := 0.0
			for k := 0; k < n; k++ {
				sum += m.a[i*s+k] * m.b[k*s+j]
			}
			c[i*n+j] = sum
		}
	}
	return c
}

func matIKJ(m matInput) []float64 {
	n, s := m.n, m.stride
	c := make([]float64, n*n)
	for i := 0; i < n; i++ {
		ci := c[i*n : i*n+n]
		for k := 0; k < n; k++ {
			aik := m.a[i*s+k]
			bk := m.b[k*s : k*s+n]
			for j, b := range bk {
				ci[j] += aik * b
			}
		}
	}
	return c
}

func matBlocked(m matInput) []float64 {
	const t = 64
	n, s := m.n, m.stride
	c := make([]float64, n*n)
	for kk := 0; kk < n; kk += t {
		for jj := 0; jj < n; jj += t {
			kmax, jmax := min(kk+t, n), min(jj+t, n)
			for i := 0; i < n; i++ {
				ci := c[i*n+jj : i*n+jmax]
				for k := kk; k < kmax; k++ {
					aik := m.a[i*s+k]
					bk := m.b[k*s+jj : k*s+jmax]
					for j, b := range bk {
						ci[j] += aik * b
					}
				}
			}
		}
	}
	return c
}

func matGonum(m matInput) []float64 {
	a := mat.NewDense(m.stride, m.stride, m.a).Slice(0, m.n, 0, m.n)
	b := mat.NewDense(m.stride, m.stride, m.b).Slice(0, m.n, 0, m.n)
	c := mat.NewDense(m.n, m.n, nil)
	c.Mul(a, b)
	return c.RawMatrix().Data
}
