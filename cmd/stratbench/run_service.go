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

--timing says how the servers keep time (the record's params.timing says which ran):
  loop        (default for sleep) one goroutine generates the arrivals, runs the
              policy and holds each server's deadline; it handles every event in
              the order of their times, so the policy decides as in the simulator,
              and ends each job when it reads the clock at the deadline. It sleeps
              in the OS between events, aiming early by what it learnt the OS is
              late, so jobs end on their deadlines on average (loop_late_mean_sec).
  spin-loop   the same loop spinning on the clock for the last tens of microseconds
              before each event: exact on an idle core, but it takes a core while
              events are dense (loop_spin_frac) and suffers most on a busy machine.
  goroutines  (the only one for spin) a dispatching goroutine and one goroutine
              per server, woken by the process timer and the Go scheduler: what a
              server built that way costs (about 10us of CPU a job).

Examples:
  stratbench run service --policy p2c --servers 8 --load 0.5 --compare-sim
  stratbench run service --policy random,rr,jsq,p2c,central --servers 16 --load 0.9 --jobs 20000
  stratbench run service --policy jsq --servers 2 --load 0.7 --kind spin --unit 100us --duration 5s`,
	}, runs.ServiceFields())
}
