package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/stratbench/stratbench/cluster/procs"
	"github.com/stratbench/stratbench/metrics"
)

// runCLI runs the command line in-process and returns its exit status and
// outputs.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runWith(t, procs.Launcher{}, args...)
}

// runCluster is runCLI with the test binary as the processes that run
// cluster starts (cmdTestLauncher).
func runCluster(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runWith(t, cmdTestLauncher(), args...)
}

func runWith(t *testing.T, l procs.Launcher, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runEnv(context.Background(), &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, launcher: l}, append([]string{"stratbench"}, args...))
	return code, out.String(), errb.String()
}

// TestSimJSON checks the JSON record: the metrics, interval and per-server
// arrays that the issue promises.
func TestSimJSON(t *testing.T) {
	t.Parallel()
	code, out, errs := runCLI(t, "sim", "--policy", "p2c,jsq", "--servers", "20", "--load", "0.8", "--jobs", "20000", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	results, bad := metrics.ReadJSONL("stdout", strings.NewReader(out))
	if len(bad) > 0 || len(results) != 2 {
		t.Fatalf("%d results, errors %v", len(results), bad)
	}
	for _, r := range results {
		for _, m := range []string{"response_mean", "response_p50", "response_p95", "response_p99", "wait_mean", "queue_mean", "utilization", "jobs", "events", "events_per_sec", "wall_sec"} {
			if _, ok := r.Metrics[m]; !ok {
				t.Errorf("%s: metric %s missing", r.Name, m)
			}
		}
		if _, ok := r.CI95["response_mean"]; !ok {
			t.Errorf("%s: no ci95.response_mean", r.Name)
		}
		if got := len(r.PerServer["dispatched"]); got != 20 {
			t.Errorf("%s: %d per-server dispatch counts, want 20", r.Name, got)
		}
		if r.Engine != "sim" || r.Env.GoVersion == "" || r.Env.Seed != 1 {
			t.Errorf("%s: engine %q env %+v", r.Name, r.Engine, r.Env)
		}
	}
	var raw map[string]any
	json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &raw)
	for _, k := range []string{"engine", "name", "params", "metrics", "ci95", "per_server", "env"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON object lacks %q", k)
		}
	}
}

// TestSimBench checks that the benchmark format parses with benchfmt, with
// Unit lines and key=value names.
func TestSimBench(t *testing.T) {
	t.Parallel()
	code, out, errs := runCLI(t, "sim", "--policy", "p2c", "--servers", "100", "--load", "0.9", "--jobs", "20000", "--format", "bench")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	r := benchfmt.NewReader(strings.NewReader(out), "out.txt")
	n := 0
	for r.Scan() {
		switch rec := r.Result(); rec := rec.(type) {
		case *benchfmt.Result:
			n++
			if got := rec.Name.String(); got != "Sim/policy=p2c/servers=100/load=0.9" {
				t.Errorf("name %q", got)
			}
			if _, ok := rec.Value("response_mean"); !ok {
				t.Error("no response_mean value")
			}
		case *benchfmt.SyntaxError:
			t.Errorf("syntax error: %v", rec)
		}
	}
	// One line of metrics, then a line a sample: benchstat needs >= 6.
	if n < 6 || !strings.Contains(out, "Unit response_mean better=lower") {
		t.Errorf("%d results; output:\n%s", n, out)
	}
}

// TestSimText checks the readable summary and the comparison line.
func TestSimText(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, "sim", "--policy", "random,central", "--servers", "4", "--load", "0.8", "--jobs", "50000")
	if code != 0 {
		t.Fatal(out)
	}
	for _, want := range []string{"response_mean", "95% CI", "Erlang C (M/M/c) (exact)", "M/M/1 (exact)", "central had", "times lower", "than random"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
}

// TestSimTraceAndOut checks that --trace and --out write complete files.
func TestSimTraceAndOut(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	trace, out := filepath.Join(dir, "trace.csv"), filepath.Join(dir, "res.jsonl")
	code, _, errs := runCLI(t, "sim", "--policy", "rr", "--servers", "2", "--jobs", "1000", "--warmup", "1", "--trace", trace, "--out", out, "--format", "json")
	if code != 0 {
		t.Fatal(errs)
	}
	b, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(b), "\n"); lines != 1002 {
		t.Errorf("trace has %d lines, want a header and 1001 jobs (warm-up and measured)", lines)
	}
	if b, _ := os.ReadFile(out); !bytes.HasPrefix(b, []byte(`{"engine":"sim"`)) {
		t.Errorf("--out file: %.80s", b)
	}
}

// TestSimBadInput checks one-line errors and exit status 2, with no output
// written.
func TestSimBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	badTrace := filepath.Join(dir, "bad.csv")
	os.WriteFile(badTrace, []byte("0,1\n1,1\n0.5,1\n"), 0o644)
	out := filepath.Join(dir, "out.json")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--policy", "nope"}, `unknown policy "nope" (known: random, rr, wrr`},
		{[]string{"--servers", "0"}, "servers must be > 0"},
		{[]string{"--load", "0"}, "load must be a number > 0"},
		{[]string{"--load", "-0.5"}, "load must be a number > 0"},
		{[]string{"--load", "x"}, "--load: want comma-separated numbers"},
		{[]string{"--service", "pareto:alpha=1"}, "alpha must be > 1"},
		{[]string{"--service", "lognormal:sigma"}, "is not key=value"},
		{[]string{"--arrival", "trace:" + badTrace}, "bad.csv:3: arrival times must not decrease"},
		{[]string{"--arrival", "trace:/nonexistent.csv"}, "no such file"},
		{[]string{"--format", "xml"}, "--format: want text, json or bench"},
		{[]string{"--discipline", "lifo"}, "unknown discipline"},
		{[]string{"--speeds", "1,2"}, "2 speeds given for 100 servers"},
		{[]string{"--d", "0"}, "-d must be >= 1"},
		{[]string{"--nope"}, "flag provided but not defined"},
		{[]string{"extra"}, "sim takes no arguments"},
	} {
		args := append([]string{"sim", "--jobs", "100", "--out", out}, tc.args...)
		code, stdout, stderr := runCLI(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", tc.args, code, stderr)
		}
		if !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: stderr %q, want one line containing %q", tc.args, stderr, tc.want)
		}
		if stdout != "" {
			t.Errorf("%v: wrote %q to stdout", tc.args, stdout)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: output file written despite the error", tc.args)
		}
	}
}

// TestOverloadWarning checks that ρ >= 1 runs and warns.
func TestOverloadWarning(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, "sim", "--policy", "random", "--servers", "2", "--load", "1.1", "--jobs", "5000")
	if code != 0 || !strings.Contains(out, "warning: offered load 1.1 >= 1: the system is unstable") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}

// TestList checks that every catalog lists its rows.
func TestList(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, "list", "policies")
	if code != 0 || !strings.Contains(out, "p2c") || !strings.Contains(out, "central") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if code, _, errs := runCLI(t, "list", "nope"); code != 2 || !strings.Contains(errs, "unknown catalog") {
		t.Errorf("list nope: exit %d %s", code, errs)
	}
}
