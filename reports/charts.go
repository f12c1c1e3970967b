package reports

import (
	"context"
	"fmt"
	"hash/fnv"
	"image/color"
	"math"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/sim/theory"
)

// Chart is one PNG of a report with the two lines of text that go with
// it: what it shows, and how to read it.
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
	// PNG is the rendered image.
	PNG []byte
	fig *figure
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
	{"latency-percentiles", "p50, p95 and p99 response time per policy", chartPercentiles},
	{"latency-cdf", "response time at every percentile (the CDF on a log axis of 1-q)", chartCDF},
	{"model-vs-real", "the harness's measured response time beside the simulator's prediction for the same cases", chartModelVsReal},
	{"per-server", "jobs dispatched and busy time per server or worker (imbalance)", chartPerServer},
	{"profile-categories", "where the CPU time went per strategy, from CPU profiles", chartProfileCategories},
}

// maxChartsPerKind bounds the charts of one kind; the rest are listed in
// the report's notes.
const maxChartsPerKind = 12

// model is what charts and pages are drawn from.
type model struct {
	results  []metrics.Result
	units    Units
	styles   *styleSet
	profiles []*ProfileSummary
	notes    []string
}

func newModel(results []metrics.Result, units Units, profiles []*ProfileSummary) *model {
	m := &model{results: results, units: units, styles: newStyleSet(), profiles: profiles}
	for i := range results {
		k, s := StrategyOf(&results[i])
		m.styles.register(styleKind(k), s)
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
			png, err := c.fig.render()
			if err != nil {
				errs[i] = fmt.Errorf("drawing chart %s: %w", c.ID, err)
				return
			}
			c.PNG = png
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
		return shortNumber(sec) + "s"
	case sec >= 1e-3:
		return shortNumber(sec*1e3) + "ms"
	case sec >= 1e-6:
		return shortNumber(sec*1e6) + "µs"
	}
	return shortNumber(sec*1e9) + "ns"
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

// --- bars: the headline metric per strategy ---------------------------

func chartBars(m *model) []*Chart {
	var out []*Chart
	groups := m.sweeps("workers", func(r *metrics.Result) bool { return len(r.Metrics) > 0 })
	for _, g := range groups {
		metric := Headline(g.results)
		if metric == "" || isLatency(metric) || len(g.strats) < 2 {
			// Latencies have their own charts; one strategy is no contest.
			continue
		}
		if c := m.barChart(g, metric); c != nil {
			out = append(out, c)
		}
	}
	return out
}

func (m *model) barChart(g sweepGroup, metric string) *Chart {
	_, better := m.units.Describe(metric)
	workers := g.values
	if len(workers) == 0 {
		workers = []float64{math.NaN()}
	}
	if len(workers) > 4 {
		workers = pickValues(workers, 4)
	}
	// Order strategies by their value at the largest worker count each one
	// ran with, best on top (gonum puts category 0 at the bottom).
	strats := slices.Clone(g.strats)
	val := func(s string, w float64) (Estimate, bool) {
		r := g.at("workers", s, w)
		if r == nil {
			return Estimate{}, false
		}
		return EstimateOf(r, metric)
	}
	key := func(s string) float64 {
		for i := len(workers) - 1; i >= 0; i-- {
			if e, ok := val(s, workers[i]); ok {
				return e.Center * float64(better)
			}
		}
		return math.Inf(-1)
	}
	slices.SortStableFunc(strats, func(a, b string) int { return cmpFloat(key(a), key(b)) })
	// Times are shown in a readable unit (ms/op rather than 39.3M ns/op).
	unit, _ := m.units.Describe(metric)
	maxV := 0.0
	for _, s := range strats {
		for _, w := range workers {
			if e, ok := val(s, w); ok {
				maxV = math.Max(maxV, math.Abs(e.Center))
			}
		}
	}
	scale, shown, isTime := timeScale(unit, maxV)
	xlabel := m.axisLabel(metric, g.results)
	if isTime {
		xlabel = MetricTitle(metric) + " (" + shown + ")"
	}
	// Values spanning orders of magnitude go on a log axis, where the
	// smallest bar is still seen.
	lo, hi := math.Inf(1), 0.0
	for _, s := range strats {
		for _, w := range workers {
			e, ok := val(s, w)
			if !ok || math.IsNaN(e.Center) {
				continue
			}
			for _, v := range []float64{e.Center, e.Lo, e.Hi} {
				if v > 0 {
					lo, hi = math.Min(lo, v*scale), math.Max(hi, v*scale)
				}
			}
		}
	}
	log := barsWantLog(strats, workers, func(s string, w float64) (float64, bool) {
		e, ok := val(s, w)
		return e.Center, ok && !math.IsNaN(e.Center)
	})
	if log {
		xlabel = strings.TrimSuffix(xlabel, ")") + ", log scale)"
	}
	p := newPlot("", xlabel, "")
	addGrid(p, true, false)
	names := make([]string, len(strats))
	for i, s := range strats {
		names[i] = truncate(s, 28)
	}
	p.NominalY(names...)
	p.Y.Tick.Label = textStyle(sans, 10)
	p.Y.Tick.Label.XAlign = draw.XRight
	p.Y.Tick.Label.YAlign = draw.YCenter
	bandH := vg.Points(float64(min(30, 300/len(strats))))
	barW := bandH / vg.Length(len(workers))
	var legend []legendItem
	var labels plotter.XYs
	var labelText []string
	var labelOff []vg.Length
	for wi, w := range workers {
		vals := make([]float64, len(strats))
		eb := &errBars{horizontal: true, cap: barW * 0.6, style: draw.LineStyle{Color: color.Black, Width: vg.Points(0.8)}}
		// The first series on top of its band, as in the legend.
		off := bandH/2 - barW*vg.Length(wi) - barW/2
		for i, s := range strats {
			vals[i] = math.NaN()
			e, ok := val(s, w)
			if !ok || math.IsNaN(e.Center) {
				continue
			}
			e.Center, e.Lo, e.Hi = e.Center*scale, e.Lo*scale, e.Hi*scale
			vals[i] = e.Center
			end := e.Center
			if e.HasCI() {
				end = math.Max(end, e.Hi)
			}
			eb.xs, eb.ys = append(eb.xs, e.Center), append(eb.ys, float64(i))
			eb.lo, eb.hi = append(eb.lo, e.Lo), append(eb.hi, e.Hi)
			labels = append(labels, plotter.XY{X: end, Y: float64(i)})
			if isTime {
				// Each label in its own unit: "39.3 ms" beside "1.68 s".
				f1, s1, _ := timeScale(unit, math.Abs(e.Center/scale))
				labelText = append(labelText, shortNumber(e.Center/scale*f1)+" "+s1)
			} else {
				labelText = append(labelText, shortNumber(e.Center))
			}
			labelOff = append(labelOff, off)
		}
		eb.off = off
		fill := barFill{color: palette[0]}
		if len(workers) > 1 {
			fill = barFill{color: slotColor(wi), hatch: slotHatch(wi)}
			legend = append(legend, legendItem{label: "workers=" + shortNumber(w), thumbs: []plot.Thumbnailer{boxThumb{fill}}})
		}
		p.Add(&bars{vals: vals, width: barW * 0.92, off: off, horizontal: true, fill: fill}, eb)
	}
	// Value labels at the end of each bar, when bars are tall enough.
	if barW >= vg.Points(9) {
		size := vg.Length(math.Min(9, float64(barW)*0.8))
		for i := range labels {
			ls, err := plotter.NewLabels(plotter.XYLabels{XYs: labels[i : i+1], Labels: labelText[i : i+1]})
			if err != nil {
				continue
			}
			ls.TextStyle[0] = textStyle(sans, size)
			ls.TextStyle[0].YAlign = draw.YCenter
			ls.Offset = vg.Point{X: vg.Points(4), Y: labelOff[i]}
			p.Add(ls)
		}
	}
	p.Y.Min, p.Y.Max = -0.5, float64(len(strats))-0.5
	if log {
		// Room on the left so that the smallest bar shows, on the right
		// for the value labels.
		decades := math.Log10(hi / lo)
		setLog(&p.X, lo/math.Pow(10, math.Max(0.08*decades, 0.1)), hi*math.Pow(10, math.Max(0.16*decades, 0.2)))
	} else {
		p.X.Min = 0
		p.X.Max = math.Max(hi, p.X.Max) * 1.18 // room for the value labels
	}
	what := fmt.Sprintf("%s of each strategy in %s", firstUpper(MetricTitle(metric)), scenarioTitle(g.key))
	if len(workers) > 1 {
		what += ", one bar per worker count"
	}
	what += "; whiskers are 95% confidence intervals where the results have them."
	how := "Longer bars are better"
	if better == metrics.Lower {
		how = "Shorter bars are better"
	}
	how += "; the best strategy is on top. Overlapping whiskers mean the difference may be noise."
	if log {
		how += fmt.Sprintf(" The values span a factor of %s, so the x axis is logarithmic: every bar starts at the left edge, not at zero, and equal steps along the axis are equal ratios; read the value at the end of each bar.", shortNumber(hi/lo))
	}
	title := fmt.Sprintf("%s by %s — %s", firstUpper(MetricTitle(metric)), strategyNoun(g.results), scenarioTitle(g.key))
	if metric == "mb_per_sec" && strings.HasPrefix(g.key, "XML") {
		title = "XML kernel ladder: MB/s — " + scenarioTitle(g.key)
		how = "Longer bars are faster; kernels go from the slowest (bottom) to the fastest (top)."
	}
	h := barFigureHeight(len(strats) * len(workers))
	return &Chart{Family: familyOf(g.key), ID: "bars-" + g.key, Title: title, What: what, How: how,
		fig: &figure{title: title, panels: []*plot.Plot{p}, legend: legend, h: h}}
}

// barLogRatio is the ratio of the largest to the smallest bar above
// which a bar chart uses a log axis: beyond it, the smallest bar would be
// under 3% of the largest, a sliver.
const barLogRatio = 30

// barsWantLog reports whether the bars of strats at workers, valued by
// val, span more than barLogRatio (all of them positive).
func barsWantLog(strats []string, workers []float64, val func(s string, w float64) (float64, bool)) bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range strats {
		for _, w := range workers {
			v, ok := val(s, w)
			if !ok {
				continue
			}
			if !(v > 0) {
				return false
			}
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	return lo > 0 && hi/lo > barLogRatio
}

// strategyNoun names what the strategies of rs are: "policy", "executor",
// "kernel", or "strategy" when they are of several kinds.
func strategyNoun(rs []*metrics.Result) string {
	noun := ""
	for _, r := range rs {
		k, _ := StrategyOf(r)
		if k == "" || strings.Contains(k, ":") || (noun != "" && k != noun) {
			return "strategy"
		}
		noun = k
	}
	if noun == "" {
		return "strategy"
	}
	return noun
}

// barFigureHeight fits a horizontal bar chart of n bars: about a third of
// an inch a bar, between 3 and 12 inches.
func barFigureHeight(n int) vg.Length {
	h := 1.6*vg.Inch + vg.Length(n)*0.34*vg.Inch
	return max(3*vg.Inch, min(h, 12*vg.Inch))
}

func firstUpper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// --- speedup and efficiency against workers ---------------------------

func chartSpeedup(m *model) []*Chart {
	var out []*Chart
	for _, g := range m.sweeps("workers", has("speedup")) {
		if len(g.values) < 2 {
			continue
		}
		var panels []*plot.Plot
		var legend []legendItem
		hidden := false
		for _, metric := range []string{"speedup", "efficiency"} {
			p := newPlot(firstUpper(MetricTitle(metric)), "workers", m.axisLabel(metric, g.results))
			addGrid(p, true, true)
			st := m.styles.forChart(g.strats)
			var ss []series
			for _, s := range g.strats {
				var xys plotter.XYs
				eb := &errBars{cap: vg.Points(5), style: draw.LineStyle{Color: st.color(s), Width: vg.Points(0.8)}}
				for _, w := range g.values {
					r := g.at("workers", s, w)
					if r == nil {
						continue
					}
					e, ok := EstimateOf(r, metric)
					if !ok {
						continue
					}
					xys = append(xys, plotter.XY{X: w, Y: e.Center})
					eb.xs, eb.ys, eb.lo, eb.hi = append(eb.xs, w), append(eb.ys, e.Center), append(eb.lo, e.Lo), append(eb.hi, e.Hi)
				}
				if len(xys) > 0 {
					ss = append(ss, series{label: s, xys: xys, line: st.line(s), glyph: st.glyph(s), eb: eb})
				}
			}
			n := len(ss)
			items, same := addLines(p, ss)
			if metric == "speedup" {
				legend, hidden = append(legend, items...), same
			}
			if n == 0 {
				continue
			}
			lo, hi := g.values[0], g.values[len(g.values)-1]
			ideal := plotter.XYs{{X: lo, Y: lo}, {X: hi, Y: hi}}
			if metric == "efficiency" {
				ideal = plotter.XYs{{X: lo, Y: 1}, {X: hi, Y: 1}}
			}
			il, _ := plotter.NewLine(ideal)
			il.LineStyle = draw.LineStyle{Color: color.Gray{Y: 110}, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
			p.Add(il)
			if metric == "speedup" {
				legend = append(legend, legendItem{label: "ideal (linear)", thumbs: []plot.Thumbnailer{lineThumb{line: il.LineStyle}}})
			}
			p.Y.Min = 0
			p.Y.Max *= 1.05
			padAxis(&p.X, 0.04)
			p.X.Tick.Marker = workerTicks(g.values)
			panels = append(panels, p)
		}
		if len(panels) == 0 {
			continue
		}
		title := "Speedup and efficiency against workers — " + scenarioTitle(g.key)
		out = append(out, &Chart{Family: familyOf(g.key), ID: "speedup-" + g.key, Title: title,
			What: "Speedup over the sequential run (left) and parallel efficiency = speedup / workers (right) for each strategy as workers are added; the dashed gray line is perfect linear scaling.",
			How:  "Higher is better; a line that bends away from the ideal shows where adding workers stops paying (overhead, imbalance or a shared bottleneck)." + sameNote(hidden),
			fig:  &figure{title: title, panels: panels, legend: legend}})
	}
	return out
}

// series is one line of a line chart.
type series struct {
	label string
	xys   plotter.XYs
	line  draw.LineStyle
	// glyph marks the points (a few of them on a long series); no Shape
	// means no markers.
	glyph draw.GlyphStyle
	// eb are the series' whiskers, or nil.
	eb *errBars
}

// addLines draws ss and returns their legend entries, in order. A
// series with exactly the values of a later one would be hidden beneath
// it: it is drawn first, under every other line, wider and with bigger
// markers, so that it shows as a band around the line on top, and its
// legend entry says "(same as X)", X being the series on top; hidden
// reports whether there was one.
func addLines(p *plot.Plot, ss []series) (legend []legendItem, hidden bool) {
	ss = slices.Clone(ss)
	legend = make([]legendItem, len(ss))
	wide := make([]bool, len(ss))
	for i := range ss {
		s := &ss[i]
		under := ""
		var sames []string
		for j := i + 1; j < len(ss); j++ {
			if sameXYs(s.xys, ss[j].xys) {
				under = ss[j].label // the last one is drawn on top
				sames = append(sames, under)
			}
		}
		if under != "" {
			wide[i] = true
			s.line.Width += vg.Points(3)
			if s.glyph.Shape != nil {
				s.glyph.Radius += vg.Points(1.5)
			}
		}
		legend[i] = legendItem{label: s.label, thumbs: []plot.Thumbnailer{lineThumb{s.line, s.glyph}}, key: s.label, same: under, sames: sames}
		if under != "" {
			legend[i].label += " (same as " + under + ")"
		}
	}
	// The wide bands first, under every thin line.
	drawn := make([]bool, len(ss))
	for _, bands := range []bool{true, false} {
		for i, s := range ss {
			if wide[i] != bands {
				continue
			}
			l, err := plotter.NewLine(s.xys)
			if err != nil {
				continue
			}
			drawn[i] = true
			l.LineStyle = s.line
			p.Add(l)
			if s.eb != nil {
				p.Add(s.eb) // under the markers, which may be hollow
			}
			if s.glyph.Shape != nil {
				if sc, err := plotter.NewScatter(markerPoints(s.xys)); err == nil {
					sc.GlyphStyle = s.glyph
					p.Add(sc)
				}
			}
		}
	}
	// Legend entries for what was drawn, in the order given.
	out := legend[:0]
	for i, it := range legend {
		if drawn[i] {
			out = append(out, it)
			hidden = hidden || it.same != ""
		}
	}
	return out, hidden
}

// mergeLegends makes one legend of the legends addLines returned for
// several panels (named by panels), one entry per series in order of
// first appearance. A series with the same values as another in every
// panel says so, "jsq (same as sed)"; one hidden in some panels only says
// where, "jiq (same as central at ρ = 0.5)".
func mergeLegends(legends [][]legendItem, panels []string) []legendItem {
	var out []legendItem
	seen := map[string]bool{}
	for pi, l := range legends {
		for _, it := range l {
			if seen[it.key] {
				continue
			}
			seen[it.key] = true
			var all []legendItem // this series in each panel that has it
			var where []string
			for pj := pi; pj < len(legends); pj++ {
				for _, x := range legends[pj] {
					if x.key == it.key {
						all, where = append(all, x), append(where, panels[pj])
					}
				}
			}
			e := legendItem{label: it.key, thumbs: it.thumbs, key: it.key}
			// The series that have the same values in every panel.
			common := slices.Clone(all[0].sames)
			for _, x := range all[1:] {
				common = slices.DeleteFunc(common, func(s string) bool { return !slices.Contains(x.sames, s) })
			}
			var unders []string          // in order of first panel
			hid := map[string][]string{} // under → panels
			var plain []plot.Thumbnailer
			for k, x := range all {
				if x.same == "" {
					if plain == nil {
						plain = x.thumbs
					}
					continue
				}
				if _, ok := hid[x.same]; !ok {
					unders = append(unders, x.same)
				}
				hid[x.same] = append(hid[x.same], where[k])
			}
			switch {
			case len(common) > 0:
				e.same = common[len(common)-1]
				e.label += " (same as " + e.same + ")"
			case len(unders) > 0:
				var parts []string
				for _, u := range unders {
					parts = append(parts, u+" at "+strings.Join(hid[u], ", "))
				}
				e.same = unders[0]
				e.label += " (same as " + strings.Join(parts, "; as ") + ")"
				if plain != nil {
					e.thumbs = plain // drawn plain in some panels
				}
			}
			out = append(out, e)
		}
	}
	return out
}

// sameNote is the sentence a caption gets when addLines found a series
// hidden beneath another.
func sameNote(hidden bool) string {
	if !hidden {
		return ""
	}
	return " A legend entry “(same as X)” is a series with exactly the values of X: it is drawn as the wider band beneath X's line."
}

// sameXYs reports whether a and b have the same points (to a relative
// 1e-9).
func sameXYs(a, b plotter.XYs) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	eq := func(x, y float64) bool { return x == y || math.Abs(x-y) <= 1e-9*math.Max(math.Abs(x), math.Abs(y)) }
	for i := range a {
		if !eq(a[i].X, b[i].X) || !eq(a[i].Y, b[i].Y) {
			return false
		}
	}
	return true
}

// markerPoints are the points of a series that get a marker: all of a
// short series, 8 evenly spread on a long one.
func markerPoints(xys plotter.XYs) plotter.XYs {
	const most = 25
	if len(xys) <= most {
		return xys
	}
	var out plotter.XYs
	step := float64(len(xys)-1) / 7
	for i := range 8 {
		out = append(out, xys[int(math.Round(float64(i)*step))])
	}
	return out
}

// workerTicks labels exactly the measured worker counts.
func workerTicks(ws []float64) plot.Ticker {
	var ts plot.ConstantTicks
	for _, w := range ws {
		ts = append(ts, plot.Tick{Value: w, Label: shortNumber(w)})
	}
	if len(ts) > 12 {
		return compactTicks{}
	}
	return ts
}

// --- response time against load, with theory ------------------------

func chartResponseVsLoad(m *model) []*Chart {
	var out []*Chart
	for _, g := range m.sweeps("load", has("response_mean")) {
		if len(g.values) < 2 {
			continue
		}
		metric := "response_mean"
		p := newPlot("", "offered load ρ (fraction of capacity)", m.axisLabel(metric, g.results))
		addGrid(p, true, true)
		var legend []legendItem
		lo, hi := math.Inf(1), math.Inf(-1)
		track := func(v float64) {
			if v > 0 && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		st := m.styles.forChart(g.strats)
		var ss []series
		anyUnstable := false
		for _, s := range g.strats {
			var xys plotter.XYs
			var unstable []string
			eb := &errBars{cap: vg.Points(5), style: draw.LineStyle{Color: st.color(s), Width: vg.Points(0.9)}}
			for _, v := range g.values {
				r := g.at("load", s, v)
				if r == nil {
					continue
				}
				if u, _ := r.Params["unstable"].(bool); u {
					unstable = append(unstable, FormatNumber(v))
				}
				e, ok := EstimateOf(r, metric)
				if !ok || !(e.Center > 0) {
					continue
				}
				xys = append(xys, plotter.XY{X: v, Y: e.Center})
				eb.xs, eb.ys, eb.lo, eb.hi = append(eb.xs, v), append(eb.ys, e.Center), append(eb.lo, e.Lo), append(eb.hi, e.Hi)
				track(e.Center)
				if e.HasCI() {
					track(e.Lo)
					track(e.Hi)
				}
			}
			if len(xys) > 0 {
				label := s
				if len(unstable) > 0 {
					label += " (unstable at " + strings.Join(unstable, ", ") + ")"
					anyUnstable = true
				}
				ss = append(ss, series{label: label, xys: xys, line: st.line(s), glyph: st.glyph(s), eb: eb})
			}
		}
		if len(ss) == 0 {
			continue
		}
		legend, hidden := addLines(p, ss)
		curves := m.theoryCurves(g, st)
		for _, c := range curves {
			for _, pt := range c.xys {
				track(pt.Y)
			}
		}
		// Theory lines are drawn over the measured range only; their legend
		// entries come after the strategies'.
		for _, c := range curves {
			l, err := plotter.NewLine(c.xys)
			if err != nil {
				continue
			}
			l.LineStyle = c.style
			p.Add(l)
			legend = append(legend, legendItem{label: c.label, thumbs: []plot.Thumbnailer{lineThumb{line: c.style}}})
		}
		log := wantLog(lo, hi) || hi/lo > 8
		if log {
			setLog(&p.Y, lo*0.85, hi*1.15)
		} else {
			p.Y.Min, p.Y.Max = 0, math.Max(hi, p.Y.Max)
			padAxis(&p.Y, 0.06)
		}
		padAxis(&p.X, 0.03)
		p.X.Tick.Marker = workerTicks(g.values)
		title := "Mean response time against load — " + scenarioTitle(g.key)
		what := "Mean response time of each policy as the offered load grows; whiskers are 95% confidence intervals."
		if len(curves) > 0 {
			what += " Dotted lines without markers are queueing theory for the same setting, in the color of the policy they model (the gray Erlang C line is the best any dispatcher can do with these servers)."
		}
		how := "Lower is better. Response time climbs steeply as load nears 1; the gap between a policy and the Erlang C line is what its dispatch decisions cost."
		if anyUnstable {
			how += " A policy marked “unstable at” a load gave some servers more work than they can serve there: its values at those loads grow with the run length, and their whiskers do not bound them."
		}
		if log {
			how += " The y axis is logarithmic."
		}
		how += sameNote(hidden)
		out = append(out, &Chart{Family: familyOf(g.key), ID: "response-vs-load-" + g.key, Title: title, What: what, How: how,
			fig: &figure{title: title, panels: []*plot.Plot{p}, legend: legend}})
	}
	return out
}

type theoryCurve struct {
	label string
	xys   plotter.XYs
	style draw.LineStyle
}

// theoryCurves returns the closed forms that apply to a load sweep, over
// its measured range: Erlang C (M/M/c) whenever service is exponential
// and servers are equal, and each policy's own model (M/M/1 for random,
// the power-of-d mean field for pod and p2c) from sim/theory.
func (m *model) theoryCurves(g sweepGroup, st *chartStyle) []theoryCurve {
	if len(g.results) == 0 {
		return nil
	}
	r0 := g.results[0]
	sc, ok := theoryScenario(r0)
	if !ok {
		return nil
	}
	lo, hi := g.values[0], g.values[len(g.values)-1]
	grid := func(f func(rho float64) float64) plotter.XYs {
		var xys plotter.XYs
		for i := range 61 {
			rho := lo + (hi-lo)*float64(i)/60
			if y := f(rho); y > 0 && !math.IsInf(y, 0) && !math.IsNaN(y) {
				xys = append(xys, plotter.XY{X: rho, Y: y})
			}
		}
		return xys
	}
	// Theory is dotted, a pattern no measured series has.
	dotted := func(c color.Color) draw.LineStyle {
		return draw.LineStyle{Color: c, Width: vg.Points(1.5), Dashes: theoryDashes}
	}
	var out []theoryCurve
	seen := map[string]bool{}
	for _, s := range g.strats {
		var r *metrics.Result
		for _, x := range g.results {
			if _, xs := StrategyOf(x); xs == s {
				r = x
				break
			}
		}
		pol, _ := param(r, "policy")
		sc := sc
		sc.Policy = pol
		sc.Load = lo
		if d, ok := paramFloat(r, "d"); ok {
			sc.D = int(d)
		}
		pred, ok := theory.Predict(sc)
		if !ok || pred.Kind == theory.LowerBound || strings.HasPrefix(pred.Model, "Erlang C") {
			continue // Erlang C is drawn once below
		}
		key := pred.Model + fmt.Sprint(sc.D)
		if seen[key] {
			continue
		}
		seen[key] = true
		label := "theory: " + pred.Model + " (" + s + ")"
		if pred.Kind == theory.Approximate {
			label = "theory: " + pred.Model + ", N→∞ (" + s + ")"
		}
		out = append(out, theoryCurve{label: label, style: dotted(st.color(s)), xys: grid(func(rho float64) float64 {
			x := sc
			x.Load = rho
			p, ok := theory.Predict(x)
			if !ok {
				return math.NaN()
			}
			return p.Response
		})})
	}
	if sc.Service == "exp" && sc.Discipline != "ps" && sc.Servers > 1 {
		out = append(out, theoryCurve{
			label: fmt.Sprintf("theory: Erlang C, M/M/%d (lower bound)", sc.Servers),
			style: draw.LineStyle{Color: color.Gray{Y: 120}, Width: vg.Points(2.2), Dashes: theoryDashes},
			xys:   grid(func(rho float64) float64 { return sc.ES * theory.MMcResponse(sc.Servers, rho) }),
		})
	}
	return out
}

// theoryScenario reads what theory.Predict needs from a result's
// parameters; only exponential and deterministic service have known
// moments here (reports do not import the workload parser).
func theoryScenario(r *metrics.Result) (theory.Scenario, bool) {
	n, ok := paramFloat(r, "servers")
	if !ok || n < 1 {
		return theory.Scenario{}, false
	}
	svc, ok := param(r, "service")
	if !ok {
		svc = "exp"
	}
	kind, rest, _ := strings.Cut(svc, ":")
	mean := 1.0
	for kv := range strings.SplitSeq(rest, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == "mean" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || !(f > 0) {
				return theory.Scenario{}, false
			}
			mean = f
		} else if kv != "" {
			return theory.Scenario{}, false
		}
	}
	var es2 float64
	switch kind {
	case "exp":
		es2 = 2 * mean * mean
	case "det":
		es2 = mean * mean
	default:
		return theory.Scenario{}, false
	}
	arr, ok := param(r, "arrival")
	if !ok {
		arr = "poisson"
	}
	disc, ok := param(r, "discipline")
	if !ok {
		disc = "fifo"
	}
	_, speeds := param(r, "speeds")
	return theory.Scenario{Servers: int(n), Service: kind, ES: mean, ES2: es2, Arrival: arr,
		Discipline: disc, Uniform: !speeds}, true
}

// --- latency percentiles ------------------------------------------------

var percentileMetrics = []struct{ metric, label string }{
	{"response_p50", "p50 (median)"}, {"response_p95", "p95"}, {"response_p99", "p99"},
}

var percentileColors = []color.Color{
	color.RGBA{0x9e, 0xca, 0xe1, 0xff}, color.RGBA{0x31, 0x82, 0xbd, 0xff}, color.RGBA{0x08, 0x30, 0x6b, 0xff},
}

func chartPercentiles(m *model) []*Chart {
	var out []*Chart
	for _, g := range m.sweeps("load", has("response_p50", "response_p95", "response_p99")) {
		if len(g.strats) < 2 && len(g.values) < 2 {
			continue
		}
		loads := pickValues(g.values, 3)
		if len(loads) == 0 {
			loads = []float64{math.NaN()}
		}
		// One shared axis range so that panels compare.
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, r := range g.results {
			for _, pm := range percentileMetrics {
				if v := r.Metrics[pm.metric]; v > 0 {
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
			}
		}
		if math.IsInf(lo, 0) {
			continue
		}
		log := wantLog(lo, hi) || hi/lo > 8
		// Strategies ordered by p99 at the highest load, best on top.
		strats := slices.Clone(g.strats)
		top := loads[len(loads)-1]
		p99 := func(s string) float64 {
			if r := g.at("load", s, top); r != nil {
				return r.Metrics["response_p99"]
			}
			return math.Inf(1)
		}
		slices.SortStableFunc(strats, func(a, b string) int { return cmpFloat(p99(b), p99(a)) })
		var panels []*plot.Plot
		for _, ld := range loads {
			ptitle := ""
			if !math.IsNaN(ld) {
				ptitle = "load ρ = " + shortNumber(ld)
			}
			p := newPlot(ptitle, m.axisLabel("response_p50", g.results), "")
			p.X.Label.Text = "response time (" + m.unitText("response_p50", g.results) + ")"
			addGrid(p, true, false)
			names := make([]string, len(strats))
			for i, s := range strats {
				names[i] = truncate(s, 22)
			}
			p.NominalY(names...)
			p.Y.Tick.Label = textStyle(sans, 10)
			p.Y.Tick.Label.XAlign = draw.XRight
			p.Y.Tick.Label.YAlign = draw.YCenter
			for i, s := range strats {
				r := g.at("load", s, ld)
				if r == nil {
					continue
				}
				a, b := r.Metrics["response_p50"], r.Metrics["response_p99"]
				if a > 0 && b > 0 {
					l, _ := plotter.NewLine(plotter.XYs{{X: a, Y: float64(i)}, {X: b, Y: float64(i)}})
					l.LineStyle = draw.LineStyle{Color: color.Gray{Y: 170}, Width: vg.Points(2)}
					p.Add(l)
				}
				for k, pm := range percentileMetrics {
					v := r.Metrics[pm.metric]
					if !(v > 0) {
						continue
					}
					sc, _ := plotter.NewScatter(plotter.XYs{{X: v, Y: float64(i)}})
					sc.GlyphStyle = draw.GlyphStyle{Color: percentileColors[k], Radius: vg.Points(4), Shape: draw.CircleGlyph{}}
					p.Add(sc)
				}
			}
			if log {
				setLog(&p.X, lo*0.8, hi*1.25)
			} else {
				p.X.Min, p.X.Max = 0, hi*1.08
			}
			panels = append(panels, p)
		}
		var legend []legendItem
		for k, pm := range percentileMetrics {
			legend = append(legend, legendItem{label: pm.label, thumbs: []plot.Thumbnailer{lineThumb{glyph: draw.GlyphStyle{Color: percentileColors[k], Radius: vg.Points(4), Shape: draw.CircleGlyph{}}}}})
		}
		title := "Response time percentiles — " + scenarioTitle(g.key)
		what := "Median, 95th and 99th percentile response time of each policy"
		switch {
		case len(loads) > 1:
			what += ", one panel per load"
		case !math.IsNaN(loads[0]):
			what += " at load ρ = " + shortNumber(loads[0])
		}
		what += "; the gray bar spans p50 to p99."
		how := "Further left is better; a long bar means a long tail: a few jobs wait much longer than the typical one. Policies are sorted by p99 at the highest load, best on top."
		if log {
			how += " The x axis is logarithmic."
		}
		out = append(out, &Chart{Family: familyOf(g.key), ID: "percentiles-" + g.key, Title: title, What: what, How: how,
			fig: &figure{title: title, panels: panels, legend: legend}})
	}
	return out
}

// --- latency CDF ----------------------------------------------------------

// nines maps a quantile q to -log10(1-q): 90% is 1, 99% is 2, 99.9% is 3.
func nines(q float64) float64 { return -math.Log10(1 - q) }

func chartCDF(m *model) []*Chart {
	var out []*Chart
	for _, g := range m.sweeps("load", func(r *metrics.Result) bool { return len(r.CDF) > 1 }) {
		loads := pickValues(g.values, 3)
		if len(loads) == 0 {
			loads = []float64{math.NaN()}
		}
		lo, hi, maxN := math.Inf(1), math.Inf(-1), 0.0
		for _, r := range g.results {
			for _, pt := range r.CDF {
				if pt[0] > 0 && pt[1] < 1 && pt[1] >= 0.5 {
					lo, hi = math.Min(lo, pt[0]), math.Max(hi, pt[0])
					maxN = math.Max(maxN, nines(pt[1]))
				}
			}
		}
		if math.IsInf(lo, 0) {
			continue
		}
		log := wantLog(lo, hi)
		var panels []*plot.Plot
		var legends [][]legendItem
		var names []string
		hidden := false
		st := m.styles.forChart(g.strats)
		for _, ld := range loads {
			ptitle := ""
			if !math.IsNaN(ld) {
				ptitle = "load ρ = " + shortNumber(ld)
			}
			p := newPlot(ptitle, "percentile, % (log scale of 1 − q)", "response time ("+m.unitText("response_p50", g.results)+")")
			addGrid(p, true, true)
			var ss []series
			for _, s := range g.strats {
				r := g.at("load", s, ld)
				if r == nil {
					continue
				}
				var xys plotter.XYs
				for _, pt := range r.CDF {
					if pt[0] > 0 && pt[1] >= 0.5 && pt[1] < 1 {
						xys = append(xys, plotter.XY{X: nines(pt[1]), Y: pt[0]})
					}
				}
				if len(xys) < 2 {
					continue
				}
				ss = append(ss, series{label: s, xys: downsample(xys, maxPoints), line: st.line(s), glyph: st.glyph(s)})
			}
			items, same := addLines(p, ss)
			hidden = hidden || same
			legends, names = append(legends, items), append(names, strings.TrimPrefix(ptitle, "load "))
			p.X.Min, p.X.Max = nines(0.5), math.Max(maxN, 2)
			p.X.Tick.Marker = ninesTicks{}
			if log {
				setLog(&p.Y, lo*0.9, hi*1.1)
			} else {
				p.Y.Min = 0
				padAxis(&p.Y, 0.05)
			}
			panels = append(panels, p)
		}
		legend := mergeLegends(legends, names)
		if len(legend) == 0 {
			continue
		}
		title := "Response time distribution (tail) — " + scenarioTitle(g.key)
		how := "Lower is better at every percentile; the right-hand side is the tail (p99 and beyond), where policies differ most."
		if log {
			how += " The y axis is logarithmic."
		}
		how += sameNote(hidden)
		out = append(out, &Chart{Family: familyOf(g.key), ID: "cdf-" + g.key, Title: title,
			What: "Response time at each percentile from the median to the last one recorded, one line per policy (the CDF with its axes swapped, on a log axis of 1 − q so that the tail is visible).",
			How:  how,
			fig:  &figure{title: title, panels: panels, legend: legend}})
	}
	return out
}

// ninesTicks label a nines axis with percentiles.
type ninesTicks struct{}

func (ninesTicks) Ticks(min, max float64) []plot.Tick {
	var ts []plot.Tick
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 0.9999, 0.99999, 0.999999} {
		x := nines(q)
		if x >= min-1e-9 && x <= max+1e-9 {
			ts = append(ts, plot.Tick{Value: x, Label: trimZeros(strconv.FormatFloat(q*100, 'f', 4, 64))})
		}
	}
	for _, q := range []float64{0.8, 0.95, 0.98, 0.995, 0.998, 0.9995, 0.9998} {
		x := nines(q)
		if x >= min && x <= max {
			ts = append(ts, plot.Tick{Value: x})
		}
	}
	return ts
}

// --- per server ------------------------------------------------------------

// perServerPairs are the per_server arrays shown, dispatch count first,
// in order of preference.
var perServerCounts = []struct{ key, label string }{{"dispatched", "jobs dispatched"}, {"tasks", "tasks run"}}
var perServerBusy = []struct{ key, label string }{{"busy_fraction", "busy fraction (utilization)"}, {"busy_sec", "busy time (s)"}}

func chartPerServer(m *model) []*Chart {
	var out []*Chart
	hasPS := func(r *metrics.Result) bool { return len(r.PerServer) > 0 }
	for _, g := range m.sweeps("load", hasPS) {
		// The highest load shows imbalance best.
		ld := math.NaN()
		if len(g.values) > 0 {
			ld = g.values[len(g.values)-1]
		}
		var rs []*metrics.Result
		var strats []string
		for _, s := range g.strats {
			if r := g.at("load", s, ld); r != nil && maxPerServer(r) > 1 {
				rs = append(rs, r)
				strats = append(strats, s)
			}
		}
		if len(rs) == 0 {
			continue
		}
		var panels []*plot.Plot
		var legend []legendItem
		barChart, hidden := false, false
		// The legends of line panels, merged below.
		var lineLegends [][]legendItem
		var names []string
		var even legendItem
		st := m.styles.forChart(strats)
		for _, set := range [][]struct{ key, label string }{perServerCounts, perServerBusy} {
			key, label := "", ""
			for _, c := range set {
				for _, r := range rs {
					if len(r.PerServer[c.key]) > 0 {
						key, label = c.key, c.label
						break
					}
				}
				if key != "" {
					break
				}
			}
			if key == "" {
				continue
			}
			n := 0
			for _, r := range rs {
				n = max(n, len(r.PerServer[key]))
			}
			barChart = n*len(rs) <= 24
			var p *plot.Plot
			if barChart {
				p = newPlot(firstUpper(label), "server (or worker) number", label)
				addGrid(p, false, true)
				// Bars fill 80% of each server's slot: the panel is about
				// (figure − legend) / 2 wide.
				slot := float64((figureWidth-2.4*vg.Inch)/2) / float64(n)
				w := vg.Length(math.Min(float64(vg.Points(14)), 0.8*slot/float64(len(rs))))
				for i, r := range rs {
					vals := make([]float64, n)
					for j := range vals {
						vals[j] = math.NaN()
					}
					copy(vals, r.PerServer[key])
					fill := st.fill(strats[i])
					off := w*vg.Length(i) - w*vg.Length(len(rs))/2 + w/2
					p.Add(&bars{vals: vals, width: w * 0.95, off: off, fill: fill})
					legend = appendLegend(legend, strats[i], boxThumb{fill})
				}
				var ts plot.ConstantTicks
				step := max(1, n/12)
				for i := 0; i < n; i += step {
					ts = append(ts, plot.Tick{Value: float64(i), Label: strconv.Itoa(i)})
				}
				p.X.Tick.Marker = ts
				p.X.Min, p.X.Max = -0.5, float64(n)-0.5
				p.Y.Min = 0
				p.Y.Max *= 1.06
			} else {
				p = newPlot(firstUpper(label)+" relative to the mean", "servers, sorted from busiest to idlest (rank)", label+" ÷ mean")
				addGrid(p, true, true)
				// The reference goes under the data.
				one, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 1}, {X: float64(n - 1), Y: 1}})
				one.LineStyle = draw.LineStyle{Color: color.Gray{Y: 110}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
				p.Add(one)
				var ss []series
				for i, r := range rs {
					xs := slices.Clone(r.PerServer[key])
					if len(xs) == 0 {
						continue
					}
					slices.Sort(xs)
					slices.Reverse(xs)
					mean := 0.0
					for _, x := range xs {
						mean += x
					}
					mean /= float64(len(xs))
					if mean == 0 {
						continue
					}
					xys := make(plotter.XYs, len(xs))
					for j, x := range xs {
						xys[j] = plotter.XY{X: float64(j), Y: x / mean}
					}
					ss = append(ss, series{label: strats[i], xys: downsample(xys, maxPoints), line: st.line(strats[i]), glyph: st.glyph(strats[i])})
				}
				items, same := addLines(p, ss)
				hidden = hidden || same
				lineLegends, names = append(lineLegends, items), append(names, label)
				even = legendItem{label: "perfectly even", thumbs: []plot.Thumbnailer{lineThumb{line: one.LineStyle}}}
				// Every point inside the frame, with a margin.
				padAxis(&p.Y, 0.06)
				padAxis(&p.X, 0.02)
			}
			panels = append(panels, p)
		}
		if len(panels) == 0 {
			continue
		}
		if len(lineLegends) > 0 {
			legend = append(mergeLegends(lineLegends, names), even)
		}
		at := ""
		if !math.IsNaN(ld) {
			at = fmt.Sprintf(" at load ρ = %s", shortNumber(ld))
		}
		title := "Work per server" + at + " — " + scenarioTitle(g.key)
		what := "How the work was spread: jobs placed on each server (left) and how busy each one was (right)" + at + "."
		how := "Even bars mean a balanced spread; one tall bar is a hot spot. The imbalance metric is the busiest divided by the mean."
		if len(strats) > len(palette) {
			how += " With more strategies than colors, bars of a repeated color are hatched."
		}
		if !barChart {
			what = "How the work was spread over servers" + at + ": each server's share divided by the mean, servers sorted from busiest to idlest."
			how = "A flat line at 1 is a perfectly even spread; the higher the left end, the hotter the hottest server." + sameNote(hidden)
		}
		out = append(out, &Chart{Family: familyOf(g.key), ID: "per-server-" + g.key, Title: title, What: what, How: how,
			fig: &figure{title: title, panels: panels, legend: legend}})
	}
	return out
}

// maxPerServer is the length of r's longest per_server array.
func maxPerServer(r *metrics.Result) int {
	n := 0
	for _, xs := range r.PerServer {
		n = max(n, len(xs))
	}
	return n
}

func appendLegend(l []legendItem, label string, t plot.Thumbnailer) []legendItem {
	for _, it := range l {
		if it.label == label {
			return l
		}
	}
	return append(l, legendItem{label: label, thumbs: []plot.Thumbnailer{t}})
}

// leftOut says how many strategies had too few samples for a bar.
func leftOut(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" %d strategies with fewer than %d samples are left out (see the table).", n, minProfileSamples)
}

// --- where the time went ------------------------------------------------

var categoryColors = map[string]color.Color{
	TaskCode:     color.RGBA{0x00, 0x9E, 0x73, 0xff},
	"scheduling": color.RGBA{0x00, 0x72, 0xB2, 0xff},
	"GC":         color.RGBA{0xD5, 0x5E, 0x00, 0xff},
	"allocation": color.RGBA{0xE6, 0x9F, 0x00, 0xff},
	"syscalls":   color.RGBA{0xCC, 0x79, 0xA7, 0xff},
	"other":      color.Gray{Y: 170},
}

// profileGroups merges the label groups of every profile by label, and
// by case when one label appears in profiles of different cases (the same
// executor on heavy-tailed and on tiny tasks spends its time differently).
func (m *model) profileGroups() []ProfileGroup {
	cases := map[string]map[string]bool{}
	for _, ps := range m.profiles {
		for _, g := range ps.Groups {
			if cases[g.Label()] == nil {
				cases[g.Label()] = map[string]bool{}
			}
			cases[g.Label()][profileCase(ps.Path)] = true
		}
	}
	var out []ProfileGroup
	idx := map[string]int{}
	for _, ps := range m.profiles {
		for _, g := range ps.Groups {
			key := ProfileGroup{Strategy: g.Strategy, Workload: g.Workload}
			if len(cases[g.Label()]) > 1 && g.Strategy != Unlabeled {
				key.Case = profileCase(ps.Path)
			}
			i, ok := idx[key.Label()]
			if !ok {
				i = len(out)
				idx[key.Label()] = i
				key.ByCategory = map[string]float64{}
				out = append(out, key)
			}
			out[i].Total += g.Total
			out[i].Samples += g.Samples
			for k, v := range g.ByCategory {
				out[i].ByCategory[k] += v
			}
		}
	}
	return out
}

// minProfileSamples is the fewest CPU samples a strategy needs to get a
// bar: with fewer, its shares are noise (one sample is 100% of something).
const minProfileSamples = 10

func chartProfileCategories(m *model) []*Chart {
	var groups []ProfileGroup
	left := 0
	for _, g := range m.profileGroups() {
		if g.Samples < minProfileSamples {
			left++
			continue
		}
		groups = append(groups, g)
	}
	if len(groups) == 0 {
		return nil
	}
	p := newPlot("", "share of the strategy's CPU time (%)", "")
	addGrid(p, true, false)
	names := make([]string, len(groups))
	// Category 0 is drawn at the bottom: reverse so the first group is on top.
	for i, g := range groups {
		names[len(groups)-1-i] = truncate(g.Label(), 40)
	}
	p.NominalY(names...)
	p.Y.Tick.Label = textStyle(sans, 10)
	p.Y.Tick.Label.XAlign = draw.XRight
	p.Y.Tick.Label.YAlign = draw.YCenter
	var prev *plotter.BarChart
	var legend []legendItem
	w := vg.Points(float64(min(22, 300/len(groups))))
	for _, cat := range Categories {
		vals := make(plotter.Values, len(groups))
		for i, g := range groups {
			if g.Total > 0 {
				vals[len(groups)-1-i] = 100 * g.ByCategory[cat] / g.Total
			}
		}
		bc, err := plotter.NewBarChart(vals, w)
		if err != nil {
			continue
		}
		bc.Horizontal = true
		bc.Color = categoryColors[cat]
		bc.LineStyle = draw.LineStyle{Color: color.White, Width: vg.Points(0.5)}
		if prev != nil {
			bc.StackOn(prev)
		}
		p.Add(bc)
		prev = bc
		legend = append(legend, legendItem{label: cat + ": " + categoryHelp[cat], thumbs: []plot.Thumbnailer{boxThumb{barFill{color: bc.Color}}}})
	}
	// Total CPU seconds after each bar.
	var xys plotter.XYs
	var texts []string
	for i, g := range groups {
		xys = append(xys, plotter.XY{X: 100, Y: float64(len(groups) - 1 - i)})
		texts = append(texts, shortNumber(g.Total)+" s CPU")
	}
	if ls, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts}); err == nil {
		for i := range ls.TextStyle {
			ls.TextStyle[i] = textStyle(sans, 9)
			ls.TextStyle[i].YAlign = draw.YCenter
		}
		ls.Offset = vg.Point{X: vg.Points(4)}
		p.Add(ls)
	}
	p.X.Min, p.X.Max = 0, 100
	p.Y.Min, p.Y.Max = -0.5, float64(len(groups))-0.5
	p.X.Tick.Marker = plot.ConstantTicks{{Value: 0, Label: "0"}, {Value: 25, Label: "25"}, {Value: 50, Label: "50"}, {Value: 75, Label: "75"}, {Value: 100, Label: "100"}}
	title := "Where the CPU time went, by strategy"
	// Legend text is long: give the figure room.
	fig := &figure{title: title, panels: []*plot.Plot{p}, legend: legend, h: barFigureHeight(len(groups) * 2)}
	// Short legend labels; the page explains each category.
	for i := range fig.legend {
		fig.legend[i].label = Categories[i]
	}
	return []*Chart{{Family: "Profiles", ID: "profile-categories", Title: title,
		What: "Each strategy's CPU samples (from pprof labels) split into its own work (task code), goroutine scheduling, garbage collection, allocation, system calls and other; the number is the strategy's total CPU time." + leftOut(left),
		How:  "More green (task code) is better: the rest is overhead. GC runs on background goroutines without labels, so most of it appears under (unlabeled).",
		fig:  fig}}
}

// unitText says in words what one unit of metric is for these results.
func unitText(units Units, metric string, rs []*metrics.Result) string {
	unit, _ := units.Describe(metric)
	switch unit {
	case "units":
		// Simulated time is in mean service times; the harness's service
		// mode says what one unit was in params.unit_sec.
		sec := math.NaN()
		for _, r := range rs {
			v, ok := paramFloat(r, "unit_sec")
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

// --- model against reality ---------------------------------------------

func chartModelVsReal(m *model) []*Chart {
	checks := ModelChecks(m.results)
	if len(checks) == 0 {
		return nil
	}
	// Group the checks by scenario without the load, in input order.
	var keys []string
	groups := map[string][]ModelCheck{}
	for _, c := range checks {
		k := scenarioWithout(c.Real, "load")
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], c)
	}
	var out []*Chart
	for _, k := range keys {
		cs := groups[k]
		var loads []float64
		for _, c := range cs {
			if ld, ok := paramFloat(c.Real, "load"); ok && !slices.Contains(loads, ld) {
				loads = append(loads, ld)
			}
		}
		slices.Sort(loads)
		var c *Chart
		if len(loads) > 1 {
			c = m.modelLines(k, cs, loads)
		} else {
			// One load: lines would all stand on one vertical; bars side
			// by side read better.
			c = m.modelBars(k, cs, loads)
		}
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

// modelCheckHow is the second line of caption of the model charts.
const modelCheckHow = "Where the two agree, the simulator can be trusted to predict scales that cannot be run here. The table under \"Model against reality\" gives the error, (measured − simulated) ÷ simulated, for the mean and the p99."

// modelBars draws, for the checks of one scenario at one load, the
// measured and simulated mean response time of each policy as a pair of
// bars with their 95% intervals.
func (m *model) modelBars(key string, cs []ModelCheck, loads []float64) *Chart {
	type row struct {
		strat     string
		meas, sim Estimate
	}
	var rows []row
	var rs []*metrics.Result
	for _, c := range cs {
		em, ok1 := EstimateOf(c.Real, "response_mean")
		es, ok2 := EstimateOf(c.Sim, "response_mean")
		if !ok1 || !ok2 || slices.ContainsFunc(rows, func(r row) bool { return r.strat == c.Strategy }) {
			continue
		}
		rows = append(rows, row{c.Strategy, em, es})
		rs = append(rs, c.Real)
	}
	if len(rows) == 0 {
		return nil
	}
	// Best (lowest measured mean) on top: gonum puts category 0 at the
	// bottom.
	slices.SortStableFunc(rows, func(a, b row) int { return cmpFloat(b.meas.Center, a.meas.Center) })
	xlabel := "mean response time (" + m.unitText("response_mean", rs) + ")"
	lo, hi := math.Inf(1), 0.0
	for _, r := range rows {
		for _, v := range []float64{r.meas.Center, r.meas.Lo, r.meas.Hi, r.sim.Center, r.sim.Lo, r.sim.Hi} {
			if v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	clo, chi := math.Inf(1), 0.0
	for _, r := range rows {
		clo = math.Min(clo, math.Min(r.meas.Center, r.sim.Center))
		chi = math.Max(chi, math.Max(r.meas.Center, r.sim.Center))
	}
	log := clo > 0 && chi/clo > barLogRatio
	if log {
		xlabel = strings.TrimSuffix(xlabel, ")") + ", log scale)"
	}
	p := newPlot("", xlabel, "")
	addGrid(p, true, false)
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = truncate(r.strat, 28)
	}
	p.NominalY(names...)
	p.Y.Tick.Label = textStyle(sans, 10)
	p.Y.Tick.Label.XAlign = draw.XRight
	p.Y.Tick.Label.YAlign = draw.YCenter
	bandH := vg.Points(float64(min(34, 340/len(rows))))
	barW := bandH / 2
	sides := []struct {
		label string
		fill  barFill
		get   func(r row) Estimate
	}{
		{"measured (harness)", barFill{color: palette[0]}, func(r row) Estimate { return r.meas }},
		{"simulated", barFill{color: palette[4], hatch: hatchSlash}, func(r row) Estimate { return r.sim }},
	}
	var legend []legendItem
	for si, side := range sides {
		off := bandH/2 - barW*vg.Length(si) - barW/2
		vals := make([]float64, len(rows))
		eb := &errBars{horizontal: true, cap: barW * 0.6, off: off, style: draw.LineStyle{Color: color.Black, Width: vg.Points(0.8)}}
		var xys plotter.XYs
		var texts []string
		for i, r := range rows {
			e := side.get(r)
			vals[i] = e.Center
			eb.xs, eb.ys, eb.lo, eb.hi = append(eb.xs, e.Center), append(eb.ys, float64(i)), append(eb.lo, e.Lo), append(eb.hi, e.Hi)
			end := e.Center
			if e.HasCI() {
				end = math.Max(end, e.Hi)
			}
			text := shortNumber(e.Center)
			if si == 0 && r.sim.Center != 0 {
				d := 100 * (r.meas.Center - r.sim.Center) / r.sim.Center
				if math.Abs(d) < 9.95 {
					text += fmt.Sprintf(" (%+.1f%%)", d)
				} else {
					text += fmt.Sprintf(" (%+.0f%%)", d)
				}
			}
			xys = append(xys, plotter.XY{X: end, Y: float64(i)})
			texts = append(texts, text)
		}
		p.Add(&bars{vals: vals, width: barW * 0.9, off: off, horizontal: true, fill: side.fill}, eb)
		if ls, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts}); err == nil && barW >= vg.Points(8) {
			for i := range ls.TextStyle {
				ls.TextStyle[i] = textStyle(sans, vg.Length(math.Min(9, float64(barW)*0.8)))
				ls.TextStyle[i].YAlign = draw.YCenter
			}
			ls.Offset = vg.Point{X: vg.Points(4), Y: off}
			p.Add(ls)
		}
		legend = append(legend, legendItem{label: side.label, thumbs: []plot.Thumbnailer{boxThumb{side.fill}}})
	}
	p.Y.Min, p.Y.Max = -0.5, float64(len(rows))-0.5
	if log {
		decades := math.Log10(hi / lo)
		setLog(&p.X, lo/math.Pow(10, math.Max(0.08*decades, 0.1)), hi*math.Pow(10, math.Max(0.3*decades, 0.3)))
	} else {
		// Room on the right for the value labels.
		p.X.Min, p.X.Max = 0, math.Max(hi, p.X.Max)*1.25
	}
	at := " at load ρ = " + shortNumber(loads[0])
	title := "Measured against simulated" + at + " — " + scenarioTitle(key)
	what := "Mean response time of each policy" + at + ": measured by the harness on real goroutines (solid blue bar) beside the simulator's prediction for the same policy, servers, load and seed (hatched orange bar); whiskers are 95% intervals. The percentage after the measured value is how far it is from the simulated one: (measured − simulated) ÷ simulated."
	how := "Shorter is better; the best measured policy is on top. " + modelCheckHow
	if log {
		how += " The x axis is logarithmic: bars start at the left edge, not at zero."
	}
	return &Chart{Family: familyOf(key), ID: "model-vs-real-" + key, Title: title, What: what, How: how,
		fig: &figure{title: title, panels: []*plot.Plot{p}, legend: legend, h: barFigureHeight(2 * len(rows))}}
}

// modelLines draws, for the checks of one scenario at several loads, the
// measured (solid lines, filled markers) and simulated (dashed lines,
// hollow markers) mean response time of each policy against the load.
func (m *model) modelLines(key string, cs []ModelCheck, loads []float64) *Chart {
	var strats []string
	var rs []*metrics.Result
	for _, c := range cs {
		if !slices.Contains(strats, c.Strategy) {
			strats = append(strats, c.Strategy)
		}
		rs = append(rs, c.Real)
	}
	st := m.styles.forChart(strats)
	p := newPlot("", "offered load ρ (fraction of capacity)", "mean response time ("+m.unitText("response_mean", rs)+")")
	addGrid(p, true, true)
	lo, hi := math.Inf(1), math.Inf(-1)
	var ss []series
	for _, s := range strats {
		var pts [2]plotter.XYs
		var ebs [2]*errBars
		for side := range 2 {
			ebs[side] = &errBars{cap: vg.Points(5), style: draw.LineStyle{Color: st.color(s), Width: vg.Points(0.9)}}
		}
		for _, c := range cs {
			ld, ok := paramFloat(c.Real, "load")
			if c.Strategy != s || !ok {
				continue
			}
			for side, r := range []*metrics.Result{c.Real, c.Sim} {
				e, ok := EstimateOf(r, "response_mean")
				if !ok || !(e.Center > 0) || slices.ContainsFunc(pts[side], func(p plotter.XY) bool { return p.X == ld }) {
					continue
				}
				pts[side] = append(pts[side], plotter.XY{X: ld, Y: e.Center})
				eb := ebs[side]
				eb.xs, eb.ys, eb.lo, eb.hi = append(eb.xs, ld), append(eb.ys, e.Center), append(eb.lo, e.Lo), append(eb.hi, e.Hi)
				for _, v := range []float64{e.Center, e.Lo, e.Hi} {
					if v > 0 {
						lo, hi = math.Min(lo, v), math.Max(hi, v)
					}
				}
			}
		}
		for side := range 2 {
			slices.SortFunc(pts[side], func(a, b plotter.XY) int { return cmpFloat(a.X, b.X) })
		}
		measLine, measGlyph := st.line(s), filledGlyph(st.glyph(s))
		measLine.Dashes = nil
		simLine, simGlyph := measLine, measGlyph
		simLine.Dashes = dashes[1]
		simGlyph.Shape = hollowGlyph{measGlyph.Shape}
		if len(pts[0]) > 0 {
			ss = append(ss, series{label: s + ", measured", xys: pts[0], line: measLine, glyph: measGlyph, eb: ebs[0]})
		}
		if len(pts[1]) > 0 {
			ss = append(ss, series{label: s + ", simulated", xys: pts[1], line: simLine, glyph: simGlyph, eb: ebs[1]})
		}
	}
	if len(ss) == 0 {
		return nil
	}
	legend, hidden := addLines(p, ss)
	p.X.Tick.Marker = workerTicks(loads)
	padAxis(&p.X, 0.03)
	log := wantLog(lo, hi) || hi/lo > 8
	if log {
		setLog(&p.Y, lo*0.85, hi*1.15)
	} else {
		p.Y.Min, p.Y.Max = 0, math.Max(hi, p.Y.Max)
		padAxis(&p.Y, 0.06)
	}
	title := "Measured against simulated — " + scenarioTitle(key)
	what := "Mean response time of each policy against the load: measured by the harness on real goroutines (solid lines, solid markers) and predicted by the simulator for the same policy, servers, load and seed (dashed lines, hollow markers of the same shape and color); whiskers are 95% intervals."
	how := "Lower is better. " + modelCheckHow
	if log {
		how += " The y axis is logarithmic."
	}
	how += sameNote(hidden)
	return &Chart{Family: familyOf(key), ID: "model-vs-real-" + key, Title: title, What: what, How: how,
		fig: &figure{title: title, panels: []*plot.Plot{p}, legend: legend}}
}

// filledGlyph is g with a solid marker: a ring becomes a disc, the
// outline of a square or triangle a filled one.
func filledGlyph(g draw.GlyphStyle) draw.GlyphStyle {
	switch g.Shape.(type) {
	case draw.RingGlyph:
		g.Shape = draw.CircleGlyph{}
	case draw.SquareGlyph:
		g.Shape = draw.BoxGlyph{}
	case draw.TriangleGlyph:
		g.Shape = draw.PyramidGlyph{}
	}
	return g
}

// hollowGlyph draws its shape with a white middle: the hollow twin of a
// solid marker.
type hollowGlyph struct{ draw.GlyphDrawer }

func (h hollowGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	// draw.Canvas.DrawGlyph sets the color; shapes only fill or stroke.
	h.GlyphDrawer.DrawGlyph(c, sty, pt)
	in := sty
	in.Color, in.Radius = color.White, sty.Radius*0.5
	c.SetColor(in.Color)
	h.GlyphDrawer.DrawGlyph(c, in, pt)
	c.SetColor(sty.Color)
}
