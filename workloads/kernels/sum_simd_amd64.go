//go:build goexperiment.simd && amd64

package kernels

import "simd/archsimd"

// The SIMD variant of sum, built only with GOEXPERIMENT=simd on amd64:
// four 512-bit (AVX-512) or 256-bit (AVX) vector accumulators, so that 32
// or 16 additions are in flight. Its order of additions is one more summation
// order, so the sum family's bound applies.

func init() {
	addVariant("sum", &Variant{
		Name: "simd",
		Help: "simd/archsimd: four vector accumulators of 8 (AVX-512) or 4 (AVX) lanes",
		run:  func(in any) Result { return Result{Float: sumSIMD(in.([]float64))} },
	})
}

func sumSIMD(x []float64) float64 {
	switch {
	case archsimd.X86.AVX512():
		return sumSIMD8(x)
	case archsimd.X86.AVX():
		return sumSIMD4(x)
	}
	return sumAcc8(x)
}

func sumSIMD8(x []float64) float64 {
	var a, b, c, d archsimd.Float64x8
	i := 0
	for ; i+32 <= len(x); i += 32 {
		p := (*[32]float64)(x[i : i+32]) // one bounds check for four loads
		a = a.Add(archsimd.LoadFloat64x8((*[8]float64)(p[0:8])))
		b = b.Add(archsimd.LoadFloat64x8((*[8]float64)(p[8:16])))
		c = c.Add(archsimd.LoadFloat64x8((*[8]float64)(p[16:24])))
		d = d.Add(archsimd.LoadFloat64x8((*[8]float64)(p[24:32])))
	}
	var lanes [8]float64
	a.Add(b).Add(c.Add(d)).Store(&lanes)
	s := ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
	for ; i < len(x); i++ {
		s += x[i]
	}
	return s
}

func sumSIMD4(x []float64) float64 {
	var a, b, c, d archsimd.Float64x4
	i := 0
	for ; i+16 <= len(x); i += 16 {
		p := (*[16]float64)(x[i : i+16])
		a = a.Add(archsimd.LoadFloat64x4((*[4]float64)(p[0:4])))
		b = b.Add(archsimd.LoadFloat64x4((*[4]float64)(p[4:8])))
		c = c.Add(archsimd.LoadFloat64x4((*[4]float64)(p[8:12])))
		d = d.Add(archsimd.LoadFloat64x4((*[4]float64)(p[12:16])))
	}
	var lanes [4]float64
	a.Add(b).Add(c.Add(d)).Store(&lanes)
	s := (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
	for ; i < len(x); i++ {
		s += x[i]
	}
	return s
}
