package reports

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

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
	{"text", "readable summaries, and a ranking when there are several", WriteText},
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

// WriteText writes a readable summary of each record, and the ranking of
// response_mean when there are several.
func WriteText(w io.Writer, results []metrics.Result) error {
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
		return WriteRanking(w, results, "response_mean")
	}
	return nil
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
