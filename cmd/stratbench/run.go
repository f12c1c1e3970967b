package main

import (
	"errors"
	"io"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/harness"
	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/reports"
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
		Subcommands: []*cli.Command{runBatchCommand(), runServiceCommand(), clusterCommand(e)},
	}
}

// Flags shared by both modes.
var (
	runFormatFlag = &cli.StringFlag{Name: "format", Value: "text", Usage: "output format: text, json (JSON Lines of result records) or bench (Go benchmark format)"}
	runOutFlag    = &cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write the output to this file instead of stdout"}
	cpuProfFlag   = &cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile to this file; samples carry the pprof labels strategy and workload"}
	memProfFlag   = &cli.StringFlag{Name: "memprofile", Usage: "write an allocation profile to this file at the end"}
)

func checkFormat(c *cli.Context) (string, error) {
	f := c.String("format")
	if _, err := reports.LookupOutput(f); err != nil {
		return "", bad.Inputf("--format: %v", err)
	}
	return f, nil
}

// parseInts parses a comma-separated list of positive integers.
func parseInts(flag, s string) ([]int, error) {
	var out []int
	for _, part := range splitList(s) {
		x, err := strconv.Atoi(part)
		if err != nil {
			return nil, bad.Inputf("--%s: want comma-separated integers, got %q", flag, part)
		}
		if x <= 0 {
			return nil, bad.Inputf("--%s must be > 0, got %d", flag, x)
		}
		out = append(out, x)
	}
	return out, nil
}

// profiles starts the --cpuprofile and --memprofile profiles; stop ends
// them and writes the files.
func profiles(c *cli.Context) (stop func() error, err error) {
	stop, err = harness.StartProfiles(c.String("cpuprofile"), c.String("memprofile"))
	if err != nil {
		return nil, bad.Input(err)
	}
	return stop, nil
}

// annotateProfiles names the profiles in each record.
func annotateProfiles(c *cli.Context, results []metrics.Result) {
	for i := range results {
		if p := c.String("cpuprofile"); p != "" {
			results[i].Profile = p
		}
		if p := c.String("memprofile"); p != "" {
			results[i].Params["memprofile"] = p
		}
	}
}

// finishRun writes results (the ones finished, also after an interruption)
// with write, stops the profiles and returns the run's error first.
func finishRun(c *cli.Context, results []metrics.Result, runErr error, stopProfiles func() error, write func(io.Writer) error) error {
	profErr := stopProfiles()
	annotateProfiles(c, results)
	if len(results) > 0 {
		w, commit, abort, err := output(c, c.String("out"))
		if err != nil {
			return errors.Join(runErr, err)
		}
		defer abort()
		if err := write(w); err != nil {
			return errors.Join(runErr, err)
		}
		if err := commit(); err != nil {
			return errors.Join(runErr, err)
		}
	}
	if runErr != nil {
		return runErr
	}
	return profErr
}
