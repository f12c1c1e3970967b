package metrics

import (
	"math"
	"slices"

	"github.com/montanaflynn/stats"
	"gonum.org/v1/gonum/stat/distuv"
)

// MeanCI returns the mean of xs and the half-width of its 95% confidence
// interval by Student's t with len(xs)-1 degrees of freedom, treating the
// values as independent (replication means or batch means). With fewer than
// two values the half-width is NaN.
func MeanCI(xs []float64) (mean, half float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	mean, _ = stats.Mean(xs)
	if len(xs) < 2 {
		return mean, math.NaN()
	}
	sd, _ := stats.StandardDeviationSample(xs)
	return mean, TQuantile975(len(xs)-1) * sd / math.Sqrt(float64(len(xs)))
}

// TQuantile975 is the 0.975 quantile of Student's t with df degrees of freedom.
func TQuantile975(df int) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.Quantile(0.975)
}

// MedianCI returns the median of xs and a distribution-free 95% confidence
// interval for it from order statistics (the binomial method). With too few
// samples for 95% coverage (fewer than 6) the interval is the full range and
// ok is false.
func MedianCI(xs []float64) (median, lo, hi float64, ok bool) {
	n := len(xs)
	if n == 0 {
		return math.NaN(), math.NaN(), math.NaN(), false
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	median, _ = stats.Median(s)
	// Find the widest symmetric pair of order statistics (k, n-1-k) whose
	// coverage P(X_(k) <= m <= X_(n-1-k)) is at least 0.95.
	b := distuv.Binomial{N: float64(n), P: 0.5}
	best := -1
	for k := 0; k < n/2; k++ {
		// coverage = P(k < B <= n-1-k) where B ~ Bin(n, 1/2)
		cov := b.CDF(float64(n-1-k)) - b.CDF(float64(k))
		if cov >= 0.95 {
			best = k
		} else {
			break
		}
	}
	if best < 0 {
		return median, s[0], s[n-1], false
	}
	return median, s[best], s[n-1-best], true
}
