package reports

import (
	"fmt"
	"io"
	"math"
	"slices"

	"golang.org/x/perf/benchmath"

	"github.com/stratbench/stratbench/metrics"
)

// Alpha is the significance level of the tests behind comparisons.
const Alpha = 0.05

// Comparison is one strategy measured against the best of its scenario.
type Comparison struct {
	Scenario, Metric string
	// Best and Other are the two strategies' labels.
	Best, Other string
	// BestEst and OtherEst are their values with intervals.
	BestEst, OtherEst Estimate
	// Ratio is how many times better Best is than Other (>= 1), with the
	// half-width of its 95% interval propagated to first order from the two
	// intervals (NaN when an interval is missing).
	Ratio, RatioErr float64
	// P is the p-value of a Mann–Whitney U test when both kept samples,
	// else NaN.
	P float64
	// Significant says whether the difference is real at Alpha: by the U
	// test when there are samples, else by non-overlapping intervals.
	// Known is false when neither test was possible.
	Significant, Known bool
	better             metrics.Better
	unit               string
}

// String reads like hyperfine's summary: "pool ran 3.41 ± 0.12 times
// faster than goroutine" for times and rates, "p2c had 2.13 ± 0.05 times
// lower mean response time than random" for latencies, with a note when
// the difference is not significant.
func (c Comparison) String() string {
	err := ""
	if !math.IsNaN(c.RatioErr) {
		err = " ± " + fmtRatio(c.RatioErr)
	}
	var s string
	switch {
	case (isRate(c.Metric, c.unit) || isTime(c.Metric, c.unit)) && !isLatency(c.Metric):
		s = fmt.Sprintf("%s ran %s%s times faster than %s", c.Best, fmtRatio(c.Ratio), err, c.Other)
	default:
		dir := "lower"
		if c.better == metrics.Higher {
			dir = "higher"
		}
		s = fmt.Sprintf("%s had %s%s times %s %s than %s", c.Best, fmtRatio(c.Ratio), err, dir, MetricTitle(c.Metric), c.Other)
	}
	if note := c.SignificanceNote(); note != "" {
		s += " (" + note + ")"
	}
	return s
}

// SignificanceNote says why a difference should not be trusted, or is
// empty when it is significant.
func (c Comparison) SignificanceNote() string {
	switch {
	case !c.Known:
		return "no interval: significance unknown"
	case c.Significant:
		return ""
	case !math.IsNaN(c.P):
		return fmt.Sprintf("~ not significant, p=%.2f", c.P)
	}
	return "~ not significant: intervals overlap"
}

func isLatency(metric string) bool {
	for _, p := range []string{"response_", "wait_", "theory_response"} {
		if len(metric) >= len(p) && metric[:len(p)] == p {
			return true
		}
	}
	return false
}

func fmtRatio(x float64) string {
	switch {
	case math.IsNaN(x):
		return "?"
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.2f", x)
}

// Ranking is one scenario's strategies compared with its best one.
type Ranking struct {
	Scenario string
	Metric   string
	Unit     string
	Better   metrics.Better
	// Best is the winning strategy and its value.
	Best    string
	BestEst Estimate
	// Comparisons go from the closest strategy to the farthest.
	Comparisons []Comparison
	results     []*metrics.Result
}

// Rank groups results by scenario and compares every strategy with the
// best one of its scenario on metric (the scenario's Headline metric when
// metric is empty). Scenarios come in first-seen order; scenarios with a
// single strategy are left out. A strategy that appears twice in one
// scenario is counted once, its first result.
func Rank(results []metrics.Result, metric string, units Units) []Ranking {
	var out []Ranking
	for _, g := range groupByScenario(results) {
		if rk, ok := rankGroup(g, metric, units); ok {
			out = append(out, rk)
		}
	}
	return out
}

func rankGroup(g scenarioGroup, metric string, units Units) (Ranking, bool) {
	// One result per strategy.
	var rs []*metrics.Result
	seen := map[string]bool{}
	for _, r := range g.Results {
		_, s := StrategyOf(r)
		if !seen[s] {
			seen[s] = true
			rs = append(rs, r)
		}
	}
	m := metric
	if m == "" {
		m = Headline(rs)
	}
	type cand struct {
		label string
		est   Estimate
	}
	var cs []cand
	for _, r := range rs {
		if e, ok := EstimateOf(r, m); ok && !math.IsNaN(e.Center) {
			_, s := StrategyOf(r)
			cs = append(cs, cand{s, e})
		}
	}
	if len(cs) < 2 {
		return Ranking{}, false
	}
	unit, better := units.Describe(m)
	// Best first: by value in the better direction.
	slices.SortStableFunc(cs, func(a, b cand) int {
		return cmpFloat(b.est.Center*float64(better), a.est.Center*float64(better))
	})
	rk := Ranking{Scenario: g.Scenario, Metric: m, Unit: unit, Better: better, Best: cs[0].label, BestEst: cs[0].est, results: rs}
	for _, c := range cs[1:] {
		rk.Comparisons = append(rk.Comparisons, compare(g.Scenario, m, unit, better, cs[0].label, c.label, cs[0].est, c.est))
	}
	return rk, true
}

// compare builds the comparison of best against other on metric.
func compare(scenario, metric, unit string, better metrics.Better, best, other string, be, oe Estimate) Comparison {
	c := Comparison{Scenario: scenario, Metric: metric, Best: best, Other: other, BestEst: be, OtherEst: oe,
		P: math.NaN(), better: better, unit: unit}
	b, o := be.Center, oe.Center
	hb, ho := be.Half(), oe.Half()
	if better == metrics.Higher {
		b, o, hb, ho = o, b, ho, hb
	}
	// b and o are now "lower is better" values with b <= o.
	c.Ratio = o / b
	if b == 0 {
		c.Ratio = math.Inf(1)
	}
	c.RatioErr = c.Ratio * math.Hypot(ho/o, hb/b)
	switch {
	case len(be.Samples) > 1 && len(oe.Samples) > 1:
		s1 := benchmath.NewSample(slices.Clone(be.Samples), &benchmath.Thresholds{CompareAlpha: Alpha})
		s2 := benchmath.NewSample(slices.Clone(oe.Samples), &benchmath.Thresholds{CompareAlpha: Alpha})
		cmp := benchmath.AssumeNothing.Compare(s1, s2)
		c.P, c.Known, c.Significant = cmp.P, true, cmp.P < Alpha
	case be.HasCI() && oe.HasCI():
		c.Known = true
		c.Significant = be.Hi < oe.Lo || oe.Hi < be.Lo
	}
	return c
}

// WriteRanking writes, for each scenario, which strategy is best on metric
// (each scenario's headline metric when metric is empty) and by how much,
// one comparison a line.
func WriteRanking(w io.Writer, results []metrics.Result, metric string) error {
	for _, rk := range Rank(results, metric, Units{}) {
		if _, err := fmt.Fprintf(w, "%s: %s is best on %s\n", rk.Scenario, rk.Best, MetricTitle(rk.Metric)); err != nil {
			return err
		}
		for _, c := range rk.Comparisons {
			if _, err := fmt.Fprintf(w, "  %s\n", c); err != nil {
				return err
			}
		}
	}
	return nil
}
