package reports

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/reports/internal/chart"
)

// TestChartSVGs draws every kind of chart from the fixtures (with the
// fault runs, for the traffic share) and checks each SVG the page puts
// inline: well-formed XML; one group per series; a legend entry for
// every series group a legend could name and a series for every legend
// entry (their data-keys match, so a click hides something); and hover
// targets whose titles say which series and what value, with a number.
func TestChartSVGs(t *testing.T) {
	files := append(append([]string{}, fixtures...), "testdata/faults.jsonl")
	if raceEnabled {
		files = []string{"testdata/batch.jsonl", "testdata/faults.jsonl"}
	}
	s, err := Load(files, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Build(context.Background(), s, true)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, c := range r.Charts {
		kinds[c.Kind] = true
		t.Run(c.ID, func(t *testing.T) {
			checkChartSVG(t, c)
			checkLabelsClearWhiskers(t, c.SVG)
		})
	}
	if !raceEnabled {
		for _, k := range ChartKinds {
			if !kinds[k.Name] {
				t.Errorf("no %s chart drawn from the fixtures: every kind must be checked", k.Name)
			}
		}
	}
}

func checkChartSVG(t *testing.T, c *Chart) {
	if !bytes.HasPrefix(c.SVG, []byte(`<svg class="chart"`)) {
		t.Fatalf("SVG starts %.60q", c.SVG)
	}
	d := xml.NewDecoder(bytes.NewReader(c.SVG))
	type group struct{ class, key string }
	var open []group // the classed group each open element is in
	count := map[group]int{}
	var hoverTitles []string
	inTitle := false
	var title strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		cur := group{}
		if len(open) > 0 {
			cur = open[len(open)-1]
		}
		switch x := tok.(type) {
		case xml.StartElement:
			attrs := map[string]string{}
			for _, a := range x.Attr {
				attrs[a.Name.Local] = a.Value
				if (a.Name.Local == "href" || a.Name.Local == "src") && !strings.HasPrefix(a.Value, "data:") {
					t.Errorf("<%s %s=%q> loads something", x.Name.Local, a.Name.Local, a.Value)
				}
			}
			if x.Name.Local == "g" && attrs["class"] != "" {
				if cur.class != "" {
					t.Errorf("group %q inside group %q", attrs["class"], cur.class)
				}
				cur = group{attrs["class"], attrs["data-key"]}
				count[cur]++
			}
			if x.Name.Local == "title" {
				inTitle = true
				title.Reset()
			}
			open = append(open, cur)
		case xml.CharData:
			if inTitle {
				title.Write(x)
			}
		case xml.EndElement:
			if x.Name.Local == "title" {
				inTitle = false
				if cur.class == chart.ClassHover {
					hoverTitles = append(hoverTitles, title.String())
				}
			}
			open = open[:len(open)-1]
		}
	}
	legend := map[string]bool{}
	series := map[string]bool{}
	for g := range count {
		switch g.class {
		case chart.ClassLegend:
			legend[g.key] = true
		case chart.ClassSeries:
			series[g.key] = true
		}
	}
	if len(series) == 0 {
		t.Error("no series group")
	}
	for k := range legend {
		if !series[k] {
			t.Errorf("legend entry %q hides nothing: no series group has its key", k)
		}
	}
	if len(legend) > 0 {
		for k := range series {
			if k != "" && !legend[k] {
				t.Errorf("series %q has no legend entry", k)
			}
		}
	}
	if len(hoverTitles) == 0 {
		t.Error("no hover target")
	}
	for _, ti := range hoverTitles {
		lines := strings.Split(ti, "\n")
		if len(lines) < 2 || !strings.ContainsFunc(ti, unicode.IsDigit) {
			t.Errorf("hover text %q: want the series, then its value", ti)
			break
		}
	}
}

// checkLabelsClearWhiskers checks that no value label of a series (its
// <text>) touches a whisker of that series (its black strokes): labels
// go past the whisker's end or above its cap.
func checkLabelsClearWhiskers(t *testing.T, svg []byte) {
	t.Helper()
	type box struct{ x0, y0, x1, y1 float64 }
	type seg struct{ x0, y0, x1, y1 float64 }
	var labels []box
	var whiskers []seg
	var texts []string
	d := xml.NewDecoder(bytes.NewReader(svg))
	depth, inSeries := 0, -1
	var cur *box
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			depth++
			a := map[string]string{}
			for _, at := range x.Attr {
				a[at.Name.Local] = at.Value
			}
			if x.Name.Local == "g" && a["class"] == chart.ClassSeries {
				inSeries = depth
			}
			if inSeries < 0 {
				continue
			}
			switch x.Name.Local {
			case "text":
				px, _ := strconv.ParseFloat(a["x"], 64)
				py, _ := strconv.ParseFloat(a["y"], 64)
				size, _ := strconv.ParseFloat(a["font-size"], 64)
				w, err := strconv.ParseFloat(a["textLength"], 64)
				if err != nil {
					w = 0.6 * size
				}
				labels = append(labels, box{px, py - 0.72*size, px + w, py + 0.05*size})
				cur = &labels[len(labels)-1]
			case "path":
				if a["stroke"] != "#000000" {
					continue
				}
				var pts [][2]float64
				for _, m := range pathPoint.FindAllStringSubmatch(a["d"], -1) {
					px, _ := strconv.ParseFloat(m[1], 64)
					py, _ := strconv.ParseFloat(m[2], 64)
					pts = append(pts, [2]float64{px, py})
				}
				for i := 1; i < len(pts); i++ {
					whiskers = append(whiskers, seg{pts[i-1][0], pts[i-1][1], pts[i][0], pts[i][1]})
				}
			}
		case xml.CharData:
			if cur != nil {
				texts = append(texts, string(x))
				cur = nil
			}
		case xml.EndElement:
			if depth == inSeries {
				inSeries = -1
			}
			depth--
		}
	}
	for i, l := range labels {
		for _, w := range whiskers {
			// Whiskers are horizontal or vertical: a box test will do.
			if math.Max(w.x0, w.x1) > l.x0 && math.Min(w.x0, w.x1) < l.x1 && math.Max(w.y0, w.y1) > l.y0 && math.Min(w.y0, w.y1) < l.y1 {
				label := ""
				if i < len(texts) {
					label = texts[i]
				}
				t.Errorf("value label %q at %.1f,%.1f–%.1f,%.1f touches a whisker %v", label, l.x0, l.y0, l.x1, l.y1, w)
				break
			}
		}
	}
}

var pathPoint = regexp.MustCompile(`[ML](-?[\d.]+),(-?[\d.]+)`)

// TestFoldedSeries checks that a CDF of twelve deployable policies and a
// bound shows the eight with the lowest p99 in color, folds the other
// four (their legend entries say so to the page's script) and draws the
// bound in gray, never folded.
func TestFoldedSeries(t *testing.T) {
	var rs []metrics.Result
	pols := []string{"random", "rr", "wrr", "jsq", "p2c", "jiq", "sed", "ewma", "hash", "maglev", "leastreq", "prequal", "central"}
	for i, p := range pols {
		v := float64(len(pols) - i) // the later, the better
		if p == "central" {
			v = 0.5
		}
		rs = append(rs, metrics.Result{Engine: "sim", Family: "Sim", Name: fmt.Sprintf("policy=%s/servers=10/load=0.9", p),
			Params:  map[string]any{"policy": p, "servers": 10.0, "load": 0.9},
			Metrics: map[string]float64{"response_p99": 3 * v},
			CDF:     [][2]float64{{v, 0.5}, {2 * v, 0.9}, {3 * v, 0.99}}})
	}
	cs := chartCDF(newModel(rs, Units{}, nil))
	if len(cs) != 1 {
		t.Fatalf("%d CDF charts", len(cs))
	}
	var folded []string
	for _, it := range cs[0].fig.Legend() {
		if it.Folded {
			folded = append(folded, it.Label)
		}
	}
	slices.Sort(folded)
	if want := []string{"random", "rr", "wrr", "jsq"}; !slices.Equal(folded, slices.Sorted(slices.Values(want))) {
		t.Errorf("folded %v, want the four with the highest p99 %v", folded, want)
	}
	svg, err := cs[0].fig.RenderSVG()
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(svg, []byte(`data-folded="1"`)); n != 4 {
		t.Errorf("%d folded legend entries in the SVG, want 4", n)
	}
	if !strings.Contains(cs[0].How, "the other 4 are hidden") {
		t.Errorf("the caption does not say what is folded: %q", cs[0].How)
	}
}
