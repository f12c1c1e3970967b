package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/reports"
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
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "report", Usage: "output directory"},
			&cli.BoolFlag{Name: "quick", Usage: "apply each case's quick overrides (CI: under a minute)"},
			&cli.Uint64Flag{Name: "seed", Usage: "seed of every run", DefaultText: "the suite's seed"},
			&cli.StringFlag{Name: "shard", Usage: "run shard i of n (i/n, 0 <= i < n)"},
			&cli.BoolFlag{Name: "resume", Usage: "skip the runs already in DIR/results.jsonl"},
			&cli.BoolFlag{Name: "check", Usage: "only validate the suite file"},
			&cli.BoolFlag{Name: "list", Usage: "only list the runs the suite would do"},
			&cli.BoolFlag{Name: "print-default", Usage: "print the default suite's YAML"},
			&cli.BoolFlag{Name: "keys", Usage: "print every case type with its parameters"},
			quietFlag(),
		}, emitFlags()...),
		Action: func(c *cli.Context) error { return suiteAction(c, e) },
	}
}

func suiteAction(c *cli.Context, e *env) error {
	w := c.App.Writer
	switch {
	case c.Bool("print-default"):
		_, err := w.Write(suite.DefaultYAML())
		return err
	case c.Bool("keys"):
		_, err := fmt.Fprint(w, suite.CaseTypes())
		return err
	}
	if c.NArg() > 1 {
		return bad.Inputf("suite takes at most one suite FILE, got %d arguments", c.NArg())
	}
	f := suite.Default()
	if c.NArg() == 1 {
		var err error
		if f, err = suite.ParseFile(c.Args().First()); err != nil {
			return err
		}
	}
	if emitting(c) {
		return emitAction(c, c.Args().First(), f)
	}
	if c.Bool("check") {
		if err := suite.Check(f, c.Bool("quick")); err != nil {
			return err
		}
		runs := suite.Expand(f, c.Bool("quick"), nil)
		fmt.Fprintf(w, "%s: %s, %s: ok\n", f.Path, plural(len(f.Cases), "case"), plural(len(runs), "run"))
		return nil
	}
	opt := suite.Options{Dir: c.String("out"), Quick: c.Bool("quick"), Resume: c.Bool("resume"), Stderr: c.App.ErrWriter, Launcher: e.launcher}
	if c.IsSet("seed") {
		s := c.Uint64("seed")
		opt.Seed = &s
	}
	if s := c.String("shard"); s != "" {
		i, n, err := suite.ParseShard(s)
		if err != nil {
			return bad.Input(err)
		}
		opt.Shard, opt.Shards = i, n
	}
	if c.Bool("list") {
		if err := suite.Check(f, opt.Quick); err != nil {
			return err
		}
		runs := suite.Expand(f, opt.Quick, opt.Seed)
		if opt.Shards > 0 {
			runs = suite.Shard(runs, opt.Shard, opt.Shards)
		}
		for _, r := range runs {
			fmt.Fprintln(w, r.ID)
		}
		return nil
	}
	if showProgress(c) {
		var bar *progressbar.ProgressBar
		opt.Progress = func(done, total int, current string) {
			if bar == nil {
				bar = progressbar.NewOptions(total,
					progressbar.OptionSetWriter(c.App.ErrWriter),
					progressbar.OptionShowCount(),
					progressbar.OptionSetElapsedTime(true),
					progressbar.OptionSetPredictTime(true),
					progressbar.OptionClearOnFinish(),
					progressbar.OptionSetWidth(20),
					progressbar.OptionThrottle(100*time.Millisecond),
				)
			}
			bar.Describe(shorten(current, 48))
			bar.Set(done)
			if current == "" {
				bar.Finish()
			}
		}
	}
	opt.Report = func(results []metrics.Result, dir string) error {
		// The report reads back the suite's results file, so that it shows
		// every run in it (those of an earlier, resumed invocation too). It
		// is written after an interruption as well, so it ignores ctx.
		return reports.Run(context.WithoutCancel(c.Context), reports.Config{
			Inputs: []string{filepath.Join(dir, suite.ResultsFile)},
			Out:    dir,
		}, io.Discard, c.App.ErrWriter)
	}
	start := time.Now()
	sum, err := suite.Execute(c.Context, f, opt)
	if errors.Is(err, context.Canceled) {
		err = interrupted{err, "run the same command again with --resume to finish the suite"}
	}
	if sum != nil {
		fmt.Fprintf(w, "%s: %d runs done, %d skipped (already in %s), %d failed, in %s\n",
			f.Path, sum.Done, sum.Skipped, filepath.Join(opt.Dir, suite.ResultsFile), len(sum.Failed), time.Since(start).Round(time.Millisecond))
		if _, statErr := os.Stat(filepath.Join(opt.Dir, "index.html")); statErr == nil {
			fmt.Fprintf(w, "report: %s (open it in a browser)\n", filepath.Join(opt.Dir, "index.html"))
		}
	}
	return err
}

// shorten cuts s to at most n runes, marking the cut with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// plural writes a count with its noun: 1 case, 2 cases.
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
