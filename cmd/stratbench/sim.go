package main

import (
	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/runs"
)

func simCommand(e *env) *cli.Command {
	return runsCommand(e, &cli.Command{
		Name:      "sim",
		Usage:     "simulate servers, queues and a dispatch policy; compare with queueing theory",
		UsageText: "stratbench sim --policy NAME[,NAME...] --servers N --load RHO[,RHO...] [--jobs J] [options]",
		Description: `Runs the discrete-event simulator: N servers with their own queues, jobs arriving
at rate λ = ρ·Σspeeds / mean service, each placed by the policy. Time is unitless
(mean service time 1). Several policies or loads run one after the other with the
same seed (common random numbers), so their differences are not noise of the seed.

Examples:
  stratbench sim --policy p2c --servers 100 --load 0.9
  stratbench sim --policy random,rr,jsq,p2c,central --servers 10 --load 0.9 --jobs 200000
  stratbench sim --policy jsq --servers 3 --speeds 2,1,1 --load 0.8 --service lognormal:sigma=1.5
  stratbench sim --policy random --servers 1 --load 0.7 --service pareto:alpha=2.5 --replications 8
  stratbench sim --policy p2c --servers 100 --load 0.9 --format bench > sim.txt`,
	}, runs.SimFields())
}
