// Package pgo measures what profile-guided optimization does to
// stratbench's own benchmarks: it runs them with a CPU profile, rebuilds
// them with -pgo= that profile, runs both builds again in interleaved
// rounds (package interleave, alternating which build runs first), and
// compares them the way benchstat does.
//
// PGO is the Go counterpart of the JIT compilers that Python users reach
// for, with a narrower reach. From a representative profile the compiler
// inlines hot calls it would otherwise leave alone (up to larger budgets),
// and devirtualizes hot interface calls into a type check and a direct,
// inlinable call: in stratbench that is Policy.Pick and Sampler.Sample in
// the simulator's event loop, and the Batch.Run interface in the executors.
// It also lays out hot blocks better. It cannot change an algorithm (a
// quadratic kernel stays quadratic), vectorize a loop, remove allocations
// the escape analysis does not already remove, or speed up code that is
// not in the profile; gains of 2 to 14% are typical and a benchmark whose
// hot path is already direct calls may not move at all. The profile must
// come from the workload that matters: a profile of the wrong benchmark
// optimizes the wrong calls.
package pgo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/stratbench/stratbench/interleave"
	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/field"
	"github.com/stratbench/stratbench/internal/fsutil"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/reports"
)

// Module is the module whose benchmarks pgo rebuilds.
const Module = "github.com/stratbench/stratbench"

// Config configures Run.
type Config struct {
	// Bench selects the benchmarks (a -bench regular expression).
	Bench string
	// Count is the number of measured runs of each build (>= 2).
	Count int
	// Benchtime is each benchmark's -benchtime ("" for go test's 1s).
	Benchtime string
	// Pkg is the package holding the benchmarks, relative to the module
	// root ("." for bench_test.go at the root).
	Pkg string
	// Out is the output directory.
	Out string
	// Alpha is the significance level of the comparison (0: 0.05).
	Alpha float64
	// NoReport skips the HTML report (and the other formats).
	NoReport bool
}

// Fields are the settings of a Config (the flags of `stratbench pgo`).
func Fields() []field.Field[Config] {
	return []field.Field[Config]{
		field.Text("bench", "benchmarks to optimize and measure (a go test -bench regular expression)", "Sim/.*/servers=100$", func(c *Config) *string { return &c.Bench }),
		field.Count("count", "measured runs of each build", "6", field.NoMin, func(c *Config) *int { return &c.Count }),
		field.Text("benchtime", "go test -benchtime of each run (default 1s)", "", func(c *Config) *string { return &c.Benchtime }),
		field.Text("pkg", "package holding the benchmarks, relative to the module root", ".", func(c *Config) *string { return &c.Pkg }),
		{Name: "out", Aliases: []string{"o"}, Kind: field.String, Default: "out/pgo", Usage: "output directory", Set: func(c *Config, v string) error { c.Out = v; return nil }},
		{Name: "alpha", Kind: field.Float, Default: "0.05", Usage: "significance level",
			Set: func(c *Config, v string) (err error) {
				if c.Alpha, err = strconv.ParseFloat(v, 64); err == nil && !(c.Alpha > 0 && c.Alpha < 1) {
					err = bad.Field("alpha", "must be in (0, 1), got %g", c.Alpha)
				}
				return err
			}},
		field.Flag("no_report", "skip the HTML report", func(c *Config) *bool { return &c.NoReport }),
	}
}

// Files written in Out.
const (
	ProfileFile = "default.pgo" // the CPU profile the pgo build uses
	BaseFile    = "base.txt"    // benchmark output of the normal build
	PGOFile     = "pgo.txt"     // benchmark output of the -pgo build
	CompareFile = "compare.txt" // the comparison, as printed
	ResultsFile = "results.jsonl"
)

// Run profiles, rebuilds, measures and compares, writing its files into
// cfg.Out and the comparison to stdout. Build and test output goes to
// stderr. It must run inside a clone of the stratbench repository, with
// the go command available.
func Run(ctx context.Context, cfg Config, stdout, stderr io.Writer) error {
	if cfg.Count < 2 {
		return bad.Field("count", "must be >= 2 to compare, got %d", cfg.Count)
	}
	if cfg.Bench == "" {
		return bad.Field("bench", ": give a regular expression of benchmarks")
	}
	if cfg.Pkg == "" {
		cfg.Pkg = "."
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, statErr := os.Stat(goTool); statErr != nil {
			return errors.New("stratbench pgo needs the go command on PATH to rebuild the benchmarks")
		}
	}
	root, err := moduleRoot(ctx, goTool)
	if err != nil {
		return err
	}
	out, err := filepath.Abs(cfg.Out)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	pkgDir := filepath.Join(root, cfg.Pkg)
	base, opt := filepath.Join(out, "base.test"), filepath.Join(out, "pgo.test")
	profile := filepath.Join(out, ProfileFile)
	defer os.Remove(base)
	defer os.Remove(opt)

	step := func(format string, args ...any) { fmt.Fprintf(stderr, "pgo: "+format+"\n", args...) }
	step("building %s", cfg.Pkg)
	if err := command(ctx, root, stderr, goTool, "test", "-c", "-o", base, cfg.Pkg); err != nil {
		return fmt.Errorf("building the benchmarks: %w", err)
	}
	benchArgs := []string{"-test.run", "^$", "-test.bench", cfg.Bench, "-test.benchmem", "-test.count", "1"}
	if cfg.Benchtime != "" {
		benchArgs = append(benchArgs, "-test.benchtime", cfg.Benchtime)
	}
	step("profiling %s", cfg.Bench)
	var profRun strings.Builder
	if err := command(ctx, pkgDir, &profRun, base, append(benchArgs, "-test.cpuprofile", profile)...); err != nil {
		return fmt.Errorf("profiling: %w\n%s", err, profRun.String())
	}
	if !strings.Contains("\n"+profRun.String(), "\nBenchmark") {
		return bad.Field("bench", ": no benchmark matches %q (go test -list . -bench lists them)", cfg.Bench)
	}
	step("rebuilding with -pgo=%s", profile)
	if err := command(ctx, root, stderr, goTool, "test", "-c", "-pgo="+profile, "-o", opt, cfg.Pkg); err != nil {
		return fmt.Errorf("building with the profile: %w", err)
	}
	// Both builds in interleaved rounds, alternating which runs first, so
	// that drift of the machine hits both.
	var baseOut, pgoOut strings.Builder
	if _, err := interleave.Run(ctx, interleave.Config{
		Old:    interleave.Command{Path: base, Args: benchArgs, Dir: pkgDir},
		New:    interleave.Command{Path: opt, Args: benchArgs, Dir: pkgDir},
		Rounds: cfg.Count,
		Output: func(round int, b interleave.Build) (io.Writer, error) {
			if b == interleave.First(round) {
				step("measuring, round %d of %d", round+1, cfg.Count)
			}
			if b == interleave.Old {
				return &baseOut, nil
			}
			return &pgoOut, nil
		},
	}); err != nil {
		return fmt.Errorf("measuring: %w", err)
	}
	for _, f := range []struct{ name, text string }{{BaseFile, baseOut.String()}, {PGOFile, pgoOut.String()}} {
		if err := fsutil.WriteFile(filepath.Join(out, f.name), func(w io.Writer) error {
			_, err := io.WriteString(w, f.text)
			return err
		}); err != nil {
			return err
		}
	}
	var cmp strings.Builder
	err = reports.RunCompare(ctx, reports.CompareConfig{
		Old: filepath.Join(out, BaseFile), New: filepath.Join(out, PGOFile),
		Alpha: cfg.Alpha, FailOnRegression: -1,
	}, &cmp, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "PGO: %s, %d runs of each build (old = normal build, new = -pgo build)\n\n%s", cfg.Bench, cfg.Count, cmp.String())
	if err := fsutil.WriteFile(filepath.Join(out, CompareFile), func(w io.Writer) error {
		_, err := io.WriteString(w, cmp.String())
		return err
	}); err != nil {
		return err
	}
	if cfg.NoReport {
		return nil
	}
	results, err := buildResults(out)
	if err != nil {
		return err
	}
	if err := fsutil.WriteFile(filepath.Join(out, ResultsFile), func(w io.Writer) error {
		for i := range results {
			if err := metrics.WriteJSON(w, &results[i]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	return reports.Run(ctx, reports.Config{Inputs: []string{filepath.Join(out, ResultsFile)}, Out: out}, io.Discard, stderr)
}

// buildResults turns both builds' benchmark output into result records in
// which the build is the strategy: PGO/bench=Sim:policy=p2c:.../strategy=pgo,
// so that the report ranks the two builds of each benchmark.
func buildResults(out string) ([]metrics.Result, error) {
	var all []metrics.Result
	for _, b := range []struct{ file, build string }{{BaseFile, "base"}, {PGOFile, "pgo"}} {
		s, err := reports.Load([]string{filepath.Join(out, b.file)}, nil)
		if err != nil {
			return nil, err
		}
		for _, r := range s.Results {
			bench := strings.ReplaceAll(r.BenchName(), "/", ":")
			r.Family = "PGO"
			r.Name = metrics.Name("bench", bench, "strategy", b.build)
			r.Engine = metrics.EngineHarness
			r.Params["bench"] = bench
			r.Params["strategy"] = b.build
			all = append(all, r)
		}
	}
	return all, nil
}

// moduleRoot returns the root of the stratbench module around the current
// directory, or an error saying that pgo needs the source tree.
func moduleRoot(ctx context.Context, goTool string) (string, error) {
	b, err := exec.CommandContext(ctx, goTool, "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(b))
	if gomod == "" || gomod == os.DevNull {
		return "", bad.Inputf("stratbench pgo rebuilds the benchmarks, so it must run inside a clone of %s (no go.mod here)", Module)
	}
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	first, _, _ := strings.Cut(string(data), "\n")
	if strings.TrimSpace(strings.TrimPrefix(first, "module")) != Module {
		return "", bad.Inputf("stratbench pgo must run inside a clone of %s, not in %s", Module, filepath.Dir(gomod))
	}
	return filepath.Dir(gomod), nil
}

// command runs name with args in dir, its output to w, and turns a
// failure into an error quoting the command.
func command(ctx context.Context, dir string, w io.Writer, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Stdout = w
	cmd.Stderr = w
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%s %s: %w", filepath.Base(name), strings.Join(quote(args), " "), err)
	}
	return nil
}

func quote(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " ^$|*") {
			a = strconv.Quote(a)
		}
		out[i] = a
	}
	return out
}
