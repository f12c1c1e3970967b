package metrics

import (
	"fmt"
	"math"
)

// BatchEstimate is a batch-means estimate of a steady-state mean.
type BatchEstimate struct {
	// Mean is the mean of the jobs of every batch; Half the half-width of
	// its 95% interval, widened when the batch means are correlated.
	Mean, Half float64
	// Lag1 is the lag-1 autocorrelation of the batch means used.
	Lag1 float64
	// Batches are the batch means used (after merging).
	Batches []float64
	// Negligible: the batch means' correlation is not significant, so they
	// are samples of the mean (a record's Samples).
	Negligible bool
	// OK: there were at least two batches.
	OK bool
}

// BatchMeans estimates a steady-state mean and its 95% interval from the
// means ys of consecutive batches of jobs in arrival order (with job
// counts ns; nil when all are equal; batches with no job are left out):
// batches are merged in pairs down to at most 40, then further while their
// lag-1 autocorrelation exceeds 0.1 and at least 14 remain (the batch size
// grows until the batches are nearly independent: Law and Carson 1979,
// Fishman and Yarberry 1997). A remaining correlation widens the interval
// by the AR(1) variance factor √((1+r)/(1−r)).
func BatchMeans(ys []float64, ns []int64) BatchEstimate {
	var y []float64
	var n []int64
	for i := range ys {
		c := int64(1)
		if ns != nil {
			c = ns[i]
		}
		if c > 0 {
			y, n = append(y, ys[i]), append(n, c)
		}
	}
	for len(y) > 40 || (len(y) >= 14 && Lag1(y) > 0.1) {
		y, n = mergePairs(y, n)
	}
	var e BatchEstimate
	if len(y) < 2 {
		return e
	}
	var sum float64
	var total int64
	for i := range y {
		sum += y[i] * float64(n[i])
		total += n[i]
	}
	_, half := MeanCI(y)
	e.Mean = sum / float64(total)
	e.Lag1 = Lag1(y)
	// Negligible: not significantly positive at 5% (the white-noise band
	// of a sample autocorrelation, 1.645/√n), or below 0.1 anyway.
	e.Negligible = e.Lag1 <= max(0.1, 1.645/math.Sqrt(float64(len(y))))
	if e.Lag1 > 0.1 {
		r := min(e.Lag1, 0.9)
		half *= math.Sqrt((1 + r) / (1 - r))
	}
	e.Half, e.Batches, e.OK = half, y, !math.IsNaN(half)
	return e
}

// mergePairs merges consecutive pairs of batches; an odd last batch joins
// the pair before it.
func mergePairs(ys []float64, ns []int64) ([]float64, []int64) {
	var oy []float64
	var on []int64
	for i := 0; i+1 < len(ys); i += 2 {
		s := ys[i]*float64(ns[i]) + ys[i+1]*float64(ns[i+1])
		n := ns[i] + ns[i+1]
		if i+3 == len(ys) {
			s += ys[i+2] * float64(ns[i+2])
			n += ns[i+2]
		}
		oy, on = append(oy, s/float64(n)), append(on, n)
	}
	return oy, on
}

// Lag1 is the lag-1 sample autocorrelation of xs (0 with fewer than 3).
func Lag1(xs []float64) float64 {
	if len(xs) < 3 {
		return 0
	}
	m := 0.0
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	var num, den float64
	for i, x := range xs {
		den += (x - m) * (x - m)
		if i > 0 {
			num += (x - m) * (xs[i-1] - m)
		}
	}
	if den == 0 {
		return 0
	}
	return num / den
}

// SetBatchCI gives r the batch-means estimate of metric from the means ys
// of consecutive batches of its measured jobs in arrival order (ns jobs
// each): its 95% interval in CI95, the method in Params["ci_method"], and
// the batch means as its Samples only when their lag-1 correlation is at
// most 0.1 (the interval was not widened), so that rankings and benchstat
// treat them as independent only where they nearly are. Samples from one
// run hold that run's noise, not the drift of the machine between runs.
// It warns when there were too few batches to start with, or when they
// stay correlated in a run not marked Params["unstable"] (whose queues
// grow: a longer run would not help).
func (r *Result) SetBatchCI(metric string, ys []float64, ns []int64) {
	if r.Params == nil {
		r.Params = map[string]any{}
	}
	given := 0
	for i := range ys {
		if ns == nil || ns[i] > 0 {
			given++
		}
	}
	e := BatchMeans(ys, ns)
	if !e.OK {
		r.Params["ci_method"] = "none (fewer than 2 batches of jobs)"
		r.Warnings = append(r.Warnings, "too few measured jobs for a confidence interval")
		return
	}
	mu := e.Mean
	if v, ok := r.Metrics[metric]; ok {
		mu = v
	}
	if r.CI95 == nil {
		r.CI95 = map[string][2]float64{}
	}
	r.CI95[metric] = [2]float64{mu - e.Half, mu + e.Half}
	r.Params["ci_method"] = fmt.Sprintf("batch means (%d batches, lag-1 %.2f)", len(e.Batches), e.Lag1)
	if e.Lag1 > 0.1 {
		r.Params["ci_method"] = fmt.Sprintf("batch means (%d batches), widened for their lag-1 correlation %.2f", len(e.Batches), e.Lag1)
	} else {
		if r.Samples == nil {
			r.Samples = map[string][]float64{}
		}
		r.Samples[metric] = e.Batches
	}
	unstable, _ := r.Params["unstable"].(bool)
	switch {
	case given < 10:
		r.Warnings = append(r.Warnings, fmt.Sprintf("only %d batches of jobs: the confidence interval is unreliable", given))
	case e.Lag1 > 0.3 && !unstable:
		r.Warnings = append(r.Warnings, fmt.Sprintf("batch means are correlated (lag-1 %.2f) even at %d batches: the run is short for this load; the interval was widened, but a longer run would make it trustworthy", e.Lag1, len(e.Batches)))
	}
}
