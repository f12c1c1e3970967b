// The CI gate of compare --fail-on-regression: a regression is a change
// significantly worse than the threshold, not a significant change that
// happens to exceed it.

package reports

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/aclements/go-moremath/stats"

	"github.com/stratbench/stratbench/metrics"
)

// GateRow is one benchmark's headline metric as the gate judged it.
type GateRow struct {
	CompareRow
	// Margin is the change, in percent, that the new run must be
	// significantly worse than to fail: the threshold plus the
	// benchmark's A/A noise floor.
	Margin float64
	// Floor is the benchmark's A/A noise floor in percent (0 without one).
	Floor float64
	// P is the one-sided Mann–Whitney U p-value of "new is worse than old
	// shifted by Margin"; PAdj is P after Holm's correction over every
	// gated benchmark.
	P, PAdj float64
	// Fail says the benchmark regressed: PAdj < alpha.
	Fail bool
}

// Gate is the verdict of the gate on two runs.
type Gate struct {
	Threshold float64
	// Metric is the metric judged; empty means each benchmark's headline.
	Metric string
	Alpha  float64
	Rows   []GateRow
	// Noise says where the noise floors came from, or is empty.
	Noise string
	// Drift is the median change of the gated benchmarks in percent, and
	// Agree how many of them moved in its direction: a whole run that
	// moved together is machine drift or a change that touches every
	// benchmark; the gate reports it and does not decide which.
	Drift float64
	Agree int
}

// Gate judges metric (empty: the headline metric, the one that ranks
// strategies: wall time, throughput, response time, time per op) of every
// benchmark the two runs share: a benchmark fails when its new samples are worse
// than its old samples shifted by pct percent (plus its A/A noise floor,
// when noise, a comparison of two runs of the old build, is given), by a
// one-sided Mann–Whitney U test, Holm-corrected over the benchmarks so
// that the chance of any false alarm is at most alpha when no benchmark
// changed by more than its margin.
func (c *CompareResult) Gate(pct float64, noise *CompareResult, metric string) *Gate {
	g := &Gate{Threshold: pct, Alpha: c.Alpha, Metric: metric}
	judged := func(r CompareRow) bool {
		if metric != "" {
			return r.Metric == metric
		}
		return r.headline
	}
	floors := map[string]float64{}
	if noise != nil {
		g.Noise = "A/A noise floor per benchmark from a second run of the old build"
		for _, r := range noise.Rows {
			if judged(r) && !math.IsNaN(r.Change) {
				floors[r.Bench] = math.Abs(r.Change) * 100
			}
		}
	}
	var changes []float64
	for _, r := range c.Rows {
		if !judged(r) || r.Better == metrics.Neutral {
			continue
		}
		gr := GateRow{CompareRow: r, Floor: floors[r.Bench], P: 1}
		gr.Margin = pct + gr.Floor
		gr.P = shiftedUTest(r.oldSamples, r.newSamples, r.Better, gr.Margin/100)
		g.Rows = append(g.Rows, gr)
		if !math.IsNaN(r.Change) {
			changes = append(changes, r.Change*100*float64(r.Better))
		}
	}
	// Holm's step-down correction over the gated benchmarks.
	idx := make([]int, len(g.Rows))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmpFloat(g.Rows[a].P, g.Rows[b].P) })
	run := 0.0
	for k, i := range idx {
		run = math.Max(run, math.Min(1, float64(len(idx)-k)*g.Rows[i].P))
		g.Rows[i].PAdj = run
		g.Rows[i].Fail = run < g.Alpha
	}
	if len(changes) > 0 {
		slices.Sort(changes)
		g.Drift = changes[len(changes)/2]
		for _, x := range changes {
			if x*g.Drift > 0 {
				g.Agree++
			}
		}
	}
	return g
}

// shiftedUTest is the one-sided p-value that new is worse than old moved
// by margin (a fraction) in the worse direction: for lower-is-better
// metrics, that new is greater than old·(1+margin); for higher-is-better,
// that new is less than old·(1−margin). With fewer than two samples a
// side it is 1: one run cannot show a regression.
func shiftedUTest(old, new []float64, better metrics.Better, margin float64) float64 {
	if len(old) < 2 || len(new) < 2 {
		return 1
	}
	f, alt := 1+margin, stats.LocationGreater
	if better == metrics.Higher {
		f, alt = 1-margin, stats.LocationLess
	}
	shifted := make([]float64, len(old))
	for i, x := range old {
		shifted[i] = x * f
	}
	res, err := stats.MannWhitneyUTest(new, shifted, alt)
	if err != nil {
		// Every value the same on both sides: no evidence either way.
		return 1
	}
	return res.P
}

// Failures are the benchmarks that regressed.
func (g *Gate) Failures() []GateRow {
	var out []GateRow
	for _, r := range g.Rows {
		if r.Fail {
			out = append(out, r)
		}
	}
	return out
}

// Method says in one line how the gate decided, for the output.
func (g *Gate) Method() string {
	noise := "no A/A noise floor (give --noise with a second run of the old build to add one)"
	if g.Noise != "" {
		noise = g.Noise
	}
	what := "the headline metric"
	if g.Metric != "" {
		what = g.Metric
	}
	return fmt.Sprintf("gate: %s of %d benchmarks; a regression is a change significantly worse than %g%% "+
		"(one-sided Mann–Whitney U of new against old shifted by the margin, Holm-corrected over the benchmarks, alpha %g); %s",
		what, len(g.Rows), g.Threshold, g.Alpha, noise)
}

// Summary is the gate's verdict in a few lines: the method, the drift of
// the whole run, and every failure.
func (g *Gate) Summary() string {
	var b strings.Builder
	b.WriteString(g.Method() + "\n")
	if n := len(g.Rows); n >= 3 && math.Abs(g.Drift) >= g.Threshold/2 && g.Agree*4 >= 3*n {
		dir := "worse"
		if g.Drift > 0 {
			dir = "better"
		}
		fmt.Fprintf(&b, "drift: %d of %d benchmarks moved together, median %.1f%% %s: the machine changed between the runs, or the change touches everything; run both builds interleaved to tell which\n",
			g.Agree, n, math.Abs(g.Drift), dir)
	}
	fails := g.Failures()
	fmt.Fprintf(&b, "gate: %d of %d benchmarks regressed by more than their margin\n", len(fails), len(g.Rows))
	for _, r := range fails {
		fmt.Fprintf(&b, "  %s %s %+.1f%% (margin %.1f%%, p=%.3g Holm-corrected)\n", r.Bench, r.Metric, r.Change*100, r.Margin, r.PAdj)
	}
	return b.String()
}
