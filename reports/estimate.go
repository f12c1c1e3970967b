// Estimates: a metric of a record with its 95% interval, the unit of every
// ranking and comparison.

package reports

import (
	"math"
	"slices"

	"golang.org/x/perf/benchmath"

	"github.com/stratbench/stratbench/metrics"
)

// Estimate is a metric's value with its 95% confidence interval.
type Estimate struct {
	// Center is the reported value (a mean or a median).
	Center float64
	// Lo and Hi bound the 95% interval; both NaN when it is unknown.
	Lo, Hi float64
	// Samples are the per-repetition values, when the record kept them.
	Samples []float64
}

// HasCI reports whether the interval is known.
func (e Estimate) HasCI() bool { return !math.IsNaN(e.Lo) && !math.IsNaN(e.Hi) }

// Half is the half-width of the interval (NaN when unknown).
func (e Estimate) Half() float64 { return (e.Hi - e.Lo) / 2 }

// EstimateOf returns metric of r with its interval: the record's CI95 if it
// has one, else the distribution-free interval of the median of its
// samples (benchmath, as benchstat computes it), else none.
func EstimateOf(r *metrics.Result, metric string) (Estimate, bool) {
	v, hasValue := r.Metrics[metric]
	var ci *[2]float64
	if c, ok := r.CI95[metric]; ok {
		ci = &c
	}
	return estimateOf(v, hasValue, ci, r.Samples[metric])
}

// estimateOf is EstimateOf of a metric given as its value (if it has
// one), its interval (if any) and its samples.
func estimateOf(v float64, hasValue bool, ci *[2]float64, samples []float64) (Estimate, bool) {
	if !hasValue && len(samples) == 0 {
		return Estimate{}, false
	}
	e := Estimate{Center: v, Lo: math.NaN(), Hi: math.NaN(), Samples: samples}
	if ci != nil {
		e.Lo, e.Hi = ci[0], ci[1]
	} else if len(samples) > 1 {
		s := benchmath.NewSample(slices.Clone(samples), &benchmath.DefaultThresholds)
		sum := benchmath.AssumeNothing.Summary(s, 0.95)
		if !hasValue {
			e.Center = sum.Center
		}
		if !math.IsInf(sum.Lo, 0) && !math.IsInf(sum.Hi, 0) {
			e.Lo, e.Hi = sum.Lo, sum.Hi
		}
	}
	if !hasValue && len(samples) == 1 {
		e.Center = samples[0]
	}
	return e, true
}
