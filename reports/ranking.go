package reports

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aclements/go-moremath/stats"

	"github.com/stratbench/stratbench/metrics"
	catalog "github.com/stratbench/stratbench/strategies"
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
	// else of a z-test from the two 95% intervals, else NaN. PAdj is P
	// after Holm's correction for the comparisons of its ranking.
	P, PAdj float64
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
		err = " ± " + fmtRatioErr(c.RatioErr, c.Ratio)
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
	case !math.IsNaN(c.PAdj) && c.PAdj != c.P:
		return fmt.Sprintf("~ not significant, p=%s (Holm-corrected)", fmtP(c.PAdj))
	case !math.IsNaN(c.P):
		return fmt.Sprintf("~ not significant, p=%s", fmtP(c.P))
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

// fmtRatioErr formats the ± of ratio with as many decimals as
// fmtRatio gives ratio, or two significant digits when that would round
// it to zero (never "± 0.00").
func fmtRatioErr(x, ratio float64) string {
	r := fmtRatio(ratio)
	d := 0
	if i := strings.IndexByte(r, '.'); i >= 0 {
		d = len(r) - i - 1
	}
	s := strconv.FormatFloat(x, 'f', d, 64)
	if x > 0 && strings.Trim(s, "0.") == "" {
		return fmt.Sprintf("%.2g", x)
	}
	return s
}

// fmtP formats a p-value in two decimals, or as "<0.01".
func fmtP(p float64) string {
	if p < 0.01 {
		return "<0.01"
	}
	return fmt.Sprintf("%.2f", p)
}

// fmtRatio formats a ratio in three significant digits (four close to 1,
// so that a small difference does not read as "1.00").
func fmtRatio(x float64) string {
	switch {
	case math.IsNaN(x):
		return "?"
	case x > 0.995 && x < 1.1:
		return fmt.Sprintf("%.3f", x)
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.2f", x)
}

// RankMethod says, in words for the page, how Rank decides ties.
const RankMethod = "tied for best = not significantly worse than the leader by Holm-corrected pairwise tests at α = 0.05 " +
	"(Mann–Whitney U on the samples when both strategies kept at least 6; Welch's t-test on the logarithms of the samples when both kept 2 to 5; " +
	"else a two-sided z-test from the two 95% intervals); " +
	"a single winner only when it is significantly better than every other deployable strategy. " +
	"Rank intervals: from 1 + the number of strategies significantly better to n − the number significantly worse, " +
	"Holm-corrected over all pairs."

// Entry is one place of a ranking: a strategy, or several whose values
// are exactly the same (an exact tie, written "jsq = sed").
type Entry struct {
	// Names are the strategies of the entry, in input order.
	Names []string
	Est   Estimate
	// RankLo and RankHi bound the entry's rank among the deployable
	// entries (1 is best): the places the data cannot tell apart.
	RankLo, RankHi int
	// Bound marks a reference bound (see strategies.PolicyInfo.Bound).
	Bound bool
}

// Label is the entry's name: "jsq", or "jsq = sed" for an exact tie.
func (e Entry) Label() string { return strings.Join(e.Names, " = ") }

// Ranking is one scenario's deployable strategies ranked on one metric,
// with the set tied for best and the reference bounds beside them.
type Ranking struct {
	Scenario string
	Metric   string
	Unit     string
	Better   metrics.Better
	// Entries are the deployable strategies, best value first.
	Entries []Entry
	// Best lists the strategies tied for best: the leader's and those of
	// every entry not significantly worse than it (see RankMethod).
	Best []string
	// Winner is the label of the leader when it is significantly better
	// than every other entry, else empty (a tie).
	Winner string
	// Leader is the label of the entry with the best value; BestEst is its
	// value.
	Leader  string
	BestEst Estimate
	// Bounds are the reference bounds that ran (central, lwl), best first:
	// the best any dispatcher could do here, not candidates.
	Bounds []Entry
	// BoundGap compares the best bound with the leader (Best is the
	// bound), when a bound ran.
	BoundGap *Comparison
	// Comparisons compare the leader with each other entry, closest first;
	// their significance is Holm-corrected.
	Comparisons []Comparison
	results     []rankInfo
}

// Rank groups results by scenario and ranks the deployable strategies of
// each on metric (the scenario's Headline metric when metric is empty),
// as RankMethod says. Scenarios come in first-seen order; a scenario
// needs two strategies, one of them deployable. A strategy that appears
// twice in one scenario is counted once, its first result.
func Rank(results []metrics.Result, metric string, units Units) []Ranking {
	var rc ranker
	for i := range results {
		rc.add(&results[i], i, ScenarioOf(&results[i]))
	}
	return rc.rank(metric, units, nil)
}

// ranker collects what ranking needs of each result, scenario by
// scenario, without holding the results: a report of a sweep ranks a
// million of them.
type ranker struct {
	groups []*rankGroupAcc
	index  map[string]*rankGroupAcc
	names  [][]string // interned metric name sets
	// Blocks the records and their numbers are cut from.
	recBlock                []rankRec
	recBlockSize            int // of the last block cut
	valueBlock, sampleBlock []float64
}

// rankGroupAcc is one scenario's first result of each strategy.
type rankGroupAcc struct {
	scenario string
	recs     []*rankRec
}

// add records r, the idx-th result of the report, in its scenario.
func (rc *ranker) add(r *metrics.Result, idx int, scenario string) {
	_, label := StrategyOf(r)
	rc.addDerived(r, idx, scenario, label, isBound(r))
}

// addDerived is add with r's strategy label worked out, and whether it is
// a bound.
func (rc *ranker) addDerived(r *metrics.Result, idx int, scenario, label string, bound bool) {
	if rc.index == nil {
		rc.index = map[string]*rankGroupAcc{}
	}
	g := rc.index[scenario]
	if g == nil {
		g = &rankGroupAcc{scenario: scenario}
		rc.index[scenario] = g
		rc.groups = append(rc.groups, g)
	}
	for _, x := range g.recs {
		if x.label == label {
			return
		}
	}
	g.recs = append(g.recs, rc.recOf(r, idx, label, bound))
}

// rank ranks every scenario (on every core) in first-seen order, letting
// go of each scenario's records once ranked; each is passed to keep, when given, and
// kept in the result only if it returns true.
func (rc *ranker) rank(metric string, units Units, keep func(*Ranking) bool) []Ranking {
	var out []Ranking
	type ranked struct {
		rk Ranking
		ok bool
	}
	// Scenarios are ranked on every core, in windows, and kept in order.
	inOrder(len(rc.groups), 4096, func(i int) ranked {
		g := rc.groups[i]
		rk, ok := rankRecs(g.scenario, g.recs, metric, units)
		return ranked{rk, ok}
	}, func(i int, v ranked) error {
		if v.ok && (keep == nil || keep(&v.rk)) {
			v.rk.dropSamples()
			out = append(out, v.rk)
		}
		rc.groups[i] = nil
		return nil
	})
	rc.groups, rc.index, rc.recBlock, rc.valueBlock, rc.sampleBlock = nil, nil, nil, nil, nil
	return out
}

// dropSamples lets go of the samples behind the ranking's estimates, once
// its tests are done: the summary shows values and intervals, and a sweep
// has a million samples sets.
func (rk *Ranking) dropSamples() {
	rk.BestEst.Samples = nil
	for _, es := range [][]Entry{rk.Entries, rk.Bounds} {
		for i := range es {
			es[i].Est.Samples = nil
		}
	}
	for i := range rk.Comparisons {
		rk.Comparisons[i].BestEst.Samples, rk.Comparisons[i].OtherEst.Samples = nil, nil
	}
	if rk.BoundGap != nil {
		rk.BoundGap.BestEst.Samples, rk.BoundGap.OtherEst.Samples = nil, nil
	}
}

// rankRec is what ranking and the summary need of one result: its
// strategy, its metrics with their intervals and samples, and a few flags.
type rankRec struct {
	rankInfo
	bound   bool
	names   []string  // the sorted names of its metrics (shared)
	values  []float64 // by names
	cis     []namedCI
	samples []namedSamples
}

// rankInfo is what the summary needs of a ranked result.
type rankInfo struct {
	idx              int // in the report's results
	label            string
	unstable, warned bool
	unitSec          float64
	hasUnitSec       bool
}

type namedCI struct {
	name string
	ci   [2]float64
}

type namedSamples struct {
	name string
	xs   []float64
}

func (rc *ranker) recOf(r *metrics.Result, idx int, label string, bound bool) *rankRec {
	rec := rc.newRec()
	rec.idx, rec.label, rec.bound, rec.warned = idx, label, bound, len(r.Warnings) > 0
	rec.unstable, _ = r.Params["unstable"].(bool)
	rec.unitSec, rec.hasUnitSec = paramFloat(r, "unit_sec")
	rec.names = rc.internNames(r.Metrics)
	rec.values = cutFloats(&rc.valueBlock, len(rec.names))
	for i, n := range rec.names {
		rec.values[i] = r.Metrics[n]
	}
	if len(r.CI95) > 0 {
		rec.cis = make([]namedCI, 0, len(r.CI95))
		for k, ci := range r.CI95 {
			rec.cis = append(rec.cis, namedCI{k, ci})
		}
	}
	if len(r.Samples) > 0 {
		rec.samples = make([]namedSamples, 0, len(r.Samples))
		for k, xs := range r.Samples {
			dst := cutFloats(&rc.sampleBlock, len(xs))
			copy(dst, xs)
			if xs == nil {
				dst = nil
			}
			rec.samples = append(rec.samples, namedSamples{k, dst})
		}
	}
	return rec
}

// newRec allocates a record from a block of them (a sweep has a million:
// one allocation each would cost their headers and the collector's time),
// each block twice the last, from 8 up to 1024 records (a ranker of one
// scenario, as the charts make hundreds of, needs few).
func (rc *ranker) newRec() *rankRec {
	if len(rc.recBlock) == 0 {
		rc.recBlockSize = min(1024, max(8, 2*rc.recBlockSize))
		rc.recBlock = make([]rankRec, rc.recBlockSize)
	}
	rec := &rc.recBlock[0]
	rc.recBlock = rc.recBlock[1:]
	return rec
}

// cutFloats returns a slice of n floats cut from *block, starting a new
// block when it is full, each twice the last up to 64Ki floats (a ranker
// of one scenario, as the charts make hundreds of, needs few). Values and
// samples have blocks of their own: the rankings keep the samples, the
// values go once ranked.
func cutFloats(block *[]float64, n int) []float64 {
	const size = 1 << 16
	if n > size/4 {
		return make([]float64, n)
	}
	if cap(*block)-len(*block) < n {
		*block = make([]float64, 0, max(4*n, min(size, 2*cap(*block))))
	}
	start := len(*block)
	*block = (*block)[:start+n]
	return (*block)[start : start+n : start+n]
}

// internNames returns the sorted keys of m, the same slice for every
// record with the same metrics (the records of a sweep share a few sets).
func (rc *ranker) internNames(m map[string]float64) []string {
	for i := len(rc.names) - 1; i >= 0 && i >= len(rc.names)-8; i-- {
		if ns := rc.names[i]; len(ns) == len(m) && hasAll(m, ns) {
			return ns
		}
	}
	ns := slices.Sorted(maps.Keys(m))
	rc.names = append(rc.names, ns)
	return ns
}

func hasAll(m map[string]float64, keys []string) bool {
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

func (rec *rankRec) value(m string) (float64, bool) {
	if i, ok := slices.BinarySearch(rec.names, m); ok {
		return rec.values[i], true
	}
	return 0, false
}

func (rec *rankRec) sampleOf(m string) []float64 {
	for _, s := range rec.samples {
		if s.name == m {
			return s.xs
		}
	}
	return nil
}

// has is what Headline asks of a result: a value or samples of m.
func (rec *rankRec) has(m string) bool {
	if _, ok := rec.value(m); ok {
		return true
	}
	for _, s := range rec.samples {
		if s.name == m {
			return true
		}
	}
	return false
}

// estimate is EstimateOf for the record.
func (rec *rankRec) estimate(m string) (Estimate, bool) {
	v, hasValue := rec.value(m)
	var ci *[2]float64
	for i := range rec.cis {
		if rec.cis[i].name == m {
			ci = &rec.cis[i].ci
		}
	}
	return estimateOf(v, hasValue, ci, rec.sampleOf(m))
}

// headlineRecs is Headline for ranking records.
func headlineRecs(rs []*rankRec) string {
	if len(rs) == 0 {
		return ""
	}
	return pickHeadline(rs[0].names, func(m string) bool {
		for _, r := range rs {
			if !r.has(m) {
				return false
			}
		}
		return true
	})
}

// isBound reports whether the strategy of r is a reference bound: a
// policy the catalogue marks so.
func isBound(r *metrics.Result) bool {
	return isBoundParts(r, nameParts(r.Name))
}

// isBoundParts is isBound with r's name split into parts.
func isBoundParts(r *metrics.Result, parts []part) bool {
	for _, p := range parts {
		if p.key == "policy" {
			return catalog.IsBound(p.value)
		}
	}
	if v, ok := r.Params["policy"].(string); ok {
		key, _ := StrategyOf(r)
		return key == "policy" && catalog.IsBound(v)
	}
	return false
}

// sameValues reports whether two estimates are exactly the same: the same
// value, interval and samples (an exact tie, such as two policies that
// make the same choices under the same random streams).
func sameValues(a, b Estimate) bool {
	eq := func(x, y float64) bool { return x == y || (math.IsNaN(x) && math.IsNaN(y)) }
	return eq(a.Center, b.Center) && eq(a.Lo, b.Lo) && eq(a.Hi, b.Hi) && slices.Equal(a.Samples, b.Samples)
}

// rankGroup ranks one scenario's results (the first of each strategy).
func rankGroup(g scenarioGroup, metric string, units Units) (Ranking, bool) {
	var rc ranker
	for _, r := range g.Results {
		rc.add(r, -1, g.Scenario)
	}
	if len(rc.groups) == 0 {
		return Ranking{}, false
	}
	return rankRecs(g.Scenario, rc.groups[0].recs, metric, units)
}

// rankRecs ranks one scenario's records (one per strategy) on metric, or
// on their Headline metric when metric is empty.
func rankRecs(scenario string, rs []*rankRec, metric string, units Units) (Ranking, bool) {
	m := metric
	if m == "" {
		m = headlineRecs(rs)
	}
	unit, better := units.Describe(m)
	var deploy, bounds []Entry
	for _, r := range rs {
		e, ok := r.estimate(m)
		if !ok || math.IsNaN(e.Center) {
			continue
		}
		s := r.label
		list := &deploy
		if r.bound {
			list = &bounds
		}
		if i := slices.IndexFunc(*list, func(x Entry) bool { return sameValues(x.Est, e) }); i >= 0 {
			(*list)[i].Names = append((*list)[i].Names, s)
			continue
		}
		*list = append(*list, Entry{Names: []string{s}, Est: e, Bound: list == &bounds})
	}
	if len(deploy) == 0 || len(deploy)+len(bounds) < 2 {
		return Ranking{}, false
	}
	// Best first: by value in the better direction.
	byValue := func(a, b Entry) int {
		return cmpFloat(b.Est.Center*float64(better), a.Est.Center*float64(better))
	}
	slices.SortStableFunc(deploy, byValue)
	slices.SortStableFunc(bounds, byValue)
	rk := Ranking{Scenario: scenario, Metric: m, Unit: unit, Better: better, Entries: deploy, Bounds: bounds,
		Leader: deploy[0].Label(), BestEst: deploy[0].Est, results: make([]rankInfo, len(rs))}
	for i, r := range rs {
		rk.results[i] = r.rankInfo
	}
	lead := deploy[0]
	for _, e := range deploy[1:] {
		rk.Comparisons = append(rk.Comparisons, compare(scenario, m, unit, better, lead.Label(), e.Label(), lead.Est, e.Est))
	}
	holm(rk.Comparisons)
	rk.Best = slices.Clone(lead.Names)
	tied := 0
	for i, c := range rk.Comparisons {
		if !c.Significant {
			rk.Best = append(rk.Best, deploy[i+1].Names...)
			tied++
		}
	}
	if tied == 0 {
		rk.Winner = lead.Label()
	}
	rankIntervals(rk.Entries, m, unit, better, tied)
	if len(bounds) > 0 {
		c := compare(scenario, m, unit, better, bounds[0].Label(), lead.Label(), bounds[0].Est, lead.Est)
		rk.BoundGap = &c
	}
	return rk, true
}

// holm replaces each comparison's significance by Holm's step-down
// correction over the family (PAdj), so that the chance of calling any
// difference real when none is stays at Alpha. Comparisons without a
// test count as p = 1.
func holm(cs []Comparison) {
	ps := make([]float64, len(cs))
	for i, c := range cs {
		ps[i] = 1
		if c.Known && !math.IsNaN(c.P) {
			ps[i] = c.P
		}
	}
	for i, p := range holmAdjust(ps) {
		cs[i].PAdj = p
		cs[i].Significant = cs[i].Known && p < Alpha
	}
}

// rankIntervals sets each entry's rank interval from Holm-corrected tests
// over every pair of entries; the first tied+1 entries (the leader and
// those tied with it) start at rank 1, the others at 2 or later.
func rankIntervals(es []Entry, metric, unit string, better metrics.Better, tied int) {
	n := len(es)
	type pair struct{ i, j int }
	cs := make([]Comparison, 0, n*(n-1)/2)
	ps := make([]pair, 0, n*(n-1)/2)
	for i := range n {
		for j := i + 1; j < n; j++ {
			cs = append(cs, compare("", metric, unit, better, es[i].Label(), es[j].Label(), es[i].Est, es[j].Est))
			ps = append(ps, pair{i, j})
		}
	}
	holm(cs)
	better_ := make([]int, n) // how many entries are significantly better
	worse := make([]int, n)
	for k, c := range cs {
		if c.Significant {
			// Entries are sorted best first, so i beat j.
			worse[ps[k].i]++
			better_[ps[k].j]++
		}
	}
	for i := range es {
		es[i].RankLo, es[i].RankHi = 1+better_[i], n-worse[i]
		if i > tied {
			es[i].RankLo = max(es[i].RankLo, 2)
		} else {
			es[i].RankLo = 1
		}
		es[i].RankHi = max(es[i].RankHi, es[i].RankLo)
	}
}

// minUSamples is the fewest samples a side for the Mann–Whitney U test:
// with 6 against 6 its smallest p-value (2/924) still passes Holm's
// correction over ten comparisons.
const minUSamples = 6

func allPositive(xs []float64) bool {
	for _, x := range xs {
		if !(x > 0) {
			return false
		}
	}
	return true
}

func logs(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = math.Log(x)
	}
	return out
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
	case len(be.Samples) > 1 && len(oe.Samples) > 1 && min(len(be.Samples), len(oe.Samples)) < minUSamples && allPositive(be.Samples) && allPositive(oe.Samples):
		// Too few samples for the U test to reach significance after a
		// correction for several comparisons (3 against 3 cannot go
		// below p = 0.1): Welch's t-test on the logarithms, timing noise
		// being multiplicative.
		res, err := stats.TwoSampleWelchTTest(stats.Sample{Xs: logs(be.Samples)}, stats.Sample{Xs: logs(oe.Samples)}, stats.LocationDiffers)
		switch {
		case err == nil:
			c.P = res.P
		case be.Center != oe.Center:
			c.P = 0 // no spread on either side, different values
		default:
			c.P = 1
		}
		c.Known, c.Significant = true, c.P < Alpha
	case len(be.Samples) > 1 && len(oe.Samples) > 1:
		c.P = uTestP(be.Samples, oe.Samples)
		c.Known, c.Significant = true, c.P < Alpha
	case be.HasCI() && oe.HasCI():
		// The 95% intervals as normal: z = difference / combined standard
		// error.
		const z95 = 1.959963984540054
		se := math.Hypot(be.Half(), oe.Half()) / z95
		d := math.Abs(be.Center - oe.Center)
		c.Known = true
		switch {
		case se > 0:
			c.P = math.Erfc(d / se / math.Sqrt2)
		case d > 0:
			c.P = 0
		default:
			c.P = 1
		}
		c.Significant = c.P < Alpha
	}
	c.PAdj = c.P
	return c
}

// WriteRanking writes, for each scenario, which strategy is best on metric
// (each scenario's headline metric when metric is empty) and by how much,
// one comparison a line.
func WriteRanking(w io.Writer, results []metrics.Result, metric string) error {
	for _, rk := range Rank(results, metric, Units{}) {
		if _, err := io.WriteString(w, rk.Headline()+"\n"+rk.lines("  ")); err != nil {
			return err
		}
	}
	return nil
}

// lines are the ranking's comparisons, one a line after indent, the
// bound's last.
func (rk Ranking) lines(indent string) string {
	var b strings.Builder
	for _, c := range rk.Comparisons {
		fmt.Fprintf(&b, "%s%s\n", indent, c)
	}
	if rk.BoundGap != nil {
		fmt.Fprintf(&b, "%sbound: %s\n", indent, rk.BoundGap)
	}
	return b.String()
}

// Headline says the scenario's verdict in one line: "Sim/servers=10: jsq
// is best on mean response time", "...: jsq, jiq are tied for best on
// ...", with the bound when one ran.
func (rk Ranking) Headline() string {
	var s string
	switch {
	case rk.Winner != "" && len(rk.Entries) == 1:
		s = fmt.Sprintf("%s: %s is the only deployable strategy", rk.Scenario, rk.Winner)
	case rk.Winner != "":
		s = fmt.Sprintf("%s: %s is best on %s", rk.Scenario, rk.Winner, MetricTitle(rk.Metric))
	default:
		s = fmt.Sprintf("%s: %s are tied for best on %s", rk.Scenario, strings.Join(rk.Best, ", "), MetricTitle(rk.Metric))
	}
	if rk.BoundGap != nil {
		s += fmt.Sprintf("; bound %s (the best any dispatcher could do): %s", rk.BoundGap.Best, estimateUnitText(rk.BoundGap.BestEst, rk.Unit))
	}
	return s
}

// uTestP is the p-value of the two-sided Mann–Whitney U test of a against
// b, as benchmath.AssumeNothing.Compare gives it (1 when the test fails).
// Without ties between samples small enough for the exact distribution,
// the p-value depends only on the two sizes and U: those are remembered,
// since working out the exact distribution is most of a ranking's time
// and a sweep asks for the same few sizes a million times.
func uTestP(a, b []float64) float64 {
	// Sorted copies, on the stack when small (a ranking makes a U test
	// of every pair of its strategies); the test itself gets its own.
	var buf1, buf2 [64]float64
	x1, x2 := append(buf1[:0:len(buf1)], a...), append(buf2[:0:len(buf2)], b...)
	slices.Sort(x1)
	slices.Sort(x2)
	n1, n2 := len(x1), len(x2)
	uTestDirect := func(x1, x2 []float64) float64 { return uTestDirect(slices.Clone(x1), slices.Clone(x2)) }
	if n1 > stats.MannWhitneyExactLimit || n2 > stats.MannWhitneyExactLimit {
		return uTestDirect(x1, x2)
	}
	// The rank sum of a, as the test computes it; any tie between or
	// within samples leaves it to the test.
	r1, i, j := 0, 0, 0
	prev := math.NaN()
	for k := 1; i < n1 || j < n2; k++ {
		var v float64
		if j == n2 || (i < n1 && x1[i] < x2[j]) {
			v = x1[i]
			r1 += k
			i++
		} else {
			v = x2[j]
			j++
		}
		if v == prev || math.IsNaN(v) {
			return uTestDirect(x1, x2)
		}
		prev = v
	}
	key := uKey{n1, n2, r1 - n1*(n1+1)/2}
	uMemo.Lock()
	p, ok := uMemo.p[key]
	uMemo.Unlock()
	if ok {
		return p
	}
	p = uTestDirect(x1, x2)
	uMemo.Lock()
	if uMemo.p == nil {
		uMemo.p = map[uKey]float64{}
	}
	uMemo.p[key] = p
	uMemo.Unlock()
	return p
}

type uKey struct{ n1, n2, u int }

var uMemo struct {
	sync.Mutex
	p map[uKey]float64
}

// uTestDirect runs the test itself, as benchmath does.
func uTestDirect(x1, x2 []float64) float64 {
	res, err := stats.MannWhitneyUTest(x1, x2, stats.LocationDiffers)
	if err != nil {
		return 1
	}
	return res.P
}
