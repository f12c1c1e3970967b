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
		Flags: flags(pgo.Fields()),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return bad.Inputf("pgo takes no arguments, got %q", c.Args().First())
			}
			var cfg pgo.Config
			if err := apply(c, pgo.Fields(), &cfg); err != nil {
				return err
			}
			return pgo.Run(c.Context, cfg, c.App.Writer, c.App.ErrWriter)
		},
	}
}
