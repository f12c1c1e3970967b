// The summary-bars chart kind: the headline metric of each strategy per scenario.

package reports

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/reports/internal/chart"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

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
	p := chart.NewPlot("", xlabel, "")
	chart.AddGrid(p, true, false)
	names := make([]string, len(strats))
	for i, s := range strats {
		names[i] = chart.Truncate(s, 28)
	}
	p.NominalY(names...)
	p.Y.Tick.Label = chart.TextStyle(chart.Sans, 10)
	p.Y.Tick.Label.XAlign = draw.XRight
	p.Y.Tick.Label.YAlign = draw.YCenter
	bandH := vg.Points(float64(min(30, 300/len(strats))))
	barW := bandH / vg.Length(len(workers))
	var legend []chart.LegendItem
	// Value labels at the end of each bar, past its whisker, when bars
	// are tall enough.
	showLabels := barW >= vg.Points(9)
	labelSize := vg.Length(math.Min(9, float64(barW)*0.8))
	for wi, w := range workers {
		vals := make([]float64, len(strats))
		hover := make([]string, len(strats))
		eb := &chart.ErrBars{Horizontal: true, Cap: barW * 0.6, Style: draw.LineStyle{Color: color.Black, Width: vg.Points(0.8)}}
		// The first series on top of its band, as in the legend.
		off := bandH/2 - barW*vg.Length(wi) - barW/2
		var labels plotter.XYs
		var labelText []string
		where := ""
		if !math.IsNaN(w) {
			where = "workers=" + chart.ShortNumber(w)
		}
		for i, s := range strats {
			vals[i] = math.NaN()
			e, ok := val(s, w)
			if !ok || math.IsNaN(e.Center) {
				continue
			}
			hover[i] = hoverLines(s, where, MetricTitle(metric)+": "+m.estimateHover(e, metric, g.results))
			e.Center, e.Lo, e.Hi = e.Center*scale, e.Lo*scale, e.Hi*scale
			vals[i] = e.Center
			end := e.Center
			if e.HasCI() {
				end = math.Max(end, e.Hi)
			}
			eb.Xs, eb.Ys = append(eb.Xs, e.Center), append(eb.Ys, float64(i))
			eb.Lo, eb.Hi = append(eb.Lo, e.Lo), append(eb.Hi, e.Hi)
			labels = append(labels, plotter.XY{X: end, Y: float64(i)})
			if isTime {
				// Each label in its own unit: "39.3 ms" beside "1.68 s".
				f1, s1, _ := timeScale(unit, math.Abs(e.Center/scale))
				labelText = append(labelText, chart.ShortNumber(e.Center/scale*f1)+" "+s1)
			} else {
				labelText = append(labelText, chart.ShortNumber(e.Center))
			}
		}
		eb.Off = off
		fill := chart.BarFill{Color: chart.Palette[0]}
		key := ""
		if len(workers) > 1 {
			fill = chart.BarFill{Color: chart.SlotColor(wi), Hatch: chart.SlotHatch(wi)}
			key = "workers=" + chart.ShortNumber(w)
			legend = append(legend, chart.LegendItem{Label: key, Thumbs: []plot.Thumbnailer{chart.BoxThumb{Fill: fill}}})
		}
		ser := chart.NewSeries(key, &chart.Bars{Vals: vals, Width: barW * 0.92, Off: off, Horizontal: true, Fill: fill, Hover: hover}, eb)
		if showLabels && len(labels) > 0 {
			if ls, err := plotter.NewLabels(plotter.XYLabels{XYs: labels, Labels: labelText}); err == nil {
				for i := range ls.TextStyle {
					ls.TextStyle[i] = chart.TextStyle(chart.Sans, labelSize)
					ls.TextStyle[i].YAlign = draw.YCenter
				}
				// Past the whisker's cap, never on it.
				ls.Offset = vg.Point{X: vg.Points(4), Y: off}
				ser.Plotters = append(ser.Plotters, ls)
			}
		}
		p.Add(ser)
	}
	p.Y.Min, p.Y.Max = -0.5, float64(len(strats))-0.5
	if log {
		// Room on the left so that the smallest bar shows, on the right
		// for the value labels.
		decades := math.Log10(hi / lo)
		chart.SetLog(&p.X, lo/math.Pow(10, math.Max(0.08*decades, 0.1)), hi*math.Pow(10, math.Max(0.16*decades, 0.2)))
	} else {
		p.X.Min = 0
		p.X.Max = math.Max(hi, p.X.Max) * 1.18 // room for the value labels
	}
	what := fmt.Sprintf("%s of each strategy in %s", firstUpper(MetricTitle(metric)), scenarioTitle(g.key))
	if len(workers) > 1 {
		what += ", one bar per worker count"
	}
	what += "; whiskers are 95% confidence intervals where the results have them."
	if op := opText(metric, g.results); op != "" {
		what += " " + op
	}
	how := "Longer bars are better"
	if better == metrics.Lower {
		how = "Shorter bars are better"
	}
	how += "; the best strategy is on top. Overlapping whiskers mean the difference may be noise."
	if log {
		how += fmt.Sprintf(" The values span a factor of %s, so the x axis is logarithmic: every bar starts at the left edge, not at zero, and equal steps along the axis are equal ratios; read the value at the end of each bar.", chart.ShortNumber(hi/lo))
	}
	title := fmt.Sprintf("%s by %s — %s", firstUpper(MetricTitle(metric)), strategyNoun(g.results), scenarioTitle(g.key))
	if metric == "mb_per_sec" && strings.HasPrefix(g.key, "XML") {
		title = "XML kernel ladder: MB/s — " + scenarioTitle(g.key)
		how = "Longer bars are faster; kernels go from the slowest (bottom) to the fastest (top)."
	}
	h := barFigureHeight(len(strats) * len(workers))
	return &Chart{Family: familyOf(g.key), ID: "bars-" + g.key, Title: title, What: what, How: how,
		fig: chart.New(title, []*plot.Plot{p}, chart.WithLegend(legend), chart.Height(h))}
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

// opText says what one operation of a rate is, for batch results: one
// task, and for kernel workloads what one task computes.
func opText(metric string, rs []*metrics.Result) string {
	if metric != "throughput_per_sec" || len(rs) == 0 {
		return ""
	}
	var ws []string
	kernels := true
	for _, r := range rs {
		w, ok := param(r, "workload")
		if !ok {
			return ""
		}
		if !slices.Contains(ws, w) {
			ws = append(ws, w)
		}
		kernels = kernels && strings.HasPrefix(w, "kernel:")
	}
	switch {
	case kernels:
		return "One op is one task: one call of the kernel on its family's input (n elements, bytes or rows, times the task's size; stratbench list workloads gives n and the unit of each)."
	case len(ws) == 1:
		return "One op is one task of the " + ws[0] + " workload (stratbench list workloads says what one task does)."
	}
	return ""
}
