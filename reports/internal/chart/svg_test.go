package chart

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// svgGroup is a group of an SVG the page's script acts on.
type svgGroup struct {
	class, key string
	titles     []string // of the group's hover targets, or its own
	elems      int      // child elements
}

// svgDoc is what parseSVG finds in an <svg>.
type svgDoc struct {
	root   map[string]string
	groups []svgGroup
	texts  []map[string]string
	paths  []string // d of every path
}

// parseSVG reads an SVG strictly (it must be well-formed XML) and
// returns its root attributes, its classed groups, texts and paths.
func parseSVG(t *testing.T, data []byte) svgDoc {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	var doc svgDoc
	var open []int             // per open element: the classed group it is in, or -1
	var title *strings.Builder // inside a <title>
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v\n%.500s", err, data)
		}
		cur := -1
		if len(open) > 0 {
			cur = open[len(open)-1]
		}
		switch x := tok.(type) {
		case xml.StartElement:
			attrs := map[string]string{}
			for _, a := range x.Attr {
				attrs[a.Name.Local] = a.Value
			}
			if len(open) == 0 {
				if x.Name.Local != "svg" {
					t.Fatalf("root element %s", x.Name.Local)
				}
				doc.root = attrs
			}
			if cur >= 0 {
				doc.groups[cur].elems++
			}
			switch x.Name.Local {
			case "g":
				if c := attrs["class"]; c != "" {
					doc.groups = append(doc.groups, svgGroup{class: c, key: attrs["data-key"]})
					cur = len(doc.groups) - 1
				}
			case "title":
				title = &strings.Builder{}
			case "text":
				doc.texts = append(doc.texts, attrs)
			case "path":
				doc.paths = append(doc.paths, attrs["d"])
			}
			open = append(open, cur)
		case xml.CharData:
			if title != nil {
				title.Write(x)
			}
		case xml.EndElement:
			if x.Name.Local == "title" && title != nil {
				if cur >= 0 {
					doc.groups[cur].titles = append(doc.groups[cur].titles, title.String())
				}
				title = nil
			}
			open = open[:len(open)-1]
		}
	}
	return doc
}

// testFigure is a figure of two series in a panel, one of lines with
// markers and hover points, one of bars with hover texts, and a legend
// naming both and a third, unseen series.
func testFigure(t *testing.T) *Figure {
	t.Helper()
	p := NewPlot("panel", "load ρ (fraction)", "time (ms)")
	xys := plotter.XYs{{X: 0, Y: 1}, {X: 1, Y: 2}, {X: 2, Y: 1.5}}
	l, err := plotter.NewLine(xys)
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := plotter.NewScatter(xys)
	sc.GlyphStyle = SlotGlyph(0) // a circle: arcs
	a := NewSeries(`a "quoted" <&>`, l, sc)
	for _, pt := range xys {
		a.Hover(pt.X, pt.Y, "a\nvalue "+strconv.FormatFloat(pt.Y, 'g', -1, 64)+" ms")
	}
	b := NewSeries("b", &Bars{Vals: []float64{0.5, 1, 0.7}, Width: vg.Points(10), Fill: BarFill{Color: SlotColor(1), Hatch: HatchSlash},
		Hover: []string{"b\n0.5 ms", "b\n1 ms", "b\n0.7 ms"}})
	p.Add(b, a)
	legend := []LegendItem{
		{Label: `a "quoted" <&>`, Thumbs: []plot.Thumbnailer{LineThumb{Line: SlotLine(0), Glyph: SlotGlyph(0)}}},
		{Label: "b (bars)", Key: "b", Thumbs: []plot.Thumbnailer{BoxThumb{Fill: BarFill{Color: SlotColor(1)}}}},
	}
	return New("A title — a scenario", []*plot.Plot{p}, WithLegend(legend))
}

// TestSVGStructure checks what the page's script and reader rely on: a
// well-formed SVG of the PNG's size, one group per series with the key
// of its legend entry, one hover layer per series whose targets all have
// a title, legend entries whose keys all name a series, and text that
// keeps gonum's measured width.
func TestSVGStructure(t *testing.T) {
	f := testFigure(t)
	svg, err := f.RenderSVG()
	if err != nil {
		t.Fatal(err)
	}
	doc := parseSVG(t, svg)
	img, err := f.Render()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	if doc.root["width"] != strconv.Itoa(cfg.Width) || doc.root["height"] != strconv.Itoa(cfg.Height) {
		t.Errorf("SVG %sx%s, PNG %dx%d: want the same size", doc.root["width"], doc.root["height"], cfg.Width, cfg.Height)
	}
	if doc.root["class"] != "chart" || doc.root["viewBox"] == "" || doc.root["aria-label"] != "A title — a scenario" {
		t.Errorf("root attributes %v", doc.root)
	}
	keys := map[string]map[string]int{} // class → key → groups
	hoverTitles := map[string]int{}
	for _, g := range doc.groups {
		if keys[g.class] == nil {
			keys[g.class] = map[string]int{}
		}
		keys[g.class][g.key]++
		if g.class == ClassHover {
			hoverTitles[g.key] += len(g.titles)
			for _, ti := range g.titles {
				if ti == "" {
					t.Errorf("an empty hover title in %q", g.key)
				}
			}
		}
	}
	want := map[string]int{`a "quoted" <&>`: 1, "b": 1}
	for _, class := range []string{ClassSeries, ClassHover, ClassLegend} {
		for k, n := range want {
			if keys[class][k] != n {
				t.Errorf("%d <g class=%q data-key=%q>, want %d (all: %v)", keys[class][k], class, k, n, keys[class])
			}
		}
		if len(keys[class]) != len(want) {
			t.Errorf("groups of class %s: %v, want keys %v", class, keys[class], want)
		}
	}
	if hoverTitles[`a "quoted" <&>`] != 3 || hoverTitles["b"] != 3 {
		t.Errorf("hover titles %v, want 3 per series", hoverTitles)
	}
	// Text keeps its measured width, and the y axis label is turned.
	rotated := false
	for _, tx := range doc.texts {
		if strings.HasPrefix(tx["transform"], "rotate(-90 ") {
			rotated = true
		}
	}
	if !rotated {
		t.Error("the y axis label is not rotated by -90°")
	}
	if !bytes.Contains(svg, []byte(`textLength="`)) {
		t.Error("no text keeps its measured width (textLength)")
	}
	// Circles are arcs of at most half a turn with distinct ends.
	arcs := 0
	arc := regexp.MustCompile(`A([\d.]+),([\d.]+) 0 0 [01] (-?[\d.]+),(-?[\d.]+)`)
	for _, d := range doc.paths {
		arcs += len(arc.FindAllString(d, -1))
		if strings.Contains(d, "NaN") || strings.Contains(d, "Inf") {
			t.Errorf("path %q", d)
		}
	}
	if arcs < 6 {
		t.Errorf("%d arcs, want two per circle marker", arcs)
	}
}

// TestSVGHoverCap checks that a long series gets at most MaxHover hover
// targets, its first and last points among them, and that points off
// the axes get none.
func TestSVGHoverCap(t *testing.T) {
	p := NewPlot("", "x", "y")
	var xys plotter.XYs
	s := NewSeries("long")
	for i := range 1000 {
		xys = append(xys, plotter.XY{X: float64(i), Y: math.Sin(float64(i))})
		s.Hover(float64(i), math.Sin(float64(i)), "point "+strconv.Itoa(i))
	}
	s.Hover(5000, 0, "off the axis")
	l, _ := plotter.NewLine(xys)
	s.Plotters = append(s.Plotters, l)
	p.Add(s)
	p.X.Max = 999
	svg, err := New("", []*plot.Plot{p}).RenderSVG()
	if err != nil {
		t.Fatal(err)
	}
	doc := parseSVG(t, svg)
	var titles []string
	for _, g := range doc.groups {
		if g.class == ClassHover {
			titles = append(titles, g.titles...)
		}
	}
	if len(titles) > MaxHover || len(titles) < MaxHover-1 {
		t.Errorf("%d hover targets, want at most %d", len(titles), MaxHover)
	}
	if len(titles) > 0 && (titles[0] != "point 0" || titles[len(titles)-1] == "off the axis") {
		t.Errorf("hover targets from %q to %q", titles[0], titles[len(titles)-1])
	}
}

// TestSVGTransforms checks the canvas's own transforms against the
// points gonum would draw: a translated and rotated square lands where
// the matrix says, y pointing down.
func TestSVGTransforms(t *testing.T) {
	c := newSVGCanvas(100, 50)
	dc := draw.New(c)
	c.Push()
	c.Translate(vg.Point{X: 10, Y: 20})
	c.Rotate(math.Pi / 2)
	var p vg.Path
	p.Move(vg.Point{X: 0, Y: 0})
	p.Line(vg.Point{X: 5, Y: 0})
	dc.Stroke(p)
	c.Pop()
	got := c.b.String()
	// (0,0) → (10,20) → y down: (10,30); (5,0) rotated 90° → (0,5) →
	// (10,25) → (10,25).
	if !strings.Contains(got, `d="M10,30L10,25"`) {
		t.Errorf("transformed path: %s", got)
	}
}

// FuzzSVGText draws a figure whose title, series key, legend label and
// hover text come from the fuzzer (names come from result files: any
// bytes) and checks that the SVG is well-formed XML whose legend entry
// and series group share their key.
func FuzzSVGText(f *testing.F) {
	f.Add("jsq", "1.2 ms")
	f.Add(`a "b" <c> & d`, "\x00\xff\nline")
	f.Add("two\nlines\ttab", "x")
	f.Fuzz(func(t *testing.T, name, text string) {
		p := NewPlot("", "x", "y")
		l, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
		s := NewSeries(name, l)
		s.Hover(0.5, 0.5, text)
		p.Add(s)
		svg, err := New(name+" — "+text, []*plot.Plot{p}, WithLegend([]LegendItem{{Label: name, Key: name}})).RenderSVG()
		if err != nil {
			t.Skip(err) // a font without the glyphs: gonum's error, not ours
		}
		doc := parseSVG(t, svg)
		keys := map[string]int{}
		for _, g := range doc.groups {
			keys[g.class+" "+g.key]++
		}
		if name != "" && (keys[ClassSeries+" "+xmlSafe(name)] != 1 || keys[ClassLegend+" "+xmlSafe(name)] != 1) {
			t.Errorf("groups %v, want a series and a legend entry of %q", keys, name)
		}
	})
}
