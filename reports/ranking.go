package reports

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/stratbench/stratbench/metrics"
)

// StrategyKeys are the parameter names that identify the strategy of a
// result, in order of precedence; results that differ only in it are
// compared with each other.
var StrategyKeys = []string{"policy", "executor", "schedule", "kernel", "strategy", "via"}

// StrategyOf returns the strategy key and value of r ("policy", "p2c").
func StrategyOf(r *metrics.Result) (key, value string) {
	for _, k := range StrategyKeys {
		if v, ok := r.Params[k]; ok {
			return k, fmt.Sprint(v)
		}
	}
	return "", r.Name
}

// ScenarioOf returns r's benchmark name without its strategy part: the
// scenario in which strategies compete.
func ScenarioOf(r *metrics.Result) string {
	key, _ := StrategyOf(r)
	parts := strings.Split(r.BenchName(), "/")
	out := parts[:0]
	for _, p := range parts {
		if key != "" && strings.HasPrefix(p, key+"=") {
			continue
		}
		out = append(out, p)
	}
	return strings.Join(out, "/")
}

// Comparison is one strategy measured against the best of its scenario.
type Comparison struct {
	Scenario, Metric string
	Best, Other      string
	// Ratio is how many times better Best is than Other (>= 1), with the
	// half-width of its 95% interval (NaN when an interval is missing).
	Ratio, RatioErr float64
}

// String reads like hyperfine's summary: "p2c ran 3.41 ± 0.12 times faster
// than random" for throughput-like metrics, "... times lower response_mean
// than ..." for the others.
func (c Comparison) String() string {
	err := ""
	if !math.IsNaN(c.RatioErr) {
		err = fmt.Sprintf(" ± %.2f", c.RatioErr)
	}
	_, better := metrics.Describe(c.Metric)
	what := "lower " + c.Metric
	if better == metrics.Higher {
		what = "higher " + c.Metric
	}
	if c.Metric == "wall_sec" || c.Metric == "throughput_per_sec" {
		what = "faster"
		return fmt.Sprintf("%s ran %.2f%s times %s than %s", c.Best, c.Ratio, err, what, c.Other)
	}
	return fmt.Sprintf("%s had %.2f%s times %s than %s", c.Best, c.Ratio, err, what, c.Other)
}

// Rank groups results by scenario and compares every strategy with the best
// one of its scenario on metric. Groups come in first-seen order, and
// within a group the comparisons go from closest to farthest.
func Rank(results []metrics.Result, metric string) [][]Comparison {
	_, better := metrics.Describe(metric)
	var order []string
	groups := map[string][]*metrics.Result{}
	for i := range results {
		r := &results[i]
		if _, ok := r.Metrics[metric]; !ok {
			continue
		}
		s := ScenarioOf(r)
		if _, ok := groups[s]; !ok {
			order = append(order, s)
		}
		groups[s] = append(groups[s], r)
	}
	var out [][]Comparison
	for _, s := range order {
		g := groups[s]
		if len(g) < 2 {
			continue
		}
		best := g[0]
		for _, r := range g[1:] {
			if float64(better)*(r.Metrics[metric]-best.Metrics[metric]) > 0 {
				best = r
			}
		}
		var cs []Comparison
		for _, r := range g {
			if r == best {
				continue
			}
			c := Comparison{Scenario: s, Metric: metric}
			_, c.Best = StrategyOf(best)
			_, c.Other = StrategyOf(r)
			b, o := best.Metrics[metric], r.Metrics[metric]
			eb, eo := halfWidth(best, metric), halfWidth(r, metric)
			if better == metrics.Higher {
				b, o, eb, eo = o, b, eo, eb
			}
			// b and o are now "lower is better" values with b <= o.
			c.Ratio = o / b
			c.RatioErr = c.Ratio * math.Hypot(eo/o, eb/b)
			cs = append(cs, c)
		}
		slices.SortStableFunc(cs, func(x, y Comparison) int {
			switch {
			case x.Ratio < y.Ratio:
				return -1
			case x.Ratio > y.Ratio:
				return 1
			}
			return 0
		})
		out = append(out, cs)
	}
	return out
}

func halfWidth(r *metrics.Result, metric string) float64 {
	ci, ok := r.CI95[metric]
	if !ok {
		return math.NaN()
	}
	return (ci[1] - ci[0]) / 2
}

// WriteRanking writes, for each scenario, which strategy is best on metric
// and by how much, one comparison a line.
func WriteRanking(w io.Writer, results []metrics.Result, metric string) error {
	for _, g := range Rank(results, metric) {
		if _, err := fmt.Fprintf(w, "%s: %s is best on %s\n", g[0].Scenario, g[0].Best, metric); err != nil {
			return err
		}
		for _, c := range g {
			if _, err := fmt.Fprintf(w, "  %s\n", c); err != nil {
				return err
			}
		}
	}
	return nil
}
