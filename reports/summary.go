package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/stratbench/stratbench/metrics"
)

// SummaryRow is one line of a report's summary table: in one scenario,
// which strategy is best on the headline metric, and by how much over the
// runner-up and the worst.
type SummaryRow struct {
	Scenario string `json:"scenario"`
	Metric   string `json:"metric"`
	// MetricText is the metric in words with its unit.
	MetricText string `json:"metric_text"`
	Better     string `json:"better"`
	Best       string `json:"best"`
	// Value is the best strategy's value with its interval, as text.
	Value     string    `json:"value"`
	BestValue float64   `json:"best_value"`
	BestCI    []float64 `json:"best_ci95,omitempty"`
	RunnerUp  string    `json:"runner_up"`
	// Ratio is how many times better the best is than the runner-up, with
	// its interval, as text ("1.56 ± 0.18×").
	Ratio string `json:"ratio"`
	// Significance is empty when the win is significant, else why not.
	Significance string `json:"significance,omitempty"`
	// Worst and WorstRatio compare the best with the worst strategy when
	// there are more than two.
	Worst      string `json:"worst,omitempty"`
	WorstRatio string `json:"worst_ratio,omitempty"`
	// Unstable lists the strategies whose runs were unstable (a server
	// given more work than it can serve): their figures grow with the run
	// length, so they are not the worst for comparison.
	Unstable []string `json:"unstable,omitempty"`
	// Lines are the hyperfine-style comparison lines of the scenario.
	Lines []string `json:"comparisons"`
}

// Summary returns one row per ranked scenario.
func (r *Report) Summary() []SummaryRow {
	var out []SummaryRow
	for _, rk := range r.Rankings {
		c0 := rk.Comparisons[0]
		row := SummaryRow{
			Scenario:   rk.Scenario,
			Metric:     rk.Metric,
			MetricText: metricText(r.Set.Units, rk.Metric, rk.results),
			Better:     rk.Better.String(),
			Best:       rk.Best,
			Value:      estimateUnitText(rk.BestEst, rk.Unit),
			BestValue:  rk.BestEst.Center,
			RunnerUp:   c0.Other,
			Ratio:      ratioText(c0),
		}
		if rk.BestEst.HasCI() {
			row.BestCI = []float64{rk.BestEst.Lo, rk.BestEst.Hi}
		}
		row.Significance = c0.SignificanceNote()
		unstable := map[string]bool{}
		for _, r := range rk.results {
			if u, _ := r.Params["unstable"].(bool); u {
				_, s := StrategyOf(r)
				unstable[s] = true
				row.Unstable = append(row.Unstable, s)
			}
		}
		for i := len(rk.Comparisons) - 1; i >= 1; i-- {
			if cw := rk.Comparisons[i]; !unstable[cw.Other] {
				row.Worst, row.WorstRatio = cw.Other, ratioText(cw)
				break
			}
		}
		for _, c := range rk.Comparisons {
			row.Lines = append(row.Lines, c.String())
		}
		out = append(out, row)
	}
	return out
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
func metricText(units Units, metric string, rs []*metrics.Result) string {
	unit, _ := units.Describe(metric)
	if _, ok := timeUnits[unit]; ok {
		return MetricTitle(metric)
	}
	return MetricTitle(metric) + " (" + unitText(units, metric, rs) + ")"
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
	return fmtRatio(c.Ratio) + " ± " + fmtRatio(c.RatioErr) + "×"
}

// WriteSummaryJSON writes the report's summary (inputs, problems, summary
// rows, profile summaries, notes) as one indented JSON object.
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
	out := struct {
		Inputs   []Input             `json:"inputs"`
		Problems []string            `json:"problems,omitempty"`
		Summary  []SummaryRow        `json:"summary"`
		Model    []ModelRow          `json:"model_vs_real,omitempty"`
		Charts   []map[string]string `json:"charts,omitempty"`
		Profiles []profileJSON       `json:"profiles,omitempty"`
		Notes    []string            `json:"notes,omitempty"`
		Mismatch []string            `json:"answer_mismatches,omitempty"`
	}{r.Set.Inputs, problems, r.Summary(), r.ModelRows(), charts, profiles, r.Notes, r.Mismatches}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("encoding summary: %w", err)
	}
	return nil
}
