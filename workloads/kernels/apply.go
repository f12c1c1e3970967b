package kernels

import "math/rand/v2"

// The apply family (batching): transform n integers through an interface
// and sum the results. The same arithmetic is called once per item through
// the interface (a dynamic call the compiler cannot inline), or once for
// the whole slice (the "vectorized" style: the loop is inside the method,
// where the call is static and the body inlined). Integer arithmetic wraps,
// so results are exact.

// Transform maps integers one at a time or a slice at a time.
type Transform interface {
	// Apply transforms one value.
	Apply(x uint64) uint64
	// ApplySum transforms every value of xs and returns the sum.
	ApplySum(xs []uint64) uint64
}

// mixer is a multiply-xorshift-add: cheap, so the call is what costs.
type mixer struct{ mul, add uint64 }

func (m mixer) Apply(x uint64) uint64 {
	x *= m.mul
	x ^= x >> 29
	return x + m.add
}

func (m mixer) ApplySum(xs []uint64) uint64 {
	var s uint64
	for _, x := range xs {
		s += m.Apply(x)
	}
	return s
}

// transform is set at run time, so that calls through it stay dynamic.
var transform Transform = mixer{mul: 0x9e3779b97f4a7c15, add: 0x632be59bd9b4e019}

func init() {
	register(&Family{
		Name:      "apply",
		Help:      "transform n integers through an interface and sum them",
		Unit:      "elements",
		N:         1 << 16,
		Agreement: "exact (wrapping integer arithmetic)",
		Variants: []*Variant{
			{Name: "item", Help: "one interface call per item", run: func(in any) Result {
				var s uint64
				for _, x := range in.([]uint64) {
					s += transform.Apply(x)
				}
				return Result{Hash: s}
			}},
			{Name: "slice", Help: "one interface call on the whole slice: the loop runs inside, the per-item call inlined", run: func(in any) Result {
				return Result{Hash: transform.ApplySum(in.([]uint64))}
			}},
		},
		input: func(n int, r *rand.Rand) any {
			x := make([]uint64, n)
			for i := range x {
				x[i] = r.Uint64()
			}
			return x
		},
		prefix: func(in any, n int) any { return in.([]uint64)[:n] },
		work:   func(in any) float64 { return float64(len(in.([]uint64))) },
		agree:  exact,
		ref:    1,
	})
}
