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
// widen the interval, are not samples, and warn unless the run is unstable.
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
	if b.Samples != nil || len(b.Warnings) != 1 || !(wb[1]-wb[0] > 10*(wa[1]-wa[0])) {
		t.Errorf("AR(1): samples %v, warnings %v, interval %v against iid %v", b.Samples, b.Warnings, wb, wa)
	}
	// The same in a run marked unstable: no advice to run longer.
	u := Result{Metrics: map[string]float64{"response_mean": 2}, Params: map[string]any{"unstable": true}}
	u.SetBatchCI("response_mean", ar, nil)
	if len(u.Warnings) != 0 {
		t.Errorf("unstable: warnings %v, want none from the interval", u.Warnings)
	}
	// Few batches to start with warn, however they merge.
	f := Result{Metrics: map[string]float64{"response_mean": 2}}
	f.SetBatchCI("response_mean", iid[:8], nil)
	if len(f.Warnings) != 1 {
		t.Errorf("8 batches: warnings %v, want one", f.Warnings)
	}
	var c Result
	c.SetBatchCI("response_mean", []float64{1}, nil)
	if c.CI95 != nil || c.Params["ci_method"] == nil || len(c.Warnings) != 1 {
		t.Errorf("one batch: interval %v, method %v", c.CI95, c.Params["ci_method"])
	}
}
