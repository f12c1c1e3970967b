// Comparison of two builds measured in interleaved rounds: each round ran
// both builds back to back, so each round's new/old ratio is free of the
// machine's drift between rounds.

package reports

import (
	"fmt"
	"math"
	"slices"

	"golang.org/x/perf/benchmath"

	"github.com/stratbench/stratbench/metrics"
)

// PairedChange is a benchmark metric's change over interleaved rounds.
type PairedChange struct {
	// Rounds is the number of rounds that measured the metric in both
	// builds with positive values: the pairs.
	Rounds int
	// LogRatios are log(new/old) of each pair, old and new being the
	// median of that round's samples of each build, in round order.
	LogRatios []float64
	// Ratio is the Hodges–Lehmann estimate of new/old (the exponential of
	// the median Walsh average of the log ratios); Lo and Hi bound its 95%
	// interval (0 and +Inf when there are too few rounds).
	Ratio, Lo, Hi float64
	// P is the two-sided Wilcoxon signed-rank p-value of "no change".
	P float64
}

// RoundStat is the value a paired comparison takes of one round's
// samples of a build.
type RoundStat string

// The statistics of a round's samples.
const (
	// RoundMedian is the median of the round's samples: the centre, as
	// benchstat's; right when the samples vary for reasons of the code
	// (GC, tails) as well as of the machine.
	RoundMedian RoundStat = "median"
	// RoundBest is the best of the round's samples in the metric's better
	// direction (the lowest time, the highest rate; the median for a
	// metric that describes the run): the sample least disturbed by the
	// rest of the machine. On a busy machine, with many short samples a
	// run, it is far steadier than the median for code whose cost is the
	// same every time; it misses a change that shows only in some samples
	// (more GC, a slower tail).
	RoundBest RoundStat = "best"
)

// RoundStats lists the allowed RoundStat values.
var RoundStats = []RoundStat{RoundMedian, RoundBest}

func (s RoundStat) of(xs []float64, better metrics.Better) float64 {
	if s == RoundBest {
		switch better {
		case metrics.Lower:
			return slices.Min(xs)
		case metrics.Higher:
			return slices.Max(xs)
		}
	}
	return median(xs)
}

func (s RoundStat) describe() string {
	if s == RoundBest {
		return "the best of its samples (the lowest time, the highest rate)"
	}
	return "the median of its samples"
}

// pairedMinRoundsCI is the fewest pairs that give a 95% signed-rank
// interval.
const pairedMinRoundsCI = 6

// ComparePaired compares two builds measured in interleaved rounds:
// old[i] and new[i] are the results of round i of each build. Each round
// gives each build one value per benchmark metric, stat of that round's
// samples (RoundMedian when empty). Every benchmark metric found in both
// builds gets a row whose Old and New summarize the rounds' values, and
// whose change is paired: the ratio new/old of each round's values, its
// Hodges–Lehmann estimate with a 95% interval, and a two-sided Wilcoxon
// signed-rank test of the log ratios at level alpha. A benchmark that
// some round did not measure in both builds is paired over the other
// rounds.
func ComparePaired(old, new []*Set, alpha float64, stat RoundStat) *CompareResult {
	if !(alpha > 0 && alpha < 1) {
		alpha = Alpha
	}
	if stat == "" {
		stat = RoundMedian
	}
	units := mergeUnits(slices.Concat(old, new)...)
	rounds := min(len(old), len(new))
	oldR := make([]map[string]*benchSamples, rounds)
	newR := make([]map[string]*benchSamples, rounds)
	var oorder, norder []string
	pooledOld, pooledNew := map[string]*benchSamples{}, map[string]*benchSamples{}
	pool := func(into map[string]*benchSamples, order *[]string, from map[string]*benchSamples, names []string) {
		for _, name := range names {
			b := from[name]
			p := into[name]
			if p == nil {
				p = &benchSamples{samples: map[string][]float64{}, headline: b.headline}
				into[name] = p
				*order = append(*order, name)
			}
			for _, m := range b.metrics {
				if _, ok := p.samples[m]; !ok {
					p.metrics = append(p.metrics, m)
				}
				p.samples[m] = append(p.samples[m], b.samples[m]...)
			}
		}
	}
	for i := range rounds {
		var on, nn []string
		oldR[i], on = collectSamples(old[i])
		newR[i], nn = collectSamples(new[i])
		pool(pooledOld, &oorder, oldR[i], on)
		pool(pooledNew, &norder, newR[i], nn)
	}
	res := &CompareResult{Alpha: alpha, Rounds: rounds, RoundStat: stat}
	th := &benchmath.Thresholds{CompareAlpha: alpha}
	for _, name := range oorder {
		n, ok := pooledNew[name]
		if !ok {
			res.OnlyOld = append(res.OnlyOld, name)
			continue
		}
		o := pooledOld[name]
		for _, m := range o.metrics {
			nxs, ok := n.samples[m]
			if !ok {
				continue
			}
			row := CompareRow{Bench: name, Metric: m, headline: m == o.headline, oldSamples: o.samples[m], newSamples: nxs}
			row.Unit, row.Better = units.Describe(m)
			pc := &PairedChange{P: 1, Ratio: math.NaN(), Lo: 0, Hi: math.Inf(1)}
			var ovs, nvs []float64
			nonPositive := false
			for i := range rounds {
				ob, nb := oldR[i][name], newR[i][name]
				if ob == nil || nb == nil || len(ob.samples[m]) == 0 || len(nb.samples[m]) == 0 {
					continue
				}
				ov, nv := stat.of(ob.samples[m], row.Better), stat.of(nb.samples[m], row.Better)
				ovs, nvs = append(ovs, ov), append(nvs, nv)
				if ov == nv && !math.IsNaN(ov) {
					pc.LogRatios = append(pc.LogRatios, 0) // also 0 against 0
					continue
				}
				if !(ov > 0 && nv > 0) || math.IsInf(ov, 0) || math.IsInf(nv, 0) {
					nonPositive = true
					continue
				}
				pc.LogRatios = append(pc.LogRatios, math.Log(nv/ov))
			}
			if len(ovs) == 0 {
				// Never in the same round: compare what there is.
				ovs, nvs = o.samples[m], nxs
			}
			s1 := benchmath.NewSample(slices.Clone(ovs), th)
			s2 := benchmath.NewSample(slices.Clone(nvs), th)
			row.OldN, row.NewN = len(s1.Values), len(s2.Values)
			row.Old = benchmath.AssumeNothing.Summary(s1, 0.95)
			row.New = benchmath.AssumeNothing.Summary(s2, 0.95)
			pc.Rounds = len(pc.LogRatios)
			if pc.Rounds > 0 {
				est, lo, hi := hodgesLehmann(pc.LogRatios, 0.95)
				pc.Ratio, pc.Lo, pc.Hi = math.Exp(est), math.Exp(lo), math.Exp(hi)
				pc.P = signedRankTwoSided(pc.LogRatios)
			}
			row.Paired = pc
			row.Change = pc.Ratio - 1
			row.Cmp = benchmath.Comparison{P: pc.P, N1: pc.Rounds, N2: pc.Rounds, Alpha: alpha}
			row.Significant = pc.P < alpha
			row.Worse = row.Significant && float64(row.Better)*row.Change < 0
			switch {
			case pc.Rounds < 2:
				row.Notes = append(row.Notes, "measured in both builds in fewer than 2 rounds: no paired change")
			case pc.Rounds < pairedMinRoundsCI:
				row.Notes = append(row.Notes, fmt.Sprintf("need >= %d rounds for a 95%% interval", pairedMinRoundsCI))
			}
			if nonPositive {
				row.Notes = append(row.Notes, "rounds with a value <= 0 have no ratio: left out")
			}
			res.Rows = append(res.Rows, row)
		}
	}
	for _, name := range norder {
		if _, ok := pooledOld[name]; !ok {
			res.OnlyNew = append(res.OnlyNew, name)
		}
	}
	return res
}

// median of xs (NaN for none); xs is not modified.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// pairedDelta is a paired row's change as written: "+9.81% [+8.12%,
// +11.6%]", "~" with the interval when it is not significant, "?" without
// pairs.
func pairedDelta(r CompareRow) (change, interval string) {
	pc := r.Paired
	if pc.Rounds == 0 || math.IsNaN(pc.Ratio) {
		return "?", ""
	}
	pct := func(x float64) string {
		if math.IsInf(x, 0) || x == 0 {
			return "?"
		}
		return fmt.Sprintf("%+.2f%%", (x-1)*100)
	}
	if pc.Rounds >= pairedMinRoundsCI {
		interval = "[" + pct(pc.Lo) + " " + pct(pc.Hi) + "]"
	}
	if !r.Significant {
		return "~", interval
	}
	return pct(pc.Ratio), interval
}
