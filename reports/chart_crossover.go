// The crossover chart kind: which deployable policy wins at each load,
// and by how much.

package reports

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"github.com/stratbench/stratbench/reports/internal/chart"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// tieGray is the fill of a load where no deployable policy wins.
var tieGray = color.Gray{Y: 190}

// chartCrossover draws, per load sweep (one chart per server count), the
// deployable winner at each load (or the tie) as a bar whose height is
// its margin over the runner-up, with the margin's 95% interval: where
// the bar's label changes, one policy overtakes another.
func chartCrossover(m *model) []*Chart {
	var out []*Chart
	for _, g := range m.sweeps("load", has("response_mean")) {
		if len(g.values) < 2 {
			continue
		}
		type point struct {
			label string
			rk    Ranking
		}
		var pts []point
		for _, v := range g.values {
			sg := scenarioGroup{Scenario: fmt.Sprintf("%s/load=%s", g.key, FormatNumber(v))}
			for _, s := range g.strats {
				if r := g.at("load", s, v); r != nil {
					sg.Results = append(sg.Results, r)
				}
			}
			rk, ok := rankGroup(sg, "response_mean", m.units)
			if !ok || len(rk.Comparisons) == 0 {
				pts = append(pts, point{})
				continue
			}
			label := rk.Winner
			if label == "" {
				label = "tie: " + strings.Join(rk.Best, ", ")
			}
			pts = append(pts, point{label, rk})
		}
		var names []string
		for _, p := range pts {
			if p.rk.Winner != "" {
				names = append(names, p.rk.Winner)
			}
		}
		st := m.styles.ForChart(names)
		p := chart.NewPlot("", "offered load ρ (fraction of capacity)", "winner's margin over the runner-up (× mean response time)")
		chart.AddGrid(p, false, true)
		var legend []chart.LegendItem
		seen := map[string]bool{}
		n := len(pts)
		hi := 1.0
		var lx, ly []float64
		var ls []string
		eb := &chart.ErrBars{Cap: vg.Points(6), Style: draw.LineStyle{Color: color.Black, Width: vg.Points(0.8)}}
		for i, pt := range pts {
			if pt.label == "" {
				continue
			}
			c0 := pt.rk.Comparisons[0]
			vals := make([]float64, n)
			for k := range vals {
				vals[k] = math.NaN()
			}
			vals[i] = c0.Ratio
			fill := chart.BarFill{Color: tieGray, Hatch: chart.HatchSlash}
			key := "tie (no single winner)"
			if pt.rk.Winner != "" {
				fill, key = st.Fill(pt.rk.Winner), pt.rk.Winner
			}
			p.Add(&chart.Bars{Vals: vals, Width: vg.Points(34), Fill: fill})
			if !seen[key] {
				seen[key] = true
				legend = append(legend, chart.LegendItem{Label: key, Thumbs: []plot.Thumbnailer{chart.BoxThumb{Fill: fill}}})
			}
			top := c0.Ratio
			if !math.IsNaN(c0.RatioErr) {
				eb.Xs, eb.Ys = append(eb.Xs, float64(i)), append(eb.Ys, c0.Ratio)
				eb.Lo, eb.Hi = append(eb.Lo, c0.Ratio-c0.RatioErr), append(eb.Hi, c0.Ratio+c0.RatioErr)
				top += c0.RatioErr
			}
			hi = math.Max(hi, top)
			// The label sits above the whisker, never on it.
			lx, ly = append(lx, float64(i)), append(ly, top)
			margin := fmtRatio(c0.Ratio) + "×"
			if pt.rk.Winner == "" {
				margin += " n.s."
			}
			// Name and margin on two lines, so that labels of neighbouring
			// loads do not run into each other.
			ls = append(ls, truncateLabel(pt.label, maxLabelRunes(n))+"\n"+margin)
		}
		if len(ls) == 0 {
			continue
		}
		p.Add(eb)
		p.Y.Min, p.Y.Max = 1, 1+(hi-1)*1.35+0.03
		labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xysOf(lx, ly), Labels: ls})
		if err == nil {
			for i := range labels.TextStyle {
				labels.TextStyle[i] = chart.TextStyle(chart.Sans, 8.5)
				labels.TextStyle[i].XAlign = draw.XCenter
				labels.TextStyle[i].YAlign = draw.YBottom
			}
			labels.Offset = vg.Point{Y: vg.Points(3)}
			p.Add(labels)
		}
		var ticks plot.ConstantTicks
		for i, v := range g.values {
			ticks = append(ticks, plot.Tick{Value: float64(i), Label: FormatNumber(v)})
		}
		p.X.Tick.Marker = ticks
		p.X.Min, p.X.Max = -0.6, float64(n)-0.4
		title := "Which deployable policy wins at each load — " + scenarioTitle(g.key)
		out = append(out, &Chart{Family: familyOf(g.key), ID: "crossover-" + g.key, Title: title,
			What: "At each load, the deployable policy that wins (colored bar, named above it) or the policies tied for best (gray hatched bar, \"tie: ...\"), by the ranking of the summary table; the bar's height is the winner's margin over the runner-up, with its 95% interval. Reference bounds (central, lwl) are left out.",
			How:  "Where the name above the bars changes, one policy overtakes another: pick by the load you expect. A bar near 1× or a tie means the choice matters little there.",
			fig:  chart.New(title, []*plot.Plot{p}, chart.WithLegend(legend))})
	}
	return out
}

// maxLabelRunes is how long a bar's label may be with n bars across the
// plot (about 110 points of 8.5-point text each at 5 bars).
func maxLabelRunes(n int) int { return max(8, min(32, 120/max(n, 1))) }

// truncateLabel shortens a bar label to n runes.
func truncateLabel(s string, n int) string { return chart.Truncate(s, n) }

func xysOf(xs, ys []float64) plotter.XYs {
	out := make(plotter.XYs, len(xs))
	for i := range xs {
		out[i] = plotter.XY{X: xs[i], Y: ys[i]}
	}
	return out
}
