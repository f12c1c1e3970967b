// The profile-categories chart kind: where the CPU time went per strategy.

package reports

import (
	"image/color"

	"github.com/stratbench/stratbench/reports/internal/chart"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// --- where the time went ------------------------------------------------

var categoryColors = map[string]color.Color{
	TaskCode:     color.RGBA{0x00, 0x9E, 0x73, 0xff},
	"scheduling": color.RGBA{0x00, 0x72, 0xB2, 0xff},
	"GC":         color.RGBA{0xD5, 0x5E, 0x00, 0xff},
	"allocation": color.RGBA{0xE6, 0x9F, 0x00, 0xff},
	"syscalls":   color.RGBA{0xCC, 0x79, 0xA7, 0xff},
	"other":      color.Gray{Y: 170},
}

// profileGroups merges the label groups of every profile by label, and
// by case when one label appears in profiles of different cases (the same
// executor on heavy-tailed and on tiny tasks spends its time differently).
func (m *model) profileGroups() []ProfileGroup {
	cases := map[string]map[string]bool{}
	for _, ps := range m.profiles {
		for _, g := range ps.Groups {
			if cases[g.Label()] == nil {
				cases[g.Label()] = map[string]bool{}
			}
			cases[g.Label()][profileCase(ps.Path)] = true
		}
	}
	var out []ProfileGroup
	idx := map[string]int{}
	for _, ps := range m.profiles {
		for _, g := range ps.Groups {
			key := ProfileGroup{Strategy: g.Strategy, Workload: g.Workload}
			if len(cases[g.Label()]) > 1 && g.Strategy != Unlabeled {
				key.Case = profileCase(ps.Path)
			}
			i, ok := idx[key.Label()]
			if !ok {
				i = len(out)
				idx[key.Label()] = i
				key.ByCategory = map[string]float64{}
				out = append(out, key)
			}
			out[i].Total += g.Total
			out[i].Samples += g.Samples
			for k, v := range g.ByCategory {
				out[i].ByCategory[k] += v
			}
		}
	}
	return out
}

// minProfileSamples is the fewest CPU samples a strategy needs to get a
// bar: with fewer, its shares are noise (one sample is 100% of something).
const minProfileSamples = 10

func chartProfileCategories(m *model) []*Chart {
	var groups []ProfileGroup
	left := 0
	for _, g := range m.profileGroups() {
		if g.Samples < minProfileSamples {
			left++
			continue
		}
		groups = append(groups, g)
	}
	if len(groups) == 0 {
		return nil
	}
	p := chart.NewPlot("", "share of the strategy's CPU time (%)", "")
	chart.AddGrid(p, true, false)
	names := make([]string, len(groups))
	// Category 0 is drawn at the bottom: reverse so the first group is on top.
	for i, g := range groups {
		names[len(groups)-1-i] = chart.Truncate(g.Label(), 40)
	}
	p.NominalY(names...)
	p.Y.Tick.Label = chart.TextStyle(chart.Sans, 10)
	p.Y.Tick.Label.XAlign = draw.XRight
	p.Y.Tick.Label.YAlign = draw.YCenter
	var prev *plotter.BarChart
	var legend []chart.LegendItem
	w := vg.Points(float64(min(22, 300/len(groups))))
	done := make([]float64, len(groups)) // the share stacked so far
	for _, cat := range Categories {
		vals := make(plotter.Values, len(groups))
		ser := chart.NewSeries(cat)
		for i, g := range groups {
			if g.Total > 0 {
				v := 100 * g.ByCategory[cat] / g.Total
				vals[len(groups)-1-i] = v
				if v > 0 {
					ser.Hover(done[i]+v/2, float64(len(groups)-1-i), hoverLines(g.Label(), cat+": "+FormatNumber(v)+"% of its CPU time ("+FormatNumber(g.ByCategory[cat])+" s of "+FormatNumber(g.Total)+" s)"))
				}
				done[i] += v
			}
		}
		bc, err := plotter.NewBarChart(vals, w)
		if err != nil {
			continue
		}
		bc.Horizontal = true
		bc.Color = categoryColors[cat]
		bc.LineStyle = draw.LineStyle{Color: color.White, Width: vg.Points(0.5)}
		if prev != nil {
			bc.StackOn(prev)
		}
		ser.Plotters = append(ser.Plotters, bc)
		p.Add(ser)
		prev = bc
		legend = append(legend, chart.LegendItem{Label: cat + ": " + categoryHelp[cat], Thumbs: []plot.Thumbnailer{chart.BoxThumb{Fill: chart.BarFill{Color: bc.Color}}}})
	}
	// Total CPU seconds after each bar.
	var xys plotter.XYs
	var texts []string
	for i, g := range groups {
		xys = append(xys, plotter.XY{X: 100, Y: float64(len(groups) - 1 - i)})
		texts = append(texts, chart.ShortNumber(g.Total)+" s CPU")
	}
	if ls, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts}); err == nil {
		for i := range ls.TextStyle {
			ls.TextStyle[i] = chart.TextStyle(chart.Sans, 9)
			ls.TextStyle[i].YAlign = draw.YCenter
		}
		ls.Offset = vg.Point{X: vg.Points(4)}
		p.Add(ls)
	}
	p.X.Min, p.X.Max = 0, 100
	p.Y.Min, p.Y.Max = -0.5, float64(len(groups))-0.5
	p.X.Tick.Marker = plot.ConstantTicks{{Value: 0, Label: "0"}, {Value: 25, Label: "25"}, {Value: 50, Label: "50"}, {Value: 75, Label: "75"}, {Value: 100, Label: "100"}}
	title := "Where the CPU time went, by strategy"
	// Legend text is long: give the figure room.
	// Short legend labels; the page explains each category.
	for i := range legend {
		legend[i].Label = Categories[i]
	}
	fig := chart.New(title, []*plot.Plot{p}, chart.WithLegend(legend), chart.Height(barFigureHeight(len(groups)*2)))
	return []*Chart{{Family: "Profiles", ID: "profile-categories", Title: title,
		What: "Each strategy's CPU samples (from pprof labels) split into its own work (task code), goroutine scheduling, garbage collection, allocation, system calls and other; the number is the strategy's total CPU time." + leftOut(left),
		How:  "More green (task code) is better: the rest is overhead. GC runs on background goroutines without labels, so most of it appears under (unlabeled).",
		fig:  fig}}
}
