package flame

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// synthetic is a CPU profile of two strategies, A and B, and samples
// without a label; each stack is given root first with its sample count
// (10 ms each).
func synthetic(t *testing.T, stacks map[string]map[string]int64) *profile.Profile {
	t.Helper()
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     10e6,
	}
	funcs := map[string]*profile.Location{}
	loc := func(name string) *profile.Location {
		if l, ok := funcs[name]; ok {
			return l
		}
		f := &profile.Function{ID: uint64(len(p.Function) + 1), Name: name, SystemName: name}
		p.Function = append(p.Function, f)
		l := &profile.Location{ID: uint64(len(p.Location) + 1), Line: []profile.Line{{Function: f}}}
		p.Location = append(p.Location, l)
		funcs[name] = l
		return l
	}
	for strategy, ss := range stacks {
		for stack, n := range ss {
			names := strings.Split(stack, ";")
			s := &profile.Sample{Value: []int64{n, n * 10e6}}
			for i := len(names) - 1; i >= 0; i-- { // leaf first
				s.Location = append(s.Location, loc(names[i]))
			}
			if strategy != "" {
				s.Label = map[string][]string{"strategy": {strategy}}
			}
			p.Sample = append(p.Sample, s)
		}
	}
	if err := p.CheckValid(); err != nil {
		t.Fatal(err)
	}
	// Through the wire format and back, as a report reads it.
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	q, err := profile.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

var twoStrategies = map[string]map[string]int64{
	"A": {"main;work": 30, "main;work;runtime.mallocgc": 10, "main;runtime.schedule": 60},
	"B": {"main;work": 50, "main;work;runtime.mallocgc": 10, "main;runtime.schedule": 25, "main;idle": 15},
	"":  {"runtime.gcBgMarkWorker": 500},
}

// svgFrame is a frame as the SVG draws it.
type svgFrame struct {
	title, fill, text string
	x, width          float64
}

func parseFrames(t *testing.T, svg []byte) []svgFrame {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	var out []svgFrame
	var cur *svgFrame
	var in string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			attr := func(k string) string {
				for _, a := range x.Attr {
					if a.Name.Local == k {
						return a.Value
					}
				}
				return ""
			}
			in = x.Name.Local
			switch {
			case x.Name.Local == "g" && attr("class") == "f":
				out = append(out, svgFrame{})
				cur = &out[len(out)-1]
			case x.Name.Local == "rect" && cur != nil:
				cur.fill = attr("fill")
				cur.x, _ = strconv.ParseFloat(attr("x"), 64)
				cur.width, _ = strconv.ParseFloat(attr("width"), 64)
			}
		case xml.CharData:
			if cur != nil && in == "title" {
				cur.title += string(x)
			}
			if cur != nil && in == "text" {
				cur.text += string(x)
			}
		case xml.EndElement:
			in = ""
			if x.Name.Local == "g" {
				cur = nil
			}
		}
	}
	return out
}

func frameNamed(t *testing.T, fs []svgFrame, name string) svgFrame {
	t.Helper()
	for _, f := range fs {
		if strings.HasPrefix(f.title, name+"\n") {
			return f
		}
	}
	t.Fatalf("no frame %s", name)
	return svgFrame{}
}

// TestFlameWidths builds A's graph from the synthetic profile (only the
// samples labelled strategy=A) and checks that every frame is as wide as
// its share of A's samples and says so on hover.
func TestFlameWidths(t *testing.T) {
	p := synthetic(t, twoStrategies)
	tr := FromProfile(p, "strategy", "A")
	if got := tr.Root.Samples; got != 100 {
		t.Fatalf("A has %d samples, want 100 (its own only)", got)
	}
	if math.Abs(tr.Total()-1.0) > 1e-9 {
		t.Errorf("A's CPU time %v s, want 1 s", tr.Total())
	}
	const width = 1000
	fs := parseFrames(t, tr.SVG(Options{Width: width, Of: "A's CPU time"}))
	want := map[string]float64{"all": 1, "main": 1, "work": 0.4, "runtime.mallocgc": 0.1, "runtime.schedule": 0.6}
	if len(fs) != len(want) {
		t.Errorf("%d frames, want %d", len(fs), len(want))
	}
	for name, share := range want {
		f := frameNamed(t, fs, name)
		// Drawn half a pixel narrower (the gap between frames), to a tenth.
		if math.Abs(f.width+0.5-share*width) > 0.11 {
			t.Errorf("%s is %.1f px wide, want %.1f (%.0f%% of %d)", name, f.width, share*width, 100*share, width)
		}
		if !strings.Contains(f.title, Percent(share)+" of A's CPU time") {
			t.Errorf("%s: hover %q does not give its share %s", name, f.title, Percent(share))
		}
	}
	// Children go by name from the left: "runtime.schedule" < "work".
	if s, w := frameNamed(t, fs, "runtime.schedule"), frameNamed(t, fs, "work"); !(s.x < w.x) {
		t.Errorf("runtime.schedule at %v, work at %v: want children sorted by name", s.x, w.x)
	}
	if u := FromProfile(p, "strategy", ""); u.Root.Samples != 500 {
		t.Errorf("the unlabeled samples: %d, want 500", u.Root.Samples)
	}
}

// TestFlameDiff draws B against A: work grew from 40% to 60% of the
// samples (red), runtime.schedule shrank from 60% to 25% (blue), and
// runtime.mallocgc stayed at 10% (neutral).
func TestFlameDiff(t *testing.T) {
	p := synthetic(t, twoStrategies)
	a, b := FromProfile(p, "strategy", "A"), FromProfile(p, "strategy", "B")
	svg, changes := Diff(b, a, DiffOptions{Name: "B", BaseName: "A"})
	fs := parseFrames(t, svg)
	rgb := func(hex string) (r, g, bl int) {
		v, err := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
		if err != nil {
			t.Fatalf("fill %q", hex)
		}
		return int(v >> 16), int(v >> 8 & 0xff), int(v & 0xff)
	}
	if r, _, bl := rgb(frameNamed(t, fs, "work").fill); !(r > bl+60) {
		t.Errorf("work grew (40%% → 60%%) but is %s, not red", frameNamed(t, fs, "work").fill)
	}
	if r, _, bl := rgb(frameNamed(t, fs, "runtime.schedule").fill); !(bl > r+60) {
		t.Errorf("runtime.schedule shrank (60%% → 25%%) but is %s, not blue", frameNamed(t, fs, "runtime.schedule").fill)
	}
	if got := frameNamed(t, fs, "runtime.mallocgc").fill; got != hexColor(DiffNeutral) {
		t.Errorf("runtime.mallocgc kept its share but is %s, want neutral %s", got, hexColor(DiffNeutral))
	}
	if f := frameNamed(t, fs, "work"); !strings.Contains(f.title, "change: +20.0 points") {
		t.Errorf("hover of work: %q", f.title)
	}
	// The largest change first: runtime.schedule (−35 points).
	if len(changes) == 0 || changes[0].Name != "runtime.schedule" {
		t.Errorf("changes %+v, want runtime.schedule first", changes)
	}
	if !bytes.Contains(svg, []byte("red:")) || !bytes.Contains(svg, []byte("blue:")) {
		t.Error("the legend does not say what red and blue mean")
	}
}

// TestFlameTruncates checks that a long name in a narrow frame is cut
// with an ellipsis and kept whole in the hover text, and that package
// paths are left out of frame labels.
func TestFlameTruncates(t *testing.T) {
	long := "github.com/stratbench/stratbench/harness.(*batchRunner).runOnceWithAVeryLongName"
	tr := New()
	tr.Add([]string{long, "main"}, 0.2, 20)
	tr.Add([]string{"other", "main"}, 0.8, 80)
	fs := parseFrames(t, tr.SVG(Options{Width: 300}))
	f := frameNamed(t, fs, long)
	if !strings.HasSuffix(f.text, "…") || !strings.HasPrefix(f.text, "harness") {
		t.Errorf("label %q, want the short name cut with an ellipsis", f.text)
	}
	if ShortName("a/b/c.(*T).M") != "c.(*T).M" || ShortName("main.f[go.shape/x]") != "main.f[go.shape/x]" {
		t.Error("ShortName")
	}
	// A fallback measure never lets text overflow its frame.
	m := func(s string, size float64) float64 { return 0.6 * size * float64(len([]rune(s))) }
	for _, f := range fs {
		if f.text != "" && m(f.text, fontSize) > f.width-5 {
			t.Errorf("label %q overflows its %.1f px frame", f.text, f.width)
		}
	}
}

// TestFlameDiffByFunction checks that a function reached by different
// paths in the two strategies (a pool's goroutines, the main goroutine)
// is compared by its share, not its path: the same share is neutral.
func TestFlameDiffByFunction(t *testing.T) {
	p := synthetic(t, map[string]map[string]int64{
		"A": {"main;pool;work": 80, "main;pool;runtime.schedule": 20},
		"B": {"main;loop;work": 80, "main;loop;runtime.gopark": 20},
	})
	a, b := FromProfile(p, "strategy", "A"), FromProfile(p, "strategy", "B")
	svg, _ := Diff(b, a, DiffOptions{Name: "B", BaseName: "A"})
	fs := parseFrames(t, svg)
	if got := frameNamed(t, fs, "work").fill; got != hexColor(DiffNeutral) {
		t.Errorf("work has 80%% in both, by different paths, but is %s, not neutral", got)
	}
	v, _ := strconv.ParseUint(strings.TrimPrefix(frameNamed(t, fs, "runtime.gopark").fill, "#"), 16, 32)
	if r, bl := v>>16, v&0xff; !(r > bl+20) {
		t.Errorf("runtime.gopark is B's only (20%%) but is #%06x, not red", v)
	}
	if sh := b.FuncShares(); math.Abs(sh["work"]-0.8) > 1e-9 || math.Abs(sh["main"]-1) > 1e-9 {
		t.Errorf("shares %v", sh)
	}
}

// FuzzFlameSVG draws graphs of function names from the fuzzer (names come
// from profiles: any bytes) and checks that both SVGs are well-formed XML
// with one frame per function.
func FuzzFlameSVG(f *testing.F) {
	f.Add("main.main", "runtime.mallocgc", "work")
	f.Add("a<&\"'>", "\x00\xff\xfe", strings.Repeat("x", 300))
	f.Fuzz(func(t *testing.T, a, b, c string) {
		tr := New()
		tr.Add([]string{b, a}, 0.3, 3)
		tr.Add([]string{c}, 0.7, 7)
		base := New()
		base.Add([]string{a}, 1, 10)
		for _, svg := range [][]byte{tr.SVG(Options{Label: a}), first(Diff(tr, base, DiffOptions{Name: b, BaseName: c}))} {
			d := xml.NewDecoder(bytes.NewReader(svg))
			for {
				_, err := d.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("not well-formed XML: %v\n%q", err, svg)
				}
			}
		}
	})
}

func first(b []byte, _ []Change) []byte { return b }
