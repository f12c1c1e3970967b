package sim

import (
	"context"
	"math"
	"testing"

	"github.com/stratbench/stratbench/scenario"
)

// TestNetworkDelayShiftsResponses checks that a network delay d adds d to
// every response figure and changes nothing in the queues: the same run
// without it, shifted, for a policy that reads loads (jsq) and one that
// learns from latencies (ewma), with batch means and with replications.
func TestNetworkDelayShiftsResponses(t *testing.T) {
	for _, tc := range []struct {
		policy string
		reps   int
	}{{"jsq", 1}, {"ewma", 1}, {"p2c", 3}} {
		base := Config{Scenario: scenario.Scenario{Policy: tc.policy, Servers: 4, Load: 0.8, Seed: 9}, Jobs: 20000, Warmup: 2000, Replications: tc.reps}
		delayed := base
		delayed.NetworkDelay = 0.37
		a, err := Run(context.Background(), base)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Run(context.Background(), delayed)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"response_mean", "response_p50", "response_p99", "response_max"} {
			if got, want := b.Metrics[k], a.Metrics[k]+0.37; math.Abs(got-want) > 1e-9 {
				t.Errorf("%s/%d: %s %g with the delay, want %g", tc.policy, tc.reps, k, got, want)
			}
		}
		for _, k := range []string{"wait_mean", "utilization", "queue_mean", "jobs"} {
			if a.Metrics[k] != b.Metrics[k] {
				t.Errorf("%s/%d: %s changed with the delay: %g, was %g", tc.policy, tc.reps, k, b.Metrics[k], a.Metrics[k])
			}
		}
		if ca, cb := a.CI95["response_mean"], b.CI95["response_mean"]; math.Abs(cb[0]-ca[0]-0.37) > 1e-9 || math.Abs(cb[1]-ca[1]-0.37) > 1e-9 {
			t.Errorf("%s/%d: interval %v with the delay, %v without", tc.policy, tc.reps, cb, ca)
		}
		if len(a.CDF) == 0 || math.Abs(b.CDF[0][0]-a.CDF[0][0]-0.37) > 1e-9 {
			t.Errorf("%s/%d: the CDF is not shifted", tc.policy, tc.reps)
		}
		if b.Params["network_delay"] != 0.37 || b.Name == a.Name {
			t.Errorf("%s/%d: params %v, name %s: want the delay recorded and named", tc.policy, tc.reps, b.Params["network_delay"], b.Name)
		}
	}
	bad := Config{Scenario: scenario.Scenario{Policy: "jsq", Servers: 2, Load: 0.5, NetworkDelay: -1}, Jobs: 100}
	if err := Validate(bad); err == nil {
		t.Error("a negative network delay was accepted")
	}
}
