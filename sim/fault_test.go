package sim_test

import (
	"math"
	"testing"

	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
)

func faults(t *testing.T, specs ...string) []scenario.Fault {
	t.Helper()
	fs, err := scenario.ParseFaults(specs, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// TestSlowFaultTheory checks a slow fault against queueing theory: one
// FIFO server slowed to speed 0.5 from the start at ρ = 0.4 of its own
// capacity is an M/M/1 queue at ρ = 0.8 with mean service 2, mean
// response 2/(1-0.8) = 10.
func TestSlowFaultTheory(t *testing.T) {
	t.Parallel()
	res := run(t, sim.Config{
		Scenario: scenario.Scenario{Policy: "random", Servers: 1, Load: 0.4, Faults: faults(t, "slow:server=0,speed=0.5,at=0")},
		Jobs:     jobs(400_000),
	})
	checkMean(t, res, 10, 0.05, 3)
	if res.Timeline == nil || res.Metrics["response_mean_during"] == 0 {
		t.Fatalf("no fault record: timeline %v, metrics %v", res.Timeline, res.Metrics)
	}
	if _, ok := res.Metrics["response_mean_before"]; ok {
		t.Error("a fault from time 0 has no jobs before it")
	}
}

// TestSlowFaultMidRun checks a server that slows down mid-run and comes
// back: jsq moves traffic away from it (its share in the buckets inside
// the fault is well below its share before), the p99 during the fault is
// above the p99 before, and the run recovers (recovery_time is reported,
// and the p99 after is within 10% of the p99 before).
func TestSlowFaultMidRun(t *testing.T) {
	t.Parallel()
	res := run(t, sim.Config{
		Scenario: scenario.Scenario{Policy: "jsq", Servers: 4, Load: 0.6, Seed: 3,
			Faults: faults(t, "slow:server=0,speed=0.05,at=20000,for=20000")},
		Jobs: 200_000, Warmup: 1000,
	})
	m := res.Metrics
	if !(m["response_p99_during"] > 1.5*m["response_p99_before"]) {
		t.Errorf("p99 during %.3g, before %.3g: the fault did not show", m["response_p99_during"], m["response_p99_before"])
	}
	if math.Abs(m["response_p99_after"]/m["response_p99_before"]-1) > 0.1 {
		t.Errorf("p99 after %.3g, before %.3g: not back within 10%%", m["response_p99_after"], m["response_p99_before"])
	}
	if _, ok := m["recovery_time"]; !ok {
		t.Errorf("no recovery_time; warnings %q", res.Warnings)
	}
	tl := res.Timeline
	share := func(lo, hi float64) float64 {
		var s0, all int64
		for b, d := range tl.Dispatched {
			if t0 := float64(b) * tl.Width; t0 >= lo && t0+tl.Width <= hi {
				s0 += d[0]
				for _, x := range d {
					all += x
				}
			}
		}
		return float64(s0) / float64(all)
	}
	before, during := share(0, 20000), share(20000, 40000)
	t.Logf("server 0's share: %.3f before, %.3f during", before, during)
	if !(before > 0.2 && during < 0.1) {
		t.Errorf("server 0's share %.3f before the fault and %.3f during it: jsq did not move traffic away", before, during)
	}
}

// TestDownFault checks a server that goes down and comes back: no job is
// sent to it while it is down, the jobs it held are lost and counted, or
// sent again with retry (none lost), and the same seed gives the same
// record.
func TestDownFault(t *testing.T) {
	t.Parallel()
	cfg := sim.Config{
		Scenario: scenario.Scenario{Policy: "rr", Servers: 4, Load: 0.7, Seed: 2,
			Faults: faults(t, "down:server=2,at=3000,for=3000")},
		Jobs: 40_000, Warmup: 1000,
	}
	res := run(t, cfg)
	lost := res.Metrics["jobs_lost"]
	if lost < 1 {
		t.Errorf("jobs_lost %g: the down server held none?", lost)
	}
	tl := res.Timeline
	for b, d := range tl.Dispatched {
		if t0 := float64(b) * tl.Width; t0 > 3000 && t0+tl.Width < 6000 && d[2] != 0 {
			t.Errorf("bucket at %.0f: %d jobs sent to the down server", t0, d[2])
		}
	}
	if got := res.Metrics["jobs"] + lost; got != float64(cfg.Jobs) {
		t.Errorf("completed %g + lost %g = %g, want the %d measured jobs", res.Metrics["jobs"], lost, got, cfg.Jobs)
	}
	again := run(t, cfg)
	if again.Metrics["response_mean"] != res.Metrics["response_mean"] || again.Metrics["jobs_lost"] != lost {
		t.Error("the same seed gave a different record")
	}
	cfg.Retry = true
	res = run(t, cfg)
	if res.Metrics["jobs_lost"] != 0 || res.Metrics["jobs"] != float64(cfg.Jobs) {
		t.Errorf("with retry: %g lost, %g completed; want 0 and %d", res.Metrics["jobs_lost"], res.Metrics["jobs"], cfg.Jobs)
	}
	if res.Params["retry"] != true {
		t.Error("params do not record retry")
	}
}

// TestFaultRecordPS checks that processor sharing runs faults too.
func TestFaultRecordPS(t *testing.T) {
	t.Parallel()
	res := run(t, sim.Config{
		Scenario: scenario.Scenario{Policy: "leastreq", Servers: 3, Load: 0.5,
			Faults: faults(t, "slow:server=1,speed=0.2,at=100,for=500", "down:server=2,at=200,for=100")},
		Jobs: 20_000, Discipline: sim.PS,
	})
	var _ *metrics.Timeline = res.Timeline
	if res.Timeline == nil || res.Metrics["jobs"]+res.Metrics["jobs_lost"] != 20_000 {
		t.Errorf("PS with faults: timeline %v, %g completed, %g lost", res.Timeline != nil, res.Metrics["jobs"], res.Metrics["jobs_lost"])
	}
}
