package metrics

import (
	"math/rand/v2"
	"testing"
)

// TestBatchMeansIndependent checks that independent batch means are kept
// as they are (negligible correlation) and that AR(1) means are merged
// until their correlation is small, with a wider interval.
func TestBatchMeansIndependent(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	iid := make([]float64, 960)
	ar := make([]float64, 960)
	x := 0.0
	for i := range iid {
		iid[i] = 1 + r.NormFloat64()
		x = 0.97*x + r.NormFloat64()
		ar[i] = 1 + x
	}
	e := BatchMeans(iid, nil)
	if !e.OK || len(e.Batches) != 30 || !e.Negligible {
		t.Errorf("iid: %d batches, negligible %v, ok %v; want 30, true, true", len(e.Batches), e.Negligible, e.OK)
	}
	f := BatchMeans(ar, nil)
	if len(f.Batches) >= 30 {
		t.Errorf("AR(1) 0.97: still %d batches (lag-1 %.2f), want merged", len(f.Batches), f.Lag1)
	}
	if len(f.Batches) < 7 {
		t.Errorf("AR(1): %d batches, want at least 7", len(f.Batches))
	}
}

// TestBatchMeansCounts: batches weigh by their jobs, and empty batches (a
// window in which no measured job arrived) are left out.
func TestBatchMeansCounts(t *testing.T) {
	e := BatchMeans([]float64{1, 0, 3, 5}, []int64{3, 0, 1, 0})
	if !e.OK || len(e.Batches) != 2 || e.Mean != 1.5 {
		t.Errorf("got %d batches, mean %v, ok %v; want 2, 1.5, true", len(e.Batches), e.Mean, e.OK)
	}
	if e := BatchMeans([]float64{2}, nil); e.OK {
		t.Errorf("one batch: ok, want not")
	}
}

// TestSetBatchCI: nearly independent batch means become the record's
// samples of the metric, with an interval around its value; correlated ones
// are merged into fewer, longer batches, widen the interval, and warn.
func TestSetBatchCI(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	iid, ar := make([]float64, 120), make([]float64, 120)
	x := 0.0
	for i := range iid {
		iid[i] = 2 + 0.1*r.NormFloat64()
		x = 0.99*x + 0.1*r.NormFloat64()
		ar[i] = 2 + x
	}
	var a Result
	a.Metrics = map[string]float64{"response_mean": 2}
	a.SetBatchCI("response_mean", iid, nil)
	if ci := a.CI95["response_mean"]; !(ci[0] < 2 && 2 < ci[1]) || len(a.Samples["response_mean"]) != 30 || len(a.Warnings) != 0 {
		t.Errorf("iid: interval %v, %d samples, warnings %v", ci, len(a.Samples["response_mean"]), a.Warnings)
	}
	var b Result
	b.Metrics = map[string]float64{"response_mean": 2}
	b.SetBatchCI("response_mean", ar, nil)
	wa, wb := a.CI95["response_mean"], b.CI95["response_mean"]
	if n := len(b.Samples["response_mean"]); n >= 30 || len(b.Warnings) != 1 || !(wb[1]-wb[0] > 10*(wa[1]-wa[0])) {
		t.Errorf("AR(1): %d samples, warnings %v, interval %v against iid %v", n, b.Warnings, wb, wa)
	}
	var c Result
	c.SetBatchCI("response_mean", []float64{1}, nil)
	if c.CI95 != nil || c.Params["ci_method"] == nil {
		t.Errorf("one batch: interval %v, method %v", c.CI95, c.Params["ci_method"])
	}
}
