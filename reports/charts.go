package reports

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/reports/internal/chart"
	"gonum.org/v1/plot"
)

// Chart is one figure of a report, drawn twice (a PNG for pull requests
// and an SVG for the page, where series hide and values hover), with the
// two lines of text that go with it: what it shows, and how to read it.
type Chart struct {
	// ID is unique in a report and names the PNG file (ID.png).
	ID string
	// Kind is the row of ChartKinds that drew it.
	Kind string
	// Family is the family of results it shows (Sim, Batch, ...), or
	// "Profiles"; the page groups charts by family.
	Family string
	Title  string
	// What says what the chart shows; How says how to read it.
	What, How string
	// More marks a chart of the series left out of the one before it
	// (beyond maxSeries): the page folds it.
	More bool
	// PNG is the rendered image.
	PNG []byte
	// SVG is the same figure as one <svg> element for the page: each
	// series a group its legend entry hides and shows, each value a
	// hover target (see chart.RenderSVG).
	SVG []byte
	fig *chart.Figure
}

// ChartKind is one row of the table of charts: a name, a line of help,
// and a function that draws every chart of that kind the results allow
// (none when their data is absent).
type ChartKind struct {
	Name  string
	Help  string
	build func(m *model) []*Chart
}

// ChartKinds are the charts a report draws, in page order.
var ChartKinds = []ChartKind{
	{"summary-bars", "the headline metric of each strategy per scenario (throughput, MB/s, time per op), bars with 95% CI whiskers", chartBars},
	{"speedup", "speedup and parallel efficiency against workers, with the ideal lines", chartSpeedup},
	{"response-vs-load", "mean response time against load per policy, with queueing theory overlaid", chartResponseVsLoad},
	{"crossover", "the deployable winner (or tie) at each load, with its margin over the runner-up: where one policy overtakes another", chartCrossover},
	{"latency-percentiles", "p50, p95 and p99 response time per policy", chartPercentiles},
	{"latency-cdf", "response time at every percentile (the CDF on a log axis of 1-q)", chartCDF},
	{"model-vs-real", "the harness's measured response time beside the simulator's prediction for the same cases", chartModelVsReal},
	{"per-server", "jobs dispatched and busy time per server or worker (imbalance)", chartPerServer},
	{"traffic-share", "for runs with faults: each server's share of the requests and the p99 over time, the faults marked", chartTrafficShare},
	{"profile-categories", "where the CPU time went per strategy, from CPU profiles", chartProfileCategories},
}

// maxChartsPerKind bounds the charts of one kind; the rest are listed in
// the report's notes.
const maxChartsPerKind = 12

// model is what charts and pages are drawn from.
type model struct {
	results  []metrics.Result
	units    Units
	styles   *chart.StyleSet
	profiles []*ProfileSummary
	notes    []string
}

func newModel(results []metrics.Result, units Units, profiles []*ProfileSummary) *model {
	m := &model{results: results, units: units, styles: chart.NewStyleSet(), profiles: profiles}
	for i := range results {
		k, s := StrategyOf(&results[i])
		m.styles.Register(styleKind(k), s)
	}
	return m
}

// styleKind groups strategy keys whose strategies meet in one chart, so
// that they get distinct colors: executors, schedules and policy-fed
// queues compete in batch charts; policies meet policies; kernels meet
// kernels.
func styleKind(key string) string {
	switch key {
	case "policy", "kernel":
		return key
	}
	return "batch"
}

// buildCharts lays out every chart the results allow and, with render,
// draws their PNGs in parallel on all cores.
func buildCharts(ctx context.Context, m *model, render bool) ([]*Chart, error) {
	var charts []*Chart
	ids := map[string]int{}
	for _, k := range ChartKinds {
		cs := k.build(m)
		if len(cs) > maxChartsPerKind {
			var left []string
			for _, c := range cs[maxChartsPerKind:] {
				left = append(left, c.Title)
			}
			m.notes = append(m.notes, fmt.Sprintf("%d more %s charts were left out to keep the page short: %s", len(left), k.Name, strings.Join(left, "; ")))
			cs = cs[:maxChartsPerKind]
		}
		for _, c := range cs {
			c.Kind = k.Name
			id := slug(c.ID)
			if n := ids[id]; n > 0 {
				ids[id]++
				id = fmt.Sprintf("%s-%d", id, n+1)
			} else {
				ids[id] = 1
			}
			c.ID = id
			charts = append(charts, c)
		}
	}
	// Group by family, in the order families first appear in the results.
	order := map[string]int{}
	for i := range m.results {
		f := familyOf(FullName(&m.results[i]))
		if _, ok := order[f]; !ok {
			order[f] = len(order)
		}
	}
	rank := func(f string) int {
		if i, ok := order[f]; ok {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(charts, func(a, b *Chart) int { return rank(a.Family) - rank(b.Family) })
	if !render {
		return charts, nil
	}
	// Render in parallel.
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	errs := make([]error, len(charts))
	for i, c := range charts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			png, err := c.fig.Render()
			if err != nil {
				errs[i] = fmt.Errorf("drawing chart %s: %w", c.ID, err)
				return
			}
			svg, err := c.fig.RenderSVG()
			if err != nil {
				errs[i] = fmt.Errorf("drawing chart %s as SVG: %w", c.ID, err)
				return
			}
			c.PNG, c.SVG = png, svg
			c.fig = nil
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return charts, nil
}

// familyOf is the first component of a scenario or benchmark name.
func familyOf(s string) string {
	f, _, _ := strings.Cut(s, "/")
	return f
}

var nonSlug = regexp.MustCompile(`[^a-z0-9.=]+`)

// maxSlug is the longest chart ID, and PNG file name without ".png".
const maxSlug = 80

// slug turns a chart's ID into a file name and page anchor: lower case,
// letters, digits, '.' and '-'. An ID whose slug is longer than maxSlug
// keeps its first whole name parts ("/workers=2", else words between
// '-') that leave room for a '-' and 8 hex digits of a hash of the whole,
// so that a name never ends mid-word and two long IDs that share a
// beginning still differ.
func slug(s string) string {
	full := slugText(s)
	if len(full) <= maxSlug {
		return full
	}
	h := fnv.New32a()
	h.Write([]byte(full))
	sum := fmt.Sprintf("%08x", h.Sum32())
	room := maxSlug - len(sum) - 1
	head := ""
	parts := strings.Split(s, "/")
	for k := len(parts) - 1; k >= 1; k-- {
		if t := slugText(strings.Join(parts[:k], "/")); len(t) <= room {
			head = t
			break
		}
	}
	if head == "" {
		head = full[:room]
		if i := strings.LastIndexByte(head, '-'); i >= room/2 {
			head = head[:i]
		}
	}
	return strings.TrimRight(head, "-.") + "-" + sum
}

func slugText(s string) string {
	s = strings.NewReplacer("µ", "u", "ρ", "rho").Replace(s)
	s = nonSlug.ReplaceAllString(strings.ToLower(s), "-")
	s = strings.ReplaceAll(s, "=", "-")
	return strings.Trim(s, "-.")
}

// axisLabel is a metric's title with its unit: "mean response time (×
// mean service time)", "throughput (ops/s)".
func (m *model) axisLabel(metric string, rs []*metrics.Result) string {
	return MetricTitle(metric) + " (" + m.unitText(metric, rs) + ")"
}

// unitText says in words what one unit of metric is for these results.
func (m *model) unitText(metric string, rs []*metrics.Result) string {
	return unitText(m.units, metric, rs)
}

func shortDuration(sec float64) string {
	switch {
	case sec >= 1:
		return chart.ShortNumber(sec) + "s"
	case sec >= 1e-3:
		return chart.ShortNumber(sec*1e3) + "ms"
	case sec >= 1e-6:
		return chart.ShortNumber(sec*1e6) + "µs"
	}
	return chart.ShortNumber(sec*1e9) + "ns"
}

// scenarioTitle turns a scenario key into a chart subtitle: "Sim,
// servers=10".
func scenarioTitle(s string) string {
	parts := strings.Split(s, "/")
	return strings.Join(parts, ", ")
}

// sweep groups results by scenario without the strategy and without key
// (load or workers), keeping groups with at least two strategies or two
// values of key, as asked.
type sweepGroup struct {
	key     string
	results []*metrics.Result
	values  []float64 // the distinct values of the swept key, ascending
	strats  []string
}

func (m *model) sweeps(key string, has func(r *metrics.Result) bool) []sweepGroup {
	var sub []metrics.Result
	var idx []int
	for i := range m.results {
		if has(&m.results[i]) {
			sub = append(sub, m.results[i])
			idx = append(idx, i)
		}
	}
	_ = idx
	var out []sweepGroup
	for _, g := range groupBy(sub, func(r *metrics.Result) string { return scenarioWithout(r, key) }) {
		sg := sweepGroup{key: g.Scenario, strats: strategies(g.Results)}
		for _, r := range g.Results {
			// Point at the originals so that pointers are stable.
			sg.results = append(sg.results, r)
			if v, ok := paramFloat(r, key); ok && !slices.Contains(sg.values, v) {
				sg.values = append(sg.values, v)
			}
		}
		slices.Sort(sg.values)
		out = append(out, sg)
	}
	return out
}

// at returns the result of strategy s at key=v in the group.
func (g *sweepGroup) at(key, s string, v float64) *metrics.Result {
	for _, r := range g.results {
		_, rs := StrategyOf(r)
		if rs != s {
			continue
		}
		if x, ok := paramFloat(r, key); (ok && x == v) || (!ok && math.IsNaN(v)) {
			return r
		}
	}
	return nil
}

// pickValues chooses at most n of the values, always the first and the
// last, evenly spread.
func pickValues(vs []float64, n int) []float64 {
	if len(vs) <= n {
		return vs
	}
	var out []float64
	for i := range n {
		out = append(out, vs[int(math.Round(float64(i)*float64(len(vs)-1)/float64(n-1)))])
	}
	return slices.Compact(out)
}

func has(metric ...string) func(r *metrics.Result) bool {
	return func(r *metrics.Result) bool {
		for _, k := range metric {
			if _, ok := r.Metrics[k]; !ok {
				return false
			}
		}
		return true
	}
}

// valueText is a value in the unit of its axis with its 95% interval,
// for hover texts: "1.23 × mean service time, 95% CI [1.21, 1.25]".
func valueText(e Estimate, unit string) string {
	s := FormatNumber(e.Center) + withUnit(unit)
	if e.HasCI() {
		s += ", 95% CI [" + FormatNumber(e.Lo) + ", " + FormatNumber(e.Hi) + "]"
	}
	return s
}

// estimateHover is e of metric in a readable unit with its interval:
// "39.3 ms/op, 95% CI [38.1, 41.2]", "1.2k ops/s".
func (m *model) estimateHover(e Estimate, metric string, rs []*metrics.Result) string {
	unit, _ := m.units.Describe(metric)
	if f, shown, ok := timeScale(unit, math.Abs(e.Center)); ok {
		return valueText(Estimate{Center: e.Center * f, Lo: e.Lo * f, Hi: e.Hi * f}, shown)
	}
	return valueText(e, m.unitText(metric, rs))
}

// withUnit is unit as it follows a number: " ms", "%", "" for none.
func withUnit(unit string) string {
	switch {
	case unit == "":
		return ""
	case strings.HasPrefix(unit, "%"):
		return unit
	}
	return " " + unit
}

// pointValue is a bare value (no interval) with its unit.
func pointValue(v float64, unit string) string {
	return FormatNumber(v) + withUnit(unit)
}

// hoverLines joins the lines of a hover text: the series first, then
// where, then the value.
func hoverLines(lines ...string) string {
	var keep []string
	for _, l := range lines {
		if l != "" {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func appendLegend(l []chart.LegendItem, label string, t plot.Thumbnailer) []chart.LegendItem {
	for _, it := range l {
		if it.Label == label {
			return l
		}
	}
	return append(l, chart.LegendItem{Label: label, Thumbs: []plot.Thumbnailer{t}})
}

// leftOut says how many strategies had too few samples for a bar.
func leftOut(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" %d strategies with fewer than %d samples are left out (see the table).", n, minProfileSamples)
}

// unitText says in words what one unit of metric is for these results.
func unitText(units Units, metric string, rs []*metrics.Result) string {
	return unitTextOf(units, metric, len(rs), func(i int) (float64, bool) { return paramFloat(rs[i], "unit_sec") })
}

// unitTextOf is unitText for n results whose unit_sec parameters unitSec
// gives.
func unitTextOf(units Units, metric string, n int, unitSec func(i int) (float64, bool)) string {
	unit, _ := units.Describe(metric)
	switch unit {
	case "units":
		// Simulated time is in mean service times; the harness's service
		// mode says what one unit was in params.unit_sec.
		sec := math.NaN()
		for i := range n {
			v, ok := unitSec(i)
			if !ok || (!math.IsNaN(sec) && v != sec) {
				sec = math.NaN()
				break
			}
			sec = v
		}
		switch {
		case sec == 1:
			return "s"
		case sec == 1e-3:
			return "ms"
		case sec == 1e-6:
			return "µs"
		case sec == 1e-9:
			return "ns"
		case !math.IsNaN(sec):
			return "× " + shortDuration(sec)
		}
		if strings.HasPrefix(metric, "queue_") {
			return "jobs"
		}
		return "× mean service time"
	case "sec":
		return "s"
	case "x":
		return "× sequential"
	}
	return unit
}
