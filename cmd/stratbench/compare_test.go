package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCompareInterleaved runs `stratbench compare --old-cmd --new-cmd`:
// two builds printing fixed benchmark text (the new one 20% slower), and
// the one-line errors of bad settings, each naming the flag.
func TestCompareInterleaved(t *testing.T) {
	t.Parallel()
	td := filepath.Join("..", "..", "reports", "testdata")
	gobench := filepath.Join(td, "gobench.txt")
	// The new build: every ns/op of gobench.txt 20% higher.
	slower := `awk '{ for (i = 2; i < NF; i++) if ($(i+1) == "ns/op") $i = $i * 1.2; print }' ` + gobench
	cases := []struct {
		name    string
		args    []string
		code    int
		wantOut string // substring of stdout
		wantErr string // the first line of stderr starts with it (code 2), or stderr contains it
	}{
		{name: "identical builds pass", args: []string{"compare", "--old-cmd", "cat " + gobench, "--new-cmd", "cat " + gobench, "--rounds", "8", "--fail-on-regression", "5%"},
			wantOut: "gate (paired, 8 interleaved rounds)", wantErr: "compare: 8 rounds took"},
		{name: "20% slower fails", args: []string{"compare", "--old-cmd", "cat " + gobench, "--new-cmd", slower, "--rounds", "8", "--fail-on-regression", "5%", "--round-stat", "best"},
			code: 1, wantOut: "the best of its samples", wantErr: "regression: 5 benchmarks got worse by more than 5%"},
		{name: "old build missing", args: []string{"compare", "--new-cmd", "cat " + gobench}, code: 2, wantErr: "stratbench: --new-cmd needs --old-cmd: interleaved rounds measure both builds"},
		{name: "new build missing", args: []string{"compare", "--old-cmd", "cat " + gobench}, code: 2, wantErr: "stratbench: --old-cmd needs --new-cmd"},
		{name: "empty command", args: []string{"compare", "--old-cmd", "", "--new-cmd", "cat " + gobench}, code: 2, wantErr: "stratbench: --old-cmd: the old build's command is empty; both builds need one"},
		{name: "one round", args: []string{"compare", "--old-cmd", "cat " + gobench, "--new-cmd", "cat " + gobench, "--rounds", "1"}, code: 2, wantErr: "stratbench: --rounds must be >= 2 to pair the builds, got 1"},
		{name: "too few rounds for the gate", args: []string{"compare", "--old-cmd", "cat " + gobench, "--new-cmd", "cat " + gobench, "--rounds", "5", "--fail-on-regression", "5"},
			code: 2, wantErr: "stratbench: 5 rounds cannot fail the gate over 5 benchmarks"},
		{name: "unknown statistic", args: []string{"compare", "--old-cmd", "true", "--new-cmd", "true", "--round-stat", "mean"}, code: 2, wantErr: `stratbench: --round-stat: unknown statistic "mean" (allowed: [median best])`},
		{name: "unknown metric", args: []string{"compare", "--old-cmd", "cat " + gobench, "--new-cmd", "cat " + gobench, "--fail-on-regression", "5", "--metric", "cpu_sec"},
			code: 2, wantErr: "stratbench: --metric cpu_sec: no benchmark of both builds has it"},
		{name: "files and commands", args: []string{"compare", gobench, "--old-cmd", "true", "--new-cmd", "true"}, code: 2, wantErr: "stratbench: compare takes result files or --old-cmd and --new-cmd, not both"},
		{name: "noise with commands", args: []string{"compare", "--old-cmd", "true", "--new-cmd", "true", "--noise", gobench}, code: 2, wantErr: "stratbench: --noise is for two result files"},
		{name: "rounds with files", args: []string{"compare", gobench, gobench, "--rounds", "4"}, code: 2, wantErr: "stratbench: --rounds is for interleaved rounds: give --old-cmd and --new-cmd"},
		{name: "build not found", args: []string{"compare", "--old-cmd", "./no-such.test", "--new-cmd", "cat " + gobench}, code: 2, wantErr: "stratbench: old build, round 1: ./no-such.test: exit status 127"},
		{name: "build prints nothing", args: []string{"compare", "--old-cmd", "cat " + gobench, "--new-cmd", "true"}, code: 2, wantErr: "stratbench: new build, round 1: true printed no results"},
		{name: "build fails", args: []string{"compare", "--old-cmd", "echo boom >&2; exit 3", "--new-cmd", "true"}, code: 1, wantErr: "stratbench: old build, round 1: echo boom >&2; exit 3: exit status 3: boom"},
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
			if code == 2 {
				// The error is the last line, after any progress lines.
				lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
				if last := lines[len(lines)-1]; !strings.HasPrefix(last, tc.wantErr) {
					t.Errorf("stderr %q\nwant a last line starting %q", stderr, tc.wantErr)
				}
			} else if !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantErr, stderr)
			}
		})
	}
}
