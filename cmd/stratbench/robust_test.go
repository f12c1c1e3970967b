package main

import (
	"strings"
	"testing"
)

// TestRefusedBeforeRunning: inputs that used to crash, run out of memory,
// run forever or give wrong numbers with exit 0 are refused with one line
// naming the limit (issue 15).
func TestRefusedBeforeRunning(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "batch", "--tasks", "100000000000"}, "would take about 2.91 TB of memory, more than the 4 GB a run may take: lower --tasks"},
		{[]string{"run", "batch", "--tasks", "9223372036854775807"}, "about 256 EB"},
		{[]string{"sim", "--servers", "100000", "--replications", "2000"}, "100000 servers × 2000 replications would take about 17.9 GB"},
		{[]string{"sim", "--replications", "0"}, "--replications must be >= 1, got 0"},
		{[]string{"sim", "--arrival", "onoff:on=1e-300,off=1e300"}, "on must be in [1e-06, 1e+06]"},
		{[]string{"sim", "--load", "5e-324"}, "outside [1e-12, 1e+15]"},
		{[]string{"sim", "--load", "1e308", "--format", "json"}, "outside [1e-12, 1e+15]"},
		{[]string{"sim", "--policy", "pod", "--d", "9", "--servers", "4"}, "d must be at most the number of servers (4), got 9"},
		{[]string{"sim", "--policy", "wrr", "--servers", "3", "--weights", "1e308,1e308,1e308"}, "weight of server 0 must be a number in [1e-09, 1e+09]"},
		{[]string{"suite", "--shard", "0/2x", "--list"}, "--shard: want i/n"},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr, exitUsage, tc.want)
		}
		if n := strings.Count(strings.TrimRight(stderr, "\n"), "\n"); n != 0 {
			t.Errorf("%v: %d lines on stderr, want one", tc.args, n+1)
		}
	}
}

// FuzzFlags gives free text to the flags that take it (specs, lists,
// names): every value either runs or is refused with exit 2 and one line
// on stderr; none panics or fails as if the work had failed.
func FuzzFlags(f *testing.F) {
	flags := []string{"load", "speeds", "weights", "arrival", "service", "policy", "discipline", "fault"}
	for i, v := range []string{"0.5,0.9", "1,2", "1e308,1", "onoff:on=1e-300,off=1e300", "lognormal:sigma=1", "jsq,p2c", "ps", "kill:server=1,at=0.5"} {
		f.Add(uint8(i), v)
	}
	f.Add(uint8(3), "onoff:on=1,off=1,on=2")
	f.Add(uint8(4), "pareto:alpha=1.0000001")
	f.Fuzz(func(t *testing.T, which uint8, value string) {
		if len(value) > 64 || strings.HasPrefix(value, "empirical:") || strings.HasPrefix(value, "trace:") || strings.Contains(value, "-") {
			return // files, and text the flag parser would take for flags
		}
		flag := flags[int(which)%len(flags)]
		if flag == "load" && strings.Count(value, ",") > 3 {
			return // each load is a run
		}
		args := []string{"sim", "--servers", "3", "--jobs", "300", "--warmup", "10", "--quiet", "--" + flag, value}
		if flag == "speeds" || flag == "weights" {
			args = append(args, "--policy", "wrr")
		}
		code, _, stderr := runCLI(t, args...)
		switch code {
		case exitOK:
		case exitUsage:
			if n := strings.Count(strings.TrimRight(stderr, "\n"), "\n"); n != 0 || !strings.HasPrefix(stderr, "stratbench") {
				t.Errorf("--%s %q: %d lines on stderr: %q", flag, value, n+1, stderr)
			}
		default:
			t.Errorf("--%s %q: exit %d: %s", flag, value, code, stderr)
		}
	})
}
