package reports

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"strings"

	stdfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Chart geometry: figures are drawn at DPI dots per inch, so that a
// figure of 9×5 inches is 990×550 pixels.
const (
	DPI          = 110
	figureWidth  = 9 * vg.Inch
	figureHeight = 5 * vg.Inch
	// maxPoints is the most points a line keeps; longer series are
	// downsampled (largest-triangle-three-buckets) so charts stay light.
	maxPoints = 400
)

var (
	sans     = font.Font{Typeface: "Liberation", Variant: "Sans"}
	sansBold = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: stdfont.WeightBold}
	gridGray = color.Gray{Y: 225}
	textGray = color.Gray{Y: 90}
)

// palette is Okabe and Ito's palette for color-blind readers, strongest
// first (its yellow is darkened to be seen on white).
var palette = []color.Color{
	color.RGBA{0x00, 0x72, 0xB2, 0xff}, // blue
	color.RGBA{0xD5, 0x5E, 0x00, 0xff}, // vermillion
	color.RGBA{0x00, 0x9E, 0x73, 0xff}, // bluish green
	color.RGBA{0xCC, 0x79, 0xA7, 0xff}, // reddish purple
	color.RGBA{0xE6, 0x9F, 0x00, 0xff}, // orange
	color.RGBA{0x56, 0xB4, 0xE9, 0xff}, // sky blue
	color.RGBA{0x33, 0x33, 0x33, 0xff}, // near black
	color.RGBA{0xA8, 0x96, 0x00, 0xff}, // dark yellow
}

var glyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{},
	draw.CrossGlyph{}, draw.PlusGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{},
}

var dashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}, {vg.Points(8), vg.Points(2), vg.Points(2), vg.Points(2)}}

// styleSet gives every strategy the same color, marker and dash in every
// chart of a report. Each kind of strategy (policies, executors, kernels)
// counts its own colors from the start of the palette, in order of first
// appearance, so that the few strategies of one chart get the strongest
// colors and never repeat one.
type styleSet struct {
	idx  map[string]int
	next map[string]int
}

func newStyleSet() *styleSet { return &styleSet{idx: map[string]int{}, next: map[string]int{}} }

// register gives label the next style of its kind.
func (s *styleSet) register(kind, label string) {
	if _, ok := s.idx[label]; ok {
		return
	}
	s.idx[label] = s.next[kind]
	s.next[kind]++
}

func (s *styleSet) index(name string) int {
	if _, ok := s.idx[name]; !ok {
		s.register("\x00other", name)
	}
	return s.idx[name]
}

func (s *styleSet) color(name string) color.Color {
	return palette[s.index(name)%len(palette)]
}

func (s *styleSet) glyph(name string) draw.GlyphStyle {
	i := s.index(name)
	return draw.GlyphStyle{Color: palette[i%len(palette)], Radius: vg.Points(3.2), Shape: glyphs[i%len(glyphs)]}
}

func (s *styleSet) line(name string) draw.LineStyle {
	i := s.index(name)
	return draw.LineStyle{Color: palette[i%len(palette)], Width: vg.Points(1.6), Dashes: dashes[(i/len(palette))%len(dashes)]}
}

func textStyle(f font.Font, size vg.Length) text.Style {
	return text.Style{Font: font.From(f, size), Handler: plot.DefaultTextHandler, Color: color.Black}
}

// newPlot returns a plot with the report's fonts, a light grid and axis
// labels; the caller adds data.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle = textStyle(sansBold, 11)
	p.Title.TextStyle.XAlign = draw.XCenter
	p.Title.TextStyle.YAlign = draw.YTop
	p.Title.Padding = vg.Points(6)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle = textStyle(sans, 10.5)
		a.Tick.Label = textStyle(sans, 9.5)
		a.Tick.Label.Color = textGray
		a.Padding = vg.Points(3)
	}
	p.X.Tick.Label.XAlign = draw.XCenter
	p.X.Tick.Label.YAlign = draw.YTop
	p.Y.Tick.Label.XAlign = draw.XRight
	p.Y.Tick.Label.YAlign = draw.YCenter
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.X.Tick.Marker = compactTicks{}
	p.Y.Tick.Marker = compactTicks{}
	return p
}

// addGrid adds horizontal (and vertical when both) grid lines under the
// data.
func addGrid(p *plot.Plot, vertical, horizontal bool) {
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = gridGray, gridGray
	g.Vertical.Width, g.Horizontal.Width = vg.Points(0.5), vg.Points(0.5)
	if !vertical {
		g.Vertical.Color = nil
	}
	if !horizontal {
		g.Horizontal.Color = nil
	}
	p.Add(g)
}

// setLog makes axis a logarithmic with readable ticks over [lo, hi]
// (both > 0).
func setLog(a *plot.Axis, lo, hi float64) {
	a.Scale = plot.LogScale{}
	a.Tick.Marker = logTicks{}
	a.Min, a.Max = lo, hi
}

// wantLog reports whether values spanning [lo, hi] are easier to read on
// a log axis: all positive and more than a factor of 20 apart.
func wantLog(lo, hi float64) bool { return lo > 0 && hi/lo > 20 }

// compactTicks are gonum's default ticks with short labels (12k, 3.5M).
type compactTicks struct{}

func (compactTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = shortNumber(ts[i].Value)
		}
	}
	return ts
}

// logTicks label 1, 2 and 5 times the powers of ten when the range is
// under three decades, else only the powers of ten.
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []plot.Tick {
	if !(min > 0) || !(max > min) {
		return nil
	}
	lo := math.Floor(math.Log10(min))
	hi := math.Ceil(math.Log10(max))
	mults := []float64{1, 2, 5}
	if math.Log10(max/min) > 3 {
		mults = []float64{1}
	}
	var ts []plot.Tick
	for e := lo; e <= hi; e++ {
		p := math.Pow(10, e)
		for m := 1.0; m < 10; m++ {
			v := m * p
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			label := ""
			for _, mm := range mults {
				if m == mm {
					label = shortNumber(v)
				}
			}
			ts = append(ts, plot.Tick{Value: v, Label: label})
		}
	}
	labeled := 0
	for _, t := range ts {
		if t.Label != "" {
			labeled++
		}
	}
	if labeled < 2 {
		// A narrow range: label its ends too.
		ts = append(ts, plot.Tick{Value: min, Label: shortNumber(min)}, plot.Tick{Value: max, Label: shortNumber(max)})
	}
	return ts
}

// shortNumber formats an axis or bar value in at most four significant
// digits with a k/M/G suffix for large values.
func shortNumber(v float64) string {
	a := math.Abs(v)
	var s string
	switch {
	case a == 0:
		return "0"
	case a >= 1e9:
		s = trimZeros(fmt.Sprintf("%.3g", v/1e9)) + "G"
	case a >= 1e6:
		s = trimZeros(fmt.Sprintf("%.3g", v/1e6)) + "M"
	case a >= 1e4:
		s = trimZeros(fmt.Sprintf("%.3g", v/1e3)) + "k"
	case a >= 1e-3:
		s = trimZeros(fmt.Sprintf("%.4g", v))
	default:
		s = fmt.Sprintf("%.2g", v)
	}
	return s
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") && !strings.ContainsAny(s, "e") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// legendItem is one entry of a figure's legend.
type legendItem struct {
	label  string
	thumbs []plot.Thumbnailer
}

// figure is one PNG: a title, one or more panels side by side, and a
// legend in its own column on the right, where it cannot hide data.
type figure struct {
	title  string
	panels []*plot.Plot
	cols   int
	legend []legendItem
	w, h   vg.Length
}

// render draws the figure to PNG bytes. gonum/plot panics on some
// degenerate data (a non-positive value on a log axis); such a panic
// becomes an error naming the chart, never a crash.
func (f *figure) render() (out []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, fmt.Errorf("drawing %q: %v", f.title, v)
		}
	}()
	return f.draw()
}

func (f *figure) draw() ([]byte, error) {
	w, h := f.w, f.h
	if w == 0 {
		w = figureWidth
	}
	if h == 0 {
		h = figureHeight
	}
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(c)
	pad := vg.Points(8)
	top := dc.Max.Y - pad
	if f.title != "" {
		// "Main title — scenario" is drawn on two lines, each shrunk to fit.
		main, sub, _ := strings.Cut(f.title, " — ")
		for i, line := range []string{main, sub} {
			if line == "" {
				continue
			}
			ts := textStyle(sansBold, 13)
			if i == 1 {
				ts = textStyle(sans, 11)
				ts.Color = textGray
			}
			for ts.Font.Size > 7 && ts.Width(line) > w-2*pad {
				ts.Font.Size -= 0.5
			}
			ts.XAlign, ts.YAlign = draw.XCenter, draw.YTop
			dc.FillText(ts, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: top}, line)
			top -= ts.Rectangle(line).Size().Y + vg.Points(2)
		}
		top -= pad
	}
	right := dc.Max.X - pad
	if len(f.legend) > 0 {
		leg := plot.NewLegend()
		leg.TextStyle = textStyle(sans, 10)
		leg.Top, leg.Left = true, true
		leg.ThumbnailWidth = vg.Points(22)
		leg.Padding = vg.Points(3)
		for _, it := range f.legend {
			leg.Add(it.label, it.thumbs...)
		}
		lw := leg.Rectangle(dc).Size().X + pad
		lc := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: right - lw, Y: dc.Min.Y + pad},
			Max: vg.Point{X: right, Y: top - vg.Points(14)},
		}}
		leg.Draw(lc)
		right -= lw + pad
	}
	area := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: dc.Min.X + pad, Y: dc.Min.Y + pad},
		Max: vg.Point{X: right, Y: top},
	}}
	cols := f.cols
	if cols <= 0 {
		cols = len(f.panels)
	}
	rows := (len(f.panels) + cols - 1) / cols
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(14), PadY: vg.Points(14)}
	for i, p := range f.panels {
		drawPanel(p, tiles.At(area, i%cols, i/cols))
	}
	// BestSpeed: encoding dominates drawing, and charts compress well
	// anyway (mostly white).
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, c.Image()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// drawPanel draws p into c with its axis labels drawn here rather than by
// gonum, which centers them (and reserves room for them) at the
// arithmetic middle of the axis range: wrong on a log axis, where it
// squeezes the data into a corner.
func drawPanel(p *plot.Plot, c draw.Canvas) {
	xlab, ylab := p.X.Label.Text, p.Y.Label.Text
	p.X.Label.Text, p.Y.Label.Text = "", ""
	defer func() { p.X.Label.Text, p.Y.Label.Text = xlab, ylab }()
	gap := vg.Points(4)
	xs, ys := p.X.Label.TextStyle, p.Y.Label.TextStyle
	inner := c
	if ylab != "" {
		inner.Min.X += ys.Height(ylab) + gap
	}
	if xlab != "" {
		inner.Min.Y += xs.Height(xlab) + gap
	}
	p.Draw(inner)
	data := p.DataCanvas(inner)
	if ylab != "" {
		st := ys
		st.Rotation = math.Pi / 2
		st.XAlign, st.YAlign = draw.XCenter, draw.YTop
		c.FillText(st, vg.Point{X: c.Min.X, Y: (data.Min.Y + data.Max.Y) / 2}, ylab)
	}
	if xlab != "" {
		st := xs
		st.Rotation = 0
		st.XAlign, st.YAlign = draw.XCenter, draw.YBottom
		c.FillText(st, vg.Point{X: (data.Min.X + data.Max.X) / 2, Y: c.Min.Y + xs.FontExtents().Descent}, xlab)
	}
}

// lineThumb draws a legend sample of a line with its marker.
type lineThumb struct {
	line  draw.LineStyle
	glyph draw.GlyphStyle
}

func (t lineThumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	if t.line.Color != nil {
		c.StrokeLine2(t.line, c.Min.X, y, c.Max.X, y)
	}
	if t.glyph.Shape != nil {
		c.DrawGlyph(t.glyph, c.Center())
	}
}

// boxThumb draws a legend sample of a filled bar.
type boxThumb struct{ color color.Color }

func (t boxThumb) Thumbnail(c *draw.Canvas) {
	r := vg.Rectangle{Min: vg.Point{X: c.Min.X + 2, Y: c.Min.Y + 1}, Max: vg.Point{X: c.Max.X - 2, Y: c.Max.Y - 1}}
	c.FillPolygon(t.color, []vg.Point{r.Min, {X: r.Min.X, Y: r.Max.Y}, r.Max, {X: r.Max.X, Y: r.Min.Y}})
}

// errBars draws 95% interval whiskers at data points; off shifts them
// (in the category direction) to sit on a bar of a grouped bar chart.
type errBars struct {
	xs, ys, lo, hi []float64
	horizontal     bool // intervals along x (for horizontal bars)
	off            vg.Length
	style          draw.LineStyle
	cap            vg.Length
}

func (e *errBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	_, xlog := p.X.Scale.(plot.LogScale)
	_, ylog := p.Y.Scale.(plot.LogScale)
	for i := range e.xs {
		if math.IsNaN(e.lo[i]) || math.IsNaN(e.hi[i]) {
			continue
		}
		// An interval reaching zero or below ends at the edge of a log axis.
		if e.horizontal && xlog && e.lo[i] <= 0 {
			e.lo[i] = p.X.Min
		}
		if !e.horizontal && ylog && e.lo[i] <= 0 {
			e.lo[i] = p.Y.Min
		}
		if e.horizontal {
			y := trY(e.ys[i]) + e.off
			x0, x1 := trX(e.lo[i]), trX(e.hi[i])
			c.StrokeLines(e.style, c.ClipLinesX([]vg.Point{{X: x0, Y: y}, {X: x1, Y: y}})...)
			for _, x := range []vg.Length{x0, x1} {
				if c.ContainsX(x) {
					c.StrokeLine2(e.style, x, y-e.cap/2, x, y+e.cap/2)
				}
			}
			continue
		}
		x := trX(e.xs[i]) + e.off
		y0, y1 := trY(e.lo[i]), trY(e.hi[i])
		c.StrokeLines(e.style, c.ClipLinesY([]vg.Point{{X: x, Y: y0}, {X: x, Y: y1}})...)
		for _, y := range []vg.Length{y0, y1} {
			if c.ContainsY(y) {
				c.StrokeLine2(e.style, x-e.cap/2, y, x+e.cap/2, y)
			}
		}
	}
}

func (e *errBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for i := range e.xs {
		lo, hi := e.lo[i], e.hi[i]
		if math.IsNaN(lo) || math.IsNaN(hi) {
			lo, hi = e.ys[i], e.ys[i]
			if e.horizontal {
				lo, hi = e.xs[i], e.xs[i]
			}
		}
		if e.horizontal {
			xmin, xmax = math.Min(xmin, lo), math.Max(xmax, hi)
			ymin, ymax = math.Min(ymin, e.ys[i]), math.Max(ymax, e.ys[i])
		} else {
			ymin, ymax = math.Min(ymin, lo), math.Max(ymax, hi)
			xmin, xmax = math.Min(xmin, e.xs[i]), math.Max(xmax, e.xs[i])
		}
	}
	return
}

// downsample keeps at most n points of a series sorted by x, by
// largest-triangle-three-buckets: the first and last points and, in each
// bucket between, the point that keeps the shape best.
func downsample(xys plotter.XYs, n int) plotter.XYs {
	if n < 3 || len(xys) <= n {
		return xys
	}
	out := make(plotter.XYs, 0, n)
	out = append(out, xys[0])
	every := float64(len(xys)-2) / float64(n-2)
	a := 0
	for i := 0; i < n-2; i++ {
		// The average of the next bucket.
		s := int(math.Floor(float64(i+1)*every)) + 1
		e := min(int(math.Floor(float64(i+2)*every))+1, len(xys))
		var ax, ay float64
		for _, p := range xys[s:e] {
			ax += p.X
			ay += p.Y
		}
		if k := float64(e - s); k > 0 {
			ax, ay = ax/k, ay/k
		}
		// The point of this bucket with the largest triangle.
		s0 := int(math.Floor(float64(i)*every)) + 1
		e0 := int(math.Floor(float64(i+1)*every)) + 1
		best, bestArea := s0, -1.0
		for j := s0; j < e0 && j < len(xys); j++ {
			area := math.Abs((xys[a].X-ax)*(xys[j].Y-xys[a].Y) - (xys[a].X-xys[j].X)*(ay-xys[a].Y))
			if area > bestArea {
				best, bestArea = j, area
			}
		}
		out = append(out, xys[best])
		a = best
	}
	return append(out, xys[len(xys)-1])
}

// truncate shortens a label for legends and category axes.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
