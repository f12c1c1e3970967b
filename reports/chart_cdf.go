// The latency-cdf chart kind: response time at every percentile.

package reports

import (
	"math"
	"strconv"
	"strings"

	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/reports/internal/chart"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

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
		log := chart.WantLog(lo, hi)
		var panels []*plot.Plot
		var legends [][]chart.LegendItem
		var names []string
		hidden := false
		// Deployable strategies by their tail at the highest load, best
		// first: the first maxSeries in color, the others folded; bounds
		// thin and gray, like theory.
		top := loads[len(loads)-1]
		score := map[string]float64{}
		var deploy []string
		bound := map[string]bool{}
		for _, s := range g.strats {
			if r := g.at("load", s, top); r != nil {
				if v, ok := r.Metrics["response_p99"]; ok {
					score[s] = v
				} else if n := len(r.CDF); n > 0 {
					score[s] = r.CDF[n-1][0]
				}
			}
			for _, r := range g.results {
				if _, rs := StrategyOf(r); rs == s && isBound(r) {
					bound[s] = true
				}
			}
			if !bound[s] {
				deploy = append(deploy, s)
			}
		}
		deploy = byScore(deploy, score)
		st := m.styles.ForChart(deploy[:min(len(deploy), maxSeries)])
		unit := m.unitText("response_p50", g.results)
		for _, ld := range loads {
			ptitle := ""
			if !math.IsNaN(ld) {
				ptitle = "load ρ = " + chart.ShortNumber(ld)
			}
			p := chart.NewPlot(ptitle, "percentile, % (log scale of 1 − q)", "response time ("+unit+")")
			chart.AddGrid(p, true, true)
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
				xys = chart.Downsample(xys, chart.MaxPoints)
				var hover []chart.HoverPoint
				for _, pt := range xys {
					hover = append(hover, hoverAt(pt.X, pt.Y, s, ptitle, percentileName(pt.X)+": "+pointValue(pt.Y, unit)))
				}
				line, glyph := st.Line(s), st.Glyph(s)
				if bound[s] {
					line, glyph = boundLine, boundGlyph
				}
				ss = append(ss, series{label: s, xys: xys, line: line, glyph: glyph, hover: hover})
			}
			items, same := addLines(p, ss)
			hidden = hidden || same
			legends, names = append(legends, items), append(names, strings.TrimPrefix(ptitle, "load "))
			p.X.Min, p.X.Max = nines(0.5), math.Max(maxN, 2)
			p.X.Tick.Marker = ninesTicks{}
			if log {
				chart.SetLog(&p.Y, lo*0.9, hi*1.1)
			} else {
				p.Y.Min = 0
				chart.PadAxis(&p.Y, 0.05)
			}
			panels = append(panels, p)
		}
		legend := mergeLegends(legends, names)
		if len(legend) == 0 {
			continue
		}
		folded := foldLegend(legend, deploy, func(s string) []string { return []string{s} })
		title := "Response time distribution (tail) — " + scenarioTitle(g.key)
		how := "Lower is better at every percentile; the right-hand side is the tail (p99 and beyond), where policies differ most."
		if log {
			how += " The y axis is logarithmic."
		}
		how += sameNote(hidden) + foldNote(folded, "policies (lowest p99 at the highest load)")
		if len(bound) > 0 {
			how += " Gray squares on a dashed line are reference bounds, not deployable."
		}
		out = append(out, &Chart{Family: familyOf(g.key), ID: "cdf-" + g.key, Title: title,
			What: "Response time at each percentile from the median to the last one recorded, one line per policy (the CDF with its axes swapped, on a log axis of 1 − q so that the tail is visible).",
			How:  how,
			fig:  chart.New(title, panels, chart.WithLegend(legend))})
	}
	return out
}

// percentileName names the percentile at x on a nines axis: "p99.9".
func percentileName(x float64) string {
	q := 100 * (1 - math.Pow(10, -x))
	return "p" + chart.TrimZeros(strconv.FormatFloat(q, 'f', max(1, int(math.Ceil(x))), 64))
}

// ninesTicks label a nines axis with percentiles.
type ninesTicks struct{}

func (ninesTicks) Ticks(min, max float64) []plot.Tick {
	var ts []plot.Tick
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 0.9999, 0.99999, 0.999999} {
		x := nines(q)
		if x >= min-1e-9 && x <= max+1e-9 {
			ts = append(ts, plot.Tick{Value: x, Label: chart.TrimZeros(strconv.FormatFloat(q*100, 'f', 4, 64))})
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
