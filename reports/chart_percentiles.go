// The latency-percentiles chart kind: p50, p95 and p99 per policy.

package reports

import (
	"image/color"
	"math"
	"slices"

	"github.com/stratbench/stratbench/reports/internal/chart"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

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
		log := chart.WantLog(lo, hi) || hi/lo > 8
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
		unit := m.unitText("response_p50", g.results)
		for _, ld := range loads {
			ptitle := ""
			if !math.IsNaN(ld) {
				ptitle = "load ρ = " + chart.ShortNumber(ld)
			}
			p := chart.NewPlot(ptitle, "response time ("+unit+")", "")
			chart.AddGrid(p, true, false)
			names := make([]string, len(strats))
			for i, s := range strats {
				names[i] = chart.Truncate(s, 22)
			}
			p.NominalY(names...)
			p.Y.Tick.Label = chart.TextStyle(chart.Sans, 10)
			p.Y.Tick.Label.XAlign = draw.XRight
			p.Y.Tick.Label.YAlign = draw.YCenter
			// The gray spans first, then one series per percentile (its
			// legend entry hides its dots).
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
			}
			for k, pm := range percentileMetrics {
				var xys plotter.XYs
				ser := chart.NewSeries(pm.label)
				for i, s := range strats {
					r := g.at("load", s, ld)
					if r == nil {
						continue
					}
					v := r.Metrics[pm.metric]
					if !(v > 0) {
						continue
					}
					xys = append(xys, plotter.XY{X: v, Y: float64(i)})
					e, _ := EstimateOf(r, pm.metric)
					ser.Hover(v, float64(i), hoverLines(s, ptitle, pm.label+": "+valueText(e, unit)))
				}
				if len(xys) == 0 {
					continue
				}
				sc, _ := plotter.NewScatter(xys)
				sc.GlyphStyle = draw.GlyphStyle{Color: percentileColors[k], Radius: vg.Points(4), Shape: draw.CircleGlyph{}}
				ser.Plotters = append(ser.Plotters, sc)
				p.Add(ser)
			}
			if log {
				chart.SetLog(&p.X, lo*0.8, hi*1.25)
			} else {
				p.X.Min, p.X.Max = 0, hi*1.08
			}
			panels = append(panels, p)
		}
		var legend []chart.LegendItem
		for k, pm := range percentileMetrics {
			legend = append(legend, chart.LegendItem{Label: pm.label, Thumbs: []plot.Thumbnailer{chart.LineThumb{Glyph: draw.GlyphStyle{Color: percentileColors[k], Radius: vg.Points(4), Shape: draw.CircleGlyph{}}}}})
		}
		title := "Response time percentiles — " + scenarioTitle(g.key)
		what := "Median, 95th and 99th percentile response time of each policy"
		switch {
		case len(loads) > 1:
			what += ", one panel per load"
		case !math.IsNaN(loads[0]):
			what += " at load ρ = " + chart.ShortNumber(loads[0])
		}
		what += "; the gray bar spans p50 to p99."
		how := "Further left is better; a long bar means a long tail: a few jobs wait much longer than the typical one. Policies are sorted by p99 at the highest load, best on top."
		if log {
			how += " The x axis is logarithmic."
		}
		// A row per policy: a few policies make a short chart.
		h := max(3*vg.Inch, min(5*vg.Inch, 1.6*vg.Inch+vg.Length(len(strats))*0.3*vg.Inch))
		out = append(out, &Chart{Family: familyOf(g.key), ID: "percentiles-" + g.key, Title: title, What: what, How: how,
			fig: chart.New(title, panels, chart.WithLegend(legend), chart.Height(h))})
	}
	return out
}
