package reports

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
)

// SummaryRow is one line of a report's summary table: in one scenario,
// which deployable strategies are tied for best on the headline metric
// (or the one that wins), by how much over the runner-up and the worst,
// and the reference bound beside them.
type SummaryRow struct {
	Scenario string `json:"scenario"`
	Metric   string `json:"metric"`
	// MetricText is the metric in words with its unit.
	MetricText string `json:"metric_text"`
	Better     string `json:"better"`
	// Best lists the deployable strategies tied for best (see
	// RankMethod); Winner is the single winner when there is one.
	Best   []string `json:"best"`
	Winner string   `json:"winner,omitempty"`
	// Leader is the entry with the best value ("jsq = sed" for an exact
	// tie); Value is its value with its interval, as text.
	Leader    string    `json:"leader"`
	Value     string    `json:"value"`
	BestValue float64   `json:"best_value"`
	BestCI    []float64 `json:"best_ci95,omitempty"`
	RunnerUp  string    `json:"runner_up,omitempty"`
	// Ratio is how many times better the leader is than the runner-up,
	// with its interval, as text ("1.56 ± 0.18×").
	Ratio string `json:"ratio,omitempty"`
	// Significance is empty when the leader is significantly better than
	// the runner-up, else why not.
	Significance string `json:"significance,omitempty"`
	// Worst and WorstRatio compare the leader with the worst deployable
	// strategy when there are more than two.
	Worst      string `json:"worst,omitempty"`
	WorstRatio string `json:"worst_ratio,omitempty"`
	// Bound is the best reference bound that ran, BoundValue its value
	// and BoundGap how many times better than the leader it is: the best
	// any dispatcher could do here, and how far the leader is from it.
	Bound      string `json:"bound,omitempty"`
	BoundValue string `json:"bound_value,omitempty"`
	BoundGap   string `json:"bound_gap,omitempty"`
	// Ranks are every strategy's value and rank interval (bounds without
	// a rank).
	Ranks []RankRow `json:"ranks"`
	// Unstable lists the strategies whose runs were unstable (a server
	// given more work than it can serve): their figures grow with the run
	// length, so they are not the worst for comparison.
	Unstable []string `json:"unstable,omitempty"`
	// Caveats say what to keep in mind before acting on the row: a
	// margin that is not significant, runs with warnings.
	Caveats []string `json:"caveats,omitempty"`
	// Warned are the indexes (in the report's results) of the scenario's
	// runs that carry warnings.
	Warned []int `json:"-"`
	// Lines are the hyperfine-style comparison lines of the scenario.
	Lines []string `json:"comparisons"`
}

// RankRow is one strategy of a summary row.
type RankRow struct {
	Name  string    `json:"name"`
	Value float64   `json:"value"`
	CI    []float64 `json:"ci95,omitempty"`
	// Rank is the interval of places the data allows, [lo, hi] (1 is
	// best); absent for a bound.
	Rank  []int `json:"rank,omitempty"`
	Bound bool  `json:"bound,omitempty"`
}

// Verdict is the row's answer in words: "jsq", "jsq = sed", or "tie:
// jsq, jiq".
func (row SummaryRow) Verdict() string {
	if row.Winner != "" {
		return row.Winner
	}
	return "tie: " + strings.Join(row.Best, ", ")
}

// Summary returns one row per ranked scenario.
func (r *Report) Summary() []SummaryRow {
	var out []SummaryRow
	for i := range r.Rankings {
		out = append(out, r.summaryRow(&r.Rankings[i]))
	}
	return out
}

// summaryRows returns the rows of the first n ranked scenarios.
func (r *Report) summaryRows(n int) []SummaryRow {
	var out []SummaryRow
	for i := range r.Rankings[:min(n, len(r.Rankings))] {
		out = append(out, r.summaryRow(&r.Rankings[i]))
	}
	return out
}

// pageSummary returns the summary rows the page shows: those of cluster
// runs apart (all of them), and at most n others, with how many others
// are left out.
func (r *Report) pageSummary(n int) (rows, cluster []SummaryRow, hidden int) {
	for i := range r.Rankings {
		rk := &r.Rankings[i]
		if familyOf(rk.Scenario) == "Cluster" {
			cluster = append(cluster, r.summaryRow(rk))
		} else if len(rows) < n {
			rows = append(rows, r.summaryRow(rk))
		} else {
			hidden++
		}
	}
	return rows, cluster, hidden
}

// summaryRow is the summary row of one ranking.
func (r *Report) summaryRow(rk *Ranking) SummaryRow {
	row := SummaryRow{
		Scenario:   rk.Scenario,
		Metric:     rk.Metric,
		MetricText: metricText(r.Set.Units, rk.Metric, rk.results),
		Better:     rk.Better.String(),
		Best:       rk.Best,
		Winner:     rk.Winner,
		Leader:     rk.Leader,
		Value:      estimateUnitText(rk.BestEst, rk.Unit),
		BestValue:  rk.BestEst.Center,
	}
	if rk.BestEst.HasCI() {
		row.BestCI = []float64{rk.BestEst.Lo, rk.BestEst.Hi}
	}
	if len(rk.Comparisons) > 0 {
		c0 := rk.Comparisons[0]
		row.RunnerUp, row.Ratio, row.Significance = c0.Other, ratioText(c0), c0.SignificanceNote()
	}
	unstable := map[string]bool{}
	for _, rec := range rk.results {
		if rec.unstable {
			unstable[rec.label] = true
			row.Unstable = append(row.Unstable, rec.label)
		}
	}
	for i := len(rk.Comparisons) - 1; i >= 1; i-- {
		if cw := rk.Comparisons[i]; !slices.ContainsFunc(rk.Entries[i+1].Names, func(n string) bool { return unstable[n] }) {
			row.Worst, row.WorstRatio = cw.Other, ratioText(cw)
			break
		}
	}
	if g := rk.BoundGap; g != nil {
		row.Bound, row.BoundValue, row.BoundGap = g.Best, estimateUnitText(g.BestEst, rk.Unit), ratioText(*g)
	}
	for _, e := range rk.Entries {
		for _, n := range e.Names {
			row.Ranks = append(row.Ranks, rankRow(n, e, []int{e.RankLo, e.RankHi}))
		}
	}
	for _, e := range rk.Bounds {
		for _, n := range e.Names {
			row.Ranks = append(row.Ranks, rankRow(n, e, nil))
		}
	}
	for _, c := range rk.Comparisons {
		row.Lines = append(row.Lines, c.String())
	}
	if g := rk.BoundGap; g != nil {
		row.Lines = append(row.Lines, "bound: "+g.String())
	}
	switch {
	case row.Winner == "" && len(rk.Comparisons) > 0 && !rk.Comparisons[0].Known:
		row.Caveats = append(row.Caveats, "no intervals (one run each): significance unknown; repeat the runs to decide")
	case row.Winner == "":
		row.Caveats = append(row.Caveats, fmt.Sprintf("%d strategies cannot be told apart: pick on other grounds (cost, simplicity) or run longer", len(row.Best)))
	}
	if len(rk.Entries) == 1 {
		row.Caveats = append(row.Caveats, "only one deployable strategy ran")
	}
	if len(row.Unstable) > 0 {
		row.Caveats = append(row.Caveats, "unstable: "+strings.Join(row.Unstable, ", "))
	}
	for _, rec := range rk.results {
		if rec.warned {
			row.Warned = append(row.Warned, rec.idx)
		}
	}
	if n := len(row.Warned); n > 0 {
		row.Caveats = append(row.Caveats, plural(n, "run", "runs")+" with warnings")
	}
	return row
}

func rankRow(name string, e Entry, rank []int) RankRow {
	rr := RankRow{Name: name, Value: e.Est.Center, Rank: rank, Bound: e.Bound}
	if e.Est.HasCI() {
		rr.CI = []float64{e.Est.Lo, e.Est.Hi}
	}
	return rr
}

// estimateText is "2.010 [1.960, 2.060]" or "2.010" without an interval.
func estimateText(e Estimate) string {
	s := FormatNumber(e.Center)
	if e.HasCI() {
		s += " [" + FormatNumber(e.Lo) + ", " + FormatNumber(e.Hi) + "]"
	}
	return s
}

// metricText is a metric's title with its unit, "throughput (ops/s)";
// times carry their unit with their values, so only the title is given.
func metricText(units Units, metric string, rs []rankInfo) string {
	unit, _ := units.Describe(metric)
	if _, ok := timeUnits[unit]; ok {
		return MetricTitle(metric)
	}
	return MetricTitle(metric) + " (" + unitTextOf(units, metric, len(rs), func(i int) (float64, bool) { return rs[i].unitSec, rs[i].hasUnitSec }) + ")"
}

// estimateUnitText is estimateText with times in a readable unit: "39.3
// ms/op [38.1, 41.2]" rather than "39.3M" ns/op.
func estimateUnitText(e Estimate, unit string) string {
	f, shown, ok := timeScale(unit, math.Abs(e.Center))
	if !ok {
		return estimateText(e)
	}
	return estimateText(Estimate{Center: e.Center * f, Lo: e.Lo * f, Hi: e.Hi * f}) + " " + shown
}

// ratioText is "1.56 ± 0.18×" or "1.56×".
func ratioText(c Comparison) string {
	if math.IsNaN(c.RatioErr) {
		return fmtRatio(c.Ratio) + "×"
	}
	return fmtRatio(c.Ratio) + " ± " + fmtRatioErr(c.RatioErr, c.Ratio) + "×"
}

// metricUnit is a metric's unit, and whether higher or lower is better.
type metricUnit struct {
	Unit   string `json:"unit"`
	Better string `json:"better"`
}

// metricUnits are the unit and direction of every metric of the results
// (results.csv has a column per metric, without them).
func (r *Report) metricUnits() map[string]metricUnit {
	out := map[string]metricUnit{}
	for m := range r.collected().metricNames {
		unit, better := r.Set.Units.Describe(m)
		out[m] = metricUnit{unit, better.String()}
	}
	return out
}

// WriteSummaryJSON writes the report's summary (inputs, problems, the
// unit of each metric, summary rows, profile summaries, notes) as one
// indented JSON object. The summary
// rows are written one at a time (a sweep has hundreds of thousands), in
// the form a json.Encoder indenting by two spaces gives the whole.
func (r *Report) WriteSummaryJSON(w io.Writer) error {
	type profileJSON struct {
		Path   string         `json:"path"`
		Total  float64        `json:"cpu_sec"`
		Groups []ProfileGroup `json:"groups"`
	}
	var problems []string
	for _, p := range r.Set.Problems {
		problems = append(problems, p.Error())
	}
	var profiles []profileJSON
	for _, p := range r.Profiles {
		profiles = append(profiles, profileJSON{p.Path, p.Total, p.Groups})
	}
	var charts []map[string]string
	for _, c := range r.Charts {
		charts = append(charts, map[string]string{"id": c.ID, "kind": c.Kind, "title": c.Title, "what": c.What, "how": c.How})
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var err error
	field := func(first bool, name string, v any) {
		if err != nil {
			return
		}
		var b []byte
		if b, err = json.MarshalIndent(v, "  ", "  "); err != nil {
			err = fmt.Errorf("encoding summary: %w", err)
			return
		}
		if !first {
			bw.WriteString(",")
		}
		bw.WriteString("\n  \"" + name + "\": ")
		bw.Write(b)
	}
	bw.WriteString("{")
	field(true, "inputs", r.Set.Inputs)
	if len(problems) > 0 {
		field(false, "problems", problems)
	}
	field(false, "ranking_method", RankMethod)
	field(false, "metrics", r.metricUnits())
	if err != nil {
		return err
	}
	bw.WriteString(",\n  \"summary\": ")
	switch {
	case len(r.Rankings) == 0:
		bw.WriteString("null")
	default:
		bw.WriteString("[")
		// The rows are encoded on every core (a sweep has a row per
		// scenario, a million records 170,000 of them), written in order.
		// The rows' buffers are used again once written.
		bufs := sync.Pool{New: func() any { return new([]byte) }}
		type encoded struct {
			b   *[]byte
			err error
		}
		err := inOrder(len(r.Rankings), 1024, func(i int) encoded {
			row := r.summaryRow(&r.Rankings[i])
			buf := bufs.Get().(*[]byte)
			var ok bool
			if *buf, ok = appendSummaryRowJSON((*buf)[:0], &row, "    "); ok {
				return encoded{buf, nil}
			}
			var err error
			*buf, err = json.MarshalIndent(row, "    ", "  ")
			return encoded{buf, err}
		}, func(i int, e encoded) error {
			if e.err != nil {
				return fmt.Errorf("encoding summary: %w", e.err)
			}
			if i > 0 {
				bw.WriteString(",")
			}
			bw.WriteString("\n    ")
			bw.Write(*e.b)
			bufs.Put(e.b)
			return nil
		})
		if err != nil {
			return err
		}
		bw.WriteString("\n  ]")
	}
	if model := r.ModelRows(); len(model) > 0 {
		field(false, "model_vs_real", model)
	}
	if len(charts) > 0 {
		field(false, "charts", charts)
	}
	if len(profiles) > 0 {
		field(false, "profiles", profiles)
	}
	if len(r.Notes) > 0 {
		field(false, "notes", r.Notes)
	}
	if len(r.Mismatches) > 0 {
		field(false, "answer_mismatches", r.Mismatches)
	}
	if err != nil {
		return err
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}
