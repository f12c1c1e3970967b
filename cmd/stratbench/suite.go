package main

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/suite"
)

func suiteCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "suite",
		Usage:     "run a comparison suite (the default one when no FILE is given) and write its report",
		UsageText: "stratbench suite [FILE] [--out DIR] [--quick] [--seed S] [--shard i/n] [--resume] [--quiet] [--emit slurm|k8s --shards N]",
		Description: `Runs every case of a suite file (YAML), or of the default suite embedded in the binary,
and writes into DIR: results.jsonl (one result record a line, appended as each run
finishes), results.txt (Go benchmark format, for benchstat), profiles/, and the report
(index.html and its charts). Ctrl-C stops after the current run and still writes the
report from what finished; --resume continues an interrupted suite. Without
--resume, results already in DIR/results.jsonl are moved to results.jsonl.prev.

--shard i/n runs every n-th run starting at i, so that a sweep can be spread over
n machines (a Kubernetes indexed Job, a Slurm array); stratbench report merges the
shards' results.jsonl into one report. --emit slurm|k8s --shards N prints that
sweep as a Slurm submit script or Kubernetes manifests instead of running it.

Examples:
  stratbench suite --out report                 # the default suite; open report/index.html
  stratbench suite --quick --out /tmp/r         # the same, cut down to under a minute
  stratbench suite examples/policies.yaml --out out/policies
  stratbench suite --check examples/policies.yaml
  stratbench suite --shard 0/4 --out out/shard0 # then: stratbench report out/shard*/results.jsonl --out out/all
  stratbench suite --quick --emit slurm --shards 4 --out out/sweep > sweep.sh && bash sweep.sh
  stratbench suite --print-default > mysuite.yaml
  stratbench suite --keys                       # every case type and parameter`,
		Flags: append(flags(suite.Fields()), quietFlag()),
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return bad.Inputf("suite takes at most one suite FILE, got %d arguments", c.NArg())
			}
			cmd := suite.Command{File: c.Args().First()}
			if err := apply(c, suite.Fields(), &cmd); err != nil {
				return err
			}
			cmd.Stderr, cmd.Launcher = c.App.ErrWriter, e.launcher
			if showProgress(c) {
				cmd.Progress = progressBar(c.App.ErrWriter)
			}
			err := cmd.Run(c.Context, c.App.Writer)
			if errors.Is(err, context.Canceled) {
				err = interrupted{err, "run the same command again with --resume to finish the suite"}
			}
			return err
		},
	}
}

// progressBar shows a suite's progress on w: runs done of the total, and
// the current run.
func progressBar(w io.Writer) func(done, total int, current string) {
	var bar *progressbar.ProgressBar
	return func(done, total int, current string) {
		if bar == nil {
			bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionShowCount(), progressbar.OptionSetElapsedTime(true),
				progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish(), progressbar.OptionSetWidth(20), progressbar.OptionThrottle(100*time.Millisecond))
		}
		bar.Describe(shorten(current, 48))
		bar.Set(done)
		if current == "" {
			bar.Finish()
		}
	}
}

// shorten cuts s to at most n runes, marking the cut with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
