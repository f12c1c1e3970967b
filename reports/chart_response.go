// The response-vs-load chart kind, with the closed forms of sim/theory overlaid.

package reports

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/reports/internal/chart"
	"github.com/stratbench/stratbench/sim/theory"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// --- response time against load, with theory ------------------------

// maxSeries is the most colored series a line chart draws; the other
// strategies go to a second chart, folded on the page.
const maxSeries = 8

// boundGray is the color of reference bounds and theory lines: drawn
// thin and gray, apart from the deployable policies.
var boundGray = color.Gray{Y: 120}

// boundLine and boundGlyph draw a reference bound: a thin gray dashed
// line with small gray squares.
var (
	boundLine  = draw.LineStyle{Color: boundGray, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(5), vg.Points(2)}}
	boundGlyph = draw.GlyphStyle{Color: boundGray, Radius: vg.Points(2.2), Shape: draw.SquareGlyph{}}
)

// theoryDashes are the dotted patterns of theory curves, one each.
var theoryDashes = [][]vg.Length{
	chart.TheoryDashes,
	{vg.Points(0.8), vg.Points(1.6)},
	{vg.Points(4), vg.Points(1.5), vg.Points(1), vg.Points(1.5)},
	{vg.Points(1), vg.Points(4)},
}

func chartResponseVsLoad(m *model) []*Chart {
	var out []*Chart
	for _, g := range m.sweeps("load", has("response_mean")) {
		if len(g.values) < 2 {
			continue
		}
		deploy, bounds := m.splitBounds(g, "load", "response_mean")
		for part := 0; part*maxSeries < len(deploy) || part == 0; part++ {
			shown := deploy[part*maxSeries : min(len(deploy), (part+1)*maxSeries)]
			if c := m.responseVsLoad(g, shown, bounds, part, len(deploy)); c != nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// splitBounds returns the group's deployable strategies, best first by
// metric at the highest load each ran (lower is better), and its
// reference bounds.
func (m *model) splitBounds(g sweepGroup, key, metric string) (deploy, bounds []string) {
	score := map[string]float64{}
	for _, s := range g.strats {
		score[s] = math.Inf(1)
		for i := len(g.values) - 1; i >= 0; i-- {
			if r := g.at(key, s, g.values[i]); r != nil {
				if isBound(r) {
					bounds = append(bounds, s)
					break
				}
				if e, ok := EstimateOf(r, metric); ok && !math.IsNaN(e.Center) {
					// A policy missing the highest loads ranks after those
					// that ran them, then by its value.
					score[s] = e.Center + float64(len(g.values)-1-i)*1e12
					break
				}
			}
		}
		if !slices.Contains(bounds, s) {
			deploy = append(deploy, s)
		}
	}
	slices.SortStableFunc(deploy, func(a, b string) int { return cmpFloat(score[a], score[b]) })
	return deploy, bounds
}

// responseVsLoad draws one chart of the sweep: the shown deployable
// strategies in color, the bounds and theory in thin gray. part > 0 is a
// chart of the strategies left out of the first (of total).
func (m *model) responseVsLoad(g sweepGroup, shown, bounds []string, part, total int) *Chart {
	{
		metric := "response_mean"
		p := chart.NewPlot("", "offered load ρ (fraction of capacity)", m.axisLabel(metric, g.results))
		chart.AddGrid(p, true, true)
		var legend []chart.LegendItem
		lo, hi := math.Inf(1), math.Inf(-1)
		track := func(v float64) {
			if v > 0 && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		st := m.styles.ForChart(shown)
		unit := m.unitText(metric, g.results)
		var ss []series
		anyUnstable := false
		for _, s := range append(slices.Clone(shown), bounds...) {
			bound := slices.Contains(bounds, s)
			var xys plotter.XYs
			var unstable []string
			col := st.Color(s)
			if bound {
				col = boundGray
			}
			eb := &chart.ErrBars{Cap: vg.Points(5), Style: draw.LineStyle{Color: col, Width: vg.Points(0.9)}}
			var hover []chart.HoverPoint
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
				eb.Xs, eb.Ys, eb.Lo, eb.Hi = append(eb.Xs, v), append(eb.Ys, e.Center), append(eb.Lo, e.Lo), append(eb.Hi, e.Hi)
				hover = append(hover, hoverAt(v, e.Center, s, "load ρ = "+FormatNumber(v), "mean response time: "+valueText(e, unit)))
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
				line, glyph := st.Line(s), st.Glyph(s)
				if bound {
					label += " (bound)"
					line, glyph = boundLine, boundGlyph
				}
				for k := range hover {
					hover[k].Text = label + strings.TrimPrefix(hover[k].Text, s)
				}
				ss = append(ss, series{label: label, xys: xys, line: line, glyph: glyph, eb: eb, hover: hover})
			}
		}
		if len(ss) == 0 {
			return nil
		}
		legend, hidden := addLines(p, ss)
		curves := m.theoryCurves(g, st)
		for i := range curves {
			// Theory is a reference, like the bounds: thin and gray, told
			// apart by its dashes and its legend.
			curves[i].style.Color = boundGray
			curves[i].style.Width = vg.Points(1)
			curves[i].style.Dashes = theoryDashes[i%len(theoryDashes)]
		}
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
			ser := chart.NewSeries(c.label, l)
			for k, pt := range c.xys {
				if k%3 == 0 || k == len(c.xys)-1 {
					ser.Hover(pt.X, pt.Y, hoverLines(c.label, "load ρ = "+FormatNumber(pt.X), "mean response time: "+pointValue(pt.Y, unit)))
				}
			}
			p.Add(ser)
			legend = append(legend, chart.LegendItem{Label: c.label, Thumbs: []plot.Thumbnailer{chart.LineThumb{Line: c.style}}})
		}
		log := chart.WantLog(lo, hi) || hi/lo > 8
		if log {
			chart.SetLog(&p.Y, lo*0.85, hi*1.15)
		} else {
			p.Y.Min, p.Y.Max = 0, math.Max(hi, p.Y.Max)
			chart.PadAxis(&p.Y, 0.06)
		}
		chart.PadAxis(&p.X, 0.03)
		p.X.Tick.Marker = workerTicks(g.values)
		title := "Mean response time against load — " + scenarioTitle(g.key)
		id := "response-vs-load-" + g.key
		what := "Mean response time of each deployable policy as the offered load grows; whiskers are 95% confidence intervals."
		if total > maxSeries {
			lo, hi := part*maxSeries+1, min(total, (part+1)*maxSeries)
			what = fmt.Sprintf("Mean response time of deployable policies %d to %d of %d (best first at the highest load) as the offered load grows; whiskers are 95%% confidence intervals.", lo, hi, total)
			if part > 0 {
				title = fmt.Sprintf("Mean response time against load, the other policies (%d–%d of %d) — %s", lo, hi, total, scenarioTitle(g.key))
				id += fmt.Sprintf("-more-%d", part)
			}
		}
		if len(bounds) > 0 {
			what += " Gray squares on a dashed line are reference bounds (" + strings.Join(bounds, ", ") + "): the best any dispatcher could do, not deployable."
		}
		if len(curves) > 0 {
			what += " Thin gray dotted lines without markers are queueing theory for the same setting (the Erlang C line is the best any dispatcher can do with these servers)."
		}
		how := "Lower is better. Response time climbs steeply as load nears 1; the gap between a policy and the Erlang C line is what its dispatch decisions cost."
		if anyUnstable {
			how += " A policy marked “unstable at” a load gave some servers more work than they can serve there: its values at those loads grow with the run length, and their whiskers do not bound them."
		}
		if log {
			how += " The y axis is logarithmic."
		}
		how += sameNote(hidden)
		return &Chart{Family: familyOf(g.key), ID: id, Title: title, What: what, How: how, More: part > 0,
			fig: chart.New(title, []*plot.Plot{p}, chart.WithLegend(legend))}
	}
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
func (m *model) theoryCurves(g sweepGroup, st *chart.ChartStyle) []theoryCurve {
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
		return draw.LineStyle{Color: c, Width: vg.Points(1.5), Dashes: chart.TheoryDashes}
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
		out = append(out, theoryCurve{label: label, style: dotted(st.Color(s)), xys: grid(func(rho float64) float64 {
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
			style: draw.LineStyle{Color: color.Gray{Y: 120}, Width: vg.Points(2.2), Dashes: chart.TheoryDashes},
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
