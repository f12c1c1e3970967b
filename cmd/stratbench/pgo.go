package main

import (
	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/pgo"
)

func pgoCommand() *cli.Command {
	return &cli.Command{
		Name:      "pgo",
		Usage:     "measure profile-guided optimization on stratbench's own benchmarks",
		UsageText: "stratbench pgo [--bench REGEX] [--count N] [--benchtime T] [--out DIR]",
		Description: `Runs the chosen benchmarks with a CPU profile, rebuilds them with -pgo= that profile,
runs both builds again (alternating, so that drift hits both), and compares them
the way benchstat does: the median of each build with its interval, the change, and
a Mann-Whitney U test ("~" when the change is not significant). DIR gets the
profile (default.pgo), base.txt and pgo.txt (benchmark format), compare.txt, and
an HTML report ranking the two builds of each benchmark.

PGO inlines hot calls and devirtualizes hot interface calls (the simulator's
policy and sampler calls, the executors' task calls); it cannot change an
algorithm, vectorize a loop or help code that is not in the profile. Typical gains
are a few percent. It needs a clone of the repository and the go command.

Examples:
  stratbench pgo                                   # the simulator's benchmarks
  stratbench pgo --bench 'Kernels/family=sum' --count 10
  stratbench pgo --bench 'Sim/policy=p2c/servers=100' --benchtime 2000000x`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "bench", Value: "Sim/.*/servers=100$", Usage: "benchmarks to optimize and measure (a go test -bench regular expression)"},
			&cli.IntFlag{Name: "count", Value: 6, Usage: "measured runs of each build"},
			&cli.StringFlag{Name: "benchtime", Usage: "go test -benchtime of each run (default 1s)"},
			&cli.StringFlag{Name: "pkg", Value: ".", Usage: "package holding the benchmarks, relative to the module root"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "out/pgo", Usage: "output directory"},
			&cli.Float64Flag{Name: "alpha", Value: 0.05, Usage: "significance level"},
			&cli.BoolFlag{Name: "no-report", Usage: "skip the HTML report"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return bad.Inputf("pgo takes no arguments, got %q", c.Args().First())
			}
			if a := c.Float64("alpha"); !(a > 0 && a < 1) {
				return bad.Inputf("--alpha must be in (0, 1), got %g", a)
			}
			return pgo.Run(c.Context, pgo.Config{
				Bench:     c.String("bench"),
				Count:     c.Int("count"),
				Benchtime: c.String("benchtime"),
				Pkg:       c.String("pkg"),
				Out:       c.String("out"),
				Alpha:     c.Float64("alpha"),
				Report:    !c.Bool("no-report"),
			}, c.App.Writer, c.App.ErrWriter)
		},
	}
}
