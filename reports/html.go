package reports

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"path"
	"strings"

	"github.com/stratbench/stratbench/metrics"
)

//go:embed templates/index.html.tmpl templates/style.css templates/page.js
var templateFS embed.FS

var pageTemplate = template.Must(template.New("index.html.tmpl").Funcs(template.FuncMap{
	"scenario": describeScenario,
	"join":     strings.Join,
	"add":      func(a, b int) int { return a + b },
}).ParseFS(templateFS, "templates/index.html.tmpl"))

var pageCSS = template.CSS(embedded("templates/style.css"))

// pageJS is the page's one script: tooltips for the charts' values and
// the flame graphs' frames, legend entries that hide and show series.
var pageJS = template.JS(embedded("templates/page.js"))

func embedded(name string) string {
	b, err := templateFS.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	return string(b)
}

// maxWarnings is how many warnings the page lists; all results' warnings
// are also in the table of all results.
const maxWarnings = 20

type htmlChart struct {
	ID, Title, What, How, File string
	Family                     string
	FamilyHead                 bool
	// SVG is the chart inline (made by the chart toolkit, every text
	// escaped).
	SVG  template.HTML
	More bool
}

type htmlGroup struct {
	Label, Total string
	Samples      int
	Cells        []string
}

type htmlTop struct {
	Label, Path string
	Rows        []struct{ Name, Flat, FlatPct, Cum, CumPct string }
	// Flame is the group's flame graph (SVG, made by package flame), or
	// empty when it has too few samples.
	Flame template.HTML
}

type htmlResult struct {
	N                                        int
	ID, Engine, Name, Metric, Value, Samples string
	Warnings                                 []string
}

// htmlWarning is one line of the Warnings box, linking to its run's row
// of All results (Href empty when it is about no one run).
type htmlWarning struct{ Name, Text, Href string }

type htmlEnv struct {
	envCount
	OSArch, When string
}

type htmlFile struct{ Href, What string }

type htmlCategory struct{ Name, Help string }

// WriteHTML writes index.html: one self-contained page with the summary
// table, every chart inline (SVG, its values hovered and its series
// hidden from the legend by the page's one embedded script) with its two
// lines of caption,
// the profile summaries, all results, the environment and links to the
// files written beside it. It loads nothing from the network.
func (r *Report) WriteHTML(w io.Writer) error {
	d := struct {
		Title, Inputs, Generated string
		CSS                      template.CSS
		JS                       template.JS
		Problems                 []string
		Method                   string
		Summary, Cluster         []SummaryRow
		Model                    []ModelRow
		ModelUnit                string
		Charts                   []htmlChart
		Categories               []htmlCategory
		Groups                   []htmlGroup
		Tops                     []htmlTop
		Diffs                    []htmlDiff
		Results                  []htmlResult
		Envs                     []htmlEnv
		Files                    []htmlFile
		Notes                    []string
		Warnings                 []htmlWarning
		MoreWarnings             int
		HiddenResults            int
		HiddenScenarios          int
	}{
		Title:  "stratbench report",
		Inputs: r.inputsLine(),
		CSS:    pageCSS,
		JS:     pageJS,
		Method: RankMethod,
		Model:  r.ModelRows(),
		Notes:  r.Notes,
	}
	for _, p := range r.Set.Problems {
		d.Problems = append(d.Problems, p.Error())
	}
	for _, m := range r.Mismatches {
		d.Warnings = append(d.Warnings, htmlWarning{Text: m})
	}
	ws, nws := r.resultWarnings()
	for _, w := range ws {
		d.Warnings = append(d.Warnings, htmlWarning{Name: w.name, Text: w.text, Href: resultID(w.idx)})
	}
	if n := len(d.Warnings) + nws - len(ws); n > maxWarnings {
		d.Warnings, d.MoreWarnings = d.Warnings[:maxWarnings], n-maxWarnings
	}
	pngs := map[string]bool{}
	for _, f := range r.Files {
		pngs[f] = true
	}
	for _, c := range r.Charts {
		hc := htmlChart{More: c.More, ID: c.ID, Title: c.Title, What: c.What, How: c.How, Family: c.Family,
			FamilyHead: len(d.Charts) == 0 || d.Charts[len(d.Charts)-1].Family != c.Family,
			SVG:        template.HTML(c.SVG)}
		if pngs[c.ID+".png"] {
			hc.File = c.ID + ".png"
		}
		d.Charts = append(d.Charts, hc)
	}
	for _, c := range Categories {
		d.Categories = append(d.Categories, htmlCategory{c, categoryHelp[c]})
	}
	for _, g := range profileGroupsOf(r.Profiles) {
		hg := htmlGroup{Label: g.Label(), Total: FormatNumber(g.Total) + " s", Samples: g.Samples}
		for _, c := range Categories {
			hg.Cells = append(hg.Cells, pct(g.ByCategory[c], g.Total))
		}
		d.Groups = append(d.Groups, hg)
	}
	for _, ps := range r.Profiles {
		for i, g := range ps.Groups {
			t := htmlTop{Label: g.Label(), Path: ps.Path, Flame: flameSVG(ps, &ps.Groups[i])}
			if ps.Link != "" {
				t.Path = ps.Link
			}
			for _, f := range g.Top {
				t.Rows = append(t.Rows, struct{ Name, Flat, FlatPct, Cum, CumPct string }{
					f.Name, FormatNumber(f.Flat) + " s", pct(f.Flat, g.Total), FormatNumber(f.Cum) + " s", pct(f.Cum, g.Total)})
			}
			d.Tops = append(d.Tops, t)
		}
	}
	if len(d.Model) > 0 {
		var reals []*metrics.Result
		for _, c := range ModelChecks(r.Set.Results) {
			reals = append(reals, c.Real)
		}
		d.ModelUnit = unitText(r.Set.Units, "response_mean", reals)
	}
	d.Diffs = r.flameDiffs()
	shown := r.pageRows(maxPageResults)
	d.HiddenResults = r.count() - len(shown)
	onPage := map[int]bool{}
	for _, h := range shown {
		onPage[h.idx] = true
	}
	// Cluster runs (ours, nginx, HAProxy) get their own section.
	d.Summary, d.Cluster, d.HiddenScenarios = r.pageSummary(maxPageScenarios)
	for _, rows := range [][]SummaryRow{d.Summary, d.Cluster} {
		for k := range rows {
			var keep []int
			for _, i := range rows[k].Warned {
				if onPage[i] && len(keep) < 5 {
					keep = append(keep, i)
				}
			}
			rows[k].Warned = keep
		}
	}
	for k := range d.Warnings {
		var i int
		if _, err := fmt.Sscanf(d.Warnings[k].Href, "r-%d", &i); err == nil && !onPage[i] {
			d.Warnings[k].Href = ""
		}
	}
	for _, h := range shown {
		i, res := h.idx, h.res
		m := Headline([]*metrics.Result{res})
		hr := htmlResult{N: i, ID: resultID(i), Engine: res.Engine, Name: FullName(res), Warnings: res.Warnings}
		if m != "" {
			e, _ := EstimateOf(res, m)
			hr.Metric = MetricTitle(m) + " (" + unitText(r.Set.Units, m, []*metrics.Result{res}) + ")"
			hr.Value = estimateText(e)
			if n := len(e.Samples); n > 0 {
				hr.Samples = fmt.Sprint(n)
			}
		}
		d.Results = append(d.Results, hr)
	}
	latest := ""
	for _, e := range r.envs() {
		he := htmlEnv{envCount: e, OSArch: osArch(e.GOOS, e.GOARCH)}
		he.Commit = shortCommit(e.Commit)
		switch {
		case e.First != "" && e.First != e.Last:
			he.When = e.First + " to " + e.Last
		default:
			he.When = e.First
		}
		if e.Last > latest {
			latest = e.Last
		}
		d.Envs = append(d.Envs, he)
	}
	d.Generated = latest
	for _, f := range r.Files {
		if f == "index.html" || strings.HasSuffix(f, ".png") {
			continue
		}
		d.Files = append(d.Files, htmlFile{Href: f, What: fileHelp(f)})
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, d); err != nil {
		return fmt.Errorf("rendering index.html: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// The page shows at most maxPageResults rows of All results and
// maxPageScenarios rows of the summary, so that it stays a few MB on a
// sweep of a million runs; results.csv, results.jsonl and summary.json
// beside it keep everything.
const (
	maxPageResults   = 2000
	maxPageScenarios = 300
)

// pageResults chooses the indexes of the results the page lists, at most
// n: those with warnings first (the Warnings box links to them), then the
// others in input order; returned in input order.
func pageResults(rs []metrics.Result, n int) []int {
	if len(rs) <= n {
		out := make([]int, len(rs))
		for i := range out {
			out[i] = i
		}
		return out
	}
	pick := make([]bool, len(rs))
	k := 0
	for pass := range 2 {
		for i := range rs {
			if k == n {
				break
			}
			if !pick[i] && (pass == 1 || len(rs[i].Warnings) > 0) {
				pick[i] = true
				k++
			}
		}
	}
	var out []int
	for i, p := range pick {
		if p {
			out = append(out, i)
		}
	}
	return out
}

// resultID is the page anchor of the i-th result's row in All results.
func resultID(i int) string { return fmt.Sprintf("r-%d", i) }

func fileHelp(f string) string {
	switch path.Base(f) {
	case "results.jsonl":
		return "every result record, one JSON object a line (stratbench report and compare read it)"
	case "summary.json":
		return "this page's tables as JSON"
	case "results.txt":
		return "Go benchmark format: benchstat reads it"
	case "results.csv":
		return "one row per result (its parameters, and its metrics with their intervals), for spreadsheets, pandas or R; the metrics' units are in summary.json"
	case "report.md":
		return "the summary in Markdown, for a pull-request comment"
	}
	if strings.HasPrefix(f, "profiles/") {
		return "CPU profile: go tool pprof -tagfocus strategy=NAME " + f
	}
	return ""
}
