package sim_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
	"github.com/stratbench/stratbench/sim/theory"
)

// runAuto runs cfg as given: no warm-up unless cfg says (the detected one).
func runAuto(t *testing.T, cfg sim.Config) *metrics.Result {
	t.Helper()
	if cfg.Seed == 0 {
		cfg.Seed = 42
	}
	res, err := sim.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func warnings(res *metrics.Result) string { return strings.Join(res.Warnings, "\n") }

// TestDetectedWarmup checks runs that give no warm-up: the pilot finds a
// steady state, the record says where, and the means agree with theory
// (M/M/1 exactly, p2c's mean field and jsq's Erlang C bound at 100
// servers as the legacy tests check them).
func TestDetectedWarmup(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg    sim.Config
		want   float64
		tol, k float64
	}{
		{sim.Config{Scenario: scenario.Scenario{Policy: "random", Servers: 1, Load: 0.8}, Jobs: jobs(400_000)}, theory.MM1Response(0.8), 0.05, 3},
		{sim.Config{Scenario: scenario.Scenario{Policy: "p2c", Servers: 100, Load: 0.9}, Jobs: jobs(500_000)}, theory.PodMeanField(0.9, 2), 0.03, 1e9},
		{sim.Config{Scenario: scenario.Scenario{Policy: "central", Servers: 20, Load: 0.85}, Jobs: jobs(200_000)}, theory.MMcResponse(20, 0.85), 0.04, 3},
	} {
		t.Run(sim.CaseName(&tc.cfg), func(t *testing.T) {
			t.Parallel()
			res := runAuto(t, tc.cfg)
			if res.Params["steady_state"] != true {
				t.Errorf("steady_state %v, warnings %q", res.Params["steady_state"], res.Warnings)
			}
			w, _ := res.Params["warmup"].(uint64)
			if w == 0 || res.Params["warmup_method"] == nil || res.Params["mser_truncation"] == nil {
				t.Errorf("record lacks the detected warm-up: %v", res.Params)
			}
			if n := len(res.Samples["response_mean"]); n < 6 {
				t.Errorf("%d samples, want >= 6 (ci_method %v)", n, res.Params["ci_method"])
			}
			checkMean(t, res, tc.want, tc.tol, tc.k)
		})
	}
}

// TestNotSteadySaidSo checks that a run whose pilot is capped before the
// transient ends says it did not reach steady state: p2c at 10^4 servers,
// ρ = 0.9, from empty, needs some 60 mean service times; a pilot of 5 jobs
// a server is about 5.5 of them. (Not parallel: it changes the cap.)
func TestNotSteadySaidSo(t *testing.T) {
	defer sim.SetPilotCap(5)()
	res := runAuto(t, sim.Config{Scenario: scenario.Scenario{Policy: "p2c", Servers: 10_000, Load: 0.9}, Jobs: 50_000})
	if res.Params["steady_state"] != false || !strings.Contains(warnings(res), "steady state not reached") {
		t.Errorf("steady_state %v, warnings %q", res.Params["steady_state"], res.Warnings)
	}
}

// TestGivenWarmupWins checks that a warm-up given in the config is used as
// is, with no pilot.
func TestGivenWarmupWins(t *testing.T) {
	t.Parallel()
	res := runAuto(t, sim.Config{Scenario: scenario.Scenario{Policy: "p2c", Servers: 10, Load: 0.8}, Jobs: 10_000, Warmup: 1234})
	if res.Params["warmup"] != uint64(1234) || res.Params["warmup_method"] != nil || res.Params["steady_state"] != nil {
		t.Errorf("params %v", res.Params)
	}
	if ev := res.Metrics["events"]; ev > 2.05*(10_000+1234) {
		t.Errorf("%v events for 11234 jobs: a pilot ran", ev)
	}
}

// TestShortRunIsNotUnstable checks that p2c at ρ = 0.9 on many servers
// with few jobs per server (the transient, where hundreds of servers see
// more jobs than they can serve by chance) is not reported unstable,
// while hash's uneven split and rr ignoring speeds still are
// (TestOverloadedServersAreUnstable).
func TestShortRunIsNotUnstable(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1000, 20_000} {
		res := runAuto(t, sim.Config{Scenario: scenario.Scenario{Policy: "p2c", Servers: n, Load: 0.9}, Jobs: uint64(10 * n), Warmup: uint64(n)})
		if res.Params["unstable"] == true || strings.Contains(warnings(res), "unstable") {
			t.Errorf("N=%d: p2c reported unstable: %q", n, res.Warnings)
		}
	}
}

// TestPrecisionStops checks adaptive stopping: a run with a precision
// target measures more jobs than asked until its interval is within the
// target, and one with an unreachable target stops at the cap and says so.
func TestPrecisionStops(t *testing.T) {
	t.Parallel()
	res := runAuto(t, sim.Config{Scenario: scenario.Scenario{Policy: "random", Servers: 1, Load: 0.5}, Jobs: 20_000, Precision: 0.01})
	ci := res.CI95["response_mean"]
	m := res.Metrics["response_mean"]
	if (ci[1]-ci[0])/2 > 0.01*m {
		t.Errorf("interval %v of %v wider than ±1%%; warnings %q", ci, m, res.Warnings)
	}
	if j := res.Params["jobs"].(uint64); j <= 20_000 || res.Metrics["jobs"] != float64(j) {
		t.Errorf("jobs %v (measured %v), want more than 20000", j, res.Metrics["jobs"])
	}
	capped := runAuto(t, sim.Config{Scenario: scenario.Scenario{Policy: "random", Servers: 1, Load: 0.5}, Jobs: 2000, Precision: 1e-5})
	if !strings.Contains(warnings(capped), "precision not reached") || capped.Params["jobs"] != uint64(64*2000) {
		t.Errorf("jobs %v, warnings %q", capped.Params["jobs"], capped.Warnings)
	}
	reps := runAuto(t, sim.Config{Scenario: scenario.Scenario{Policy: "random", Servers: 1, Load: 0.5}, Jobs: 2000, Warmup: 200, Replications: 4, Precision: 0.02})
	ci = reps.CI95["response_mean"]
	if n := len(reps.Samples["response_mean"]); n <= 4 || (ci[1]-ci[0])/2 > 0.02*reps.Metrics["response_mean"] {
		t.Errorf("replications: %d samples, interval %v of %v; warnings %q", n, ci, reps.Metrics["response_mean"], reps.Warnings)
	}
}
