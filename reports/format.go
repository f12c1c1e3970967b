package reports

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stratbench/stratbench/metrics"
)

// An OutputFormat is one way a command writes its result records.
type OutputFormat struct {
	// Name is the format's name (the commands' --format value).
	Name string
	// Help says what the output is.
	Help string
	// Write writes the records.
	Write func(w io.Writer, results []metrics.Result) error
}

// OutputFormats is the table of the commands' output formats, in the
// order help lists them.
var OutputFormats = []OutputFormat{
	{"text", "readable summaries, a ranking when there are several, the simulator's prediction beside what was measured (or a family's own table)", WriteText},
	{"json", "JSON Lines of result records", WriteJSONL},
	{"bench", "Go benchmark format (benchstat)", WriteBench},
}

// OutputFormatNames lists the names of OutputFormats.
func OutputFormatNames() []string {
	names := make([]string, len(OutputFormats))
	for i, f := range OutputFormats {
		names[i] = f.Name
	}
	return names
}

// LookupOutput returns the named output format; an unknown name is bad
// input whose message lists the known ones ("want text, json or bench,
// got ...").
func LookupOutput(name string) (OutputFormat, error) {
	i := slices.IndexFunc(OutputFormats, func(f OutputFormat) bool { return f.Name == name })
	if i < 0 {
		names := OutputFormatNames()
		list := strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
		return OutputFormat{}, inputErrorf("want %s, got %q", list, name)
	}
	return OutputFormats[i], nil
}

// WriteText writes the records readably. Records of a family that has its
// own table (textByFamily: a batch's cases, an XML run's answers) are
// written as that table; others as a summary each, the ranking of
// response_mean when there are several, and, when some were run beside
// the simulator (metrics.Pair), one table of each beside its simulated
// twin, then the split of the error of those that measured its parts
// (ModelGap: cluster runs).
func WriteText(w io.Writer, results []metrics.Result) error {
	if len(results) > 0 {
		if write, ok := textByFamily[results[0].Family]; ok {
			return write(w, results)
		}
	}
	for i := range results {
		if i > 0 {
			if _, err := fmt.Fprintln(w); err != nil {
				return err
			}
		}
		if err := WriteSummary(w, &results[i]); err != nil {
			return err
		}
	}
	if len(results) > 1 {
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
		if err := WriteRanking(w, results, "response_mean"); err != nil {
			return err
		}
	}
	pairs := twins(results)
	if len(pairs) == 0 {
		return nil
	}
	r := pairs[0].Real
	unit := strings.ReplaceAll(time.Duration(math.Round(toFloat(r.Params["unit_sec"])*1e9)).String(), "µ", "u")
	if _, err := fmt.Fprintln(w); err != nil {
		return err
	}
	how := fmt.Sprintf("kind %v", r.Params["kind"])
	if t, ok := r.Params["timing"]; ok {
		how += fmt.Sprintf(", timing %v", t)
	}
	if err := WritePaired(w, fmt.Sprintf("%s against the simulator (same scenario and seed; %s, times in units of %v):", r.Family, how, unit), pairs); err != nil {
		return err
	}
	var gaps []GapRow
	for _, p := range pairs {
		if g, ok := ModelGap(p.Real, p.Sim); ok {
			gaps = append(gaps, GapRow{Name: p.Real.Name, Gap: g})
		}
	}
	if len(gaps) == 0 {
		return nil
	}
	if _, err := fmt.Fprintln(w); err != nil {
		return err
	}
	return WriteGaps(w, gaps)
}

// twins pairs each record of results compared with the simulator
// (metrics.ComparedWith) with its simulated twin among them.
func twins(results []metrics.Result) []Paired {
	var out []Paired
	for i := range results {
		name, ok := results[i].Params[metrics.ComparedWith]
		if !ok {
			continue
		}
		for j := range results {
			if results[j].Engine == metrics.EngineSim && results[j].Name == name {
				out = append(out, Paired{Real: &results[i], Sim: &results[j]})
				break
			}
		}
	}
	return out
}

// textByFamily are the text writers of the families that have their own
// table.
var textByFamily = map[string]func(io.Writer, []metrics.Result) error{
	"Batch": writeBatchText,
	"XML":   writeXMLText,
}

// writeBatchText writes one line per case of a batch run: the median wall
// time with its 95% interval, speedup, efficiency, imbalance, allocations
// per task and cost per task, then the warnings.
func writeBatchText(w io.Writer, results []metrics.Result) error {
	r0 := &results[0]
	if _, err := fmt.Fprintf(w, "run batch: workload %v, %v tasks, size %v, unit %v; median of %v runs, baseline sequential %s\n",
		r0.Params["workload"], r0.Params["tasks"], r0.Params["size"], r0.Params["unit"], r0.Params["count"], seconds(r0.Params["baseline_wall_sec"])); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "strategy\tworkers\twall\t95% CI\tspeedup\tefficiency\timbalance\tallocs/task\tns/task")
	for i := range results {
		r := &results[i]
		m := r.Metrics
		ci := ""
		if x, ok := r.CI95["wall_sec"]; ok {
			ci = seconds(x[0]) + " .. " + seconds(x[1])
		}
		label := fmt.Sprint(r.Params["strategy"])
		if _, ok := r.Params["schedule"]; ok {
			label = "schedule " + label
		}
		fmt.Fprintf(tw, "%s\t%v\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", label, r.Params["workers"],
			seconds(m["wall_sec"]), ci, metric(m, "speedup", "%.2fx"), metric(m, "efficiency", "%.2f"),
			metric(m, "imbalance", "%.3f"), metric(m, "allocs_per_task", "%.3g"), metric(m, "wall_ns_per_task", "%.4g"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// A warning that every case shares is written once.
	cases := map[string][]string{}
	var order []string
	for i := range results {
		for _, warn := range results[i].Warnings {
			if cases[warn] == nil {
				order = append(order, warn)
			}
			cases[warn] = append(cases[warn], fmt.Sprint(results[i].Params["strategy"], "/workers=", results[i].Params["workers"]))
		}
	}
	var b strings.Builder
	for _, warn := range order {
		if len(cases[warn]) == len(results) {
			fmt.Fprintf(&b, "warning: %s\n", warn)
		} else {
			fmt.Fprintf(&b, "warning: %s: %s\n", strings.Join(cases[warn], ", "), warn)
		}
	}
	if p := runtime.GOMAXPROCS(0); p < 2 {
		fmt.Fprintf(&b, "note: GOMAXPROCS=%d: no parallel speedup is possible\n", p)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// metric writes metric k of m in format, "-" when it is missing.
func metric(m map[string]float64, k, format string) string {
	v, ok := m[k]
	if !ok {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

// seconds writes seconds with a readable unit, "?" for what is not a
// number.
func seconds(v any) string {
	x, ok := v.(float64)
	switch {
	case !ok:
		return "?"
	case x >= 1:
		return FormatNumber(x) + "s"
	case x >= 1e-3:
		return FormatNumber(x*1e3) + "ms"
	}
	return FormatNumber(x*1e6) + "us"
}

// writeXMLText writes the answers of an XML run to XMark's queries and its
// throughput.
func writeXMLText(w io.Writer, results []metrics.Result) error {
	for i := range results {
		r := &results[i]
		a, p := r.Answers, r.Params
		files := "1 document"
		if n := toFloat(p["files"]); n > 1 {
			files = fmt.Sprintf("%.0f documents", n)
		}
		how := fmt.Sprint(p["mode"])
		if _, ok := p["chunks"]; ok {
			how = fmt.Sprintf("%.0f chunks", toFloat(p["chunks"]))
		}
		q20, _ := a["q20"].(map[string]any)
		_, err := fmt.Fprintf(w, `kernel %v, %s, %s, %.0f worker(s)
  q1   name of person0                    %q
  q5   closed auctions with price >= 40   %.0f
  q6   items                              %.0f
  q17  people without a homepage          %.0f
  q20  people by income                   preferred %.0f, standard %.0f, challenge %.0f, na %.0f
%.1f MB in %.3f s: %.1f MB/s
`, p["kernel"], files, how, toFloat(p["workers"]), a["q1"], toFloat(a["q5"]), toFloat(a["q6"]), toFloat(a["q17"]),
			toFloat(q20["preferred"]), toFloat(q20["standard"]), toFloat(q20["challenge"]), toFloat(q20["na"]),
			toFloat(p["bytes"])/1e6, r.Metrics["wall_sec"], r.Metrics["mb_per_sec"])
		if err != nil {
			return err
		}
	}
	return nil
}

// toFloat is a number of a record's params or answers (an int as the
// engines write it, a float64 as JSON reads it), NaN for anything else.
func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case float64:
		return x
	}
	return math.NaN()
}

// WriteJSONL writes the records as JSON Lines, one record a line.
func WriteJSONL(w io.Writer, results []metrics.Result) error {
	for i := range results {
		if err := metrics.WriteJSON(w, &results[i]); err != nil {
			return err
		}
	}
	return nil
}

// Paired is a real record and the simulated record of the same scenario
// (metrics.Pair).
type Paired struct {
	Real, Sim *metrics.Result
}

// WritePaired writes, under title, one table of metrics.PairedMetrics for
// each real record beside its simulated one: case, metric, measured,
// simulated and the relative error (measured − simulated) / simulated.
func WritePaired(w io.Writer, title string, pairs []Paired) error {
	if _, err := fmt.Fprintln(w, title); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "case\tmetric\tmeasured\tsimulated\trel. err\t\n")
	for _, p := range pairs {
		for _, m := range metrics.PairedMetrics {
			rv, ok1 := p.Real.Metrics[m]
			sv, ok2 := p.Sim.Metrics[m]
			if !ok1 || !ok2 {
				continue
			}
			rel := "-"
			if e := metrics.RelErr(rv, sv); !math.IsNaN(e) {
				rel = fmt.Sprintf("%+.1f%%", 100*e)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", p.Real.Name, m, FormatNumber(rv), FormatNumber(sv), rel)
		}
	}
	return tw.Flush()
}
