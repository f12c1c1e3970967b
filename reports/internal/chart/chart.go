// Package chart is the report's chart toolkit over gonum.org/v1/plot:
// a figure of panels with its legend beside or under them (never on the
// data), the report's fonts and grid, a palette for color-blind readers
// with markers, dashes and hatches so that no two series look alike,
// bars and whiskers that work on log axes, tick labels that never touch,
// and largest-triangle-three-buckets downsampling. It knows nothing of
// results: reports/ says what to draw, this package draws it.
package chart

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"slices"
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
	FigureWidth  = 9 * vg.Inch
	figureHeight = 5 * vg.Inch
	// MaxPoints is the most points a line keeps; longer series are
	// downsampled (largest-triangle-three-buckets) so charts stay light.
	MaxPoints = 400
	// minPanelWidth is the narrowest a panel of several side by side is
	// let be by a legend on the right.
	minPanelWidth = 2.6 * vg.Inch
)

var (
	Sans     = font.Font{Typeface: "Liberation", Variant: "Sans"}
	sansBold = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: stdfont.WeightBold}
	gridGray = color.Gray{Y: 225}
	textGray = color.Gray{Y: 90}
)

// Palette is Okabe and Ito's palette for color-blind readers, strongest
// first (its yellow is darkened to be seen on white).
var Palette = []color.Color{
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

// Dashes are the line patterns of series: solid, dashed, dash-dot and
// dash-dot-dot. Theory curves use theoryDashes, which no series uses.
var Dashes = [][]vg.Length{
	nil,
	{vg.Points(6), vg.Points(3)},
	{vg.Points(8), vg.Points(2.5), vg.Points(2), vg.Points(2.5)},
	{vg.Points(10), vg.Points(2.5), vg.Points(2), vg.Points(2.5), vg.Points(2), vg.Points(2.5)},
}

// TheoryDashes is the dotted pattern of closed-form (theory) curves.
var TheoryDashes = []vg.Length{vg.Points(1.5), vg.Points(2.5)}

// Hatches are the patterns drawn over bars of the second, third and
// fourth round of colors, where bars cannot vary their marker or dash.
const (
	hatchNone = iota
	HatchSlash
	hatchBackslash
	hatchCross
	numHatches
)

// A style slot j is one look of a series: the color j mod 8; the marker
// (j + 3·⌊j/8⌋) mod 8, so that series of one color get different markers;
// the dash (and, for bars, the hatch) ⌊j/8⌋. Slots below 32 differ in
// color or dash (and hatch), slots below 64 in color or marker: no two
// series of a chart look alike.
func SlotColor(j int) color.Color { return Palette[j%len(Palette)] }

func SlotGlyph(j int) draw.GlyphStyle {
	round := j / len(Palette)
	return draw.GlyphStyle{Color: SlotColor(j), Radius: vg.Points(3.2), Shape: glyphs[(j%len(Palette)+3*round)%len(glyphs)]}
}

func SlotLine(j int) draw.LineStyle {
	return draw.LineStyle{Color: SlotColor(j), Width: vg.Points(1.6), Dashes: Dashes[(j/len(Palette))%len(Dashes)]}
}

func SlotHatch(j int) int { return (j / len(Palette)) % numHatches }

// StyleSet gives every strategy a preferred style slot for the whole
// report: each kind of strategy (policies, executors, kernels) counts its
// own slots from 0, in order of first appearance, so that a strategy
// looks the same in every chart where it can. forChart settles the
// styles of one chart.
type StyleSet struct {
	idx  map[string]int
	next map[string]int
}

func NewStyleSet() *StyleSet { return &StyleSet{idx: map[string]int{}, next: map[string]int{}} }

// Register gives label the next slot of its kind.
func (s *StyleSet) Register(kind, label string) {
	if _, ok := s.idx[label]; ok {
		return
	}
	s.idx[label] = s.next[kind]
	s.next[kind]++
}

func (s *StyleSet) index(name string) int {
	if _, ok := s.idx[name]; !ok {
		s.Register("\x00other", name)
	}
	return s.idx[name]
}

// ChartStyle is the style of each series of one chart.
type ChartStyle struct {
	slot map[string]int
}

// ForChart gives each of names (the series of one chart) a slot of its
// own: its preferred slot when no other series of the chart has it. A
// chart of at most 8 series uses the first round of slots only, so that
// its colors all differ (a strategy may then look different from other
// charts); a larger chart keeps the preferred slots, gives the series
// that collide (strategies of different kinds) the first free ones, then
// moves the series of the highest slots down to the free slots, so that
// its n series use slots 0 to n−1: as few repeated colors as can be.
func (s *StyleSet) ForChart(names []string) *ChartStyle {
	cs := &ChartStyle{slot: map[string]int{}}
	used := map[int]bool{}
	small := len(names) <= len(Palette)
	var later []string
	for _, n := range names {
		if _, ok := cs.slot[n]; ok {
			continue
		}
		j := s.index(n)
		if small {
			j %= len(Palette)
		}
		if used[j] {
			later = append(later, n)
			continue
		}
		used[j] = true
		cs.slot[n] = j
	}
	for _, n := range later {
		j := 0
		for used[j] {
			j++
		}
		used[j] = true
		cs.slot[n] = j
	}
	if !small {
		// As few repeated colors as can be: the series of the highest
		// slots move down to the free slots below the number of series.
		var free []int
		for j := range len(cs.slot) {
			if !used[j] {
				free = append(free, j)
			}
		}
		var high []string
		for _, n := range names {
			if cs.slot[n] >= len(cs.slot) && !slices.Contains(high, n) {
				high = append(high, n)
			}
		}
		slices.SortStableFunc(high, func(a, b string) int { return cs.slot[b] - cs.slot[a] })
		for i, n := range high {
			if i < len(free) {
				cs.slot[n] = free[i]
			}
		}
	}
	return cs
}

// Index is name's slot; a name forChart was not given gets the first
// free slot.
func (cs *ChartStyle) Index(name string) int {
	if j, ok := cs.slot[name]; ok {
		return j
	}
	used := map[int]bool{}
	for _, j := range cs.slot {
		used[j] = true
	}
	j := 0
	for used[j] {
		j++
	}
	cs.slot[name] = j
	return j
}

func (cs *ChartStyle) Color(name string) color.Color     { return SlotColor(cs.Index(name)) }
func (cs *ChartStyle) Glyph(name string) draw.GlyphStyle { return SlotGlyph(cs.Index(name)) }
func (cs *ChartStyle) Line(name string) draw.LineStyle   { return SlotLine(cs.Index(name)) }
func (cs *ChartStyle) Fill(name string) BarFill {
	j := cs.Index(name)
	return BarFill{Color: SlotColor(j), Hatch: SlotHatch(j)}
}

func TextStyle(f font.Font, size vg.Length) text.Style {
	return text.Style{Font: font.From(f, size), Handler: plot.DefaultTextHandler, Color: color.Black}
}

// NewPlot returns a plot with the report's fonts, a light grid and axis
// labels; the caller adds data.
func NewPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle = TextStyle(sansBold, 11)
	p.Title.TextStyle.XAlign = draw.XCenter
	p.Title.TextStyle.YAlign = draw.YTop
	p.Title.Padding = vg.Points(6)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle = TextStyle(Sans, 10.5)
		a.Tick.Label = TextStyle(Sans, 9.5)
		a.Tick.Label.Color = textGray
		a.Padding = vg.Points(3)
	}
	p.X.Tick.Label.XAlign = draw.XCenter
	p.X.Tick.Label.YAlign = draw.YTop
	p.Y.Tick.Label.XAlign = draw.XRight
	p.Y.Tick.Label.YAlign = draw.YCenter
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.X.Tick.Marker = CompactTicks{}
	p.Y.Tick.Marker = CompactTicks{}
	return p
}

// AddGrid adds horizontal (and vertical when both) grid lines under the
// data.
func AddGrid(p *plot.Plot, vertical, horizontal bool) {
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

// SetLog makes axis a logarithmic with readable ticks over [lo, hi]
// (both > 0).
func SetLog(a *plot.Axis, lo, hi float64) {
	a.Scale = plot.LogScale{}
	a.Tick.Marker = LogTicks{}
	a.Min, a.Max = lo, hi
}

// WantLog reports whether values spanning [lo, hi] are easier to read on
// a log axis: all positive and more than a factor of 20 apart.
func WantLog(lo, hi float64) bool { return lo > 0 && hi/lo > 20 }

// CompactTicks are gonum's default ticks with short labels (12k, 3.5M).
type CompactTicks struct{}

func (CompactTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = ShortNumber(ts[i].Value)
		}
	}
	return ts
}

// LogTicks label 1, 2 and 5 times the powers of ten when the range is
// under three decades, else only the powers of ten.
type LogTicks struct{}

func (LogTicks) Ticks(min, max float64) []plot.Tick {
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
					label = ShortNumber(v)
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
		ts = append(ts, plot.Tick{Value: min, Label: ShortNumber(min)}, plot.Tick{Value: max, Label: ShortNumber(max)})
	}
	return ts
}

// ShortNumber formats an axis or bar value in at most four significant
// digits with a k/M/G suffix for large values.
func ShortNumber(v float64) string {
	a := math.Abs(v)
	var s string
	switch {
	case a == 0:
		return "0"
	case a >= 1e9:
		s = TrimZeros(fmt.Sprintf("%.3g", v/1e9)) + "G"
	case a >= 1e6:
		s = TrimZeros(fmt.Sprintf("%.3g", v/1e6)) + "M"
	case a >= 1e4:
		s = TrimZeros(fmt.Sprintf("%.3g", v/1e3)) + "k"
	case a >= 1e-3:
		s = TrimZeros(fmt.Sprintf("%.4g", v))
	default:
		s = fmt.Sprintf("%.2g", v)
	}
	return s
}

func TrimZeros(s string) string {
	if strings.Contains(s, ".") && !strings.ContainsAny(s, "e") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// LegendItem is one entry of a figure's legend.
type LegendItem struct {
	Label  string
	Thumbs []plot.Thumbnailer
	// Key is the series the entry is for, when label says more.
	Key string
	// Same is the series drawn over this one, with the same values, and
	// sames every later series with the same values (see addLines).
	Same  string
	Sames []string
	// Folded marks a series the page hides until its legend entry is
	// clicked (beyond the first eight of a chart); a PNG, and a page
	// without its script, show it.
	Folded bool
}

// Figure is one PNG: a title, one or more panels side by side, and a
// legend in its own column on the right (or, when that would squeeze
// several panels, in columns under them), where it cannot hide data.
type Figure struct {
	title  string
	panels []*plot.Plot
	cols   int
	legend []LegendItem
	w, h   vg.Length
}

// An Option sets one property of a figure.
type Option func(*Figure)

// New returns a figure of panels side by side under title ("Main title —
// scenario" is drawn on two lines), 9×5 inches unless an option says
// otherwise.
func New(title string, panels []*plot.Plot, opts ...Option) *Figure {
	f := &Figure{title: title, panels: panels}
	for _, o := range opts {
		o(f)
	}
	return f
}

// WithLegend gives the figure its legend entries, in order.
func WithLegend(items []LegendItem) Option { return func(f *Figure) { f.legend = items } }

// Height sets the figure's height (the legend under the panels, when it
// goes there, adds to it).
func Height(h vg.Length) Option { return func(f *Figure) { f.h = h } }

// Width sets the figure's width.
func Width(w vg.Length) Option { return func(f *Figure) { f.w = w } }

// Columns lays the panels out in rows of n.
func Columns(n int) Option { return func(f *Figure) { f.cols = n } }

// Title is the figure's title.
func (f *Figure) Title() string { return f.title }

// Panels are the figure's plots, in order.
func (f *Figure) Panels() []*plot.Plot { return f.panels }

// Legend is the figure's legend, in order.
func (f *Figure) Legend() []LegendItem { return f.legend }

// Render draws the figure to PNG bytes. gonum/plot panics on some
// degenerate data (a non-positive value on a log axis); such a panic
// becomes an error naming the chart, never a crash.
func (f *Figure) Render() (out []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, fmt.Errorf("drawing %q: %v", f.title, v)
		}
	}()
	g := f.layout()
	c := vgimg.NewWith(vgimg.UseWH(g.w, g.h), vgimg.UseDPI(DPI), vgimg.UseBackgroundColor(color.White))
	f.paint(draw.New(c), g)
	// BestSpeed: encoding dominates drawing, and charts compress well
	// anyway (mostly white).
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, c.Image()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// RenderSVG draws the figure as one <svg> element to put inline in a
// page: the same picture as Render's PNG (and as many pixels wide and
// high), where each series is a group its legend entry hides and shows
// and each value a hover target (see ClassSeries, ClassHover and
// ClassLegend). Panics become errors, as in Render.
func (f *Figure) RenderSVG() (out []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, fmt.Errorf("drawing %q: %v", f.title, v)
		}
	}()
	g := f.layout()
	c := newSVGCanvas(g.w, g.h)
	c.b.WriteString(`<rect width="100%" height="100%" fill="#fff"/>` + "\n")
	f.paint(draw.New(c), g)
	px := func(l vg.Length) int { return int(math.Round(l.Points() / 72 * DPI)) }
	return c.document(f.title, px(g.w), px(g.h)), nil
}

// geometry is where a figure's parts go.
type geometry struct {
	w, h vg.Length
	// below puts the legend under the panels, in legCols columns of
	// legRows rows, legH high; else it is a column on the right.
	below            bool
	legCols, legRows int
	legH             vg.Length
}

// Legend layout, in points.
var (
	legendPad = vg.Points(8)
	thumbW    = vg.Points(22)
	thumbGap  = vg.Points(5)
	legColGap = vg.Points(16)
	legendGap = vg.Points(3) // between entries of the column on the right
)

func legendText() text.Style { return TextStyle(Sans, 10) }

func (f *Figure) layout() geometry {
	g := geometry{w: f.w, h: f.h}
	if g.w == 0 {
		g.w = FigureWidth
	}
	if g.h == 0 {
		g.h = figureHeight
	}
	// The legend goes on the right, where it cannot hide data; when it
	// would leave the panels side by side less than minPanelWidth each,
	// it goes under them in columns instead, and the figure grows to hold
	// it.
	lts := legendText()
	itemW := vg.Length(0)
	for _, it := range f.legend {
		itemW = max(itemW, thumbW+thumbGap+lts.Width(it.Label))
	}
	rowH := lts.Height("Mg") * 1.3
	cols := f.columns()
	g.below = cols > 1 && (g.w-itemW-3*legendPad)/vg.Length(cols) < minPanelWidth
	if g.below && len(f.legend) > 0 {
		g.legCols = max(1, int((g.w-2*legendPad+legColGap)/(itemW+legColGap)))
		g.legRows = (len(f.legend) + g.legCols - 1) / g.legCols
		g.legCols = (len(f.legend) + g.legRows - 1) / g.legRows // balance the columns
		g.legH = vg.Length(g.legRows)*rowH + legendPad
		g.h += g.legH
	}
	return g
}

func (f *Figure) columns() int {
	if f.cols > 0 {
		return f.cols
	}
	return len(f.panels)
}

// SeriesKey is the series a legend entry hides and shows: its Key, else its
// Label.
func (it LegendItem) SeriesKey() string {
	if it.Key != "" {
		return it.Key
	}
	return it.Label
}

// drawLegendEntry draws one legend entry: its thumbnails in thumb and its
// label at (x, y) (left, vertical center); in SVG, as the group of its
// series key over hit.
func drawLegendEntry(dc draw.Canvas, it LegendItem, thumb vg.Rectangle, x, y vg.Length, hit vg.Rectangle) {
	g, svg := svgOf(dc.Canvas)
	if svg {
		g.beginLegend(it.SeriesKey(), hit, it.Folded)
	}
	tc := draw.Canvas{Canvas: dc.Canvas, Rectangle: thumb}
	for _, t := range it.Thumbs {
		t.Thumbnail(&tc)
	}
	st := legendText()
	st.XAlign, st.YAlign = draw.XLeft, draw.YCenter
	dc.FillText(st, vg.Point{X: x, Y: y}, it.Label)
	if svg {
		g.endLegend()
	}
}

func (f *Figure) paint(dc draw.Canvas, g geometry) {
	w := g.w
	pad := legendPad
	lts := legendText()
	rowH := lts.Height("Mg") * 1.3
	top := dc.Max.Y - pad
	if f.title != "" {
		// "Main title — scenario" is drawn on two lines, each shrunk to fit.
		main, sub, _ := strings.Cut(f.title, " — ")
		for i, line := range []string{main, sub} {
			if line == "" {
				continue
			}
			ts := TextStyle(sansBold, 13)
			if i == 1 {
				ts = TextStyle(Sans, 11)
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
	bottom := dc.Min.Y + pad
	cols := f.columns()
	if g.below && len(f.legend) > 0 {
		// Column-major, so that the list reads down then across.
		colW := (w - 2*pad - vg.Length(g.legCols-1)*legColGap) / vg.Length(g.legCols)
		for i, it := range f.legend {
			col, row := i/g.legRows, i%g.legRows
			x := dc.Min.X + pad + vg.Length(col)*(colW+legColGap)
			y := bottom + vg.Length(g.legRows-1-row)*rowH
			thumb := vg.Rectangle{Min: vg.Point{X: x, Y: y + rowH*0.1}, Max: vg.Point{X: x + thumbW, Y: y + rowH*0.9}}
			hit := vg.Rectangle{Min: vg.Point{X: x, Y: y}, Max: vg.Point{X: x + min(colW, thumbW+thumbGap+lts.Width(it.Label)), Y: y + rowH}}
			drawLegendEntry(dc, it, thumb, x+thumbW+thumbGap, y+rowH/2, hit)
		}
		bottom += g.legH
	}
	if !g.below && len(f.legend) > 0 {
		// A column on the right, from the top of the panels down.
		em := lts.Width(" ")
		width, enth := vg.Length(0), vg.Length(0)
		for _, it := range f.legend {
			width = max(width, thumbW+em+lts.Width(it.Label))
			enth = max(enth, lts.Rectangle(it.Label).Max.Y)
		}
		x := right - width
		y := top - vg.Points(14)
		for _, it := range f.legend {
			thumb := vg.Rectangle{Min: vg.Point{X: x, Y: y - enth}, Max: vg.Point{X: x + thumbW, Y: y}}
			hit := vg.Rectangle{Min: vg.Point{X: x, Y: y - enth - legendGap/2}, Max: vg.Point{X: x + width, Y: y + legendGap/2}}
			drawLegendEntry(dc, it, thumb, x+thumbW+em, y-enth/2, hit)
			y -= enth + legendGap
		}
		right -= width + 2*pad
	}
	area := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: dc.Min.X + pad, Y: bottom},
		Max: vg.Point{X: right, Y: top},
	}}
	rows := (len(f.panels) + cols - 1) / cols
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(14), PadY: vg.Points(14)}
	for i, p := range f.panels {
		drawPanel(p, tiles.At(area, i%cols, i/cols))
	}
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
	// Tick labels are thinned to what the axes' lengths hold.
	xm, ym := p.X.Tick.Marker, p.Y.Tick.Marker
	defer func() { p.X.Tick.Marker, p.Y.Tick.Marker = xm, ym }()
	for range 2 {
		// Thinning the y labels can widen the x axis: measure twice.
		d := p.DataCanvas(inner)
		p.X.Tick.Marker = FitTicks{Inner: xm, Axis: &p.X, Length: d.Max.X - d.Min.X, Horizontal: true}
		p.Y.Tick.Marker = FitTicks{Inner: ym, Axis: &p.Y, Length: d.Max.Y - d.Min.Y}
	}
	p.Draw(inner)
	data := p.DataCanvas(inner)
	// An axis label is centered on the data and may reach over the tick
	// labels, never past the panel (into the next one): it shrinks to fit.
	room := func(mid, lo, hi vg.Length) vg.Length { return 2 * min(mid-lo, hi-mid) }
	for xs.Font.Size > 7 && xs.Width(xlab) > room((data.Min.X+data.Max.X)/2, c.Min.X, c.Max.X) {
		xs.Font.Size -= 0.5
	}
	for ys.Font.Size > 7 && ys.Width(ylab) > room((data.Min.Y+data.Max.Y)/2, c.Min.Y, c.Max.Y) {
		ys.Font.Size -= 0.5
	}
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

// FitTicks are the ticks of inner with as many labels as fit along an
// axis of the given length without touching: on a log axis, the powers
// of ten before the 2s and 5s, then every other power of ten...; on a
// linear one, every label, then every second, third... The ticks whose
// labels are dropped stay as minor ticks.
type FitTicks struct {
	Inner      plot.Ticker
	Axis       *plot.Axis
	Length     vg.Length
	Horizontal bool
}

func (f FitTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := f.Inner.Ticks(lo, hi)
	if len(ts) == 0 || f.Length <= 0 || !(hi > lo) {
		return ts
	}
	_, log := f.Axis.Scale.(plot.LogScale)
	var lab []int // the labeled ticks, in order of value
	for i, t := range ts {
		if t.Label != "" && (!log || t.Value > 0) {
			lab = append(lab, i)
		}
	}
	slices.SortFunc(lab, func(a, b int) int { return cmpFloat(ts[a].Value, ts[b].Value) })
	gap := vg.Points(2)
	if f.Horizontal {
		gap = f.Axis.Tick.Label.Width("  ")
	}
	// fits reports whether the labels kept (in order) do not overlap.
	fits := func(keep []int) bool {
		prevEnd := vg.Length(math.Inf(-1))
		for _, i := range keep {
			t := ts[i]
			pos := vg.Length(f.Axis.Scale.Normalize(lo, hi, t.Value)) * f.Length
			half := f.Axis.Tick.Label.Height(t.Label) / 2
			if f.Horizontal {
				half = f.Axis.Tick.Label.Width(t.Label) / 2
			}
			if pos-half < prevEnd+gap {
				return false
			}
			prevEnd = pos + half
		}
		return true
	}
	// Candidates, from most labels to fewest.
	var cands [][]int
	cands = append(cands, lab)
	base := lab
	if log {
		var pow []int
		for _, i := range lab {
			e := math.Log10(ts[i].Value)
			if math.Abs(e-math.Round(e)) < 1e-9 {
				pow = append(pow, i)
			}
		}
		if len(pow) > 0 {
			cands = append(cands, pow)
			base = pow
		}
	}
	for k := 2; k <= len(base); k++ {
		var keep []int
		for j, i := range base {
			if j%k == 0 {
				keep = append(keep, i)
			}
		}
		cands = append(cands, keep)
	}
	chosen := base[:min(1, len(base))]
	for _, c := range cands {
		if fits(c) {
			chosen = c
			break
		}
	}
	if len(chosen) == len(lab) {
		return ts
	}
	out := slices.Clone(ts)
	for _, i := range lab {
		if !slices.Contains(chosen, i) {
			out[i].Label = ""
		}
	}
	return out
}

// PadAxis widens a linear axis by frac of its span at each end (at the
// top only when it starts at zero), so that no point or line sits on the
// frame: data is never cut off by the edge of the plot.
func PadAxis(a *plot.Axis, frac float64) {
	if _, log := a.Scale.(plot.LogScale); log {
		return
	}
	span := a.Max - a.Min
	if !(span > 0) {
		span = math.Max(math.Abs(a.Max), 1)
	}
	if a.Min != 0 {
		a.Min -= frac * span
	}
	a.Max += frac * span
}

// LineThumb draws a legend sample of a line with its marker.
type LineThumb struct {
	Line  draw.LineStyle
	Glyph draw.GlyphStyle
}

func (t LineThumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	if t.Line.Color != nil {
		c.StrokeLine2(t.Line, c.Min.X, y, c.Max.X, y)
	}
	if t.Glyph.Shape != nil {
		c.DrawGlyph(t.Glyph, c.Center())
	}
}

// BarFill is how a bar is painted: a color and a hatch over it.
type BarFill struct {
	Color color.Color
	Hatch int
}

// paint fills r and draws the hatch over it.
func (f BarFill) paint(c *draw.Canvas, r vg.Rectangle) {
	c.FillPolygon(f.Color, []vg.Point{r.Min, {X: r.Min.X, Y: r.Max.Y}, r.Max, {X: r.Max.X, Y: r.Min.Y}})
	if f.Hatch == hatchNone {
		return
	}
	in := draw.Canvas{Canvas: c.Canvas, Rectangle: r}
	st := draw.LineStyle{Color: color.White, Width: vg.Points(1.1)}
	step := vg.Points(4)
	w, h := r.Max.X-r.Min.X, r.Max.Y-r.Min.Y
	for d := -h; d < w; d += step {
		if f.Hatch == HatchSlash || f.Hatch == hatchCross {
			l := []vg.Point{{X: r.Min.X + d, Y: r.Min.Y}, {X: r.Min.X + d + h, Y: r.Max.Y}}
			c.StrokeLines(st, in.ClipLinesXY(l)...)
		}
		if f.Hatch == hatchBackslash || f.Hatch == hatchCross {
			l := []vg.Point{{X: r.Min.X + d, Y: r.Max.Y}, {X: r.Min.X + d + h, Y: r.Min.Y}}
			c.StrokeLines(st, in.ClipLinesXY(l)...)
		}
	}
}

// BoxThumb draws a legend sample of a filled (and maybe hatched) bar.
type BoxThumb struct{ Fill BarFill }

func (t BoxThumb) Thumbnail(c *draw.Canvas) {
	r := vg.Rectangle{Min: vg.Point{X: c.Min.X + 2, Y: c.Min.Y + 1}, Max: vg.Point{X: c.Max.X - 2, Y: c.Max.Y - 1}}
	t.Fill.paint(c, r)
}

// Bars draws one bar per category i (at category coordinate i) from the
// base of the value axis to vals[i], shifted by off across the category
// and width wide. Unlike gonum's BarChart, its bars start at the axis
// minimum on a log axis, where 0 cannot be drawn, and can be hatched. A
// NaN value draws no bar.
type Bars struct {
	Vals       []float64
	Width, Off vg.Length
	Horizontal bool // values along x, categories along y
	Fill       BarFill
	// Hover, when set, is the hover text of each bar (see Series).
	Hover []string
}

func (b *Bars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	trCat, trVal, va := trX, trY, &p.Y
	if b.Horizontal {
		trCat, trVal, va = trY, trX, &p.X
	}
	_, log := va.Scale.(plot.LogScale)
	base := 0.0
	if log {
		base = va.Min
	}
	for i, v := range b.Vals {
		if math.IsNaN(v) || (log && v <= 0) {
			continue
		}
		lo, hi := base, v
		if hi < lo {
			lo, hi = hi, lo
		}
		// Clamp to the axis so that the transform stays finite.
		lo, hi = math.Max(lo, va.Min), math.Min(hi, va.Max)
		if hi <= lo {
			continue
		}
		c0 := trCat(float64(i)) + b.Off - b.Width/2
		c1 := c0 + b.Width
		v0, v1 := trVal(lo), trVal(hi)
		r := vg.Rectangle{Min: vg.Point{X: c0, Y: v0}, Max: vg.Point{X: c1, Y: v1}}
		if b.Horizontal {
			r = vg.Rectangle{Min: vg.Point{X: v0, Y: c0}, Max: vg.Point{X: v1, Y: c1}}
		}
		b.Fill.paint(&c, r)
		if g, ok := svgOf(c.Canvas); ok && i < len(b.Hover) {
			g.hoverRect(r, b.Hover[i])
		}
	}
}

func (b *Bars) DataRange() (xmin, xmax, ymin, ymax float64) {
	cmin, cmax := 0.0, float64(len(b.Vals)-1)
	vmin, vmax := 0.0, 0.0
	for _, v := range b.Vals {
		if !math.IsNaN(v) {
			vmin, vmax = math.Min(vmin, v), math.Max(vmax, v)
		}
	}
	if b.Horizontal {
		return vmin, vmax, cmin, cmax
	}
	return cmin, cmax, vmin, vmax
}

// ErrBars draws 95% interval whiskers at data points; off shifts them
// (in the category direction) to sit on a bar of a grouped bar chart.
type ErrBars struct {
	Xs, Ys, Lo, Hi []float64
	Horizontal     bool // intervals along x (for horizontal bars)
	Off            vg.Length
	Style          draw.LineStyle
	Cap            vg.Length
}

func (e *ErrBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	_, xlog := p.X.Scale.(plot.LogScale)
	_, ylog := p.Y.Scale.(plot.LogScale)
	for i := range e.Xs {
		if math.IsNaN(e.Lo[i]) || math.IsNaN(e.Hi[i]) {
			continue
		}
		// An interval reaching zero or below ends at the edge of a log axis.
		if e.Horizontal && xlog && e.Lo[i] <= 0 {
			e.Lo[i] = p.X.Min
		}
		if !e.Horizontal && ylog && e.Lo[i] <= 0 {
			e.Lo[i] = p.Y.Min
		}
		if e.Horizontal {
			y := trY(e.Ys[i]) + e.Off
			x0, x1 := trX(e.Lo[i]), trX(e.Hi[i])
			c.StrokeLines(e.Style, c.ClipLinesX([]vg.Point{{X: x0, Y: y}, {X: x1, Y: y}})...)
			for _, x := range []vg.Length{x0, x1} {
				if c.ContainsX(x) {
					c.StrokeLine2(e.Style, x, y-e.Cap/2, x, y+e.Cap/2)
				}
			}
			continue
		}
		x := trX(e.Xs[i]) + e.Off
		y0, y1 := trY(e.Lo[i]), trY(e.Hi[i])
		c.StrokeLines(e.Style, c.ClipLinesY([]vg.Point{{X: x, Y: y0}, {X: x, Y: y1}})...)
		for _, y := range []vg.Length{y0, y1} {
			if c.ContainsY(y) {
				c.StrokeLine2(e.Style, x-e.Cap/2, y, x+e.Cap/2, y)
			}
		}
	}
}

func (e *ErrBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for i := range e.Xs {
		lo, hi := e.Lo[i], e.Hi[i]
		if math.IsNaN(lo) || math.IsNaN(hi) {
			lo, hi = e.Ys[i], e.Ys[i]
			if e.Horizontal {
				lo, hi = e.Xs[i], e.Xs[i]
			}
		}
		if e.Horizontal {
			xmin, xmax = math.Min(xmin, lo), math.Max(xmax, hi)
			ymin, ymax = math.Min(ymin, e.Ys[i]), math.Max(ymax, e.Ys[i])
		} else {
			ymin, ymax = math.Min(ymin, lo), math.Max(ymax, hi)
			xmin, xmax = math.Min(xmin, e.Xs[i]), math.Max(xmax, e.Xs[i])
		}
	}
	return
}

// Downsample keeps at most n points of a series sorted by x, by
// largest-triangle-three-buckets: the first and last points and, in each
// bucket between, the point that keeps the shape best.
func Downsample(xys plotter.XYs, n int) plotter.XYs {
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

// Truncate shortens a label for legends and category axes.
func Truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TextWidth is the width of s in the charts' sans-serif font at size (in
// the unit of size: points, or pixels of an SVG whose unit is a pixel).
func TextWidth(s string, size float64) float64 {
	return TextStyle(Sans, vg.Length(size)).Width(s).Points()
}
