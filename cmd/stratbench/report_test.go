package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportCommand runs `stratbench report` and `stratbench compare` in
// process, with flags after the files as the docs show them.
func TestReportCommand(t *testing.T) {
	t.Parallel()
	td := filepath.Join("..", "..", "reports", "testdata")
	out := t.TempDir()
	cases := []struct {
		name      string
		args      []string
		code      int
		wantOut   string // substring of stdout
		wantErr   string // substring of stderr
		wantFiles []string
	}{
		{
			name:      "flags after the files",
			args:      []string{"report", filepath.Join(td, "sim.jsonl"), filepath.Join(td, "gobench.txt"), "--out", filepath.Join(out, "a"), "--format", "md,csv,bench,json"},
			wantOut:   "central had",
			wantFiles: []string{"report.md", "results.csv", "results.txt", "results.jsonl", "summary.json"},
		},
		{
			name:    "malformed lines are reported and the rest used",
			args:    []string{"report", "-o", filepath.Join(out, "b"), "--format=md", filepath.Join(td, "malformed.jsonl")},
			wantOut: "pool ran", wantErr: "malformed.jsonl:2: unexpected EOF",
			wantFiles: []string{"report.md"},
		},
		{name: "missing file", args: []string{"report", "nothing.jsonl", "--out", filepath.Join(out, "c")}, code: 2, wantErr: "nothing.jsonl"},
		{name: "unknown format", args: []string{"report", filepath.Join(td, "sim.jsonl"), "--out", filepath.Join(out, "d"), "--format", "pdf"}, code: 2, wantErr: `unknown format "pdf"`},
		{name: "unknown flag", args: []string{"report", filepath.Join(td, "sim.jsonl"), "--colour"}, code: 2, wantErr: "flag provided but not defined"},
		{name: "help", args: []string{"report", "--help"}, wantOut: "--format"},
		{
			name: "regression fails CI",
			args: []string{"compare", filepath.Join(td, "batch.jsonl"), filepath.Join(td, "batch-new.jsonl"), "--fail-on-regression", "5%"},
			code: 1, wantOut: "throughput_per_sec", wantErr: "executor=goroutine/workers=2 throughput_per_sec -",
		},
		{name: "no regression", args: []string{"compare", "--fail-on-regression=5", filepath.Join(td, "gobench.txt"), filepath.Join(td, "gobench.txt")}, wantOut: "0 worse"},
		{name: "compare needs two files", args: []string{"compare", filepath.Join(td, "gobench.txt")}, code: 2, wantErr: "two result files"},
		{name: "bad threshold", args: []string{"compare", "a", "b", "--fail-on-regression", "lots"}, code: 2, wantErr: "percentage"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			if !strings.Contains(stdout, tc.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tc.wantOut, stdout)
			}
			if !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantErr, stderr)
			}
			for _, f := range tc.wantFiles {
				dir := tc.args[slicesIndexAfter(tc.args, "--out", "-o")]
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("%s was not written: %v", f, err)
				}
			}
		})
	}
}

// slicesIndexAfter returns the index of the value after the first of the
// given flags.
func slicesIndexAfter(args []string, flags ...string) int {
	for i, a := range args {
		for _, f := range flags {
			if a == f {
				return i + 1
			}
		}
	}
	return -1
}
