package main

import (
	"math"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/reports"
)

func init() {
	register(&cli.Command{
		Name:      "compare",
		Usage:     "compare two runs benchmark by benchmark, with significance, and fail CI on regressions",
		UsageText: "stratbench compare OLD NEW [--alpha 0.05] [--fail-on-regression 5%]",
		Description: `For every benchmark and metric found in both files (JSON Lines of results or Go
benchmark text), prints the two medians with their 95% intervals, the change,
and the p-value of a Mann–Whitney U test, as benchstat does; ~ marks a change
that is not significant and footnotes say where there were too few samples.

With --fail-on-regression X%, exits with status 1 and names the benchmarks
whose headline metric is significantly worse than X% in its own better
direction (a higher response time, a lower throughput): a one-sided U test
of NEW against OLD shifted by X%, Holm-corrected over the benchmarks, so
that noise and drift smaller than X% do not fail the gate. --noise A2 (a
second run of the old build) adds each benchmark's A/A change to its margin.

Examples:
  go test -run '^$' -bench . -count 10 > new.txt
  stratbench compare old.txt new.txt
  stratbench compare old.jsonl new.jsonl --fail-on-regression 5%`,
		Flags: []cli.Flag{
			&cli.Float64Flag{Name: "alpha", Value: reports.Alpha, Usage: "significance level of the U test"},
			&cli.StringFlag{Name: "fail-on-regression", Usage: "exit 1 when a benchmark's headline metric got significantly worse than this percentage (5% or 5)"},
			&cli.StringFlag{Name: "metric", Usage: "the metric --fail-on-regression judges (default: each benchmark's headline metric), e.g. cpu_sec"},
			&cli.StringFlag{Name: "noise", Usage: "a second run of the old build: each benchmark's change from OLD to it is its A/A noise floor, added to --fail-on-regression"},
		},
		Action: func(c *cli.Context) error {
			args := c.Args().Slice()
			if len(args) != 2 {
				return bad.Inputf("compare takes two result files, OLD and NEW; got %d arguments", len(args))
			}
			alpha := c.Float64("alpha")
			if !(alpha > 0 && alpha < 1) {
				return bad.Inputf("--alpha must be in (0, 1), got %v", alpha)
			}
			fail := -1.0
			if s := c.String("fail-on-regression"); s != "" {
				v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
				if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
					return bad.Inputf("--fail-on-regression: want a percentage such as 5%%, got %q", s)
				}
				fail = v
			}
			return reports.RunCompare(c.Context, reports.CompareConfig{
				Old: args[0], New: args[1], Alpha: alpha, FailOnRegression: fail, Noise: c.String("noise"), Metric: c.String("metric"), Stdin: c.App.Reader,
			}, c.App.Writer, c.App.ErrWriter)
		},
	})
}
