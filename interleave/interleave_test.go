package interleave

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/reports"
)

// update rewrites the golden files: go test ./interleave -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fakeEnv makes the test binary a fake benchmark (see fakeBench) instead
// of running the tests; its value is the new build's slowdown of
// BenchmarkSieve.
const fakeEnv = "INTERLEAVE_FAKE_BENCH"

func TestMain(m *testing.M) {
	if v, ok := os.LookupEnv(fakeEnv); ok {
		os.Exit(fakeBench(v))
	}
	os.Exit(m.Run())
}

// drift is what the machine does to every run of a round: far more than
// the slowdown the gate must find.
var drift = []float64{1.00, 1.31, 0.87, 1.12, 0.95, 1.40, 1.05, 0.92, 1.22, 0.99, 1.15, 0.90}

// fakeBench prints Go benchmark text of three benchmarks, five samples
// each, for the round and build of STRATBENCH_ROUND and STRATBENCH_BUILD:
// base times the round's drift, with a fixed wobble per sample; the new
// build's BenchmarkSieve is slower by the factor spec ("1.10"), and
// "empty" prints nothing, "fail" fails.
func fakeBench(spec string) int {
	round, _ := strconv.Atoi(os.Getenv(EnvRound))
	build := os.Getenv(EnvBuild)
	switch spec {
	case "empty":
		return 0
	case "fail":
		fmt.Fprintln(os.Stderr, "panic: the fake benchmark failed")
		return 3
	}
	slow, err := strconv.ParseFloat(spec, 64)
	if err != nil || round < 1 || round > len(drift) {
		fmt.Fprintf(os.Stderr, "fake bench: bad spec %q or round %d\n", spec, round)
		return 2
	}
	fmt.Println("goos: linux\ngoarch: amd64\npkg: example.com/fake")
	for i, b := range []struct {
		name string
		ns   float64
	}{{"Sieve", 200e3}, {"Substr", 50e3}, {"Apply", 140e3}} {
		f := 1.0
		if build == "new" && b.name == "Sieve" {
			f = slow
		}
		b2 := 0
		if build == "new" {
			b2 = 2
		}
		for k := range 5 {
			// A fixed wobble of up to ±1.6% that differs by sample, benchmark,
			// round and build.
			wobble := 1 + 0.004*float64((k*7+i*3+round*round+b2)%9-4)
			fmt.Printf("Benchmark%s-2\t1000\t%.0f ns/op\t%d B/op\n", b.name, b.ns*f*drift[round-1]*wobble, 64*(i+1))
		}
	}
	fmt.Println("PASS")
	return 0
}

// fake is a shell command line that runs the test binary as a fake
// benchmark with the new build's slowdown spec.
func fake(t *testing.T, spec string) Command {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Shell(fakeEnv + "=" + spec + " " + strconv.Quote(exe))
}

// TestRunOrder checks that rounds alternate which build runs first, that
// each run sees its round and build, and that outputs go where asked.
func TestRunOrder(t *testing.T) {
	var order []string
	var out [2]bytes.Buffer
	ts, err := Run(context.Background(), Config{
		Old: Shell(`echo "old $STRATBENCH_ROUND $STRATBENCH_BUILD"`), New: Shell(`echo "new $STRATBENCH_ROUND $STRATBENCH_BUILD"`),
		Rounds: 4,
		Output: func(round int, b Build) (io.Writer, error) {
			order = append(order, fmt.Sprint(round+1, b))
			return &out[b], nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, ","); got != "1 old,1 new,2 new,2 old,3 old,3 new,4 new,4 old" {
		t.Errorf("order %s", got)
	}
	if got := out[Old].String(); got != "old 1 old\nold 2 old\nold 3 old\nold 4 old\n" {
		t.Errorf("old output %q", got)
	}
	if got := out[New].String(); got != "new 1 new\nnew 2 new\nnew 3 new\nnew 4 new\n" {
		t.Errorf("new output %q", got)
	}
	if len(ts) != 4 || ts[0].NewFirst || !ts[1].NewFirst || ts[2].Old <= 0 {
		t.Errorf("timings %+v", ts)
	}
}

// TestGoldenCompare pins the output of compare in interleaved mode: eight
// rounds of a fake benchmark whose rounds drift by up to 40%, the new
// build's Sieve 10% slower: the gate at 5% fails Sieve alone; at 15% it
// passes.
func TestGoldenCompare(t *testing.T) {
	for _, tc := range []struct {
		name string
		pct  float64
		stat reports.RoundStat
		fail bool
	}{
		{"sieve10-gate5", 5, reports.RoundMedian, true},
		{"sieve10-gate15-best", 15, reports.RoundBest, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			dir := t.TempDir()
			err := Compare(context.Background(), CompareConfig{
				Old: fake(t, "1"), New: fake(t, "1.10"), Rounds: 8, FailOnRegression: tc.pct, RoundStat: tc.stat, Out: dir,
			}, &stdout, &stderr)
			if tc.fail != errors.Is(err, reports.ErrRegression) || (err != nil && !tc.fail) {
				t.Fatalf("err = %v\n%s", err, stderr.String())
			}
			if err != nil {
				stdout.WriteString("error: " + err.Error() + "\n")
			}
			exe, _ := os.Executable()
			got := strings.ReplaceAll(stdout.String(), strconv.Quote(exe), "FAKE")
			golden(t, "compare."+tc.name+".txt", []byte(got))
			if !strings.Contains(stderr.String(), "compare: round 8 of 8 (new first)") || !strings.Contains(stderr.String(), "compare: 8 rounds took") {
				t.Errorf("progress:\n%s", stderr.String())
			}
			for _, f := range []string{"old-01.txt", "new-08.txt"} {
				if b, err := os.ReadFile(filepath.Join(dir, f)); err != nil || !bytes.Contains(b, []byte("BenchmarkSieve")) {
					t.Errorf("%s: %v", f, err)
				}
			}
		})
	}
}

// TestCompareBadInput checks the one-line errors of bad settings and of
// builds that cannot be compared.
func TestCompareBadInput(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg      CompareConfig
		want     string
		badInput bool
	}{
		{"rounds < 2", CompareConfig{Old: fake(t, "1"), New: fake(t, "1"), Rounds: 1}, "rounds must be >= 2 to pair the builds, got 1", true},
		{"old build missing", CompareConfig{Old: Shell(" "), New: fake(t, "1"), Rounds: 4}, "old_cmd: the old build's command is empty; both builds need one", true},
		{"new build missing", CompareConfig{Old: fake(t, "1"), Rounds: 4}, "new_cmd: the new build's command is empty; both builds need one", true},
		{"not found", CompareConfig{Old: fake(t, "1"), New: Shell("./no-such-build.test -test.bench ."), Rounds: 4},
			"new build, round 1: ./no-such-build.test -test.bench .: exit status 127: ", true},
		{"fails", CompareConfig{Old: fake(t, "fail"), New: fake(t, "1"), Rounds: 4}, "old build, round 1: ", false},
		{"no results", CompareConfig{Old: fake(t, "1"), New: fake(t, "empty"), Rounds: 4}, "new build, round 1: ", true},
		{"nothing in common", CompareConfig{Old: fake(t, "1"), New: Shell("echo BenchmarkOther 1 5 ns/op"), Rounds: 4}, "the old and new builds share no benchmark and metric (round 1)", true},
		{"too few rounds", CompareConfig{Old: fake(t, "1"), New: fake(t, "1"), Rounds: 4, FailOnRegression: 5},
			"4 rounds cannot fail the gate over 3 benchmarks: their smallest p-value is 1/16, and Holm at alpha 0.05 needs less than 0.017; give 6 rounds or more (found after round 1)", true},
		{"unknown metric", CompareConfig{Old: fake(t, "1"), New: fake(t, "1"), Rounds: 6, FailOnRegression: 5, Metric: "cpu_sec"},
			"metric cpu_sec: no benchmark of both builds has it with a better direction (round 1); their metrics: B/op, ns/op", true},
		{"unknown statistic", CompareConfig{Old: fake(t, "1"), New: fake(t, "1"), Rounds: 4, RoundStat: "mean"}, `round_stat: unknown statistic "mean" (allowed: [median best])`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.cfg.Out = dir
			var stdout, stderr bytes.Buffer
			err := Compare(context.Background(), tc.cfg, &stdout, &stderr)
			if err == nil {
				t.Fatalf("no error\n%s", stdout.String())
			}
			msg := strings.ReplaceAll(err.Error(), t.Name(), "")
			if exe, _ := os.Executable(); true {
				msg = strings.ReplaceAll(msg, strconv.Quote(exe), "FAKE")
			}
			if !strings.HasPrefix(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q\nwant one line starting %q", msg, tc.want)
			}
			if errors.Is(err, bad.ErrInput) != tc.badInput {
				t.Errorf("bad input %v, want %v: %v", errors.Is(err, bad.ErrInput), tc.badInput, err)
			}
			// Errors known after round 1 stop there.
			if files, _ := os.ReadDir(dir); len(files) > 2 {
				t.Errorf("%d output files: the rounds went on after the error", len(files))
			}
		})
	}
}

// TestCompareCancel: a cancelled context stops the rounds with its error.
func TestCompareCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Compare(ctx, CompareConfig{Old: Shell("sleep 5"), New: Shell("sleep 5"), Rounds: 2}, io.Discard, io.Discard)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// golden compares got with testdata/golden/name, or writes it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./interleave -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update if the change is intended):\n%s", path, got)
	}
}
