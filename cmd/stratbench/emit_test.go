package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateExamples = flag.Bool("update-examples", false, "rewrite the emitted examples in examples/slurm and examples/k8s")

// TestEmittedExamples regenerates every emitted example (examples/slurm,
// examples/k8s) with the command its header names and compares: the files
// the README points at are what the command prints today.
func TestEmittedExamples(t *testing.T) {
	t.Chdir("../..")
	files, _ := filepath.Glob("examples/slurm/*")
	k8s, _ := filepath.Glob("examples/k8s/*")
	files = append(files, k8s...)
	if len(files) < 2 {
		t.Fatalf("emitted examples: %v", files)
	}
	for _, path := range files {
		t.Run(path, func(t *testing.T) {
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, cmdline, ok := strings.Cut(string(want), "Emitted by:\n#   stratbench ")
			if !ok {
				t.Fatal("no 'Emitted by:' command line in the header")
			}
			cmdline, _, _ = strings.Cut(cmdline, "\n")
			code, out, errs := runCLI(t, strings.Fields(cmdline)...)
			if code != 0 {
				t.Fatalf("stratbench %s: exit %d: %s", cmdline, code, errs)
			}
			if *updateExamples {
				if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if out != string(want) {
				t.Errorf("%s is not what `stratbench %s` prints today (go test ./cmd/stratbench -run TestEmittedExamples -update-examples rewrites it):\n%s", path, cmdline, out)
			}
		})
	}
}

// TestEmitFlags: --emit refuses the flags of a run, and the report command
// refuses a partial sweep.
func TestEmitFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"suite", "--emit", "slurm", "--shards", "2", "--shard", "0/2"},
		{"suite", "--emit", "slurm", "--shards", "2", "--resume"},
	} {
		code, out, errs := runCLI(t, args...)
		if code != 2 || out != "" || !strings.Contains(errs, "does not go with it") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	code, _, errs := runCLI(t, "suite", "--quick", "--shards", "4", "--out", t.TempDir())
	if code != 2 || !strings.Contains(errs, "--shards goes with --emit") {
		t.Errorf("--shards without --emit: exit %d, stderr %q", code, errs)
	}
	dir := t.TempDir()
	code, _, errs = runCLI(t, "suite", "../../examples/policies.yaml", "--quick", "--quiet", "--shard", "0/2", "--out", filepath.Join(dir, "shard-0"))
	if code != 0 {
		t.Fatalf("shard: exit %d: %s", code, errs)
	}
	code, _, errs = runCLI(t, "report", filepath.Join(dir, "shard-0", "results.jsonl"), filepath.Join(dir, "shard-1", "results.jsonl"), "--out", filepath.Join(dir, "all"))
	if code != 2 || !strings.Contains(errs, "shard 1 of 2 of suite policies (seed 7) missing") {
		t.Errorf("report of half a sweep: exit %d, stderr %q", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "all")); err == nil {
		t.Error("the refused report wrote its directory")
	}
}
