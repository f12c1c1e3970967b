package interleave

import (
	"context"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/field"
	"github.com/stratbench/stratbench/reports"
)

// Comparison is what the compare command does: two builds measured in
// interleaved rounds (OldCmd and NewCmd, Compare) or two result files
// (Files, reports.RunCompare), judged alike.
type Comparison struct {
	OldCmd, NewCmd string
	// Files are OLD and NEW.
	Files []string
	// Rounds, RoundStat and Out are those of the interleaved rounds.
	Rounds    int
	RoundStat reports.RoundStat
	Out       string
	Alpha     float64
	// FailOnRegression is the gate's threshold in percent, when Gate.
	FailOnRegression float64
	Gate             bool
	Metric           string
	// Noise is a second run of the old build (two files only).
	Noise string
	// given are the fields of interleaved rounds that were set (the
	// commands among them, even empty).
	given []string
}

// ComparisonFields are the settings of a Comparison but its files (the
// flags of `stratbench compare`).
func ComparisonFields() []field.Field[Comparison] {
	rounds := func(f field.Field[Comparison]) field.Field[Comparison] {
		set := f.Set
		f.Set = func(c *Comparison, v string) error { c.given = append(c.given, f.Name); return set(c, v) }
		return f
	}
	fs := []field.Field[Comparison]{
		rounds(field.Text("old_cmd", "shell command that measures the old build, printing results on stdout (interleaved mode)", "", func(c *Comparison) *string { return &c.OldCmd })),
		rounds(field.Text("new_cmd", "shell command that measures the new build, printing results on stdout (interleaved mode)", "", func(c *Comparison) *string { return &c.NewCmd })),
		rounds(field.Count("rounds", "interleaved rounds, each running both commands once (interleaved mode)", "", field.NoMin, func(c *Comparison) *int { return &c.Rounds })),
		rounds(field.Field[Comparison]{Name: "round_stat", Kind: field.String, DefaultText: strconv.Quote(string(reports.RoundMedian)),
			Usage: "the value a round takes of each build's samples: median, or best: the lowest time or highest rate (steadier on a busy machine with many short samples a run; blind to changes seen only in some samples) (interleaved mode)",
			Set:   func(c *Comparison, v string) error { c.RoundStat = reports.RoundStat(v); return nil }}),
		rounds(field.Text("out", "directory that keeps each run's output, old-01.txt, new-01.txt, ... (interleaved mode; default: not kept)", "", func(c *Comparison) *string { return &c.Out })),
		field.Number("alpha", "significance level of the tests", strconv.FormatFloat(reports.Alpha, 'g', -1, 64), func(c *Comparison) *float64 { return &c.Alpha }),
		{Name: "fail_on_regression", Kind: field.String, Usage: "exit 1 when a benchmark's headline metric got significantly worse than this percentage (5% or 5)",
			Set: func(c *Comparison, s string) error {
				v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
				if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
					return bad.Field("fail_on_regression", ": want a percentage such as 5%%, got %q", s)
				}
				c.FailOnRegression, c.Gate = v, true
				return nil
			}},
		field.Text("metric", "the metric --fail-on-regression judges (default: each benchmark's headline metric), e.g. cpu_sec", "", func(c *Comparison) *string { return &c.Metric }),
		field.Text("noise", "a second run of the old build: each benchmark's change from OLD to it is its A/A noise floor, added to --fail-on-regression (two-file mode)", "", func(c *Comparison) *string { return &c.Noise }),
	}
	fs[2].DefaultText = "10"
	fs[4].Aliases = []string{"o"}
	return fs
}

// Run compares in the mode c's fields choose, writing the comparison to
// stdout and the runs' problems to stderr (stdin is the file "-").
func (c *Comparison) Run(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) error {
	if !(c.Alpha > 0 && c.Alpha < 1) {
		return bad.Field("alpha", "must be in (0, 1), got %v", c.Alpha)
	}
	fail := -1.0 // no gate
	if c.Gate {
		fail = c.FailOnRegression
	}
	oldCmd, newCmd := slices.Contains(c.given, "old_cmd"), slices.Contains(c.given, "new_cmd")
	if oldCmd || newCmd {
		switch {
		case !newCmd:
			return bad.Field("old_cmd", "needs {new_cmd}: interleaved rounds measure both builds")
		case !oldCmd:
			return bad.Field("new_cmd", "needs {old_cmd}: interleaved rounds measure both builds")
		case len(c.Files) > 0:
			return bad.Field("", "compare takes result files or {old_cmd} and {new_cmd}, not both; got %q", c.Files[0])
		case c.Noise != "":
			return bad.Field("noise", "is for two result files; interleaved rounds need no noise floor")
		}
		rounds, stat := c.Rounds, c.RoundStat
		if !slices.Contains(c.given, "rounds") {
			rounds = 10
		}
		if stat == "" {
			stat = reports.RoundMedian
		}
		return Compare(ctx, CompareConfig{Old: Shell(c.OldCmd), New: Shell(c.NewCmd), Rounds: rounds, RoundStat: stat, Alpha: c.Alpha,
			FailOnRegression: fail, Metric: c.Metric, Out: c.Out}, stdout, stderr)
	}
	if len(c.given) > 0 {
		return bad.Field(c.given[0], "is for interleaved rounds: give {old_cmd} and {new_cmd}")
	}
	if len(c.Files) != 2 {
		return bad.Field("", "compare takes two result files, OLD and NEW, or {old_cmd} and {new_cmd}; got %d arguments", len(c.Files))
	}
	return reports.RunCompare(ctx, reports.CompareConfig{Old: c.Files[0], New: c.Files[1], Alpha: c.Alpha, FailOnRegression: fail,
		Noise: c.Noise, Metric: c.Metric, Stdin: stdin}, stdout, stderr)
}
