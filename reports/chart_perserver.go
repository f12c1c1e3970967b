// The per-server chart kind: jobs dispatched and busy time per server or worker.

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
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// --- per server ------------------------------------------------------------

// perServerPairs are the per_server arrays shown, dispatch count first,
// in order of preference (the first that every result has, else the first
// that any has: a cluster run behind nginx knows only what its workers
// served, not what the balancer dispatched).
var perServerCounts = []struct{ key, label string }{{"dispatched", "jobs dispatched"}, {"tasks", "tasks run"}, {"served", "jobs served"}}
var perServerBusy = []struct{ key, label string }{{"busy_fraction", "busy fraction (utilization)"}, {"busy_sec", "busy time (s)"}}

// perServerKey returns the first of set that every one of rs has, else the
// first that any has, else "".
func perServerKey(set []struct{ key, label string }, rs []*metrics.Result) (key, label string) {
	for _, all := range []bool{true, false} {
		for _, c := range set {
			n := 0
			for _, r := range rs {
				if len(r.PerServer[c.key]) > 0 {
					n++
				}
			}
			if n > 0 && (!all || n == len(rs)) {
				return c.key, c.label
			}
		}
	}
	return "", ""
}

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
		var legend []chart.LegendItem
		barChart, hidden := false, false
		// The legends of line panels, merged below.
		var lineLegends [][]chart.LegendItem
		var names []string
		var even chart.LegendItem
		// Deployable strategies best first, as the other charts of the
		// scenario order them (by mean response time, else by their
		// hottest server relative to the mean, most even first): the first
		// maxSeries in color, the others folded on a line chart.
		score := map[string]float64{}
		bound := map[string]bool{}
		var deploy []string
		ckey, _ := perServerKey(perServerCounts, rs)
		for i, r := range rs {
			if isBound(r) {
				bound[strats[i]] = true
				continue
			}
			deploy = append(deploy, strats[i])
			if e, ok := EstimateOf(r, "response_mean"); ok && !math.IsNaN(e.Center) {
				score[strats[i]] = e.Center
			} else if xs := r.PerServer[ckey]; len(xs) > 0 {
				mean, hot := 0.0, math.Inf(-1)
				for _, x := range xs {
					mean += x / float64(len(xs))
					hot = math.Max(hot, x)
				}
				if mean > 0 {
					score[strats[i]] = hot / mean
				}
			}
		}
		deploy = byScore(deploy, score)
		st := m.styles.ForChart(strats)
		if len(strats) > maxSeries {
			st = m.styles.ForChart(deploy[:min(len(deploy), maxSeries)])
		}
		for _, set := range [][]struct{ key, label string }{perServerCounts, perServerBusy} {
			key, label := perServerKey(set, rs)
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
				p = chart.NewPlot(firstUpper(label), "server (or worker) number", perServerAxis(label))
				chart.AddGrid(p, false, true)
				// Bars fill 80% of each server's slot: the panel is about
				// (figure − legend) / 2 wide.
				slot := float64((chart.FigureWidth-2.4*vg.Inch)/2) / float64(n)
				w := vg.Length(math.Min(float64(vg.Points(14)), 0.8*slot/float64(len(rs))))
				for i, r := range rs {
					vals := make([]float64, n)
					for j := range vals {
						vals[j] = math.NaN()
					}
					if len(r.PerServer[key]) == 0 {
						continue // no bars: no legend entry
					}
					copy(vals, r.PerServer[key])
					fill := st.Fill(strats[i])
					off := w*vg.Length(i) - w*vg.Length(len(rs))/2 + w/2
					hover := make([]string, n)
					for j, v := range r.PerServer[key] {
						hover[j] = hoverLines(strats[i], fmt.Sprintf("server %d", j), perServerValue(label, v))
					}
					p.Add(chart.NewSeries(strats[i], &chart.Bars{Vals: vals, Width: w * 0.95, Off: off, Fill: fill, Hover: hover}))
					legend = appendLegend(legend, strats[i], chart.BoxThumb{Fill: fill})
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
				p = chart.NewPlot(firstUpper(label)+" relative to the mean", "servers, sorted from busiest to idlest (rank)", strings.TrimSuffix(strings.TrimSuffix(label, " (s)"), " (utilization)")+" ÷ mean (× the mean)")
				chart.AddGrid(p, true, true)
				// The reference goes under the data.
				one, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 1}, {X: float64(n - 1), Y: 1}})
				one.LineStyle = draw.LineStyle{Color: color.Gray{Y: 110}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
				p.Add(chart.NewSeries(evenLabel, one))
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
					xys = chart.Downsample(xys, chart.MaxPoints)
					var hover []chart.HoverPoint
					for _, pt := range xys {
						hover = append(hover, hoverAt(pt.X, pt.Y, strats[i], fmt.Sprintf("server ranked %d of %d (busiest first)", int(pt.X)+1, len(xs)),
							fmt.Sprintf("%s: %s × the mean (%s)", label, FormatNumber(pt.Y), perServerValue(label, pt.Y*mean))))
					}
					line, glyph := st.Line(strats[i]), st.Glyph(strats[i])
					if bound[strats[i]] {
						line, glyph = boundLine, boundGlyph
					}
					ss = append(ss, series{label: strats[i], xys: xys, line: line, glyph: glyph, hover: hover})
				}
				items, same := addLines(p, ss)
				hidden = hidden || same
				lineLegends, names = append(lineLegends, items), append(names, label)
				even = chart.LegendItem{Label: evenLabel, Thumbs: []plot.Thumbnailer{chart.LineThumb{Line: one.LineStyle}}}
				// Every point inside the frame, with a margin.
				chart.PadAxis(&p.Y, 0.06)
				chart.PadAxis(&p.X, 0.02)
			}
			panels = append(panels, p)
		}
		if len(panels) == 0 {
			continue
		}
		folded := 0
		if len(lineLegends) > 0 {
			legend = append(mergeLegends(lineLegends, names), even)
			folded = foldLegend(legend, deploy, func(s string) []string { return []string{s} })
		}
		at := ""
		if !math.IsNaN(ld) {
			at = fmt.Sprintf(" at load ρ = %s", chart.ShortNumber(ld))
		}
		title := "Work per server" + at + " — " + scenarioTitle(g.key)
		what := "How the work was spread: jobs placed on each server (left) and how busy each one was (right)" + at + "."
		how := "Even bars mean a balanced spread; one tall bar is a hot spot. The imbalance metric is the busiest divided by the mean."
		if len(strats) > len(chart.Palette) {
			how += " With more strategies than colors, bars of a repeated color are hatched."
		}
		if !barChart {
			what = "How the work was spread over servers" + at + ": each server's share divided by the mean, servers sorted from busiest to idlest."
			how = "A flat line at 1 is a perfectly even spread; the higher the left end, the hotter the hottest server." + sameNote(hidden) + foldNote(folded, "strategies (by mean response time, else by the most even spread)")
			if len(bound) > 0 {
				how += " Gray squares on a dashed line are reference bounds, not deployable."
			}
		}
		out = append(out, &Chart{Family: familyOf(g.key), ID: "per-server-" + g.key, Title: title, What: what, How: how,
			fig: chart.New(title, panels, chart.WithLegend(legend))})
	}
	return out
}

// perServerAxis is the value axis of a per-server array, with its unit.
func perServerAxis(label string) string {
	switch {
	case strings.HasPrefix(label, "busy fraction"):
		return "busy fraction (of the run, 0 to 1)"
	case strings.HasSuffix(label, ")"):
		return label
	}
	return label + " (count)"
}

// evenLabel is the legend entry of the line of a perfectly even spread.
const evenLabel = "perfectly even"

// perServerValue is one server's value of a per-server array: "1234 jobs
// dispatched", "busy 83.1% of the time", "busy 1.2 s".
func perServerValue(label string, v float64) string {
	switch {
	case strings.HasPrefix(label, "busy fraction"):
		return "busy " + FormatNumber(100*v) + "% of the time"
	case strings.HasPrefix(label, "busy time"):
		return "busy " + FormatNumber(v) + " s"
	}
	return FormatNumber(v) + " " + label
}

// maxPerServer is the length of r's longest per_server array.
func maxPerServer(r *metrics.Result) int {
	n := 0
	for _, xs := range r.PerServer {
		n = max(n, len(xs))
	}
	return n
}
