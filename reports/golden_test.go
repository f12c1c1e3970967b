package reports

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// update rewrites the golden files: go test ./reports -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

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
		t.Fatalf("%v (run go test ./reports -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update if the change is intended)\n%s", path, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first line that differs.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g
		}
	}
	return ""
}

// fixtures are the inputs of the golden report: every kind of record, Go
// benchmark text, a profile named by the batch records, and simulator
// runs of the service cases (sim8) for the model check.
var fixtures = []string{
	"testdata/sim.jsonl", "testdata/batch.jsonl", "testdata/service.jsonl",
	"testdata/sim8.jsonl", "testdata/xml.jsonl", "testdata/gobench.txt",
}

// TestGoldenReport pins every text format of a report built from the
// fixtures: Markdown, CSV, benchmark format and summary JSON.
func TestGoldenReport(t *testing.T) {
	s, err := Load(fixtures, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Problems) > 0 {
		t.Fatalf("fixtures have problems: %v", s.Problems)
	}
	// Charts laid out but not drawn: summary.json lists them.
	r, err := build(context.Background(), s, true, false)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		file  string
		write func(*bytes.Buffer) error
	}{
		{"report.md", func(b *bytes.Buffer) error { return r.WriteMarkdown(b) }},
		{"results.csv", func(b *bytes.Buffer) error { return WriteCSV(b, s.Results, s.Units) }},
		{"results.txt", func(b *bytes.Buffer) error { return WriteBenchUnits(b, s.Results, s.Units) }},
		{"summary.json", func(b *bytes.Buffer) error { return r.WriteSummaryJSON(b) }},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, "fixtures."+tc.file, b.Bytes())
		})
	}
}

// TestGoldenCompare pins the output of compare: a batch run against the
// same run with the goroutine executor 10% slower, and Go benchmark text
// against itself.
func TestGoldenCompare(t *testing.T) {
	cases := []struct {
		name     string
		old, new string
		fail     float64
		wantErr  bool
	}{
		// goroutine lost 10% throughput in batch-new: two regressions over 5%.
		{"batch", "testdata/batch.jsonl", "testdata/batch-new.jsonl", 5, true},
		// The same file on both sides: nothing changed, nothing fails.
		{"gobench-same", "testdata/gobench.txt", "testdata/gobench.txt", 0, false},
		// Single-valued sim results: every row gets the too-few-samples footnote.
		{"sim-same", "testdata/sim.jsonl", "testdata/sim.jsonl", -1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := RunCompare(context.Background(), CompareConfig{Old: tc.old, New: tc.new, Alpha: 0.05, FailOnRegression: tc.fail}, &out, &errb)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				out.WriteString("error: " + err.Error() + "\n")
			}
			golden(t, "compare."+tc.name+".txt", out.Bytes())
		})
	}
}
