package reports

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoadBadValues: a bad value in one record or benchmark line is named
// by line and left out; the good ones are still read (compare of a
// benchmark file with NaN ns/op climbed to 5.6 GB in benchmath).
func TestLoadBadValues(t *testing.T) {
	rec := func(run, engine string) string {
		return `{"engine":"` + engine + `","name":"n","params":{"suite_run":"` + run + `"},"metrics":{"x":1},"env":{"go_version":"","goos":"","goarch":"","num_cpu":0,"gomaxprocs":0,"seed":0}}` + "\n"
	}
	tests := []struct {
		name     string
		files    map[string]string
		results  int
		problems []string
	}{
		{"bench NaN", map[string]string{"b.txt": "BenchmarkA 1 NaN ns/op\nBenchmarkA 1 5 ns/op\nBenchmarkA 1 6 ns/op\n"}, 1, []string{"b.txt:1: NaN ns/op is not a measurement"}},
		{"bench Inf", map[string]string{"b.txt": "BenchmarkA 1 5 ns/op\nBenchmarkA 1 +Inf ns/op\n"}, 1, []string{"b.txt:2: +Inf ns/op"}},
		{"json NaN beside a good file", map[string]string{"a.jsonl": rec("r1", "sim"), "b.jsonl": rec("r2", "sim") + `{"engine":"sim","name":"m","params":{},"metrics":{"x":NaN}}` + "\n"}, 2, []string{"b.jsonl:2: invalid character 'N'"}},
		{"duplicate suite records", map[string]string{"a.jsonl": rec("r1", "sim") + rec("r1", "harness") + rec("r1", "sim") + rec("r2", "sim") + rec("r2", "sim")}, 3, []string{"2 duplicate records of 2 suite runs left out (the first of each is kept): r1, r2"}},
		{"same run, two engines: no duplicate", map[string]string{"a.jsonl": rec("r1", "sim") + rec("r1", "harness")}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var paths []string
			for name, body := range tt.files {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
				paths = append(paths, p)
			}
			s, err := Load(paths, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Results) != tt.results {
				t.Errorf("%d results, want %d", len(s.Results), tt.results)
			}
			var got []string
			for _, p := range s.Problems {
				got = append(got, p.Error())
			}
			all := strings.Join(got, "\n")
			if len(got) != len(tt.problems) {
				t.Errorf("problems %q, want %q", got, tt.problems)
			}
			for _, w := range tt.problems {
				if !strings.Contains(all, w) {
					t.Errorf("problems %q, want one with %q", got, w)
				}
			}
		})
	}
}

// endless is an input that never ends: a result line over and over.
type endless struct{ line []byte }

func (e endless) Read(p []byte) (int, error) {
	n := 0
	for n+len(e.line) <= len(p) {
		n += copy(p[n:], e.line)
	}
	return n, nil
}

// TestLoadCancels: reading stops within a second of Ctrl-C however large
// the input.
func TestLoadCancels(t *testing.T) {
	for _, tt := range []struct{ name, line string }{
		{"results", `{"engine":"sim","name":"n","params":{},"metrics":{"x":1},"env":{"go_version":"","goos":"","goarch":"","num_cpu":0,"gomaxprocs":0,"seed":0}}` + "\n"},
		{"bench", "BenchmarkA 1 5 ns/op\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := LoadContext(ctx, []string{"-"}, endless{[]byte(tt.line)})
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want the context's", err)
			}
			if d := time.Since(start); d > 1100*time.Millisecond {
				t.Errorf("stopped after %v", d)
			}
		})
	}
}
