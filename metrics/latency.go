package metrics

import (
	"math"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latency records non-negative durations (in any unit) into an HDR histogram
// of fixed memory: recording never allocates. Values are stored with three
// significant digits between Resolution and Resolution·1e12; smaller values
// are recorded as Resolution, larger ones as the maximum, and counted in
// Clamped.
type Latency struct {
	h          *hdrhistogram.Histogram
	resolution float64
	inv        float64
	sum        float64
	// Clamped counts values outside the trackable range.
	Clamped int64
}

const hdrMax = 1_000_000_000_000

// NewLatency returns an empty recorder whose smallest distinguishable value
// is resolution (for example 1e-6 simulator units, or 1e-9 seconds).
func NewLatency(resolution float64) *Latency {
	return &Latency{
		h:          hdrhistogram.New(1, hdrMax, 3),
		resolution: resolution,
		inv:        1 / resolution,
	}
}

// Record adds one value.
func (l *Latency) Record(v float64) {
	l.sum += v
	x := v * l.inv
	var n int64
	switch {
	case !(x >= 1): // also NaN
		n = 1
		if v < 0 || math.IsNaN(v) {
			l.Clamped++
		}
	case x >= hdrMax:
		n = hdrMax
		l.Clamped++
	default:
		n = int64(x)
	}
	_ = l.h.RecordValue(n) // cannot fail: n is in [1, hdrMax]
}

// Count is the number of values recorded.
func (l *Latency) Count() int64 { return l.h.TotalCount() }

// Mean is the exact mean of the recorded values (not the histogram's
// bucketed estimate).
func (l *Latency) Mean() float64 {
	if n := l.h.TotalCount(); n > 0 {
		return l.sum / float64(n)
	}
	return math.NaN()
}

// Quantile returns the value at quantile q in [0, 1], within the histogram's
// three significant digits.
func (l *Latency) Quantile(q float64) float64 {
	if l.h.TotalCount() == 0 {
		return math.NaN()
	}
	return float64(l.h.ValueAtQuantile(q*100)) * l.resolution
}

// Max returns the largest value recorded (to three significant digits).
func (l *Latency) Max() float64 {
	if l.h.TotalCount() == 0 {
		return math.NaN()
	}
	return float64(l.h.Max()) * l.resolution
}

// Merge adds the values recorded in o (which must have the same resolution).
func (l *Latency) Merge(o *Latency) {
	l.h.Merge(o.h)
	l.sum += o.sum
	l.Clamped += o.Clamped
}

// Reset empties the recorder.
func (l *Latency) Reset() {
	l.h.Reset()
	l.sum = 0
	l.Clamped = 0
}

// CDF returns about points (value, cumulative fraction) pairs spread evenly
// over the log of the quantile's tail (1-q), from the median region to the
// maximum, suitable for a CDF chart on a log axis.
func (l *Latency) CDF(points int) [][2]float64 {
	if l.h.TotalCount() == 0 || points < 2 {
		return nil
	}
	out := make([][2]float64, 0, points+1)
	// Quantiles from 0.001 up to 1 - 1e-5 spaced so that the tail is detailed.
	qs := make([]float64, 0, points)
	for i := range points {
		t := float64(i) / float64(points-1)
		var q float64
		if t < 0.5 {
			q = 0.001 + (0.9-0.001)*t*2
		} else {
			q = 1 - 0.1*math.Pow(1e-4, (t-0.5)*2)
		}
		qs = append(qs, q)
	}
	last := -1.0
	for _, q := range qs {
		v := l.Quantile(q)
		if v <= last {
			continue
		}
		out = append(out, [2]float64{v, q})
		last = v
	}
	if mx := l.Max(); mx > last {
		out = append(out, [2]float64{mx, 1})
	} else {
		out[len(out)-1][1] = 1 // the last point is the maximum
	}
	return out
}

// Summarize writes the standard latency metrics of l into m under the given
// prefix: prefix_mean, _p50, _p90, _p95, _p99, _p999, _max.
func (l *Latency) Summarize(m map[string]float64, prefix string) {
	if l.Count() == 0 {
		return
	}
	m[prefix+"_mean"] = l.Mean()
	m[prefix+"_p50"] = l.Quantile(0.50)
	m[prefix+"_p90"] = l.Quantile(0.90)
	m[prefix+"_p95"] = l.Quantile(0.95)
	m[prefix+"_p99"] = l.Quantile(0.99)
	m[prefix+"_p999"] = l.Quantile(0.999)
	m[prefix+"_max"] = l.Max()
}
