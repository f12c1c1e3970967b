// The model-vs-real chart kind: the harness's measurement beside the simulator's prediction.

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
	unit := m.unitText("response_mean", rs)
	xlabel := "mean response time (" + unit + ")"
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
	p := chart.NewPlot("", xlabel, "")
	chart.AddGrid(p, true, false)
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = chart.Truncate(r.strat, 28)
	}
	p.NominalY(names...)
	p.Y.Tick.Label = chart.TextStyle(chart.Sans, 10)
	p.Y.Tick.Label.XAlign = draw.XRight
	p.Y.Tick.Label.YAlign = draw.YCenter
	bandH := vg.Points(float64(min(34, 340/len(rows))))
	barW := bandH / 2
	sides := []struct {
		label string
		fill  chart.BarFill
		get   func(r row) Estimate
	}{
		{"measured (harness)", chart.BarFill{Color: chart.Palette[0]}, func(r row) Estimate { return r.meas }},
		{"simulated", chart.BarFill{Color: chart.Palette[4], Hatch: chart.HatchSlash}, func(r row) Estimate { return r.sim }},
	}
	var legend []chart.LegendItem
	for si, side := range sides {
		off := bandH/2 - barW*vg.Length(si) - barW/2
		vals := make([]float64, len(rows))
		eb := &chart.ErrBars{Horizontal: true, Cap: barW * 0.6, Off: off, Style: draw.LineStyle{Color: color.Black, Width: vg.Points(0.8)}}
		var xys plotter.XYs
		var texts []string
		hover := make([]string, len(rows))
		for i, r := range rows {
			e := side.get(r)
			vals[i] = e.Center
			hover[i] = hoverLines(r.strat+", "+side.label, "mean response time: "+valueText(e, unit))
			eb.Xs, eb.Ys, eb.Lo, eb.Hi = append(eb.Xs, e.Center), append(eb.Ys, float64(i)), append(eb.Lo, e.Lo), append(eb.Hi, e.Hi)
			end := e.Center
			if e.HasCI() {
				end = math.Max(end, e.Hi)
			}
			text := chart.ShortNumber(e.Center)
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
			if si == 0 && text != chart.ShortNumber(e.Center) {
				hover[i] += "\nmeasured vs simulated: " + strings.TrimSuffix(strings.TrimPrefix(text, chart.ShortNumber(e.Center)+" ("), ")")
			}
		}
		ser := chart.NewSeries(side.label, &chart.Bars{Vals: vals, Width: barW * 0.9, Off: off, Horizontal: true, Fill: side.fill, Hover: hover}, eb)
		if ls, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts}); err == nil && barW >= vg.Points(8) {
			for i := range ls.TextStyle {
				ls.TextStyle[i] = chart.TextStyle(chart.Sans, vg.Length(math.Min(9, float64(barW)*0.8)))
				ls.TextStyle[i].YAlign = draw.YCenter
			}
			// Past the whisker's cap, never on it.
			ls.Offset = vg.Point{X: vg.Points(4), Y: off}
			ser.Plotters = append(ser.Plotters, ls)
		}
		p.Add(ser)
		legend = append(legend, chart.LegendItem{Label: side.label, Thumbs: []plot.Thumbnailer{chart.BoxThumb{Fill: side.fill}}})
	}
	p.Y.Min, p.Y.Max = -0.5, float64(len(rows))-0.5
	if log {
		decades := math.Log10(hi / lo)
		chart.SetLog(&p.X, lo/math.Pow(10, math.Max(0.08*decades, 0.1)), hi*math.Pow(10, math.Max(0.3*decades, 0.3)))
	} else {
		// Room on the right for the value labels.
		p.X.Min, p.X.Max = 0, math.Max(hi, p.X.Max)*1.25
	}
	at := " at load ρ = " + chart.ShortNumber(loads[0])
	title := "Measured against simulated" + at + " — " + scenarioTitle(key)
	what := "Mean response time of each policy" + at + ": measured by the harness on real goroutines (solid blue bar) beside the simulator's prediction for the same policy, servers, load and seed (hatched orange bar); whiskers are 95% intervals. The percentage after the measured value is how far it is from the simulated one: (measured − simulated) ÷ simulated."
	how := "Shorter is better; the best measured policy is on top. " + modelCheckHow
	if log {
		how += " The x axis is logarithmic: bars start at the left edge, not at zero."
	}
	return &Chart{Family: familyOf(key), ID: "model-vs-real-" + key, Title: title, What: what, How: how,
		fig: chart.New(title, []*plot.Plot{p}, chart.WithLegend(legend), chart.Height(barFigureHeight(2*len(rows))))}
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
	st := m.styles.ForChart(strats)
	unit := m.unitText("response_mean", rs)
	p := chart.NewPlot("", "offered load ρ (fraction of capacity)", "mean response time ("+unit+")")
	chart.AddGrid(p, true, true)
	lo, hi := math.Inf(1), math.Inf(-1)
	var ss []series
	for _, s := range strats {
		var pts [2]plotter.XYs
		var ebs [2]*chart.ErrBars
		var hovers [2][]chart.HoverPoint
		for side := range 2 {
			ebs[side] = &chart.ErrBars{Cap: vg.Points(5), Style: draw.LineStyle{Color: st.Color(s), Width: vg.Points(0.9)}}
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
				hovers[side] = append(hovers[side], hoverAt(ld, e.Center, s+", "+[]string{"measured", "simulated"}[side], "load ρ = "+FormatNumber(ld), "mean response time: "+valueText(e, unit)))
				eb := ebs[side]
				eb.Xs, eb.Ys, eb.Lo, eb.Hi = append(eb.Xs, ld), append(eb.Ys, e.Center), append(eb.Lo, e.Lo), append(eb.Hi, e.Hi)
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
		measLine, measGlyph := st.Line(s), filledGlyph(st.Glyph(s))
		measLine.Dashes = nil
		simLine, simGlyph := measLine, measGlyph
		simLine.Dashes = chart.Dashes[1]
		simGlyph.Shape = hollowGlyph{measGlyph.Shape}
		if len(pts[0]) > 0 {
			ss = append(ss, series{label: s + ", measured", xys: pts[0], line: measLine, glyph: measGlyph, eb: ebs[0], hover: hovers[0]})
		}
		if len(pts[1]) > 0 {
			ss = append(ss, series{label: s + ", simulated", xys: pts[1], line: simLine, glyph: simGlyph, eb: ebs[1], hover: hovers[1]})
		}
	}
	if len(ss) == 0 {
		return nil
	}
	legend, hidden := addLines(p, ss)
	p.X.Tick.Marker = workerTicks(loads)
	chart.PadAxis(&p.X, 0.03)
	log := chart.WantLog(lo, hi) || hi/lo > 8
	if log {
		chart.SetLog(&p.Y, lo*0.85, hi*1.15)
	} else {
		p.Y.Min, p.Y.Max = 0, math.Max(hi, p.Y.Max)
		chart.PadAxis(&p.Y, 0.06)
	}
	title := "Measured against simulated — " + scenarioTitle(key)
	what := "Mean response time of each policy against the load: measured by the harness on real goroutines (solid lines, solid markers) and predicted by the simulator for the same policy, servers, load and seed (dashed lines, hollow markers of the same shape and color); whiskers are 95% intervals."
	how := "Lower is better. " + modelCheckHow
	if log {
		how += " The y axis is logarithmic."
	}
	how += sameNote(hidden)
	return &Chart{Family: familyOf(key), ID: "model-vs-real-" + key, Title: title, What: what, How: how,
		fig: chart.New(title, []*plot.Plot{p}, chart.WithLegend(legend))}
}
