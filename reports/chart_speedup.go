// The speedup chart kind: speedup and parallel efficiency against workers.

package reports

import (
	"image/color"

	"github.com/stratbench/stratbench/reports/internal/chart"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// --- speedup and efficiency against workers ---------------------------

func chartSpeedup(m *model) []*Chart {
	var out []*Chart
	for _, g := range m.sweeps("workers", has("speedup")) {
		if len(g.values) < 2 {
			continue
		}
		var panels []*plot.Plot
		var legend []chart.LegendItem
		hidden := false
		// Strategies by speedup at the most workers, best first: the first
		// maxSeries in color, the others folded.
		score := map[string]float64{}
		for _, s := range g.strats {
			for i := len(g.values) - 1; i >= 0; i-- {
				if r := g.at("workers", s, g.values[i]); r != nil {
					if e, ok := EstimateOf(r, "speedup"); ok {
						score[s] = -e.Center + float64(len(g.values)-1-i)*1e12
						break
					}
				}
			}
		}
		order := byScore(g.strats, score)
		st := m.styles.ForChart(order[:min(len(order), maxSeries)])
		for _, metric := range []string{"speedup", "efficiency"} {
			p := chart.NewPlot(firstUpper(MetricTitle(metric)), "workers", m.axisLabel(metric, g.results))
			chart.AddGrid(p, true, true)
			var ss []series
			for _, s := range g.strats {
				var xys plotter.XYs
				var hover []chart.HoverPoint
				eb := &chart.ErrBars{Cap: vg.Points(5), Style: draw.LineStyle{Color: st.Color(s), Width: vg.Points(0.8)}}
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
					hover = append(hover, hoverAt(w, e.Center, s, "workers="+FormatNumber(w), MetricTitle(metric)+": "+valueText(e, m.unitText(metric, g.results))))
					eb.Xs, eb.Ys, eb.Lo, eb.Hi = append(eb.Xs, w), append(eb.Ys, e.Center), append(eb.Lo, e.Lo), append(eb.Hi, e.Hi)
				}
				if len(xys) > 0 {
					ss = append(ss, series{label: s, xys: xys, line: st.Line(s), glyph: st.Glyph(s), eb: eb, hover: hover})
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
			p.Add(chart.NewSeries("ideal (linear)", il))
			if metric == "speedup" {
				legend = append(legend, chart.LegendItem{Label: "ideal (linear)", Thumbs: []plot.Thumbnailer{chart.LineThumb{Line: il.LineStyle}}})
			}
			p.Y.Min = 0
			p.Y.Max *= 1.05
			chart.PadAxis(&p.X, 0.04)
			p.X.Tick.Marker = workerTicks(g.values)
			panels = append(panels, p)
		}
		if len(panels) == 0 {
			continue
		}
		folded := foldLegend(legend, order, func(s string) []string { return []string{s} })
		title := "Speedup and efficiency against workers — " + scenarioTitle(g.key)
		out = append(out, &Chart{Family: familyOf(g.key), ID: "speedup-" + g.key, Title: title,
			What: "Speedup over the sequential run (left) and parallel efficiency = speedup / workers (right) for each strategy as workers are added; the dashed gray line is perfect linear scaling.",
			How:  "Higher is better; a line that bends away from the ideal shows where adding workers stops paying (overhead, imbalance or a shared bottleneck)." + sameNote(hidden) + foldNote(folded, "strategies (highest speedup at the most workers)"),
			fig:  chart.New(title, panels, chart.WithLegend(legend))})
	}
	return out
}
