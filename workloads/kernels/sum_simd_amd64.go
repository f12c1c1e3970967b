//go:build goexperiment.simd && amd64

package kernels

import "simd/archsimd"

// The SIMD variant of sum, built only with GOEXPERIMENT=simd on amd64:
// two 512-bit (AVX-512) or 256-bit (AVX) vector accumulators, so that 16 or
// 8 additions are in flight. Its order of additions is one more summation
// order, so the sum family's bound applies.

func init() {
	addVariant("sum", &Variant{
		Name: "simd",
		Help: "simd/archsimd: two vector accumulators of 8 (AVX-512) or 4 (AVX) lanes",
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
	var a, b archsimd.Float64x8
	i := 0
	for ; i+16 <= len(x); i += 16 {
		a = a.Add(archsimd.LoadFloat64x8Slice(x[i:]))
		b = b.Add(archsimd.LoadFloat64x8Slice(x[i+8:]))
	}
	var lanes [8]float64
	a.Add(b).Store(&lanes)
	s := ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
	for ; i < len(x); i++ {
		s += x[i]
	}
	return s
}

func sumSIMD4(x []float64) float64 {
	var a, b archsimd.Float64x4
	i := 0
	for ; i+8 <= len(x); i += 8 {
		a = a.Add(archsimd.LoadFloat64x4Slice(x[i:]))
		b = b.Add(archsimd.LoadFloat64x4Slice(x[i+4:]))
	}
	var lanes [4]float64
	a.Add(b).Store(&lanes)
	s := (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
	for ; i < len(x); i++ {
		s += x[i]
	}
	return s
}
