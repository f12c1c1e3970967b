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
		n := len(pts)
		hi := 1.0
		// One series per winner (and one for the ties), so that a legend
		// entry hides its bars, whiskers and labels together.
		type group struct {
			ser    *chart.Series
			eb     *chart.ErrBars
			lx, ly []float64
			ls     []string
		}
		groups := map[string]*group{}
		var keys []string
		for i, pt := range pts {
			if pt.label == "" {
				continue
			}
			c0 := pt.rk.Comparisons[0]
			vals := make([]float64, n)
			hover := make([]string, n)
			for k := range vals {
				vals[k] = math.NaN()
			}
			vals[i] = c0.Ratio
			fill := chart.BarFill{Color: tieGray, Hatch: chart.HatchSlash}
			key := "tie (no single winner)"
			if pt.rk.Winner != "" {
				fill, key = st.Fill(pt.rk.Winner), pt.rk.Winner
			}
			gr := groups[key]
			if gr == nil {
				gr = &group{ser: chart.NewSeries(key), eb: &chart.ErrBars{Cap: vg.Points(6), Style: draw.LineStyle{Color: color.Black, Width: vg.Points(0.8)}}}
				groups[key] = gr
				keys = append(keys, key)
				legend = append(legend, chart.LegendItem{Label: key, Thumbs: []plot.Thumbnailer{chart.BoxThumb{Fill: fill}}})
			}
			margin := fmtRatio(c0.Ratio) + "×"
			if !math.IsNaN(c0.RatioErr) {
				margin += " ± " + fmtRatioErr(c0.RatioErr, c0.Ratio)
			}
			verdict := "winner: " + pt.rk.Winner
			if pt.rk.Winner == "" {
				verdict = pt.label
			}
			sig := ""
			if note := c0.SignificanceNote(); note != "" {
				sig = "(" + note + ")"
			}
			hover[i] = hoverLines(verdict, "load ρ = "+FormatNumber(g.values[i]),
				pt.rk.Leader+" has "+margin+" lower mean response time than "+c0.Other, sig)
			gr.ser.Plotters = append(gr.ser.Plotters, &chart.Bars{Vals: vals, Width: vg.Points(34), Fill: fill, Hover: hover})
			top := c0.Ratio
			if !math.IsNaN(c0.RatioErr) {
				gr.eb.Xs, gr.eb.Ys = append(gr.eb.Xs, float64(i)), append(gr.eb.Ys, c0.Ratio)
				gr.eb.Lo, gr.eb.Hi = append(gr.eb.Lo, c0.Ratio-c0.RatioErr), append(gr.eb.Hi, c0.Ratio+c0.RatioErr)
				top += c0.RatioErr
			}
			hi = math.Max(hi, top)
			// The label sits above the whisker, never on it.
			gr.lx, gr.ly = append(gr.lx, float64(i)), append(gr.ly, top)
			label := fmtRatio(c0.Ratio) + "×"
			if pt.rk.Winner == "" {
				label += " n.s."
			}
			// Name and margin on two lines, so that labels of neighbouring
			// loads do not run into each other.
			gr.ls = append(gr.ls, truncateLabel(pt.label, maxLabelRunes(n))+"\n"+label)
		}
		if len(keys) == 0 {
			continue
		}
		// The bars first, then every whisker and label over them.
		for _, k := range keys {
			p.Add(groups[k].ser)
		}
		for _, k := range keys {
			gr := groups[k]
			over := chart.NewSeries(k, gr.eb)
			if labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xysOf(gr.lx, gr.ly), Labels: gr.ls}); err == nil {
				for i := range labels.TextStyle {
					labels.TextStyle[i] = chart.TextStyle(chart.Sans, 8.5)
					labels.TextStyle[i].XAlign = draw.XCenter
					labels.TextStyle[i].YAlign = draw.YBottom
				}
				// Above the whisker's cap.
				labels.Offset = vg.Point{Y: vg.Points(4)}
				over.Plotters = append(over.Plotters, labels)
			}
			p.Add(over)
		}
		p.Y.Min, p.Y.Max = 1, 1+(hi-1)*1.35+0.03
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
