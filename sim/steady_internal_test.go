package sim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMSER checks the truncation rule on series whose answer is known: a
// flat noisy series is kept whole (d* early), a transient that settles is
// cut where it settles, and a series still rising at its end puts d* in
// its second half.
func TestMSER(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	noise := func() float64 { return r.NormFloat64() * 0.05 }
	series := func(n int, f func(i int) float64) []float64 {
		ys := make([]float64, n)
		for i := range ys {
			ys[i] = f(i) + noise()
		}
		return ys
	}
	flat := series(400, func(int) float64 { return 1 })
	if d := mser(flat); d > 40 {
		t.Errorf("flat series: d* = %d, want near 0", d)
	}
	settles := series(400, func(i int) float64 { return 2 - math.Exp(-float64(i)/20) })
	if d := mser(settles); d < 30 || d > 200 {
		t.Errorf("transient settling by ~100: d* = %d, want in [30, 200]", d)
	}
	rising := series(400, func(i int) float64 { return float64(i) / 100 })
	if d := mser(rising); 2*d <= 400 {
		t.Errorf("rising series: d* = %d, want in the second half", d)
	}
	if d := mser([]float64{1, 2, 3}); d != -1 {
		t.Errorf("3 values: d* = %d, want -1", d)
	}
}

// TestMSERNaive checks the O(k) rule against its definition computed
// directly for every d.
func TestMSERNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for range 50 {
		ys := make([]float64, 4+r.IntN(100))
		for i := range ys {
			ys[i] = r.ExpFloat64() + 3*math.Exp(-float64(i)/float64(1+r.IntN(30)))
		}
		best, want := math.Inf(1), 0
		for d := 0; len(ys)-d >= min(5, max(2, len(ys)/20)); d++ {
			rest := ys[d:]
			m := mean(rest)
			ss := 0.0
			for _, y := range rest {
				ss += (y - m) * (y - m)
			}
			if v := ss / float64(len(rest)*len(rest)); v <= best*(1+1e-12) {
				if v < best*(1-1e-12) || d > want {
					want = d
				}
				best = min(best, v)
			}
		}
		if got := mser(ys); got != want {
			t.Fatalf("mser(%d values) = %d, naive %d", len(ys), got, want)
		}
	}
}

// TestBatchSeriesMerge checks that merging batches gives the same sums and
// counts as batching with the doubled size from the start.
func TestBatchSeriesMerge(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	a := newBatchSeries(7, 3, 16)
	var ids []uint64
	for id := uint64(7); id < 7+400; id++ {
		ids = append(ids, id)
	}
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	vals := map[uint64]float64{}
	for _, id := range ids {
		vals[id] = float64(id % 13)
		a.add(id, vals[id])
	}
	if len(a.sum) > 16 {
		t.Fatalf("%d batches, max 16", len(a.sum))
	}
	for i := range a.sum {
		var s float64
		var n int64
		for id := 7 + uint64(i)*a.size; id < 7+uint64(i+1)*a.size && id < 407; id++ {
			s += vals[id]
			n++
		}
		if a.sum[i] != s || a.n[i] != n {
			t.Errorf("batch %d (size %d): sum %v n %d, want %v %d", i, a.size, a.sum[i], a.n[i], s, n)
		}
	}
	if got, want := len(a.complete(407)), 400/int(a.size); got != want {
		t.Errorf("complete: %d batches, want %d (size %d)", got, want, a.size)
	}
	if got := len(a.complete(7 + a.size)); got != 1 {
		t.Errorf("complete up to the end of batch 0: %d batches, want 1", got)
	}
}
