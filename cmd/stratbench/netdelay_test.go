package main

import (
	"math"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/metrics"
)

// TestSimNetworkDelay checks sim --network-delay: the response figures
// move by the delay, the record names it, and a negative delay is refused
// as bad input.
func TestSimNetworkDelay(t *testing.T) {
	t.Parallel()
	run := func(extra ...string) metrics.Result {
		t.Helper()
		args := append([]string{"sim", "--policy", "jsq", "--servers", "4", "--load", "0.7", "--jobs", "20000", "--format", "json"}, extra...)
		code, out, stderr := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		rs, bad := metrics.ReadJSONL("stdout", strings.NewReader(out))
		if len(bad) > 0 || len(rs) != 1 {
			t.Fatalf("want one record, got %d (%v)", len(rs), bad)
		}
		return rs[0]
	}
	a, b := run(), run("--network-delay", "0.25")
	if d := b.Metrics["response_mean"] - a.Metrics["response_mean"]; math.Abs(d-0.25) > 1e-9 {
		t.Errorf("response_mean moved by %g, want 0.25", d)
	}
	if b.Metrics["wait_mean"] != a.Metrics["wait_mean"] || b.Params["network_delay"] != 0.25 {
		t.Errorf("wait %g vs %g, params %v", b.Metrics["wait_mean"], a.Metrics["wait_mean"], b.Params["network_delay"])
	}
	code, _, stderr := runCLI(t, "sim", "--policy", "jsq", "--servers", "4", "--load", "0.7", "--jobs", "100", "--network-delay", "-1")
	if code != 2 || !strings.Contains(stderr, "--network-delay must be") {
		t.Errorf("a negative delay: exit %d, %q", code, stderr)
	}
}
