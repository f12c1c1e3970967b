package pgo

import (
	"context"
	"errors"
	"github.com/stratbench/stratbench/internal/bad"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPGOEndToEnd profiles one small benchmark, rebuilds with the profile,
// measures both builds twice and compares them: every file is written and
// the comparison names the benchmark.
func TestPGOEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the benchmarks twice")
	}
	out := t.TempDir()
	var stdout, stderr strings.Builder
	err := Run(context.Background(), Config{
		Bench: "Step", Count: 2, Benchtime: "20000x", Pkg: "./sim",
		Out: out,
	}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	for _, f := range []string{ProfileFile, BaseFile, PGOFile, CompareFile, ResultsFile, "index.html"} {
		if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s not written", f)
		}
	}
	if !strings.Contains(stdout.String(), "Step") || !strings.Contains(stdout.String(), "old") {
		t.Errorf("comparison:\n%s", stdout.String())
	}
	for _, f := range []string{"base.test", "pgo.test"} {
		if _, err := os.Stat(filepath.Join(out, f)); err == nil {
			t.Errorf("test binary %s left behind", f)
		}
	}
}

// TestPGOBadInput checks the errors for bad settings.
func TestPGOBadInput(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Bench: "Sim", Count: 1, Out: t.TempDir()}, "count must be >= 2"},
		{Config{Count: 3, Out: t.TempDir()}, "bench: give a regular expression"},
	} {
		err := Run(context.Background(), tc.cfg, &strings.Builder{}, &strings.Builder{})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || !errors.Is(err, bad.ErrInput) {
			t.Errorf("%+v: err = %v, want bad input starting %q (the field, not a flag)", tc.cfg, err, tc.want)
		}
	}
}
