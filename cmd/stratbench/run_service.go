package main

import (
	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/runs"
)

func runServiceCommand(e *env) *cli.Command {
	return runsCommand(e, &cli.Command{
		Name:      "service",
		Usage:     "send open-loop requests to N server goroutines through a dispatch policy; measure response times",
		UsageText: "stratbench run service --policy NAME[,NAME...] --servers N --load RHO[,RHO...] --service DIST --unit D --kind sleep|spin [--jobs J | --duration D] [options]",
		Description: `Generates arrivals open-loop at rate λ = ρ·Σspeeds/E[S] per unit from the seed, and
places each request with the policy on one of N server goroutines, each with its
own FIFO queue. Response times count from each request's intended arrival, however
late the generator ran (no coordinated omission). Times are in units of --unit and
metrics carry the simulator's names, so that a record compares directly with
'stratbench sim' given the same flags: --compare-sim runs both and shows them side
by side. Arrivals and sizes come from the same seeded streams as the simulator's.

--kind sleep makes each server wait the service time: a unit of capacity whatever
the cores, so N may exceed them. --kind spin burns the CPU instead.

Examples:
  stratbench run service --policy p2c --servers 8 --load 0.5 --compare-sim
  stratbench run service --policy random,rr,jsq,p2c,central --servers 16 --load 0.9 --jobs 20000
  stratbench run service --policy jsq --servers 2 --load 0.7 --kind spin --unit 100us --duration 5s`,
	}, runs.ServiceFields())
}
