package suite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/stratbench/stratbench/cluster/procs"
	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/fsutil"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/reports"
)

// Files a suite writes in its output directory.
const (
	ResultsFile = "results.jsonl" // one result record a line, appended as runs finish
	BenchFile   = "results.txt"   // the same results in Go benchmark format
	ProfileDir  = "profiles"      // CPU profiles of harness runs
)

// Env is what a run may use besides its parameters.
type Env struct {
	// Dir is the suite's output directory.
	Dir string
	// ProfileDir is where runs write profiles (Dir/profiles).
	ProfileDir string
	// Quick is set under --quick.
	Quick bool
	// Stderr receives warnings that are not part of results.
	Stderr io.Writer
	// Launcher starts stratbench's own child processes for cluster runs
	// (workers, our balancer, the guard of nginx and HAProxy).
	Launcher procs.Launcher
}

// Runner runs one type of case.
type Runner struct {
	// Check validates a run's parameters without running it.
	Check func(r *Run) error
	// Run runs it and returns its result records.
	Run func(ctx context.Context, r *Run, env *Env) ([]metrics.Result, error)
}

var runners = map[string]Runner{}

// registerRunner sets the runner of case type name for engine ("sim",
// "harness" or "both").
func registerRunner(typeName, engine string, r Runner) { runners[typeName+"/"+engine] = r }

func runnerOf(r *Run) (Runner, error) {
	rn, ok := runners[r.Case.Type+"/"+r.Case.Engine]
	if !ok {
		return Runner{}, fmt.Errorf("case %s: no runner for type %s on engine %s", r.Case.Name, r.Case.Type, r.Case.Engine)
	}
	return rn, nil
}

// Check validates every run of the suite (under quick or not) without
// running any: names of strategies, distributions, ranges. Errors name the
// file, the case's line and the run.
func Check(f *File, quick bool) error {
	var errs []error
	for _, r := range Expand(f, quick, nil) {
		rn, err := runnerOf(&r)
		if err == nil && rn.Check != nil {
			err = rn.Check(&r)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: case %s: %v", f.Path, errorLine(&r, err), r.Case.Name, err))
		}
	}
	if len(errs) > 0 {
		return bad.Input(errors.Join(errs...))
	}
	return nil
}

// errorLine is the line of the parameter whose value a run's error quotes
// (an unknown policy "least-conn" points at the policy: line), else the
// case's line.
func errorLine(r *Run, err error) int {
	msg := err.Error()
	for k, v := range r.Params {
		vals, ok := v.([]any)
		if !ok {
			vals = []any{v}
		}
		for _, x := range vals {
			if s, ok := x.(string); ok && strings.Contains(msg, strconv.Quote(s)) {
				if line, ok := r.Case.Lines[k]; ok {
					return line
				}
			}
		}
	}
	return r.Case.Line
}

// Options control Execute.
type Options struct {
	// Dir is the output directory (created if needed).
	Dir string
	// Quick applies the cases' quick overrides.
	Quick bool
	// Seed, when set, replaces the suite's seed.
	Seed *uint64
	// Shard and Shards select shard Shard of Shards (Shards 0: all runs).
	Shard, Shards int
	// Resume skips the runs already in Dir/results.jsonl instead of
	// starting the file afresh.
	Resume bool
	// Progress, when set, is called before each run and after the last.
	Progress func(done, total int, current string)
	// Stderr receives run failures as they happen (nil: discarded).
	Stderr io.Writer
	// Report, when set, writes the report from every result in Dir; it is
	// called at the end, also after an interruption.
	Report func(results []metrics.Result, dir string) error
	// Launcher starts stratbench's own child processes for cluster runs
	// (the zero value runs this executable).
	Launcher procs.Launcher
}

// Summary says what Execute did.
type Summary struct {
	// Total is the number of runs in this shard.
	Total int
	// Skipped were already in results.jsonl (--resume).
	Skipped int
	// Done finished in this invocation.
	Done int
	// Failed lists the runs that failed, with their errors.
	Failed []error
	// Results is every result now in results.jsonl.
	Results []metrics.Result
}

// setAside moves the results of an earlier run at path to path+".prev"
// (replacing an older one), saying so, so that starting a suite over never
// destroys results silently.
func setAside(path string, stderr io.Writer) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case st.Size() == 0:
		return os.Remove(path)
	}
	if err := os.Rename(path, path+".prev"); err != nil {
		return err
	}
	if stderr != nil {
		fmt.Fprintf(stderr, "stratbench: %s held results of an earlier run: moved to %s (resuming continues a run instead of starting over)\n", path, filepath.Base(path)+".prev")
	}
	return nil
}

// Execute runs a suite into opt.Dir: each finished run's results are
// appended to results.jsonl and synced at once. When ctx is cancelled
// (SIGINT) it stops after the current run, still writes results.txt and
// the report from what finished, and returns ctx's error.
func Execute(ctx context.Context, f *File, opt Options) (*Summary, error) {
	if err := Check(f, opt.Quick); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(opt.Dir, ProfileDir), 0o755); err != nil {
		return nil, err
	}
	runs := Expand(f, opt.Quick, opt.Seed)
	if opt.Shards > 0 {
		runs = Shard(runs, opt.Shard, opt.Shards)
	}
	sum := &Summary{Total: len(runs)}
	release, err := lockDir(opt.Dir)
	if err != nil {
		return nil, err
	}
	defer release()
	path := filepath.Join(opt.Dir, ResultsFile)
	h := header{Suite: f.Name, Quick: opt.Quick, Seed: f.Seed}
	if opt.Seed != nil {
		h.Seed = *opt.Seed
	}
	if opt.Shards > 0 {
		h.Shard = fmt.Sprintf("%d/%d", opt.Shard, opt.Shards)
	}
	stderr := opt.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	done := map[string]bool{}
	if opt.Resume {
		if done, err = resumeLog(opt.Dir, h, runs, stderr); err != nil {
			return nil, err
		}
	} else {
		if err := setAside(path, opt.Stderr); err != nil {
			return nil, err
		}
		if err := writeProgress(filepath.Join(opt.Dir, ProgressFile), h, runs, nil, nil); err != nil {
			return nil, err
		}
	}
	if err := writeManifest(f, opt); err != nil { // suite/shards.go
		return nil, err
	}
	out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	progress, err := os.OpenFile(filepath.Join(opt.Dir, ProgressFile), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, err
	}
	defer progress.Close()
	env := &Env{Dir: opt.Dir, ProfileDir: filepath.Join(opt.Dir, ProfileDir), Quick: opt.Quick, Stderr: stderr, Launcher: opt.Launcher}
	var runErr error
	for i := range runs {
		r := &runs[i]
		if done[r.ID] {
			sum.Skipped++
			continue
		}
		if err := ctx.Err(); err != nil {
			runErr = err
			break
		}
		if opt.Progress != nil {
			opt.Progress(sum.Skipped+sum.Done+len(sum.Failed), len(runs), r.ID)
		}
		rn, _ := runnerOf(r)
		results, err := rn.Run(ctx, r, env)
		if err != nil && ctx.Err() != nil {
			runErr = ctx.Err() // interrupted mid-run: keep nothing of it
			break
		}
		if err != nil {
			e := fmt.Errorf("run %s: %w", r.ID, err)
			sum.Failed = append(sum.Failed, e)
			fmt.Fprintf(env.Stderr, "stratbench suite: %v\n", e)
			continue
		}
		if err := appendResults(out, r, results); err != nil {
			if errors.Is(err, errEncode) {
				// This run's numbers cannot be written: it fails alone.
				e := fmt.Errorf("run %s: %w", r.ID, err)
				sum.Failed = append(sum.Failed, e)
				fmt.Fprintf(env.Stderr, "stratbench suite: %v\n", e)
				continue
			}
			return sum, err
		}
		if err := markDone(progress, r.ID, len(results)); err != nil {
			return sum, err
		}
		sum.Done++
	}
	if opt.Progress != nil {
		opt.Progress(sum.Skipped+sum.Done+len(sum.Failed), len(runs), "")
	}
	all, err := readKept(path)
	if err != nil {
		return sum, err
	}
	sum.Results = all
	if err := fsutil.WriteFile(filepath.Join(opt.Dir, BenchFile), func(w io.Writer) error {
		return reports.WriteBench(w, all)
	}); err != nil {
		return sum, err
	}
	if opt.Report != nil && len(all) > 0 {
		if err := opt.Report(all, opt.Dir); err != nil {
			return sum, fmt.Errorf("writing the report: %w", err)
		}
	}
	if runErr != nil {
		return sum, runErr
	}
	if len(sum.Failed) > 0 {
		return sum, fmt.Errorf("%d of %d runs failed (first: %v)", len(sum.Failed), len(runs), sum.Failed[0])
	}
	return sum, nil
}

// errEncode marks a run whose records could not be encoded.
var errEncode = errors.New("encoding its results")

// appendResults writes a run's results as JSON lines in one write, tagged
// with the run, and syncs the file so that a crash keeps them. The file
// always ends with a newline before (resumeLog repairs it), so the first
// record starts on a line of its own.
func appendResults(f *os.File, r *Run, results []metrics.Result) error {
	var buf bytes.Buffer
	for i := range results {
		res := &results[i]
		if res.Params == nil {
			res.Params = map[string]any{}
		}
		res.Params["suite_run"] = r.ID
		res.Params["suite_case"] = r.Case.Name
		if err := metrics.WriteJSON(&buf, res); err != nil {
			return fmt.Errorf("%w: %v", errEncode, err)
		}
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("appending to %s: %w", f.Name(), err)
	}
	return f.Sync()
}

// readKept reads the results in path (none if it does not exist),
// streaming; after resumeLog every line is a record.
func readKept(path string) ([]metrics.Result, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	results, errs := metrics.ReadJSONL(path, f)
	if len(errs) > 0 {
		return results, bad.Input(fmt.Errorf("%s: %w", path, errors.Join(errs...)))
	}
	return results, nil
}

// CaseTypes describes the case types for help texts: name, engines and
// parameters.
func CaseTypes() string {
	var b strings.Builder
	for _, t := range Types() {
		fmt.Fprintf(&b, "type %s (engine: %s): %s\n", t.Name, strings.Join(t.Engines, " | "), t.Help)
		for _, p := range t.Params {
			fmt.Fprintf(&b, "  %-13s %-8s %s\n", p.Name, p.Kind, p.Help)
		}
	}
	return b.String()
}
