package reports

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/metrics"
)

// TestMalformedInputs checks that a bad line becomes a file:line: message
// problem and that the rest of the file is still read, as benchstat does.
func TestMalformedInputs(t *testing.T) {
	cases := []struct {
		name         string
		file         string
		wantProblems []string // substrings, in order
		wantResults  int
	}{
		{
			// Lines 1 and 6 are good; 2 is cut short, 3 has a field the
			// record does not know, 4 has no engine; 5 is blank.
			name: "jsonl", file: "testdata/malformed.jsonl",
			wantProblems: []string{
				"testdata/malformed.jsonl:2: unexpected EOF",
				`testdata/malformed.jsonl:3: json: unknown field "colour"`,
				`testdata/malformed.jsonl:4: missing "engine"`,
			},
			wantResults: 2,
		},
		{
			// Line 3 has a value without a unit (an odd field count), line 4
			// a bad iteration count, line 6 a unit direction that does not
			// exist; x and y are still read (y from line 5 only).
			name: "bench", file: "testdata/malformed.txt",
			wantProblems: []string{
				"testdata/malformed.txt:3: missing units",
				"testdata/malformed.txt:4: parsing iteration count",
				`testdata/malformed.txt:6: better must be higher or lower, got "sideways"`,
			},
			wantResults: 2,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Load([]string{tc.file}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Problems) != len(tc.wantProblems) {
				t.Fatalf("problems = %q, want %d", s.Problems, len(tc.wantProblems))
			}
			for i, want := range tc.wantProblems {
				if got := s.Problems[i].Error(); !strings.Contains(got, want) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got, want)
				}
			}
			if len(s.Results) != tc.wantResults {
				t.Errorf("%d results, want %d", len(s.Results), tc.wantResults)
			}
		})
	}
}

// TestLoadKinds checks that inputs are told apart by content, whatever
// their names, and that standard input is read for "-".
func TestLoadKinds(t *testing.T) {
	s, err := Load([]string{"testdata/sim.jsonl", "testdata/gobench.txt", "testdata/cpu.pprof", "-"},
		strings.NewReader("BenchmarkX/policy=a 1 10 ns/op\nBenchmarkX/policy=b 1 20 ns/op\n"))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, in := range s.Inputs {
		kinds = append(kinds, in.Kind)
	}
	if got, want := strings.Join(kinds, ","), "results,bench,profile,bench"; got != want {
		t.Errorf("kinds = %s, want %s", got, want)
	}
	if len(s.Profiles) != 1 || s.Profiles[0] != "testdata/cpu.pprof" {
		t.Errorf("profiles = %q", s.Profiles)
	}
	if n := len(s.Results); n != 15+5+2 {
		t.Errorf("%d results, want 22", n)
	}
	if _, err := Load([]string{"testdata/no-such-file"}, nil); err == nil {
		t.Error("a missing file must be an error")
	}
}

// TestBenchResults checks how benchmark lines become results: samples,
// the median as the metric, parameters from the name, GOMAXPROCS kept
// apart.
func TestBenchResults(t *testing.T) {
	in := "pkg: example.com/p\n" +
		"BenchmarkK/kernel=a/n=8-2 10 100 ns/op 5 B/op\n" +
		"BenchmarkK/kernel=a/n=8-2 10 120 ns/op 5 B/op\n" +
		"BenchmarkK/kernel=a/n=8-2 10 110 ns/op 5 B/op\n" +
		"BenchmarkK/kernel=a/n=8-4 10 60 ns/op 5 B/op\n" +
		"BenchmarkTop 10 7 ns/op\n" +
		"Unit ns/op better=lower\n"
	rs, errs := readBench("in.txt", strings.NewReader(in), Units{Better: map[string]metrics.Better{}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(rs) != 3 {
		t.Fatalf("%d results, want 3 (two GOMAXPROCS and one top-level)", len(rs))
	}
	a := rs[0]
	if a.Family != "K" || a.Name != "kernel=a/n=8/gomaxprocs=2" {
		t.Errorf("family %q name %q", a.Family, a.Name)
	}
	if got := a.Metrics["ns/op"]; got != 110 {
		t.Errorf("ns/op = %v, want the median 110", got)
	}
	if len(a.Samples["ns/op"]) != 3 || a.Params["kernel"] != "a" || a.Params["n"] != 8.0 || a.Params["pkg"] != "example.com/p" {
		t.Errorf("samples %v params %v", a.Samples, a.Params)
	}
	if got := FullName(&rs[2]); got != "Top" {
		t.Errorf("top-level benchmark named %q, want Top", got)
	}
}

// TestInputsAreNotOverwritten pins the fix for a report written into the
// folder of its own input (suite: DIR/results.jsonl read, report into
// DIR): the input, with its unreadable lines, is left as it was.
func TestInputsAreNotOverwritten(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "results.jsonl")
	data, err := os.ReadFile("testdata/malformed.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if err := Run(context.Background(), Config{Inputs: []string{in}, Out: dir, Formats: []string{"json", "md"}}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(in)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("the input was rewritten (err %v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "report.md")); err != nil {
		t.Error(err)
	}
}
