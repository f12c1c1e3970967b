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

// summaryOrder lists the metrics shown first, in this order; the others
// follow alphabetically.
var summaryOrder = []string{
	"response_mean", "theory_response_mean", "response_p50", "response_p90", "response_p95", "response_p99", "response_p999", "response_max",
	"wait_mean", "queue_mean", "utilization", "imbalance",
	"throughput_per_sec", "wall_sec", "speedup", "efficiency", "allocs_per_task",
	"jobs", "events", "events_per_sec",
}

// WriteSummary writes a short readable summary of one result: its name,
// then one metric a line with its unit and 95% interval where known, then
// the theory it is checked against and any warnings.
func WriteSummary(w io.Writer, r *metrics.Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", r.Engine, r.BenchName())
	tw := tabwriter.NewWriter(&b, 2, 8, 2, ' ', 0)
	names := r.MetricNames()
	slices.SortStableFunc(names, func(x, y string) int {
		ix, iy := slices.Index(summaryOrder, x), slices.Index(summaryOrder, y)
		switch {
		case ix >= 0 && iy >= 0:
			return ix - iy
		case ix >= 0:
			return -1
		case iy >= 0:
			return 1
		}
		return strings.Compare(x, y)
	})
	for _, k := range names {
		v := r.Metrics[k]
		unit, _ := metrics.Describe(k)
		if unit == "units" {
			unit = ""
		}
		line := fmt.Sprintf("  %s\t%s %s", k, FormatNumber(v), unit)
		if ci, ok := r.CI95[k]; ok {
			line += fmt.Sprintf("\t± %s (95%% CI %s .. %s)", FormatNumber((ci[1]-ci[0])/2), FormatNumber(ci[0]), FormatNumber(ci[1]))
		}
		if k == "theory_response_mean" {
			line += fmt.Sprintf("\t%v (%v)", r.Params["theory_model"], r.Params["theory_kind"])
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	if m, ok := r.Params["ci_method"]; ok {
		fmt.Fprintf(&b, "  interval by %v\n", m)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(&b, "  warning: %s\n", warn)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// FormatNumber prints a number with four significant digits, in plain
// notation for everyday magnitudes and with a k/M/G suffix for large ones.
func FormatNumber(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Sprint(v)
	case a >= 1e9:
		return fmt.Sprintf("%.4gG", v/1e9)
	case a >= 1e6:
		return fmt.Sprintf("%.4gM", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.4gk", v/1e3)
	case a == 0 || a >= 1e-3:
		return fmt.Sprintf("%.4g", v)
	default:
		return fmt.Sprintf("%.3e", v)
	}
}
