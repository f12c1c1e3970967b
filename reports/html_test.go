package reports

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/metrics"
)

// page is what TestHTMLSelfContained reads from index.html.
type page struct {
	imgs   []map[string]string
	charts int                 // <svg class="chart">
	links  []map[string]string // every element with href or src
	styles []string
	tags   map[string]int
	text   strings.Builder
}

var scriptBody = regexp.MustCompile(`(?s)<script>.*?</script>`)

// parseHTML reads an HTML page with encoding/xml in its lenient HTML mode
// (void elements closed automatically, HTML entities known).
func parseHTML(t *testing.T, data []byte) *page {
	t.Helper()
	// A script is not XML ("i < n"): its body is left out.
	data = scriptBody.ReplaceAll(data, []byte("<script></script>"))
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	p := &page{tags: map[string]int{}}
	inStyle, inScript := false, false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("index.html does not parse: %v", err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			name := strings.ToLower(x.Name.Local)
			p.tags[name]++
			attrs := map[string]string{"tag": name}
			for _, a := range x.Attr {
				attrs[strings.ToLower(a.Name.Local)] = a.Value
			}
			if name == "img" {
				p.imgs = append(p.imgs, attrs)
			}
			if name == "svg" && attrs["class"] == "chart" {
				p.charts++
			}
			if _, ok := attrs["href"]; ok {
				p.links = append(p.links, attrs)
			} else if _, ok := attrs["src"]; ok {
				p.links = append(p.links, attrs)
			}
			inStyle, inScript = name == "style", name == "script"
		case xml.EndElement:
			inStyle, inScript = false, false
		case xml.CharData:
			switch {
			case inStyle:
				p.styles = append(p.styles, string(x))
			case !inScript:
				p.text.Write(x)
			}
		}
	}
	return p
}

// TestHTMLSelfContained writes a full report and checks the page: every
// chart is an inline SVG (no image to fetch), no URL leaves the file
// (links are fragments or files written beside it), no external script,
// stylesheet or font, and every section a reader needs is there.
func TestHTMLSelfContained(t *testing.T) {
	_, dir := sharedReport(t)
	data, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	p := parseHTML(t, data)
	if p.charts < 8 {
		t.Fatalf("%d inline SVG charts, want every chart", p.charts)
	}
	if len(p.imgs) > 0 {
		t.Errorf("%d <img> elements: charts are inline SVG", len(p.imgs))
	}
	for _, l := range p.links {
		for _, attr := range []string{"href", "src"} {
			u, ok := l[attr]
			if !ok || strings.HasPrefix(u, "data:") || strings.HasPrefix(u, "#") {
				continue
			}
			if l["tag"] != "a" && strings.HasPrefix(u, "data:") {
				continue
			}
			if strings.Contains(u, ":") || strings.HasPrefix(u, "/") {
				t.Errorf("<%s %s=%q> leaves the file", l["tag"], attr, u)
				continue
			}
			if _, err := os.Stat(filepath.Join(dir, u)); err != nil {
				t.Errorf("<%s %s=%q> names a file that was not written", l["tag"], attr, u)
			}
		}
	}
	if p.tags["link"] > 0 || p.tags["iframe"] > 0 {
		t.Error("the page must not load stylesheets or frames")
	}
	for _, css := range p.styles {
		if strings.Contains(css, "url(") || strings.Contains(css, "@import") || strings.Contains(css, "@font-face") {
			t.Error("the stylesheet must not load anything")
		}
	}
	if strings.Contains(string(data), "<script src") {
		t.Error("no external scripts")
	}
	text := p.text.String()
	for _, want := range []string{"What should I use", "ran", "times faster than", "Where the CPU time went",
		"Environment", "go1.26.8", "Intel(R) Xeon(R) Processor", "results.jsonl", "profiles/cpu.pprof"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
	if p.tags["figcaption"] != p.charts {
		t.Errorf("%d captions for %d charts", p.tags["figcaption"], p.charts)
	}
	if !strings.Contains(string(data), "<script>") || strings.Count(string(data), "<script") != 1 {
		t.Error("the page has one script, embedded")
	}
}

// TestPageResultsCap checks which runs a capped page lists: those with
// warnings first, then the first others, in input order.
func TestPageResultsCap(t *testing.T) {
	warned := func(i int) bool { return i == 7 || i == 9 }
	rows := func(total, n int) []int {
		pick := make([]bool, total)
		markPageRows(pick, n, warned)
		var out []int
		for i, p := range pick {
			if p {
				out = append(out, i)
			}
		}
		return out
	}
	if got, want := rows(10, 4), []int{0, 1, 7, 9}; !slices.Equal(got, want) {
		t.Errorf("rows = %v, want %v", got, want)
	}
	if got := rows(3, 4); len(got) != 3 {
		t.Errorf("under the cap: %v", got)
	}
}

// TestClusterSection checks that cluster runs get their own section,
// apart from the simulator's verdicts, and say why a tie of single runs
// is one.
func TestClusterSection(t *testing.T) {
	var rs []metrics.Result
	for _, via := range []string{"ours", "nginx", "haproxy"} {
		rs = append(rs, metrics.Result{Engine: "cluster", Family: "Cluster", Name: "policy=jsq/via=" + via + "/workers=4/load=0.7",
			Params: map[string]any{}, Metrics: map[string]float64{"response_mean": 0.1}})
	}
	rs[0].Metrics["response_mean"] = 0.3
	rep := &Report{Set: &Set{Results: rs}, Rankings: Rank(rs, "", Units{})}
	var b bytes.Buffer
	if err := rep.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{`<section id="cluster">`, "Cluster runs", "no intervals (one run each)"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if i, j := strings.Index(page, `<section id="summary">`), strings.Index(page, `<section id="cluster">`); i < 0 || j < i {
		t.Error("the cluster section must follow the summary")
	}
}
