// The SVG canvas: the same figure as the PNG, drawn as SVG elements a
// page shows inline, with each series in a group a legend entry can hide
// and a hover text at each of its points.

package chart

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// FontFamily is the font list of the SVG: gonum measures text in
// Liberation Sans, whose widths Arimo and Arial share; text is drawn at
// the measured width whatever the browser picks (textLength).
const FontFamily = "'Liberation Sans',Arimo,Arial,Helvetica,sans-serif"

// SVG classes and attributes a page's script and tests rely on:
//
//   - <g class="sr" data-key="K">: what series K draws (lines, markers,
//     bars, whiskers, value labels);
//   - <g class="hv" data-key="K">: its hover targets, drawn last, on top:
//     transparent circles or rectangles, each with a <title> (the value);
//   - <g class="lg" data-key="K">: its legend entry, which hides and shows
//     every element of the same figure with the same data-key; with
//     data-folded="1", the page's script hides the series when it loads
//     (a series beyond the first eight of a chart, one click away).
//
// Groups without a key (a series no legend entry names) have no data-key.
const (
	ClassSeries = "sr"
	ClassHover  = "hv"
	ClassLegend = "lg"
)

// hoverRadius is the radius of a point's hover target, in points.
const hoverRadius = 5

// svgCanvas is a vg.Canvas that writes SVG: coordinates in points with
// one decimal, y pointing down, and no transform groups (the canvas
// applies its transforms to the coordinates itself).
type svgCanvas struct {
	w, h  vg.Length
	b     bytes.Buffer
	st    []svgState
	hover []*hoverLayer
	cur   *hoverLayer // the layer of the open series, or nil
}

type svgState struct {
	col    color.Color
	width  vg.Length
	dashes []vg.Length
	offset vg.Length
	// m is the transform: x' = m[0]x + m[2]y + m[4], y' = m[1]x + m[3]y + m[5].
	m [6]float64
}

// hoverLayer holds the hover targets of one series.
type hoverLayer struct {
	key string
	b   bytes.Buffer
}

func newSVGCanvas(w, h vg.Length) *svgCanvas {
	c := &svgCanvas{w: w, h: h, st: []svgState{{m: [6]float64{1, 0, 0, 1, 0, 0}}}}
	vg.Initialize(c)
	return c
}

func (c *svgCanvas) top() *svgState { return &c.st[len(c.st)-1] }

func (c *svgCanvas) Size() (vg.Length, vg.Length) { return c.w, c.h }

func (c *svgCanvas) SetLineWidth(w vg.Length) { c.top().width = w }

func (c *svgCanvas) SetLineDash(d []vg.Length, off vg.Length) {
	c.top().dashes, c.top().offset = d, off
}

func (c *svgCanvas) SetColor(col color.Color) {
	if col == nil {
		col = color.Black
	}
	c.top().col = col
}

// concat applies the transform n after the current one.
func (c *svgCanvas) concat(n [6]float64) {
	m := &c.top().m
	*m = [6]float64{
		m[0]*n[0] + m[2]*n[1], m[1]*n[0] + m[3]*n[1],
		m[0]*n[2] + m[2]*n[3], m[1]*n[2] + m[3]*n[3],
		m[0]*n[4] + m[2]*n[5] + m[4], m[1]*n[4] + m[3]*n[5] + m[5],
	}
}

func (c *svgCanvas) Rotate(rad float64) {
	s, co := math.Sincos(rad)
	c.concat([6]float64{co, s, -s, co, 0, 0})
}

func (c *svgCanvas) Translate(pt vg.Point) {
	c.concat([6]float64{1, 0, 0, 1, pt.X.Points(), pt.Y.Points()})
}

func (c *svgCanvas) Scale(x, y float64) { c.concat([6]float64{x, 0, 0, y, 0, 0}) }

func (c *svgCanvas) Push() {
	s := *c.top()
	s.dashes = append([]vg.Length(nil), s.dashes...)
	c.st = append(c.st, s)
}

func (c *svgCanvas) Pop() {
	if len(c.st) > 1 {
		c.st = c.st[:len(c.st)-1]
	}
}

// xy maps a point of the canvas to SVG coordinates: transformed, y down.
func (c *svgCanvas) xy(p vg.Point) (float64, float64) {
	m := c.top().m
	x, y := p.X.Points(), p.Y.Points()
	return m[0]*x + m[2]*y + m[4], c.h.Points() - (m[1]*x + m[3]*y + m[5])
}

// scale is the transform's length factor (its transforms are rotations,
// translations and uniform scales).
func (c *svgCanvas) scale() float64 {
	m := c.top().m
	return math.Sqrt(math.Abs(m[0]*m[3] - m[1]*m[2]))
}

// num appends v rounded to a tenth, without trailing zeros.
func num(b []byte, v float64) []byte {
	v = math.Round(v*10) / 10
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, '0')
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

func (c *svgCanvas) pathData(p vg.Path) []byte {
	var d []byte
	pt := func(cmd byte, x, y float64) {
		d = append(d, cmd)
		d = num(d, x)
		d = append(d, ',')
		d = num(d, y)
	}
	var curX, curY float64
	for _, comp := range p {
		switch comp.Type {
		case vg.MoveComp:
			curX, curY = c.xy(comp.Pos)
			pt('M', curX, curY)
		case vg.LineComp:
			curX, curY = c.xy(comp.Pos)
			pt('L', curX, curY)
		case vg.ArcComp:
			r := comp.Radius
			at := func(a float64) (float64, float64) {
				s, co := math.Sincos(a)
				return c.xy(vg.Point{X: comp.Pos.X + r*vg.Length(co), Y: comp.Pos.Y + r*vg.Length(s)})
			}
			x0, y0 := at(comp.Start)
			if len(d) == 0 {
				pt('M', x0, y0)
			} else if math.Abs(x0-curX) > 0.05 || math.Abs(y0-curY) > 0.05 {
				pt('L', x0, y0)
			}
			rr := r.Points() * c.scale()
			// y points down here: an angle counted counterclockwise on
			// the canvas turns clockwise on the screen.
			sweep := byte('0')
			if comp.Angle < 0 {
				sweep = '1'
			}
			arc := func(a float64) {
				x, y := at(a)
				large := byte('0')
				d = append(d, 'A')
				d = num(d, rr)
				d = append(d, ',')
				d = num(d, rr)
				d = append(d, " 0 "...)
				d = append(d, large, ' ', sweep, ' ')
				d = num(d, x)
				d = append(d, ',')
				d = num(d, y)
				curX, curY = x, y
			}
			// Arcs of at most a half turn each, so that the large-arc
			// flag is always 0 and a full circle has distinct ends.
			n := int(math.Ceil(math.Abs(comp.Angle) / math.Pi))
			for i := 1; i <= n; i++ {
				arc(comp.Start + comp.Angle*float64(i)/float64(n))
			}
		case vg.CurveComp:
			switch len(comp.Control) {
			case 1:
				x1, y1 := c.xy(comp.Control[0])
				pt('Q', x1, y1)
			case 2:
				x1, y1 := c.xy(comp.Control[0])
				x2, y2 := c.xy(comp.Control[1])
				pt('C', x1, y1)
				d = append(d, ' ')
				d = num(d, x2)
				d = append(d, ',')
				d = num(d, y2)
			}
			curX, curY = c.xy(comp.Pos)
			d = append(d, ' ')
			d = num(d, curX)
			d = append(d, ',')
			d = num(d, curY)
		case vg.CloseComp:
			d = append(d, 'Z')
		}
	}
	return d
}

// hexColor is col as #rrggbb and its opacity.
func hexColor(col color.Color) (string, float64) {
	if col == nil {
		col = color.Black
	}
	r, g, b, a := col.RGBA()
	if a == 0 {
		return "#000000", 0
	}
	un := func(v uint32) uint32 { return min(255, (v*0xffff/a)>>8) }
	return fmt.Sprintf("#%02x%02x%02x", un(r), un(g), un(b)), float64(a) / 0xffff
}

func (c *svgCanvas) attr(name string, v float64) {
	c.b.WriteString(` ` + name + `="`)
	c.b.Write(num(nil, v))
	c.b.WriteByte('"')
}

func (c *svgCanvas) Stroke(p vg.Path) {
	s := c.top()
	if s.width <= 0 || len(p) == 0 {
		return
	}
	col, op := hexColor(s.col)
	if op == 0 {
		return
	}
	c.b.WriteString(`<path d="`)
	c.b.Write(c.pathData(p))
	c.b.WriteString(`" fill="none" stroke="` + col + `"`)
	if op < 1 {
		c.attr("stroke-opacity", op)
	}
	w := s.width.Points() * c.scale()
	if w != 1 {
		c.b.WriteString(` stroke-width="` + strconv.FormatFloat(math.Round(w*100)/100, 'f', -1, 64) + `"`)
	}
	if len(s.dashes) > 0 {
		c.b.WriteString(` stroke-dasharray="`)
		for i, l := range s.dashes {
			if i > 0 {
				c.b.WriteByte(' ')
			}
			c.b.Write(num(nil, l.Points()*c.scale()))
		}
		c.b.WriteByte('"')
		if s.offset != 0 {
			c.attr("stroke-dashoffset", s.offset.Points()*c.scale())
		}
	}
	c.b.WriteString("/>\n")
}

func (c *svgCanvas) Fill(p vg.Path) {
	if len(p) == 0 {
		return
	}
	col, op := hexColor(c.top().col)
	if op == 0 {
		return
	}
	c.b.WriteString(`<path d="`)
	c.b.Write(c.pathData(p))
	c.b.WriteString(`" fill="` + col + `"`)
	if op < 1 {
		c.attr("fill-opacity", op)
	}
	c.b.WriteString("/>\n")
}

func (c *svgCanvas) FillString(f font.Face, pt vg.Point, s string) {
	if f.Font.Size == 0 || s == "" {
		return
	}
	x, y := c.xy(pt)
	m := c.top().m
	c.b.WriteString(`<text`)
	c.attr("x", x)
	c.attr("y", y)
	c.attr("font-size", f.Font.Size.Points()*c.scale())
	if f.Font.Weight >= xfont.WeightBold {
		c.b.WriteString(` font-weight="bold"`)
	}
	if col, op := hexColor(c.top().col); col != "#000000" || op < 1 {
		c.b.WriteString(` fill="` + col + `"`)
		if op < 1 {
			c.attr("fill-opacity", op)
		}
	}
	if deg := math.Atan2(m[1], m[0]) * 180 / math.Pi; math.Abs(deg) > 1e-6 {
		// Counterclockwise on the canvas is a negative angle in SVG.
		c.b.WriteString(` transform="rotate(`)
		c.b.Write(num(nil, -deg))
		c.b.WriteByte(' ')
		c.b.Write(num(nil, x))
		c.b.WriteByte(' ')
		c.b.Write(num(nil, y))
		c.b.WriteString(`)"`)
	}
	if len([]rune(s)) > 1 {
		// The width gonum measured, so that a wider fallback font does
		// not run into its neighbours.
		c.attr("textLength", f.Width(s).Points()*c.scale())
		c.b.WriteString(` lengthAdjust="spacingAndGlyphs"`)
	}
	c.b.WriteByte('>')
	c.b.WriteString(escape(s))
	c.b.WriteString("</text>\n")
}

func (c *svgCanvas) DrawImage(r vg.Rectangle, img image.Image) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(fmt.Errorf("chart: encoding an image for SVG: %v", err))
	}
	x0, y0 := c.xy(vg.Point{X: r.Min.X, Y: r.Max.Y})
	x1, y1 := c.xy(vg.Point{X: r.Max.X, Y: r.Min.Y})
	c.b.WriteString(`<image`)
	c.attr("x", x0)
	c.attr("y", y0)
	c.attr("width", x1-x0)
	c.attr("height", y1-y0)
	c.b.WriteString(` href="data:image/png;base64,` + base64.StdEncoding.EncodeToString(buf.Bytes()) + `"/>` + "\n")
}

// keyAttr is the data-key attribute of a group of key, or nothing.
func keyAttr(key string) string {
	if key == "" {
		return ""
	}
	return ` data-key="` + escape(key) + `"`
}

// beginSeries opens the group of a series; its hover targets collect in
// a layer drawn on top of the figure.
func (c *svgCanvas) beginSeries(key string) {
	c.b.WriteString(`<g class="` + ClassSeries + `"` + keyAttr(key) + ">\n")
	c.cur = &hoverLayer{key: key}
	c.hover = append(c.hover, c.cur)
}

func (c *svgCanvas) endSeries() {
	c.b.WriteString("</g>\n")
	c.cur = nil
}

// hoverPoint adds a round hover target at pt with text as its title.
func (c *svgCanvas) hoverPoint(pt vg.Point, text string) {
	if c.cur == nil || text == "" {
		return
	}
	x, y := c.xy(pt)
	b := &c.cur.b
	b.WriteString(`<circle cx="`)
	b.Write(num(nil, x))
	b.WriteString(`" cy="`)
	b.Write(num(nil, y))
	b.WriteString(`" r="` + strconv.Itoa(hoverRadius) + `"><title>`)
	b.WriteString(escape(text))
	b.WriteString("</title></circle>\n")
}

// hoverRect adds a rectangular hover target over r (a bar).
func (c *svgCanvas) hoverRect(r vg.Rectangle, text string) {
	if c.cur == nil || text == "" {
		return
	}
	x0, y0 := c.xy(vg.Point{X: r.Min.X, Y: r.Max.Y})
	x1, y1 := c.xy(vg.Point{X: r.Max.X, Y: r.Min.Y})
	b := &c.cur.b
	b.WriteString(`<rect x="`)
	b.Write(num(nil, math.Min(x0, x1)))
	b.WriteString(`" y="`)
	b.Write(num(nil, math.Min(y0, y1)))
	b.WriteString(`" width="`)
	b.Write(num(nil, math.Max(math.Abs(x1-x0), 1)))
	b.WriteString(`" height="`)
	b.Write(num(nil, math.Max(math.Abs(y1-y0), 1)))
	b.WriteString(`"><title>`)
	b.WriteString(escape(text))
	b.WriteString("</title></rect>\n")
}

// beginLegend opens the group of the legend entry of key over r, with a
// transparent rectangle that takes the clicks over the whole entry.
func (c *svgCanvas) beginLegend(key string, r vg.Rectangle, folded bool) {
	x0, y0 := c.xy(vg.Point{X: r.Min.X, Y: r.Max.Y})
	x1, y1 := c.xy(vg.Point{X: r.Max.X, Y: r.Min.Y})
	fold := ""
	if folded {
		fold = ` data-folded="1"`
	}
	c.b.WriteString(`<g class="` + ClassLegend + `"` + keyAttr(key) + fold + ` tabindex="0" role="button" aria-pressed="true"><title>` +
		escape(key) + ": click to hide or show, double-click to show it alone</title>\n<rect")
	c.attr("x", x0)
	c.attr("y", y0)
	c.attr("width", x1-x0)
	c.attr("height", y1-y0)
	c.b.WriteString(` fill="transparent"/>` + "\n")
}

func (c *svgCanvas) endLegend() { c.b.WriteString("</g>\n") }

// document is the whole <svg> element, px wide and high on the page.
func (c *svgCanvas) document(label string, px, py int) []byte {
	var out bytes.Buffer
	fmt.Fprintf(&out, `<svg class="chart" viewBox="0 0 %s %s" width="%d" height="%d" font-family="%s" role="img" aria-label="%s">`+"\n",
		num(nil, c.w.Points()), num(nil, c.h.Points()), px, py, FontFamily, escape(label))
	out.Write(c.b.Bytes())
	for _, l := range c.hover {
		if l.b.Len() == 0 {
			continue
		}
		out.WriteString(`<g class="` + ClassHover + `"` + keyAttr(l.key) + ` fill="transparent">` + "\n")
		out.Write(l.b.Bytes())
		out.WriteString("</g>\n")
	}
	out.WriteString("</svg>")
	return out.Bytes()
}

// The interfaces a plotter finds on the canvas it draws on when that
// canvas writes SVG (draw.Canvas.Canvas); on a PNG they are absent and
// plotters draw only.
type svgGrouper interface {
	beginSeries(key string)
	endSeries()
	hoverPoint(pt vg.Point, text string)
	hoverRect(r vg.Rectangle, text string)
	beginLegend(key string, r vg.Rectangle, folded bool)
	endLegend()
}

var _ svgGrouper = (*svgCanvas)(nil)

// svgOf finds the SVG canvas under c: gonum wraps the canvas of a plot's
// data area in draw.Canvas values, one inside another.
func svgOf(c vg.Canvas) (svgGrouper, bool) {
	for {
		switch x := c.(type) {
		case svgGrouper:
			return x, true
		case draw.Canvas:
			c = x.Canvas
		case *draw.Canvas:
			c = x.Canvas
		default:
			return nil, false
		}
	}
}

// escape makes s safe as XML text or attribute: escaped, and with what
// XML cannot hold (invalid UTF-8, control characters) replaced by U+FFFD,
// since names come from result files and profiles.
func escape(s string) string { return html.EscapeString(xmlSafe(s)) }

func xmlSafe(s string) string {
	ok := utf8.ValidString(s)
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xfffe || r == 0xffff {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xfffe || r == 0xffff {
			r = '\uFFFD'
		}
		b.WriteRune(r)
	}
	return b.String()
}
