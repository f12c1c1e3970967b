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

With --fail-on-regression X%, exits with status 1 and names the metrics that
got significantly worse by more than X% in their own better direction (a
higher response time, a lower throughput): a gate for CI.

Examples:
  go test -run '^$' -bench . -count 10 > new.txt
  stratbench compare old.txt new.txt
  stratbench compare old.jsonl new.jsonl --fail-on-regression 5%`,
		Flags: []cli.Flag{
			&cli.Float64Flag{Name: "alpha", Value: reports.Alpha, Usage: "significance level of the U test"},
			&cli.StringFlag{Name: "fail-on-regression", Usage: "exit 1 when a metric got significantly worse by more than this percentage (5% or 5)"},
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
			return markInput(reports.RunCompare(c.Context, reports.CompareConfig{
				Old: args[0], New: args[1], Alpha: alpha, FailOnRegression: fail, Stdin: c.App.Reader,
			}, c.App.Writer, c.App.ErrWriter))
		},
	})
}
