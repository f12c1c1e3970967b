// Helpers shared by the line charts: series, legends of series with the same values, markers.

package reports

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"github.com/stratbench/stratbench/reports/internal/chart"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// series is one line of a line chart.
type series struct {
	label string
	xys   plotter.XYs
	line  draw.LineStyle
	// glyph marks the points (a few of them on a long series); no Shape
	// means no markers.
	glyph draw.GlyphStyle
	// eb are the series' whiskers, or nil.
	eb *chart.ErrBars
	// hover are the values a reader can hover, with their texts.
	hover []chart.HoverPoint
}

// hover is a hover point of a series at (x, y).
func hoverAt(x, y float64, lines ...string) chart.HoverPoint {
	return chart.HoverPoint{X: x, Y: y, Text: hoverLines(lines...)}
}

// addLines draws ss and returns their legend entries, in order. A
// series with exactly the values of a later one would be hidden beneath
// it: it is drawn first, under every other line, wider and with bigger
// markers, so that it shows as a band around the line on top, and its
// legend entry says "(same as X)", X being the series on top; hidden
// reports whether there was one.
func addLines(p *plot.Plot, ss []series) (legend []chart.LegendItem, hidden bool) {
	ss = slices.Clone(ss)
	legend = make([]chart.LegendItem, len(ss))
	wide := make([]bool, len(ss))
	for i := range ss {
		s := &ss[i]
		under := ""
		var sames []string
		for j := i + 1; j < len(ss); j++ {
			if sameXYs(s.xys, ss[j].xys) {
				under = ss[j].label // the last one is drawn on top
				sames = append(sames, under)
			}
		}
		if under != "" {
			wide[i] = true
			s.line.Width += vg.Points(3)
			if s.glyph.Shape != nil {
				s.glyph.Radius += vg.Points(1.5)
			}
		}
		legend[i] = chart.LegendItem{Label: s.label, Thumbs: []plot.Thumbnailer{chart.LineThumb{Line: s.line, Glyph: s.glyph}}, Key: s.label, Same: under, Sames: sames}
		if under != "" {
			legend[i].Label = sameAs(legend[i].Label, under)
		}
	}
	// The wide bands first, under every thin line.
	drawn := make([]bool, len(ss))
	for _, bands := range []bool{true, false} {
		for i, s := range ss {
			if wide[i] != bands {
				continue
			}
			l, err := plotter.NewLine(s.xys)
			if err != nil {
				continue
			}
			drawn[i] = true
			l.LineStyle = s.line
			ser := chart.NewSeries(s.label, l)
			ser.Points = s.hover
			if s.eb != nil {
				ser.Plotters = append(ser.Plotters, s.eb) // under the markers, which may be hollow
			}
			if s.glyph.Shape != nil {
				if sc, err := plotter.NewScatter(markerPoints(s.xys)); err == nil {
					sc.GlyphStyle = s.glyph
					ser.Plotters = append(ser.Plotters, sc)
				}
			}
			p.Add(ser)
		}
	}
	// Legend entries for what was drawn, in the order given.
	out := legend[:0]
	for i, it := range legend {
		if drawn[i] {
			out = append(out, it)
			hidden = hidden || it.Same != ""
		}
	}
	return out, hidden
}

// mergeLegends makes one legend of the legends addLines returned for
// several panels (named by panels), one entry per series in order of
// first appearance. A series with the same values as another in every
// panel says so, "jsq (same as sed)"; one hidden in some panels only says
// where, "jiq (same as central at ρ = 0.5)".
func mergeLegends(legends [][]chart.LegendItem, panels []string) []chart.LegendItem {
	var out []chart.LegendItem
	seen := map[string]bool{}
	for pi, l := range legends {
		for _, it := range l {
			if seen[it.Key] {
				continue
			}
			seen[it.Key] = true
			var all []chart.LegendItem // this series in each panel that has it
			var where []string
			for pj := pi; pj < len(legends); pj++ {
				for _, x := range legends[pj] {
					if x.Key == it.Key {
						all, where = append(all, x), append(where, panels[pj])
					}
				}
			}
			e := chart.LegendItem{Label: it.Key, Thumbs: it.Thumbs, Key: it.Key}
			// The series that have the same values in every panel.
			common := slices.Clone(all[0].Sames)
			for _, x := range all[1:] {
				common = slices.DeleteFunc(common, func(s string) bool { return !slices.Contains(x.Sames, s) })
			}
			var unders []string          // in order of first panel
			hid := map[string][]string{} // under → panels
			var plain []plot.Thumbnailer
			for k, x := range all {
				if x.Same == "" {
					if plain == nil {
						plain = x.Thumbs
					}
					continue
				}
				if _, ok := hid[x.Same]; !ok {
					unders = append(unders, x.Same)
				}
				hid[x.Same] = append(hid[x.Same], where[k])
			}
			switch {
			case len(common) > 0:
				e.Same = common[len(common)-1]
				e.Label = sameAs(e.Label, e.Same)
			case len(unders) > 0:
				var parts []string
				for _, u := range unders {
					parts = append(parts, u+" at "+strings.Join(hid[u], ", "))
				}
				e.Same = unders[0]
				e.Label += " (same as " + strings.Join(parts, "; as ") + ")"
				if plain != nil {
					e.Thumbs = plain // drawn plain in some panels
				}
			}
			out = append(out, e)
		}
	}
	return out
}

// sameAs is a legend label that says its series has the values of
// another: "jsq (same as sed)", "lwl (bound, same as central)" (one pair
// of parentheses, the other's name without its notes).
func sameAs(label, other string) string {
	if i := strings.Index(other, " ("); i > 0 {
		other = other[:i]
	}
	if strings.HasSuffix(label, ")") && strings.Contains(label, " (") {
		return strings.TrimSuffix(label, ")") + ", same as " + other + ")"
	}
	return label + " (same as " + other + ")"
}

// sameNote is the sentence a caption gets when addLines found a series
// hidden beneath another.
func sameNote(hidden bool) string {
	if !hidden {
		return ""
	}
	return " A legend entry “(same as X)” is a series with exactly the values of X: it is drawn as the wider band beneath X's line."
}

// sameXYs reports whether a and b have the same points (to a relative
// 1e-9).
func sameXYs(a, b plotter.XYs) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	eq := func(x, y float64) bool { return x == y || math.Abs(x-y) <= 1e-9*math.Max(math.Abs(x), math.Abs(y)) }
	for i := range a {
		if !eq(a[i].X, b[i].X) || !eq(a[i].Y, b[i].Y) {
			return false
		}
	}
	return true
}

// markerPoints are the points of a series that get a marker: all of a
// short series, 8 evenly spread on a long one.
func markerPoints(xys plotter.XYs) plotter.XYs {
	const most = 25
	if len(xys) <= most {
		return xys
	}
	var out plotter.XYs
	step := float64(len(xys)-1) / 7
	for i := range 8 {
		out = append(out, xys[int(math.Round(float64(i)*step))])
	}
	return out
}

// workerTicks labels exactly the measured worker counts.
func workerTicks(ws []float64) plot.Ticker {
	var ts plot.ConstantTicks
	for _, w := range ws {
		ts = append(ts, plot.Tick{Value: w, Label: chart.ShortNumber(w)})
	}
	if len(ts) > 12 {
		return chart.CompactTicks{}
	}
	return ts
}

// filledGlyph is g with a solid marker: a ring becomes a disc, the
// outline of a square or triangle a filled one.
func filledGlyph(g draw.GlyphStyle) draw.GlyphStyle {
	switch g.Shape.(type) {
	case draw.RingGlyph:
		g.Shape = draw.CircleGlyph{}
	case draw.SquareGlyph:
		g.Shape = draw.BoxGlyph{}
	case draw.TriangleGlyph:
		g.Shape = draw.PyramidGlyph{}
	}
	return g
}

// hollowGlyph draws its shape with a white middle: the hollow twin of a
// solid marker.
type hollowGlyph struct{ draw.GlyphDrawer }

func (h hollowGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	// draw.Canvas.DrawGlyph sets the color; shapes only fill or stroke.
	h.GlyphDrawer.DrawGlyph(c, sty, pt)
	in := sty
	in.Color, in.Radius = color.White, sty.Radius*0.5
	c.SetColor(in.Color)
	h.GlyphDrawer.DrawGlyph(c, in, pt)
	c.SetColor(sty.Color)
}

// foldLegend marks folded the legend entries of the strategies of order
// (deployable ones, best first) after the first maxSeries: the page hides
// them until their entry is clicked, so that a chart shows at most
// maxSeries colored series. key names the entries of a strategy (its
// label, or its labels, as the chart's series are named). It returns how
// many strategies it folded.
func foldLegend(legend []chart.LegendItem, order []string, key func(s string) []string) int {
	if len(order) <= maxSeries {
		return 0
	}
	fold := map[string]bool{}
	for _, s := range order[maxSeries:] {
		for _, k := range key(s) {
			fold[k] = true
		}
	}
	for i := range legend {
		if fold[legend[i].SeriesKey()] {
			legend[i].Folded = true
		}
	}
	return len(order) - maxSeries
}

// foldNote is the caption's sentence about n folded strategies.
func foldNote(n int, noun string) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" The page shows the %d best %s; the other %d are hidden, one click away: click their legend entries (or double-click one to see it alone).", maxSeries, noun, n)
}

// byScore orders strategies by score, lowest first (a strategy without a
// score last), keeping the given order among equals.
func byScore(strats []string, score map[string]float64) []string {
	out := slices.Clone(strats)
	slices.SortStableFunc(out, func(a, b string) int {
		sa, oka := score[a]
		sb, okb := score[b]
		switch {
		case !oka && !okb:
			return 0
		case !oka:
			return 1
		case !okb:
			return -1
		}
		return cmpFloat(sa, sb)
	})
	return out
}
