package main

import (
	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/interleave"
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
		Flags: flags(interleave.ComparisonFields()),
		Action: func(c *cli.Context) error {
			cmp := interleave.Comparison{Files: c.Args().Slice()}
			if err := apply(c, interleave.ComparisonFields(), &cmp); err != nil {
				return err
			}
			return cmp.Run(c.Context, c.App.Reader, c.App.Writer, c.App.ErrWriter)
		},
	}
}
