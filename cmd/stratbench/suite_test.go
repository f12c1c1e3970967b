package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stratbench/stratbench/metrics"
)

var (
	binOnce sync.Once
	binPath string
	binDir  string
)

// sharedBinary builds the command once for the tests that need a real
// process.
func sharedBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		var err error
		binDir, err = os.MkdirTemp("", "stratbench-test-bin-")
		if err != nil {
			t.Fatal(err)
		}
		binPath = buildStratbench(t, binDir)
	})
	if binPath == "" {
		t.Fatal("building the command failed earlier")
	}
	return binPath
}

func readResults(t *testing.T, path string) []metrics.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rs, errs := metrics.ReadJSONL(path, f)
	if len(errs) > 0 {
		t.Fatalf("%s: %v", path, errs)
	}
	return rs
}

func runIDs(rs []metrics.Result) []string {
	var ids []string
	for _, r := range rs {
		id, _ := r.Params["suite_run"].(string)
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

var linkRE = regexp.MustCompile(`(?:href|src)="([^"#][^"]*)"`)

// checkReportFiles checks that index.html exists and every local file it
// links to was written.
func checkReportFiles(t *testing.T, dir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range linkRE.FindAllStringSubmatch(string(b), -1) {
		link := m[1]
		if strings.HasPrefix(link, "data:") {
			continue
		}
		if strings.Contains(link, "://") {
			t.Errorf("index.html links outside the folder: %s", link)
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, link)); err != nil {
			t.Errorf("index.html names %s, which was not written", link)
		}
	}
	for _, f := range []string{"results.jsonl", "results.txt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s missing", f)
		}
	}
}

// TestExampleSuites runs every suite in examples/ under --quick and checks
// the files it writes.
func TestExampleSuites(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs every example suite")
	}
	files, _ := filepath.Glob("../../examples/*.yaml")
	if len(files) < 3 {
		t.Fatalf("only %d example suites", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			out := t.TempDir()
			code, stdout, stderr := runCLI(t, "suite", f, "--quick", "--quiet", "--out", out)
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			if len(readResults(t, filepath.Join(out, "results.jsonl"))) == 0 {
				t.Fatal("no results")
			}
			checkReportFiles(t, out)
		})
	}
}

const shardSuite = `
name: shards
cases:
  - name: grid
    type: queueing
    policy: [random, p2c, jsq]
    servers: 10
    load: [0.5, 0.8]
    jobs: 5000
  - name: one
    type: queueing
    policy: central
    servers: 4
    jobs: 5000
`

// TestShardsMakeTheWhole runs a suite whole and in three shards: the shards
// together hold every run exactly once, and stratbench report merges them.
func TestShardsMakeTheWhole(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "s.yaml")
	os.WriteFile(file, []byte(shardSuite), 0o644)
	whole := filepath.Join(dir, "whole")
	if code, _, errs := runCLI(t, "suite", file, "--quiet", "--out", whole); code != 0 {
		t.Fatal(errs)
	}
	want := runIDs(readResults(t, filepath.Join(whole, "results.jsonl")))
	if len(want) != 7 {
		t.Fatalf("%d runs, want 7", len(want))
	}
	var got []string
	var inputs []string
	for _, s := range []string{"0/3", "1/3", "2/3"} {
		out := filepath.Join(dir, "shard"+s[:1])
		if code, _, errs := runCLI(t, "suite", file, "--quiet", "--shard", s, "--out", out); code != 0 {
			t.Fatal(errs)
		}
		inputs = append(inputs, filepath.Join(out, "results.jsonl"))
		got = append(got, runIDs(readResults(t, inputs[len(inputs)-1]))...)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("shards hold\n%v\nwant\n%v", got, want)
	}
	merged := filepath.Join(dir, "merged")
	args := append([]string{"report"}, inputs...)
	if code, _, errs := runCLI(t, append(args, "--out", merged, "--format", "json,bench")...); code != 0 {
		t.Fatal(errs)
	}
	if n := len(readResults(t, filepath.Join(merged, "results.jsonl"))); n != 7 {
		t.Errorf("merged report has %d results, want 7", n)
	}
}

const slowSuite = `
name: slow
cases:
  - name: slow
    type: queueing
    policy: [random, rr, jsq, p2c, central, lwl, sed, jiq]
    servers: 50
    load: 0.9
    jobs: 1500000
`

// TestSuiteInterruptResume sends SIGINT to a real suite process after its
// first run is in results.jsonl: the process exits 130 soon, the file is
// valid, the report is written, and --resume finishes the suite without
// running any run twice.
func TestSuiteInterruptResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and runs it")
	}
	bin := sharedBinary(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "slow.yaml")
	os.WriteFile(file, []byte(slowSuite), 0o644)
	out := filepath.Join(dir, "out")
	cmd := exec.Command(bin, "suite", file, "--out", out, "--quiet")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(out, "results.jsonl")
	deadline := time.Now().Add(60 * time.Second)
	for {
		if b, _ := os.ReadFile(results); len(b) > 0 && b[len(b)-1] == '\n' {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no result after 60s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if took := time.Since(sent); took > 5*time.Second {
		t.Errorf("stopped %v after SIGINT", took)
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit: %v (stderr %s), want status 130", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "--resume") {
		t.Errorf("the interrupt message does not say how to continue: %s", stderr.String())
	}
	first := runIDs(readResults(t, results))
	if len(first) == 0 || len(first) == 8 {
		t.Fatalf("%d runs kept after the interrupt, want some but not all", len(first))
	}
	if _, err := os.Stat(filepath.Join(out, "index.html")); err != nil {
		t.Errorf("no report after the interrupt: %v", err)
	}
	res := exec.Command(bin, "suite", file, "--out", out, "--quiet", "--resume")
	b, err := res.CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, b)
	}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		t.Log(sc.Text())
	}
	all := readResults(t, results)
	if ids := runIDs(all); len(ids) != 8 || len(all) != 8 {
		t.Errorf("after resume: %d results, %d distinct runs, want 8 and 8", len(all), len(ids))
	}
	if !strings.Contains(string(b), "skipped") {
		t.Errorf("resume did not report skipped runs: %s", b)
	}
	checkReportFiles(t, out)

	// Starting over (no --resume) keeps the earlier results aside, and says so.
	again := exec.Command(bin, "suite", file, "--out", out, "--quiet")
	b, err = again.CombinedOutput()
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, b)
	}
	if prev := readResults(t, results+".prev"); len(prev) != 8 || !strings.Contains(string(b), "results.jsonl.prev") {
		t.Errorf("earlier results: %d in results.jsonl.prev, want 8; output: %s", len(prev), b)
	}
}

// TestSuiteBadInput checks suite's bad input: exit 2 with one line.
func TestSuiteBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("cases:\n  - type: queueing\n    polcy: p2c\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{bad}, `bad.yaml:3: case queueing-1: unknown key "polcy"`},
		{[]string{"--check", bad}, `unknown key "polcy"`},
		{[]string{"/no/such.yaml"}, "no such file"},
		{[]string{"--shard", "3/2"}, "--shard: want i/n"},
		{[]string{"a.yaml", "b.yaml"}, "at most one suite FILE"},
	} {
		code, _, stderr := runCLI(t, append([]string{"suite", "--out", filepath.Join(dir, "o")}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q, want 2 and one line with %q", tc.args, code, stderr, tc.want)
		}
	}
}
