// Series: what one legend entry stands for, and the values a reader can
// hover.

package chart

import (
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// MaxHover is the most hover targets one series has in one panel; a
// longer series gets that many, evenly spread (its line keeps every
// point).
const MaxHover = 40

// HoverPoint is a value a reader can hover: at X, Y (data coordinates),
// the text says which series and what value, with its unit and
// interval.
type HoverPoint struct {
	X, Y float64
	Text string
}

// Series draws its plotters as one series of a figure. In SVG they form
// one group that the legend entry of Key (its Key, else its Label) hides
// and shows, and each of Points gets a hover target with its text; on a
// PNG, Series only draws. An empty Key makes a series no legend entry
// names (its points still hover).
type Series struct {
	Key      string
	Plotters []plot.Plotter
	Points   []HoverPoint
}

// NewSeries returns a series of key drawn by ps.
func NewSeries(key string, ps ...plot.Plotter) *Series {
	return &Series{Key: key, Plotters: ps}
}

// Hover adds a hover target at (x, y).
func (s *Series) Hover(x, y float64, text string) {
	s.Points = append(s.Points, HoverPoint{X: x, Y: y, Text: text})
}

func (s *Series) Plot(c draw.Canvas, p *plot.Plot) {
	g, svg := svgOf(c.Canvas)
	if svg {
		g.beginSeries(s.Key)
	}
	for _, pl := range s.Plotters {
		pl.Plot(c, p)
	}
	if !svg {
		return
	}
	trX, trY := p.Transforms(&c)
	pts := s.Points
	if len(pts) > MaxHover {
		pts = spread(pts, MaxHover)
	}
	for _, h := range pts {
		if !inAxis(&p.X, h.X) || !inAxis(&p.Y, h.Y) {
			continue
		}
		g.hoverPoint(vg.Point{X: trX(h.X), Y: trY(h.Y)}, h.Text)
	}
	g.endSeries()
}

// inAxis reports whether v lies on axis a (a log axis holds no v <= 0).
func inAxis(a *plot.Axis, v float64) bool {
	if math.IsNaN(v) || v < a.Min || v > a.Max {
		return false
	}
	_, log := a.Scale.(plot.LogScale)
	return !log || v > 0
}

// spread keeps n of pts, the first and the last among them, evenly
// spread.
func spread(pts []HoverPoint, n int) []HoverPoint {
	out := make([]HoverPoint, 0, n)
	for i := range n {
		out = append(out, pts[int(math.Round(float64(i)*float64(len(pts)-1)/float64(n-1)))])
	}
	return out
}

func (s *Series) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, pl := range s.Plotters {
		if d, ok := pl.(plot.DataRanger); ok {
			a, b, c, e := d.DataRange()
			xmin, xmax = math.Min(xmin, a), math.Max(xmax, b)
			ymin, ymax = math.Min(ymin, c), math.Max(ymax, e)
		}
	}
	return
}

func (s *Series) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	var out []plot.GlyphBox
	for _, pl := range s.Plotters {
		if g, ok := pl.(plot.GlyphBoxer); ok {
			out = append(out, g.GlyphBoxes(p)...)
		}
	}
	return out
}
