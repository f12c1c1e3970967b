package reports

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"unicode"

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
		t.Run(c.ID, func(t *testing.T) { checkChartSVG(t, c) })
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
