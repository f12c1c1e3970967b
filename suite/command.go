package suite

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/field"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/reports"
)

// Command is what the suite command does with a suite file: run it into
// a directory (Options), or only check it, list its runs, print the
// default suite or the case types, or emit the sweep as a batch job.
type Command struct {
	// File is the suite file ("" for the default suite).
	File string
	Options
	Check, List, PrintDefault, Keys bool
	// Emit, when Emit.Emit is set, prints the sweep as a batch job
	// instead of running it (its Out, Quick, Seed and File are those of
	// the command).
	Emit EmitOptions
	// emitOnly and runOnly are the fields given that go only with an
	// emit, and only with a run.
	emitOnly, runOnly []string
}

// Fields are the settings of a Command but its file (the flags of
// `stratbench suite`).
func Fields() []field.Field[Command] {
	// only records that a field was given (its Default is "": Apply sets
	// it only then) in *list.
	only := func(list func(*Command) *[]string, f field.Field[Command]) field.Field[Command] {
		set := f.Set
		f.Set = func(c *Command, v string) error {
			*list(c) = append(*list(c), f.Name)
			return set(c, v)
		}
		return f
	}
	run := func(f field.Field[Command]) field.Field[Command] {
		return only(func(c *Command) *[]string { return &c.runOnly }, f)
	}
	emit := func(f field.Field[Command]) field.Field[Command] {
		return only(func(c *Command) *[]string { return &c.emitOnly }, f)
	}
	fs := []field.Field[Command]{
		{Name: "out", Aliases: []string{"o"}, Kind: field.String, Default: "report", Usage: "output directory",
			Set: func(c *Command, v string) error { c.Dir, c.Emit.Out = v, v; return nil }},
		field.Flag("quick", "apply each case's quick overrides (CI: under a minute)", func(c *Command) *bool { return &c.Quick }),
		{Name: "seed", Kind: field.Uint, DefaultText: "the suite's seed", Usage: "seed of every run",
			Set: func(c *Command, v string) error {
				seed := new(uint64)
				c.Seed, c.Emit.Seed = seed, seed
				return field.Big("seed", "", "", func(*Command) *uint64 { return seed }).Set(c, v)
			}},
		run(field.Field[Command]{Name: "shard", Kind: field.String, Usage: "run shard i of n (i/n, 0 <= i < n)",
			Set: func(c *Command, v string) (err error) { c.Shard, c.Shards, err = ParseShard(v); return err }}),
		run(field.Flag("resume", "skip the runs already in DIR/results.jsonl", func(c *Command) *bool { return &c.Resume })),
		run(field.Flag("check", "only validate the suite file", func(c *Command) *bool { return &c.Check })),
		run(field.Flag("list", "only list the runs the suite would do", func(c *Command) *bool { return &c.List })),
		field.Flag("print_default", "print the default suite's YAML", func(c *Command) *bool { return &c.PrintDefault }),
		field.Flag("keys", "print every case type with its parameters", func(c *Command) *bool { return &c.Keys }),
		emit(field.Text("emit", "print the sweep as a batch job instead of running it: "+strings.Join(Emitters, " (a submit script) | ")+" (manifests); with --shards", "",
			func(c *Command) *string { return &c.Emit.Emit })),
		emit(field.Count("shards", "with --emit: the number of shards (array tasks, pods)", "", field.NoMin, func(c *Command) *int { return &c.Emit.Shards })),
		emit(field.Text("partition", "with --emit slurm: the partition", "", func(c *Command) *string { return &c.Emit.Partition })),
		emit(field.Time("time", "with --emit: time limit of each task or pod (as 2h)", "", time.Duration(field.NoMin), func(c *Command) *time.Duration { return &c.Emit.Time })),
		emit(field.Count("cpus", "with --emit: CPUs of each task or pod", "", field.NoMin, func(c *Command) *int { return &c.Emit.CPUs })),
		emit(field.Text("bin", "with --emit: the stratbench binary the jobs run", "", func(c *Command) *string { return &c.Emit.Bin })),
		emit(field.Text("image", "with --emit k8s: a container image holding sh and the stratbench binary", "", func(c *Command) *string { return &c.Emit.Image })),
	}
	fs[11].DefaultText, fs[12].DefaultText, fs[13].DefaultText, fs[14].DefaultText = "the cluster's default", "the cluster's default", "1", `"stratbench"`
	return fs
}

// Run does what c says, writing to stdout; a run's failures and notes go
// to c.Stderr. A run is reported with reports.Run unless c.Report is set,
// also after an interruption.
func (c *Command) Run(ctx context.Context, stdout io.Writer) error {
	switch {
	case c.PrintDefault:
		_, err := stdout.Write(DefaultYAML())
		return err
	case c.Keys:
		_, err := fmt.Fprint(stdout, CaseTypes())
		return err
	}
	f := Default()
	if c.File != "" {
		var err error
		if f, err = ParseFile(c.File); err != nil {
			return err
		}
	}
	if len(c.emitOnly) > 0 && c.Emit.Emit == "" {
		return bad.Field(c.emitOnly[0], "goes with {emit} slurm|k8s, which prints the sweep as a batch job; without {emit} it would be ignored")
	}
	if c.Emit.Emit != "" {
		if len(c.runOnly) > 0 {
			return bad.Field("emit", "prints a job script and runs nothing: {"+c.runOnly[0]+"} does not go with it (each task gets its own {shard} and {resume})")
		}
		o := c.Emit
		o.File, o.Suite, o.Quick = c.File, f, c.Quick
		if !slices.Contains(c.emitOnly, "cpus") {
			o.CPUs = 1
		}
		if !slices.Contains(c.emitOnly, "bin") {
			o.Bin = "stratbench"
		}
		return Emit(stdout, o)
	}
	if c.Check || c.List {
		if err := Check(f, c.Quick); err != nil {
			return err
		}
	}
	if c.Check {
		_, err := fmt.Fprintf(stdout, "%s: %s, %s: ok\n", f.Path, plural(len(f.Cases), "case"), plural(len(Expand(f, c.Quick, nil)), "run"))
		return err
	}
	if c.List {
		runs := Expand(f, c.Quick, c.Seed)
		if c.Shards > 0 {
			runs = Shard(runs, c.Shard, c.Shards)
		}
		for _, r := range runs {
			if _, err := fmt.Fprintln(stdout, r.ID); err != nil {
				return err
			}
		}
		return nil
	}
	opt := c.Options
	if opt.Report == nil {
		stderr := opt.Stderr
		if stderr == nil {
			stderr = io.Discard
		}
		// The report reads back the suite's results file, so that it shows
		// every run in it (those of an earlier, resumed invocation too). It
		// is written after an interruption as well, so it ignores ctx.
		opt.Report = func(_ []metrics.Result, dir string) error {
			return reports.Run(context.WithoutCancel(ctx), reports.Config{Inputs: []string{filepath.Join(dir, ResultsFile)}, Out: dir}, io.Discard, stderr)
		}
	}
	start := time.Now()
	sum, err := Execute(ctx, f, opt)
	if sum != nil {
		fmt.Fprintf(stdout, "%s: %d runs done, %d skipped (already in %s), %d failed, in %s\n",
			f.Path, sum.Done, sum.Skipped, filepath.Join(opt.Dir, ResultsFile), len(sum.Failed), time.Since(start).Round(time.Millisecond))
		if _, statErr := os.Stat(filepath.Join(opt.Dir, "index.html")); statErr == nil {
			fmt.Fprintf(stdout, "report: %s (open it in a browser)\n", filepath.Join(opt.Dir, "index.html"))
		}
	}
	return err
}
