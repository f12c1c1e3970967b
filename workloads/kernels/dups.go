package kernels

import (
	"math/rand/v2"
	"slices"
)

// The dups family: how many elements repeat an earlier one (n minus the
// number of distinct values), for n integers drawn from [0, 2n) so that
// about a fifth of them are repeats.

func init() {
	register(&Family{
		Name:      "dups",
		Help:      "count the elements equal to an earlier one",
		Unit:      "elements",
		N:         2000,
		Agreement: "exact",
		Variants: []*Variant{
			{Name: "quadratic", Help: "compare each element with every earlier one: O(n²)", run: func(in any) Result { return Result{Int: dupsQuadratic(in.([]uint64))} }},
			{Name: "hash", Help: "a map as a set of the values seen: O(n) expected", run: func(in any) Result { return Result{Int: dupsHash(in.([]uint64))} }},
			{Name: "sort", Help: "sort a copy, count equal neighbours: O(n log n), no hashing", run: func(in any) Result { return Result{Int: dupsSort(in.([]uint64))} }},
		},
		input: func(n int, r *rand.Rand) any {
			x := make([]uint64, n)
			for i := range x {
				x[i] = r.Uint64N(2 * uint64(n))
			}
			return x
		},
		prefix: func(in any, n int) any { return in.([]uint64)[:n] },
		work:   func(in any) float64 { return float64(len(in.([]uint64))) },
		agree:  exact,
		ref:    2,
	})
}

func dupsQuadratic(x []uint64) int64 {
	var n int64
	for i, v := range x {
		for _, w := range x[:i] {
			if v == w {
				n++
				break
			}
		}
	}
	return n
}

func dupsHash(x []uint64) int64 {
	seen := make(map[uint64]struct{}, len(x))
	var n int64
	for _, v := range x {
		if _, ok := seen[v]; ok {
			n++
		} else {
			seen[v] = struct{}{}
		}
	}
	return n
}

func dupsSort(x []uint64) int64 {
	s := slices.Clone(x)
	slices.Sort(s)
	var n int64
	for i := 1; i < len(s); i++ {
		if s[i] == s[i-1] {
			n++
		}
	}
	return n
}
