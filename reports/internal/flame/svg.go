// Drawing flame graphs as SVG.

package flame

import (
	"bytes"
	"cmp"
	"fmt"
	"hash/fnv"
	"html"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Geometry of a graph, in pixels (the SVG's user units).
const (
	DefaultWidth = 1200
	frameH       = 17 // one row: a 16-pixel frame and a 1-pixel gap
	fontSize     = 11
	pad          = 10
	legendRowH   = 18
	// minFrameWidth is the narrowest frame drawn; maxFrames the most
	// frames a graph draws (narrow frames are left out first).
	minFrameWidth = 0.8
	maxFrames     = 1500
)

// TextWidth measures text at a font size (in the same unit); the caller
// gives the metrics of the font the page asks for. Frames get only as
// much of their name as fits.
type TextWidth func(s string, size float64) float64

// LegendEntry is one color of a graph's legend and what it means.
type LegendEntry struct {
	Color color.Color
	Label string
}

// Options say how a graph is drawn.
type Options struct {
	// Label is the graph's accessible name (aria-label).
	Label string
	// Of names whose CPU time the shares are of, in hover texts: "pool's
	// CPU time".
	Of string
	// Width is the graph's width in pixels; DefaultWidth if zero.
	Width float64
	// Color fills a frame, given its full name; nil colors by name.
	Color func(name string) color.Color
	// Legend explains the colors, drawn above the graph.
	Legend []LegendEntry
	// Measure measures text; nil assumes 0.6 em a character.
	Measure TextWidth
}

func (o *Options) defaults() {
	if o.Width <= 0 {
		o.Width = DefaultWidth
	}
	if o.Measure == nil {
		o.Measure = func(s string, size float64) float64 { return 0.6 * size * float64(len([]rune(s))) }
	}
	if o.Color == nil {
		o.Color = HashColor
	}
}

// HashColor is a warm color chosen by name, the classic flame graph's.
func HashColor(name string) color.Color {
	h := fnv.New32a()
	h.Write([]byte(name))
	v := h.Sum32()
	return color.RGBA{R: uint8(205 + v%50), G: uint8(80 + (v>>8)%130), B: uint8(40 + (v>>16)%40), A: 255}
}

// ShortName is a function's name without its package path:
// "github.com/x/y/harness.(*runner).task" is "harness.(*runner).task".
func ShortName(name string) string {
	end := len(name)
	if i := strings.IndexAny(name, "(["); i >= 0 {
		end = i
	}
	if i := strings.LastIndexByte(name[:end], '/'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// frame is a frame placed on the graph.
type frame struct {
	n      *Node
	base   *Node // the same path in the other tree (differential), or nil
	x, w   float64
	depth  int
	parent *frame
}

// layout places the frames of t at least min pixels wide, root first,
// children by name from the left.
func layout(t *Tree, other *Tree, width, min float64) []frame {
	t.Root.sort()
	total := t.Root.Value
	if !(total > 0) {
		return nil
	}
	scale := width / total
	var out []frame
	var walk func(n, base *Node, x float64, depth int)
	walk = func(n, base *Node, x float64, depth int) {
		w := n.Value * scale
		if w < min {
			return
		}
		out = append(out, frame{n: n, base: base, x: x, w: w, depth: depth})
		for _, c := range n.Children {
			var cb *Node
			if base != nil {
				cb = base.Child(c.Name)
			}
			walk(c, cb, x, depth+1)
			x += c.Value * scale
		}
	}
	var ob *Node
	if other != nil {
		ob = &other.Root
	}
	walk(&t.Root, ob, 0, 0)
	return out
}

// place lays t out with as narrow frames as the budget of maxFrames
// allows.
func place(t, other *Tree, width float64) []frame {
	min := minFrameWidth
	for {
		fs := layout(t, other, width, min)
		if len(fs) <= maxFrames {
			return fs
		}
		min *= 1.5
	}
}

// num formats a coordinate to a tenth.
func num(v float64) string {
	v = math.Round(v*10) / 10
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func hexColor(c color.Color) string {
	r, g, b, a := c.RGBA()
	if a == 0 {
		return "none"
	}
	un := func(v uint32) uint32 { return min(255, (v*0xffff/a)>>8) }
	return fmt.Sprintf("#%02x%02x%02x", un(r), un(g), un(b))
}

// luminance is c's relative brightness, 0 to 1.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	return (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)) / 0xffff
}

// fit shortens s to fit width at fontSize, with an ellipsis, or returns
// "" when not even two characters fit.
func fit(s string, width float64, measure TextWidth) string {
	if measure(s, fontSize) <= width {
		return s
	}
	r := []rune(s)
	lo, hi := 0, len(r) // the longest prefix that fits with "…" is r[:lo]
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if measure(string(r[:mid])+"…", fontSize) <= width {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo < 2 {
		return ""
	}
	return string(r[:lo]) + "…"
}

// Percent formats a share as a percentage with three significant
// digits: "12.3%", "0.45%".
func Percent(share float64) string {
	p := 100 * share
	switch {
	case p == 0:
		return "0%"
	case math.Abs(p) >= 9.995:
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	case math.Abs(p) >= 0.9995:
		return strconv.FormatFloat(p, 'f', 2, 64) + "%"
	}
	return strconv.FormatFloat(p, 'g', 2, 64) + "%"
}

// seconds formats a CPU time.
func seconds(v float64) string {
	switch {
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64) + " s"
	case v >= 1e-3:
		return strconv.FormatFloat(v*1e3, 'f', 0, 64) + " ms"
	}
	return strconv.FormatFloat(v*1e6, 'f', 0, 64) + " µs"
}

// writer builds one graph's SVG.
type writer struct {
	b      bytes.Buffer
	o      Options
	top    float64 // y of the first row, under the legend
	height float64
}

// legend draws the legend entries in rows above the graph and returns
// the y under them.
func (w *writer) legend(entries []LegendEntry, gradient *gradient) {
	x, y := float64(pad), float64(pad)
	if gradient != nil {
		y = gradient.draw(&w.b, pad, y, w.o.Width, w.o.Measure)
	}
	for _, e := range entries {
		tw := w.o.Measure(e.Label, fontSize)
		if x+14+tw > w.o.Width+pad && x > pad {
			x, y = pad, y+legendRowH
		}
		fmt.Fprintf(&w.b, `<rect x="%s" y="%s" width="10" height="10" fill="%s"/><text x="%s" y="%s">%s</text>`+"\n",
			num(x), num(y+2), hexColor(e.Color), num(x+14), num(y+11), escape(e.Label))
		x += 14 + tw + 18
	}
	if len(entries) > 0 {
		y += legendRowH
	}
	w.top = y + 4
}

// frames draws fs; text and fill of each frame come from the caller.
func (w *writer) frames(fs []frame, fill func(f frame) color.Color, title func(f frame) string) {
	depth := 0
	for _, f := range fs {
		depth = max(depth, f.depth)
		x, y := pad+f.x, w.top+float64(f.depth*frameH)
		col := fill(f)
		fmt.Fprintf(&w.b, `<g class="f"><title>%s</title><rect x="%s" y="%s" width="%s" height="%d" fill="%s"/>`,
			escape(title(f)), num(x), num(y), num(math.Max(f.w-0.5, 0.3)), frameH-1, hexColor(col))
		if label := fit(ShortName(f.n.Name), f.w-6, w.o.Measure); label != "" {
			ink := ""
			if luminance(col) < 0.45 {
				ink = ` fill="#fff"`
			}
			fmt.Fprintf(&w.b, `<text x="%s" y="%s"%s>%s</text>`, num(x+3), num(y+12), ink, escape(label))
		}
		w.b.WriteString("</g>\n")
	}
	w.height = w.top + float64((depth+1)*frameH) + pad
}

func (w *writer) document() []byte {
	var out bytes.Buffer
	width := w.o.Width + 2*pad
	fmt.Fprintf(&out, `<svg class="flame" viewBox="0 0 %s %s" width="%s" height="%s" font-size="%d" role="img" aria-label="%s">`+"\n",
		num(width), num(w.height), num(width), num(w.height), fontSize, escape(w.o.Label))
	out.Write(w.b.Bytes())
	out.WriteString("</svg>")
	return out.Bytes()
}

// SVG draws t as a flame graph, the root (all of the samples) on top and
// each frame under the one that called it, as wide as its share of the
// samples: one <g class="f"> per frame, with a <title> that gives the
// full name, the samples and the share.
func (t *Tree) SVG(o Options) []byte {
	o.defaults()
	w := &writer{o: o}
	w.legend(o.Legend, nil)
	total := t.Root.Value
	w.frames(place(t, nil, o.Width), func(f frame) color.Color {
		if f.depth == 0 {
			return color.Gray{Y: 200}
		}
		return o.Color(f.n.Name)
	}, func(f frame) string {
		return fmt.Sprintf("%s\n%s of %s: %d samples, %s (%s in the function itself)",
			f.n.Name, Percent(f.n.Value/total), o.Of, f.n.Samples, seconds(f.n.Value), Percent(f.n.Self()/total))
	})
	return w.document()
}

// DiffOptions say how a differential graph is drawn.
type DiffOptions struct {
	Options
	// Name and BaseName name the strategy drawn and the one it is
	// compared with.
	Name, BaseName string
}

// Diff colors for a change of share: red where the drawn strategy spends
// a larger share of its time than the other, blue where a smaller one.
var (
	DiffNeutral = color.RGBA{0xec, 0xec, 0xec, 0xff}
	DiffMore    = color.RGBA{0xc0, 0x1f, 0x2a, 0xff} // red: slower here
	DiffLess    = color.RGBA{0x1f, 0x5f, 0xb0, 0xff} // blue: faster here
)

// minDiffScale is the change of share (as a fraction) drawn at full
// color when no frame changes more: smaller changes stay pale.
const minDiffScale = 0.02

// DiffColor is the fill of a frame whose share changed by d (a fraction,
// d > 0: a larger share) on a scale where a change of scale is full
// color.
func DiffColor(d, scale float64) color.Color {
	t := math.Min(1, math.Abs(d)/scale)
	to := DiffMore
	if d < 0 {
		to = DiffLess
	}
	mix := func(a, b uint8) uint8 { return uint8(math.Round(float64(a) + t*(float64(b)-float64(a)))) }
	return color.RGBA{mix(DiffNeutral.R, to.R), mix(DiffNeutral.G, to.G), mix(DiffNeutral.B, to.B), 0xff}
}

// Change is the change of one function's share between two trees.
type Change struct {
	Name        string
	Share, Base float64 // fractions of each tree's total
	// Depth is the deepest the function is drawn: of two equal changes,
	// the deeper function explains more.
	Depth int
}

// FuncShares is each function's share of t's time: the time of the
// samples whose stack holds it (once per sample, however deep it
// recurses: pprof's cum), over the total.
func (t *Tree) FuncShares() map[string]float64 {
	out := map[string]float64{}
	total := t.Root.Value
	if !(total > 0) {
		return out
	}
	onPath := map[string]int{}
	var walk func(n *Node)
	walk = func(n *Node) {
		if onPath[n.Name] == 0 {
			out[n.Name] += n.Value / total
		}
		onPath[n.Name]++
		for _, c := range n.Children {
			walk(c)
		}
		onPath[n.Name]--
	}
	for _, c := range t.Root.Children {
		walk(c)
	}
	return out
}

// Diff draws t's flame graph (each frame as wide as its share of t's
// time) with each frame colored by how the share of its function (all of
// its calls, wherever they are) differs between t and base: red when t
// spends a larger share of its time in the function (t is slower there),
// blue a smaller one, pale when it hardly changed. Comparing functions
// rather than call paths keeps strategies that reach the same code by
// different paths (a pool's goroutines, the main goroutine) comparable.
// It also returns the changes of the functions drawn, largest first.
func Diff(t, base *Tree, o DiffOptions) ([]byte, []Change) {
	o.defaults()
	total := t.Root.Value
	cur, old := t.FuncShares(), base.FuncShares()
	fs := place(t, nil, o.Width)
	scale := minDiffScale
	at := map[string]int{} // index in changes
	var changes []Change
	for _, f := range fs {
		if f.depth == 0 {
			continue
		}
		name := f.n.Name
		d := cur[name] - old[name]
		scale = math.Max(scale, math.Abs(d))
		if i, ok := at[name]; ok {
			changes[i].Depth = max(changes[i].Depth, f.depth)
			continue
		}
		at[name] = len(changes)
		changes = append(changes, Change{Name: name, Share: cur[name], Base: old[name], Depth: f.depth})
	}
	sortChanges(changes)
	w := &writer{o: o.Options}
	w.legend(o.Legend, &gradient{scale: scale, name: o.Name, base: o.BaseName})
	w.frames(fs, func(f frame) color.Color {
		if f.depth == 0 {
			return DiffNeutral
		}
		return DiffColor(cur[f.n.Name]-old[f.n.Name], scale)
	}, func(f frame) string {
		name := f.n.Name
		return fmt.Sprintf("%s\n%s: %s of its CPU time in this function (%s on this path, %d samples)\n%s: %s of its CPU time in this function\nchange: %s points",
			name, o.Name, Percent(cur[name]), Percent(f.n.Value/total), f.n.Samples, o.BaseName, Percent(old[name]), signed(100*(cur[name]-old[name])))
	})
	return w.document(), changes
}

func signed(p float64) string {
	s := strconv.FormatFloat(p, 'f', 1, 64)
	if p >= 0.05 {
		s = "+" + s
	}
	return s
}

// sortChanges orders changes by size, largest first, the deeper of two
// equal changes first (the frame that explains it).
func sortChanges(cs []Change) {
	slices.SortStableFunc(cs, func(a, b Change) int {
		if c := cmp.Compare(math.Abs(b.Share-b.Base), math.Abs(a.Share-a.Base)); c != 0 {
			return c
		}
		return cmp.Compare(b.Depth, a.Depth)
	})
}

// gradient is the legend of a differential graph: a bar from blue to red
// with what each end means.
type gradient struct {
	scale      float64
	name, base string
}

func (g *gradient) draw(b *bytes.Buffer, x, y, width float64, measure TextWidth) float64 {
	const barW, steps = 220.0, 11
	pt := strconv.FormatFloat(100*g.scale, 'f', 1, 64)
	left := fmt.Sprintf("−%s points or less: %s spends a smaller share of its time here than %s (faster here)", pt, g.name, g.base)
	right := fmt.Sprintf("+%s points or more: a larger share than %s (slower here)", pt, g.base)
	for i := range steps {
		d := g.scale * (2*float64(i)/float64(steps-1) - 1)
		fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="10" fill="%s"/>`, num(x+float64(i)*barW/steps), num(y+2), num(barW/steps+0.3), hexColor(DiffColor(d, g.scale)))
	}
	b.WriteString("\n")
	fmt.Fprintf(b, `<text x="%s" y="%s">← blue: %s</text>`+"\n", num(x+barW+10), num(y+11), escape(left))
	fmt.Fprintf(b, `<text x="%s" y="%s">→ red: %s; gray: about the same share</text>`+"\n", num(x+barW+10), num(y+11+legendRowH), escape(right))
	return y + 2*legendRowH
}

// escape makes s safe as XML text or attribute: escaped, and with what
// XML cannot hold (invalid UTF-8, control characters) replaced by U+FFFD,
// since function names come from profiles.
func escape(s string) string {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xfffe || r == 0xffff {
			r = '\uFFFD'
		}
		b.WriteRune(r)
	}
	return html.EscapeString(b.String())
}
