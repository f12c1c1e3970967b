package main

// The suite command's --emit (a Slurm or Kubernetes sweep of shards) and
// the report command's check that merged shards make a whole sweep; the
// logic is in suite/emit.go and suite/shards.go.

import (
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/suite"
)

// emitFlags are the suite command's flags for --emit.
func emitFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "emit", Usage: "print the sweep as a batch job instead of running it: " + strings.Join(suite.Emitters, " (a submit script) | ") + " (manifests); with --shards"},
		&cli.IntFlag{Name: "shards", Usage: "with --emit: the number of shards (array tasks, pods)"},
		&cli.StringFlag{Name: "partition", Usage: "with --emit slurm: the partition", DefaultText: "the cluster's default"},
		&cli.DurationFlag{Name: "time", Usage: "with --emit: time limit of each task or pod (as 2h)", DefaultText: "the cluster's default"},
		&cli.IntFlag{Name: "cpus", Value: 1, Usage: "with --emit: CPUs of each task or pod"},
		&cli.StringFlag{Name: "bin", Value: "stratbench", Usage: "with --emit: the stratbench binary the jobs run"},
		&cli.StringFlag{Name: "image", Usage: "with --emit k8s: a container image holding sh and the stratbench binary"},
	}
}

// emitting reports whether any --emit flag is set (those without --emit
// are refused by emitAction rather than ignored).
func emitting(c *cli.Context) bool {
	for _, f := range emitFlags() {
		if c.IsSet(f.Names()[0]) {
			return true
		}
	}
	return false
}

// emitAction prints the sweep of suite f (file as given, "" for the default
// suite) for the batch system --emit names.
func emitAction(c *cli.Context, file string, f *suite.File) error {
	if !c.IsSet("emit") {
		for _, f := range emitFlags() {
			if n := f.Names()[0]; c.IsSet(n) {
				return bad.Inputf("--%s goes with --emit slurm|k8s, which prints the sweep as a batch job; without --emit it would be ignored", n)
			}
		}
	}
	for _, n := range []string{"shard", "resume", "check", "list"} {
		if c.IsSet(n) {
			return bad.Inputf("--emit prints a job script and runs nothing: --%s does not go with it (each task gets its own --shard and --resume)", n)
		}
	}
	o := suite.EmitOptions{
		Emit: c.String("emit"), File: file, Suite: f, Quick: c.Bool("quick"),
		Shards: c.Int("shards"), Out: c.String("out"), Bin: c.String("bin"),
		Partition: c.String("partition"), Time: c.Duration("time"), CPUs: c.Int("cpus"), Image: c.String("image"),
	}
	if c.IsSet("seed") {
		s := c.Uint64("seed")
		o.Seed = &s
	}
	return suite.Emit(c.App.Writer, o)
}

// mergeFlags are the report command's flags for merging shards.
func mergeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "partial", Usage: "report shards of a sweep even if some are missing or incomplete (warning about them)"},
		&cli.DurationFlag{Name: "wait", Usage: "wait up to this long for missing or incomplete shards (a merge Job started beside its shards)"},
	}
}

// checkMerge refuses to merge shards that do not make a whole sweep.
func checkMerge(c *cli.Context, inputs []string) error {
	return suite.CheckMerge(c.Context, inputs, suite.MergeOptions{
		Partial: c.Bool("partial"), Wait: c.Duration("wait"), Stderr: c.App.ErrWriter,
	})
}
