package suite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stratbench/stratbench/metrics"
)

// useLogtest registers the fake case type of these tests for the test's
// duration: every run writes two records (like an engine "both" run), or
// fails when x is 99.
func useLogtest(t *testing.T) {
	t.Cleanup(func() {
		types = slices.DeleteFunc(types, func(ty Type) bool { return ty.Name == "logtest" })
		delete(runners, "logtest/both")
	})
	registerType(Type{Name: "logtest", Engines: []string{"both"}, Params: []Param{{"x", Int, "", 0, false}}})
	registerRunner("logtest", "both", Runner{Run: func(ctx context.Context, r *Run, env *Env) ([]metrics.Result, error) {
		logtestMu.Lock()
		logtestRuns = append(logtestRuns, r.ID)
		logtestMu.Unlock()
		if r.Int("x", 0) == 99 {
			return nil, errors.New("fails on purpose")
		}
		mk := func(engine string) metrics.Result {
			return metrics.Result{Engine: engine, Name: fmt.Sprintf("x=%d", r.Int("x", 0)), Metrics: map[string]float64{"m": float64(r.Int("x", 0))}}
		}
		return []metrics.Result{mk("sim"), mk("harness")}, nil
	}})
}

var (
	logtestMu   sync.Mutex
	logtestRuns []string
)

func logtestSuite(name string, xs ...int64) *File {
	vals := make([]any, len(xs))
	for i, x := range xs {
		vals[i] = x
	}
	return &File{Path: name + ".yaml", Name: name, Seed: 1, Cases: []Case{{Name: "c", Type: "logtest", Engine: "both", Params: map[string][]any{"x": vals}}}}
}

func ranRuns() []string {
	logtestMu.Lock()
	defer logtestMu.Unlock()
	out := logtestRuns
	logtestRuns = nil
	return out
}

// TestResume: what a crash, a full disk or a user can leave in a suite's
// directory, and what --resume does with it: repair and go on, re-run
// what is incomplete, or refuse without deleting anything.
func TestResume(t *testing.T) {
	useLogtest(t)
	full := logtestSuite("s", 1, 2, 3)
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string) // after a full run of `full`
		suite   *File
		quick   bool
		rerun   []string // runs that must run again
		refuse  string   // error wanted (the file must stay as it was)
		stderr  string
		records int // records in results.jsonl afterwards
	}{
		{name: "complete: nothing runs", records: 6},
		{
			name: "missing final newline is repaired",
			prepare: func(t *testing.T, dir string) {
				cutTail(t, dir, 1) // the newline
				dropProgress(t, dir, 1)
			},
			rerun: []string{"c/both/x=3"}, records: 6,
		},
		{
			name:    "missing final newline: the next record starts on a line of its own",
			prepare: func(t *testing.T, dir string) { cutTail(t, dir, 1) },
			suite:   logtestSuite("s", 1, 2, 3, 4),
			rerun:   []string{"c/both/x=4"}, records: 8,
		},
		{
			name: "torn last line is removed and its run re-run",
			prepare: func(t *testing.T, dir string) {
				cutTail(t, dir, 20)
				dropProgress(t, dir, 1)
			},
			rerun: []string{"c/both/x=3"}, stderr: "torn line", records: 6,
		},
		{
			name: "second record of an engine both run torn: the run is incomplete",
			prepare: func(t *testing.T, dir string) {
				// The last run's second record is lost whole (a full disk
				// after the first record's newline).
				cutLines(t, dir, 1)
				dropProgress(t, dir, 1)
			},
			rerun: []string{"c/both/x=3"}, stderr: "run c/both/x=3 is incomplete", records: 6,
		},
		{
			name: "records written but the run's end not recorded",
			prepare: func(t *testing.T, dir string) {
				dropProgress(t, dir, 1)
			},
			rerun: []string{"c/both/x=3"}, stderr: "incomplete", records: 6,
		},
		{
			name: "a one-line non-JSON file is refused, not deleted",
			prepare: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, ResultsFile), "hello")
			},
			refuse: "is not a suite's results file",
		},
		{
			name: "a garbled line in the middle is refused",
			prepare: func(t *testing.T, dir string) {
				b := read(t, filepath.Join(dir, ResultsFile))
				i := bytes.IndexByte(b, '\n')
				write(t, filepath.Join(dir, ResultsFile), string(b[:i+1])+"garbage\n"+string(b[i+1:]))
			},
			refuse: ":2: ",
		},
		{
			name:   "a different suite is refused",
			suite:  logtestSuite("other", 1, 2, 3),
			refuse: `made by suite "s", seed 1, not suite "other"`,
		},
		{
			name:   "a different quick is refused",
			quick:  true,
			refuse: `made by suite "s", seed 1, not suite "s" (quick)`,
		},
		{
			name:   "runs this suite does not have are refused",
			suite:  logtestSuite("s", 1, 2),
			refuse: "holds run c/both/x=3, which suite",
		},
		{
			name:    "an older directory without progress.jsonl resumes",
			prepare: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, ProgressFile)) },
			stderr:  "no progress.jsonl", records: 6,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := Execute(context.Background(), full, Options{Dir: dir}); err != nil {
				t.Fatal(err)
			}
			ranRuns()
			if tt.prepare != nil {
				tt.prepare(t, dir)
			}
			before := read(t, filepath.Join(dir, ResultsFile))
			s := tt.suite
			if s == nil {
				s = full
			}
			var stderr bytes.Buffer
			_, err := Execute(context.Background(), s, Options{Dir: dir, Resume: true, Quick: tt.quick, Stderr: &stderr})
			if tt.refuse != "" {
				if err == nil || !strings.Contains(err.Error(), tt.refuse) {
					t.Fatalf("err = %v, want %q", err, tt.refuse)
				}
				if after := read(t, filepath.Join(dir, ResultsFile)); !bytes.Equal(before, after) {
					t.Errorf("results.jsonl changed on a refusal")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ranRuns(); strings.Join(got, " ") != strings.Join(tt.rerun, " ") {
				t.Errorf("ran %q, want %q", got, tt.rerun)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q, want %q", stderr.String(), tt.stderr)
			}
			b := read(t, filepath.Join(dir, ResultsFile))
			rs, errs := metrics.ReadJSONL("r", bytes.NewReader(b))
			if len(errs) > 0 || len(rs) != tt.records || b[len(b)-1] != '\n' {
				t.Errorf("results.jsonl: %d records (want %d), errors %v", len(rs), tt.records, errs)
			}
			seen := map[string]bool{}
			for _, r := range rs {
				k := r.Params["suite_run"].(string) + r.Engine
				if seen[k] {
					t.Errorf("duplicate record %s", k)
				}
				seen[k] = true
			}
		})
	}
}

// TestFailedRunKeepsOthers: a run that fails does not stop the others and
// runs again on --resume.
func TestFailedRunKeepsOthers(t *testing.T) {
	useLogtest(t)
	dir := t.TempDir()
	s := logtestSuite("s", 1, 99, 3)
	sum, err := Execute(context.Background(), s, Options{Dir: dir})
	if err == nil || sum.Done != 2 || len(sum.Results) != 4 {
		t.Fatalf("err %v, done %d, results %d", err, sum.Done, len(sum.Results))
	}
	ranRuns()
	Execute(context.Background(), s, Options{Dir: dir, Resume: true})
	if got := ranRuns(); len(got) != 1 || got[0] != "c/both/x=99" {
		t.Errorf("resume ran %q, want only the failed run", got)
	}
}

// TestLock: a second suite on the same directory is refused with the
// first one's pid, and nothing of the first one's is touched.
func TestLock(t *testing.T) {
	useLogtest(t)
	dir := t.TempDir()
	release, err := lockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Execute(context.Background(), logtestSuite("s", 1), Options{Dir: dir})
	want := fmt.Sprintf("being written by another stratbench suite (pid %d)", os.Getpid())
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if _, err := os.Stat(filepath.Join(dir, ResultsFile)); err == nil {
		t.Errorf("the refused suite wrote results.jsonl")
	}
	release()
	if _, err := Execute(context.Background(), logtestSuite("s", 1), Options{Dir: dir}); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

func read(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// cutTail removes the last n bytes of results.jsonl.
func cutTail(t *testing.T, dir string, n int) {
	p := filepath.Join(dir, ResultsFile)
	b := read(t, p)
	write(t, p, string(b[:len(b)-n]))
}

// cutLines removes the last n lines of results.jsonl.
func cutLines(t *testing.T, dir string, n int) {
	p := filepath.Join(dir, ResultsFile)
	ls := strings.SplitAfter(string(read(t, p)), "\n")
	ls = ls[:len(ls)-1] // after the final newline
	write(t, p, strings.Join(ls[:len(ls)-n], ""))
}

// dropProgress removes the last n runs from progress.jsonl.
func dropProgress(t *testing.T, dir string, n int) {
	p := filepath.Join(dir, ProgressFile)
	ls := strings.SplitAfter(string(read(t, p)), "\n")
	ls = ls[:len(ls)-1]
	write(t, p, strings.Join(ls[:len(ls)-n], ""))
}

// TestParseFileTooLarge: a suite file is not read past its limit.
func TestParseFileTooLarge(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.yaml")
	write(t, p, "#"+strings.Repeat("x", maxFileBytes)+"\n")
	_, err := ParseFile(p)
	if err == nil || !strings.Contains(err.Error(), "larger than 16 MB, the limit of a suite file") {
		t.Fatalf("err = %v", err)
	}
}
