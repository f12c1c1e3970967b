// The traffic-share chart kind: for a run with faults, each server's share
// of the requests over time and the p99 over time, so that a reader sees
// the balancer move traffic away from a failing server and back.

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

// maxShareLines bounds the servers drawn one line each; the others are
// drawn as one line, their mean share.
const maxShareLines = 6

func chartTrafficShare(m *model) []*Chart {
	var out []*Chart
	for i := range m.results {
		r := &m.results[i]
		tl := r.Timeline
		if tl == nil || len(tl.Dispatched) < 2 || len(tl.Dispatched[0]) == 0 || len(tl.P99) != len(tl.Dispatched) {
			continue
		}
		n := len(tl.Dispatched[0])
		// The servers named by faults first, then the lowest numbers, up
		// to maxShareLines; the rest as their mean.
		var shown []int
		if fs, ok := r.Params["faults"].([]any); ok {
			for _, f := range fs {
				if s, ok := f.(string); ok {
					if k := faultServer(s); k >= 0 && k < n && !slices.Contains(shown, k) {
						shown = append(shown, k)
					}
				}
			}
		} else if fs, ok := r.Params["faults"].([]string); ok {
			for _, s := range fs {
				if k := faultServer(s); k >= 0 && k < n && !slices.Contains(shown, k) {
					shown = append(shown, k)
				}
			}
		}
		for k := 0; k < n && len(shown) < min(n, maxShareLines); k++ {
			if !slices.Contains(shown, k) {
				shown = append(shown, k)
			}
		}
		slices.Sort(shown)
		rest := n - len(shown)

		unit := unitText(m.units, "response_p99", []*metrics.Result{r})
		xlabel := "time of arrival (" + unit + ")"
		share := chart.NewPlot("Share of the requests per server", xlabel, "share of the requests (fraction, 0 to 1)")
		chart.AddGrid(share, false, true)
		p99 := chart.NewPlot("99th percentile response time", xlabel, "p99 response time ("+unit+")")
		chart.AddGrid(p99, false, true)
		var legend []chart.LegendItem
		mid := func(b int) float64 { return (float64(b) + 0.5) * tl.Width }
		empty := func(b int) bool {
			for _, x := range tl.Dispatched[b] {
				if x > 0 {
					return false
				}
			}
			return true // warm-up, or after the last arrival
		}
		bucket := func(b int) string {
			return "arrivals " + FormatNumber(float64(b)*tl.Width) + " to " + FormatNumber(float64(b+1)*tl.Width) + withUnit(unit)
		}
		for j, s := range shown {
			name := "server " + strconv.Itoa(s)
			xys := make(plotter.XYs, 0, len(tl.Dispatched))
			ser := chart.NewSeries(name)
			for b := range tl.Dispatched {
				if !empty(b) {
					xys = append(xys, plotter.XY{X: mid(b), Y: tl.Share(b, s)})
					ser.Hover(mid(b), tl.Share(b, s), hoverLines(name, bucket(b), "share: "+FormatNumber(100*tl.Share(b, s))+"% of the requests"))
				}
			}
			l, err := plotter.NewLine(xys)
			if err != nil {
				continue
			}
			l.LineStyle = chart.SlotLine(j)
			ser.Plotters = append(ser.Plotters, l)
			share.Add(ser)
			legend = append(legend, chart.LegendItem{Label: name, Thumbs: []plot.Thumbnailer{chart.LineThumb{Line: l.LineStyle}}})
		}
		if rest > 0 {
			name := fmt.Sprintf("the other %d (mean)", rest)
			ser := chart.NewSeries(name)
			xys := make(plotter.XYs, 0, len(tl.Dispatched))
			for b := range tl.Dispatched {
				if empty(b) {
					continue
				}
				others := 1.0
				for _, s := range shown {
					others -= tl.Share(b, s)
				}
				xys = append(xys, plotter.XY{X: mid(b), Y: others / float64(rest)})
				ser.Hover(mid(b), others/float64(rest), hoverLines(name, bucket(b), "share: "+FormatNumber(100*others/float64(rest))+"% of the requests each"))
			}
			if l, err := plotter.NewLine(xys); err == nil {
				l.LineStyle = draw.LineStyle{Color: color.Gray{Y: 120}, Width: vg.Points(1.5)}
				ser.Plotters = append(ser.Plotters, l)
				share.Add(ser)
				legend = append(legend, chart.LegendItem{Label: name, Thumbs: []plot.Thumbnailer{chart.LineThumb{Line: l.LineStyle}}})
			}
		}
		even := 1 / float64(n)
		xys := make(plotter.XYs, 0, len(tl.P99))
		p99s := chart.NewSeries("") // no legend entry: the panel's title names it
		for b, v := range tl.P99 {
			if v > 0 {
				xys = append(xys, plotter.XY{X: mid(b), Y: v})
				p99s.Hover(mid(b), v, hoverLines("p99 response time", bucket(b), pointValue(v, unit)))
			}
		}
		if l, err := plotter.NewLine(xys); err == nil && len(xys) > 0 {
			l.LineStyle = draw.LineStyle{Color: color.Black, Width: vg.Points(1.5)}
			p99s.Plotters = append(p99s.Plotters, l)
			p99.Add(p99s)
		}
		// The fault window, as dashed verticals on both panels.
		window := draw.LineStyle{Color: color.RGBA{R: 200, A: 255}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
		end := float64(len(tl.Dispatched)) * tl.Width
		for _, p := range []*plot.Plot{share, p99} {
			marks := []float64{tl.FaultStart}
			if tl.FaultEnd > 0 { // 0: the faults last to the end
				marks = append(marks, tl.FaultEnd)
			}
			for _, x := range marks {
				if x <= end {
					p.Add(chart.NewSeries(faultLabel, &vLine{x: x, st: window}))
				}
			}
			p.X.Min, p.X.Max = 0, end
		}
		// Shares of one server are small: the axis ends a little over the
		// largest, not at 1.
		share.Y.Min = 0
		share.Y.Max = math.Min(1, math.Max(share.Y.Max*1.15, 2*even))
		p99.Y.Min = 0
		chart.PadAxis(&p99.Y, 0.06)
		legend = append(legend, chart.LegendItem{Label: faultLabel, Thumbs: []plot.Thumbnailer{chart.LineThumb{Line: window}}})
		title := "Traffic share over time — " + r.BenchName()
		what := fmt.Sprintf("Each server's share of the requests (left; an even spread is %.2g) and the p99 response time (right), in buckets of %s by arrival, with the faults marked.", even, pointValue(tl.Width, unit))
		how := "A balancer that notices a slow or failing server moves its share down during the fault and back up after it; the p99 panel shows what that costs and how fast it recovers (recovery_time in the record)."
		out = append(out, &Chart{Family: familyOf(FullName(r)), ID: "traffic-share-" + r.BenchName(), Title: title, What: what, How: how,
			fig: chart.New(title, []*plot.Plot{share, p99}, chart.WithLegend(legend))})
	}
	return out
}

// faultLabel is the legend entry of the lines where faults begin and end.
const faultLabel = "faults begin / end"

// faultServer reads the server of a fault as a record's params write it
// ("slow:server=0,..."), or -1.
func faultServer(spec string) int {
	_, rest, ok := strings.Cut(spec, "server=")
	if !ok {
		return -1
	}
	num, _, _ := strings.Cut(rest, ",")
	s, err := strconv.Atoi(num)
	if err != nil {
		return -1
	}
	return s
}

// vLine is a vertical line at x across the whole panel.
type vLine struct {
	x  float64
	st draw.LineStyle
}

func (v *vLine) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x := trX(v.x)
	c.StrokeLine2(v.st, x, c.Min.Y, x, c.Max.Y)
}
