//go:build goexperiment.simd && amd64

package kernels

import (
	"simd/archsimd"
	"testing"
)

// TestSIMDRegistered: with GOEXPERIMENT=simd the sum family has its SIMD
// variant, and TestTwinsAgree covers it. Each vector width is checked
// against the naive sum where this CPU has it (calling the AVX-512 path on a
// CPU without it is an illegal instruction, as CI found).
func TestSIMDRegistered(t *testing.T) {
	if _, _, err := Lookup("sum.simd"); err != nil {
		t.Fatal(err)
	}
	f, _, _ := Lookup("sum.simd")
	for _, n := range []int{1, 15, 16, 17, 1 << 12} {
		in := f.NewInput(n, 4)
		x := in.in.([]float64)
		widths := map[string]func([]float64) float64{}
		if archsimd.X86.AVX512() {
			widths["x8"] = sumSIMD8
		}
		if archsimd.X86.AVX() {
			widths["x4"] = sumSIMD4
		}
		if len(widths) == 0 {
			t.Logf("this CPU has neither AVX nor AVX-512: sum.simd runs acc8, which TestTwinsAgree checks")
		}
		for name, f := range widths {
			s := f(x)
			if err := in.Agree(Result{Float: sumRange(x)}, Result{Float: s}); err != nil {
				t.Errorf("sumSIMD%s, n=%d: %v", name, n, err)
			}
		}
	}
}
