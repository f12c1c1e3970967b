// The CI gate of compare --fail-on-regression: a regression is a change
// significantly worse than the threshold, not a significant change that
// happens to exceed it. Two builds measured in interleaved rounds are
// judged round by round (paired); two separate runs, unpaired.

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
	// P is the one-sided p-value of "new is worse than old shifted by
	// Margin": of the Wilcoxon signed-rank test of the rounds' log ratios
	// for paired rows, else of the Mann–Whitney U test of the samples;
	// PAdj is P after Holm's correction over every gated benchmark.
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
	// Rounds is the number of interleaved rounds when the rows are paired,
	// else 0.
	Rounds int
	// MinRounds is the fewest paired rounds with which the gate can fail
	// at all: with n rounds the smallest one-sided signed-rank p-value is
	// 2⁻ⁿ, and Holm needs p < Alpha/len(Rows).
	MinRounds int
}

// Gate judges metric (empty: the headline metric, the one that ranks
// strategies: wall time, throughput, response time, time per op) of every
// benchmark the two runs share, Holm-corrected over the benchmarks, so
// that the chance of any false alarm is at most alpha when no benchmark
// changed by more than its margin. A paired comparison (ComparePaired)
// fails a benchmark when its per-round ratios new/old are significantly
// worse than a change of pct percent, by a one-sided Wilcoxon signed-rank
// test of the log ratios against log(1+pct/100) (log(1−pct/100) for
// higher-is-better metrics); noise must then be nil. Two separate runs
// (Compare) fail it when its new samples are worse than its old samples
// shifted by pct percent, plus its A/A noise floor when noise (a
// comparison of two runs of the old build) is given, by a one-sided
// Mann–Whitney U test.
func (c *CompareResult) Gate(pct float64, noise *CompareResult, metric string) *Gate {
	g := &Gate{Threshold: pct, Alpha: c.Alpha, Metric: metric, Rounds: c.Rounds}
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
		if r.Paired != nil {
			gr.P = pairedShiftedTest(r.Paired.LogRatios, r.Better, gr.Margin/100)
		} else {
			gr.P = shiftedUTest(r.oldSamples, r.newSamples, r.Better, gr.Margin/100)
		}
		g.Rows = append(g.Rows, gr)
		if !math.IsNaN(r.Change) {
			changes = append(changes, r.Change*100*float64(r.Better))
		}
	}
	ps := make([]float64, len(g.Rows))
	for i, r := range g.Rows {
		ps[i] = r.P
	}
	for i, p := range holmAdjust(ps) {
		g.Rows[i].PAdj = p
		g.Rows[i].Fail = p < g.Alpha
	}
	if g.Rounds > 0 && len(g.Rows) > 0 {
		// 2⁻ⁿ < alpha/K  ⇔  n > log2(K/alpha).
		g.MinRounds = int(math.Floor(math.Log2(float64(len(g.Rows))/g.Alpha))) + 1
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

// holmAdjust returns the p-values ps adjusted by Holm's step-down
// correction: rejecting those below alpha keeps the chance of any false
// rejection at most alpha.
func holmAdjust(ps []float64) []float64 {
	idx := make([]int, len(ps))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmpFloat(ps[a], ps[b]) })
	adj := make([]float64, len(ps))
	run := 0.0
	for k, i := range idx {
		run = math.Max(run, math.Min(1, float64(len(idx)-k)*ps[i]))
		adj[i] = run
	}
	return adj
}

// pairedShiftedTest is the one-sided p-value that the rounds' log ratios
// log(new/old) lie beyond a change of margin (a fraction) in the worse
// direction: above log(1+margin) for lower-is-better metrics, below
// log(1−margin) for higher-is-better; by the Wilcoxon signed-rank test,
// which needs only that a round's ratio be as likely above as below its
// centre (true of two identical builds run back to back in alternating
// order). With fewer than two rounds it is 1.
func pairedShiftedTest(logRatios []float64, better metrics.Better, margin float64) float64 {
	if len(logRatios) < 2 {
		return 1
	}
	d := make([]float64, len(logRatios))
	if better == metrics.Higher {
		if margin >= 1 {
			return 1 // throughput cannot fall by 100% or more
		}
		t := math.Log(1 - margin)
		for i, x := range logRatios {
			d[i] = t - x
		}
	} else {
		t := math.Log1p(margin)
		for i, x := range logRatios {
			d[i] = x - t
		}
	}
	return signedRankGreater(d)
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

// Method says in one line how the gate decided, for the output: paired
// over interleaved rounds, or unpaired over two separate runs (with or
// without an A/A noise floor).
func (g *Gate) Method() string {
	what := "the headline metric"
	if g.Metric != "" {
		what = g.Metric
	}
	if g.Rounds > 0 {
		return fmt.Sprintf("gate (paired, %d interleaved rounds): %s of %d benchmarks, judged by the ratio new/old within each round, "+
			"whose two builds ran back to back in alternating order so that the machine's drift between rounds cancels; "+
			"a regression is a ratio significantly worse than %g%% (one-sided Wilcoxon signed-rank test of the rounds' log ratios "+
			"against the %g%% change, Holm-corrected over the benchmarks, alpha %g)",
			g.Rounds, what, len(g.Rows), g.Threshold, g.Threshold, g.Alpha)
	}
	noise := "no A/A noise floor (a second run of the old build, given as the noise run, adds one)"
	if g.Noise != "" {
		noise = g.Noise
	}
	return fmt.Sprintf("gate (unpaired, two separate runs): %s of %d benchmarks; a regression is a change significantly worse than %g%% "+
		"(one-sided Mann–Whitney U of new against old shifted by the margin, Holm-corrected over the benchmarks, alpha %g); %s; "+
		"drift of the machine between the runs counts as change (running both builds in interleaved rounds cancels it)",
		what, len(g.Rows), g.Threshold, g.Alpha, noise)
}

// CannotFail says why the gate could not have failed whatever the change,
// or is empty: with n paired rounds the smallest one-sided p-value is 2⁻ⁿ,
// which Holm's correction over K benchmarks must bring under alpha.
func (g *Gate) CannotFail() string {
	if g.Rounds == 0 || g.Rounds >= g.MinRounds {
		return ""
	}
	return fmt.Sprintf("%d rounds cannot fail the gate over %d benchmarks: their smallest p-value is 1/%g, and Holm at alpha %g needs less than %.2g; give %d rounds or more",
		g.Rounds, len(g.Rows), math.Exp2(float64(g.Rounds)), g.Alpha, g.Alpha/float64(len(g.Rows)), g.MinRounds)
}

// Summary is the gate's verdict in a few lines: the method, the drift of
// the whole run (unpaired), and every failure.
func (g *Gate) Summary() string {
	var b strings.Builder
	b.WriteString(g.Method() + "\n")
	if n := len(g.Rows); g.Rounds == 0 && n >= 3 && math.Abs(g.Drift) >= g.Threshold/2 && g.Agree*4 >= 3*n {
		dir := "worse"
		if g.Drift > 0 {
			dir = "better"
		}
		fmt.Fprintf(&b, "drift: %d of %d benchmarks moved together, median %.1f%% %s: the machine changed between the runs, or the change touches everything; run both builds interleaved to tell which\n",
			g.Agree, n, math.Abs(g.Drift), dir)
	}
	if why := g.CannotFail(); why != "" {
		b.WriteString("gate: " + why + "\n")
	}
	fails := g.Failures()
	fmt.Fprintf(&b, "gate: %d of %d benchmarks regressed by more than their margin\n", len(fails), len(g.Rows))
	for _, r := range fails {
		if r.Paired != nil {
			_, interval := pairedDelta(r.CompareRow)
			fmt.Fprintf(&b, "  %s %s %+.1f%% %s (margin %g%%, p=%.3g Holm-corrected, %d rounds)\n", r.Bench, r.Metric, r.Change*100, interval, r.Margin, r.PAdj, r.Paired.Rounds)
			continue
		}
		fmt.Fprintf(&b, "  %s %s %+.1f%% (margin %.1f%%, p=%.3g Holm-corrected)\n", r.Bench, r.Metric, r.Change*100, r.Margin, r.PAdj)
	}
	return b.String()
}
