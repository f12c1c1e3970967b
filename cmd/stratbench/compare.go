package main

import (
	"math"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/interleave"
	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/reports"
)

func compareCommand() *cli.Command {
	return &cli.Command{
		Name:  "compare",
		Usage: "compare two builds or two runs benchmark by benchmark, with significance, and fail CI on regressions",
		UsageText: `stratbench compare --old-cmd CMD --new-cmd CMD [--rounds 10] [--fail-on-regression 5%]
   stratbench compare OLD NEW [--alpha 0.05] [--fail-on-regression 5%] [--noise OLD2]`,
		Description: `Two modes; the output says which one judged.

Interleaved rounds (both builds at hand, the CI gate): --old-cmd and --new-cmd are
shell commands that each measure one build and print results on standard output
(Go benchmark text, e.g. a test binary with -test.bench, or stratbench's own
--format bench/json). compare runs them in --rounds rounds, both builds back to
back in each round, alternating which goes first, so that whatever the machine
does between rounds hits both builds alike. Per benchmark and metric it prints
both medians, the change estimated from the rounds' ratios new/old (the
Hodges–Lehmann estimate, with its 95% interval) and a Wilcoxon signed-rank test of
the rounds' log ratios. Each run sees STRATBENCH_ROUND (1, 2, ...) and
STRATBENCH_BUILD (old or new). --out DIR keeps every run's output.

Two result files (one run of each build): prints the two medians with their 95%
intervals, the change, and the p-value of a Mann–Whitney U test, as benchstat
does; ~ marks a change that is not significant and footnotes say where there were
too few samples. Drift of the machine between the two runs counts as change here:
--noise OLD2 (a second run of the old build) adds each benchmark's A/A change to
its margin.

With --fail-on-regression X%, exits with status 1 and names the benchmarks whose
headline metric (or --metric) is significantly worse than X% in its own better
direction (a higher time, a lower throughput), Holm-corrected over the
benchmarks: paired, a one-sided signed-rank test of the rounds' log ratios against
an X% change; from two files, a one-sided U test of NEW against OLD shifted by X%
(plus the noise floor). Changes and noise smaller than X% do not fail it. Paired,
the gate needs enough rounds to be able to fail at all (2^-rounds times the number
of benchmarks under --alpha): compare says so after the first round.

Examples:
  go test -c -o new.test . && git stash && go test -c -o old.test . && git stash pop
  stratbench compare --rounds 10 --fail-on-regression 5% \
    --old-cmd './old.test -test.run ^$ -test.bench Kernels/family=sum -test.benchtime 200x' \
    --new-cmd './new.test -test.run ^$ -test.bench Kernels/family=sum -test.benchtime 200x'
  stratbench compare old.txt new.txt
  stratbench compare old.jsonl new.jsonl --fail-on-regression 5% --noise old2.jsonl`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "old-cmd", Usage: "shell command that measures the old build, printing results on stdout (interleaved mode)"},
			&cli.StringFlag{Name: "new-cmd", Usage: "shell command that measures the new build, printing results on stdout (interleaved mode)"},
			&cli.IntFlag{Name: "rounds", Value: 10, Usage: "interleaved rounds, each running both commands once (interleaved mode)"},
			&cli.StringFlag{Name: "round-stat", Value: string(reports.RoundMedian), Usage: "the value a round takes of each build's samples: median, or best: the lowest time or highest rate (steadier on a busy machine with many short samples a run; blind to changes seen only in some samples) (interleaved mode)"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "directory that keeps each run's output, old-01.txt, new-01.txt, ... (interleaved mode; default: not kept)"},
			&cli.Float64Flag{Name: "alpha", Value: reports.Alpha, Usage: "significance level of the tests"},
			&cli.StringFlag{Name: "fail-on-regression", Usage: "exit 1 when a benchmark's headline metric got significantly worse than this percentage (5% or 5)"},
			&cli.StringFlag{Name: "metric", Usage: "the metric --fail-on-regression judges (default: each benchmark's headline metric), e.g. cpu_sec"},
			&cli.StringFlag{Name: "noise", Usage: "a second run of the old build: each benchmark's change from OLD to it is its A/A noise floor, added to --fail-on-regression (two-file mode)"},
		},
		Action: func(c *cli.Context) error {
			args := c.Args().Slice()
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
			if c.IsSet("old-cmd") || c.IsSet("new-cmd") {
				switch {
				case !c.IsSet("new-cmd"):
					return bad.Inputf("--old-cmd needs --new-cmd: interleaved rounds measure both builds")
				case !c.IsSet("old-cmd"):
					return bad.Inputf("--new-cmd needs --old-cmd: interleaved rounds measure both builds")
				case len(args) > 0:
					return bad.Inputf("compare takes result files or --old-cmd and --new-cmd, not both; got %q", args[0])
				case c.IsSet("noise"):
					return bad.Inputf("--noise is for two result files; interleaved rounds need no noise floor")
				}
				return interleave.Compare(c.Context, interleave.CompareConfig{
					Old: interleave.Shell(c.String("old-cmd")), New: interleave.Shell(c.String("new-cmd")),
					Rounds: c.Int("rounds"), RoundStat: reports.RoundStat(c.String("round-stat")), Alpha: alpha, FailOnRegression: fail, Metric: c.String("metric"), Out: c.String("out"),
				}, c.App.Writer, c.App.ErrWriter)
			}
			for _, f := range []string{"rounds", "out", "round-stat"} {
				if c.IsSet(f) {
					return bad.Inputf("--%s is for interleaved rounds: give --old-cmd and --new-cmd", f)
				}
			}
			if len(args) != 2 {
				return bad.Inputf("compare takes two result files, OLD and NEW, or --old-cmd and --new-cmd; got %d arguments", len(args))
			}
			return reports.RunCompare(c.Context, reports.CompareConfig{
				Old: args[0], New: args[1], Alpha: alpha, FailOnRegression: fail, Noise: c.String("noise"), Metric: c.String("metric"), Stdin: c.App.Reader,
			}, c.App.Writer, c.App.ErrWriter)
		},
	}
}
