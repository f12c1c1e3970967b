//go:build goexperiment.simd && amd64

package kernels

import "testing"

// TestSIMDRegistered: with GOEXPERIMENT=simd the sum family has its SIMD
// variant, and TestTwinsAgree covers it.
func TestSIMDRegistered(t *testing.T) {
	if _, _, err := Lookup("sum.simd"); err != nil {
		t.Fatal(err)
	}
	f, _, _ := Lookup("sum.simd")
	for _, n := range []int{1, 15, 16, 17, 1 << 12} {
		in := f.NewInput(n, 4)
		x := in.in.([]float64)
		for name, s := range map[string]float64{"x8": sumSIMD8(x), "x4": sumSIMD4(x)} {
			if err := in.Agree(Result{Float: sumRange(x)}, Result{Float: s}); err != nil {
				t.Errorf("sumSIMD%s, n=%d: %v", name, n, err)
			}
		}
	}
}
