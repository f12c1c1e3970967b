package main

import (
	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/runs"
)

func runCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run strategies for real on every core: a batch of tasks, or a service under open-loop load",
		UsageText: "stratbench run batch [options]\nstratbench run service [options]",
		Description: `Runs the same strategies as the simulator, for real, on goroutines, and writes the
same result records (engine "harness").

  run batch     a fixed set of tasks through executors and loop schedules: makespan,
                speedup over sequential, imbalance, allocations, GC
  run service   open-loop requests placed by a dispatch policy on N server goroutines:
                the response-time distribution, in the simulator's units and names`,
		Subcommands: []*cli.Command{runBatchCommand(e), runServiceCommand(e), clusterCommand(e)},
	}
}

func runBatchCommand(e *env) *cli.Command {
	return runsCommand(e, &cli.Command{
		Name:      "batch",
		Usage:     "run a fixed set of tasks through executors and loop schedules; measure speedup, imbalance, allocations",
		UsageText: "stratbench run batch [--workload NAME] [--tasks N --size DIST --unit D] [--executor LIST] [--schedule LIST] [--workers LIST] [options]",
		Description: `Runs the tasks of a workload (default spin: CPU work calibrated in time, sizes drawn
from --size) with every executor and schedule asked for, at every worker count.
The sequential executor always runs too, as the baseline of the speedups. Every
case runs --count times after --warmup rounds; each round runs all cases in a
new shuffled order, so that drift of the machine hits all alike. Records keep
every sample and give medians with 95% intervals.

Without --executor or --schedule, every executor runs.

Examples:
  stratbench run batch --tasks 10000 --size pareto:alpha=1.5 --unit 10us
  stratbench run batch --executor sequential,pool,batch --schedule static,dynamic --workers 1,2
  stratbench run batch --tasks 1000000 --size det --unit 100ns --executor pool,batch,steal
  stratbench run batch --executor queues --policy rr,random,p2c,lwl --size lognormal:sigma=2
  stratbench run batch --cpuprofile cpu.pprof && go tool pprof -tagfocus strategy=pool cpu.pprof`,
	}, runs.BatchFields())
}
