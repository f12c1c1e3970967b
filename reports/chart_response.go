// The response-vs-load chart kind, with the closed forms of sim/theory overlaid.

package reports

import (
	"fmt"
	"image/color"
	"math"
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

func chartResponseVsLoad(m *model) []*Chart {
	var out []*Chart
	for _, g := range m.sweeps("load", has("response_mean")) {
		if len(g.values) < 2 {
			continue
		}
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
		st := m.styles.ForChart(g.strats)
		var ss []series
		anyUnstable := false
		for _, s := range g.strats {
			var xys plotter.XYs
			var unstable []string
			eb := &chart.ErrBars{Cap: vg.Points(5), Style: draw.LineStyle{Color: st.Color(s), Width: vg.Points(0.9)}}
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
				ss = append(ss, series{label: label, xys: xys, line: st.Line(s), glyph: st.Glyph(s), eb: eb})
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
			fig: chart.New(title, []*plot.Plot{p}, chart.WithLegend(legend))})
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
