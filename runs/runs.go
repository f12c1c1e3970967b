// Package runs is what stratbench's run commands do, as a library: sim,
// run service, run cluster, run batch and xml run. Each command is a
// configuration type (Sim, Service, Cluster, Batch, XML) with a field
// table of its settings (the command's flags) and a Run method that
// expands it into cases, runs them one after the other (each beside the
// simulator's twin when asked: ServiceTwin, ModelCluster), and writes the
// records that finished in an output format of reports, also after an
// interruption. XMLGen writes xml gen's documents.
package runs

import (
	"context"
	"errors"
	"io"

	"github.com/stratbench/stratbench/cluster/procs"
	"github.com/stratbench/stratbench/harness"
	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/field"
	"github.com/stratbench/stratbench/internal/fsutil"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/reports"
)

// Env is what a run takes from its command besides its configuration.
type Env struct {
	// Stdin is read for the input "-".
	Stdin io.Reader
	// Stdout receives the output when Output.Path is "" or "-".
	Stdout io.Writer
	// Progress, when set, starts showing the progress of one case: update
	// is called now and then with what is done of the total, clear when
	// the case ends.
	Progress func(what string) (update func(done, total uint64), clear func())
	// Launcher starts stratbench's own child processes (cluster runs).
	Launcher procs.Launcher
}

// Output is where and how a run writes its records.
type Output struct {
	// Format is an output format of reports (reports.OutputFormats).
	Format string
	// Path is the file written (atomically; "" or "-": Env.Stdout).
	Path string
	// CPUProfile and MemProfile, when set, are profiles of the whole run
	// (harness.StartProfiles), named in its records.
	CPUProfile, MemProfile string
}

// outputFields are the settings of the Output of a configuration C.
func outputFields[C any](o func(*C) *Output) []field.Field[C] {
	return []field.Field[C]{
		{Name: "format", Kind: field.String, Default: "text", Usage: "output format: text, json (JSON Lines of result records) or bench (Go benchmark format)",
			Set: func(c *C, v string) error {
				if _, err := reports.LookupOutput(v); err != nil {
					return bad.Field("format", ": %v", err)
				}
				o(c).Format = v
				return nil
			}},
		{Name: "out", Aliases: []string{"o"}, Kind: field.String, Usage: "write the output to this file instead of stdout",
			Set: func(c *C, v string) error { o(c).Path = v; return nil }},
	}
}

// profileFields are the profiles of a configuration C's Output.
func profileFields[C any](o func(*C) *Output) []field.Field[C] {
	return []field.Field[C]{
		field.Text("cpuprofile", "write a CPU profile to this file; samples carry the pprof labels strategy and workload", "", func(c *C) *string { return &o(c).CPUProfile }),
		field.Text("memprofile", "write an allocation profile to this file at the end", "", func(c *C) *string { return &o(c).MemProfile }),
	}
}

// policiesField is the field policy of a sweep: one or more policies,
// comma-separated.
func policiesField[C any](def, usage string, p func(*C) *[]string) field.Field[C] {
	return field.Field[C]{Name: "policy", Kind: field.String, Default: def, Usage: usage,
		Set: func(c *C, v string) error {
			if *p(c) = field.Split(v); len(*p(c)) == 0 {
				return bad.Field("policy", ": give at least one policy")
			}
			return nil
		}}
}

// loadsField is the field load of a sweep: one or more loads,
// comma-separated (nil when not given).
func loadsField[C any](usage string, p func(*C) *[]float64) field.Field[C] {
	return field.Field[C]{Name: "load", Kind: field.String, DefaultText: `"0.7"`, Usage: usage,
		Set: func(c *C, v string) (err error) {
			if *p(c), err = field.Floats("load", v); err == nil && len(*p(c)) == 0 {
				err = bad.Field("load", ": give at least one load")
			}
			return err
		}}
}

// kase is one run of an engine: run returns its records in the order they
// were made, those of what finished also with an error.
type kase struct {
	label string
	run   func(ctx context.Context, progress func(done, total uint64)) ([]metrics.Result, error)
}

// execute runs the cases one after the other, stopping at the first
// error, and writes the records made so far (also after an interruption)
// as out says, then commits the run's other files (also); it returns the
// first error of the output, else of the runs, else of the profiles.
func execute(ctx context.Context, cases []kase, out Output, env Env, also ...func() error) error {
	format, err := reports.LookupOutput(out.Format)
	if err != nil {
		return bad.Field("format", ": %v", err)
	}
	w, commit, abort := env.Stdout, func() error { return nil }, func() {}
	if out.Path != "" && out.Path != "-" {
		f, err := fsutil.Create(out.Path)
		if err != nil {
			return err
		}
		w, commit, abort = f, f.Commit, f.Abort
	}
	defer abort()
	stop, err := harness.StartProfiles(out.CPUProfile, out.MemProfile)
	if err != nil {
		return err
	}
	var results []metrics.Result
	var runErr error
	for _, c := range cases {
		var update func(done, total uint64)
		clear := func() {}
		if env.Progress != nil {
			update, clear = env.Progress(c.label)
		}
		rs, err := c.run(ctx, update)
		clear()
		results = append(results, rs...)
		if runErr = err; err != nil {
			break
		}
	}
	profErr := stop()
	for i := range results {
		if out.CPUProfile != "" {
			results[i].Profile = out.CPUProfile
		}
		if out.MemProfile != "" {
			results[i].Params["memprofile"] = out.MemProfile
		}
	}
	if len(results) > 0 {
		if err := format.Write(w, results); err != nil {
			return errors.Join(runErr, err)
		}
		if err := commit(); err != nil {
			return errors.Join(runErr, err)
		}
		for _, commit := range also {
			if err := commit(); err != nil {
				return errors.Join(runErr, err)
			}
		}
	}
	if runErr != nil {
		return runErr
	}
	return profErr
}

// one is the records of a run that returns one record or none.
func one(res *metrics.Result) []metrics.Result {
	if res == nil {
		return nil
	}
	return []metrics.Result{*res}
}
