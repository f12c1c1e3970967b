package harness

import (
	"context"
	"testing"
	"time"

	"github.com/stratbench/stratbench/scenario"
)

func mustFaults(t *testing.T, unit time.Duration, specs ...string) []scenario.Fault {
	t.Helper()
	fs, err := scenario.ParseFaults(specs, unit)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// TestServiceFaults runs a server that slows down and one that goes down
// in service mode, on each timing path: the record has the phases and the
// timeline, no job is sent to the down server while it is down, every
// measured job is either completed or lost, and with retry none is lost
// (also when the policy holds jobs centrally: a retried job may be held).
func TestServiceFaults(t *testing.T) {
	unit := 500 * time.Microsecond
	cases := []struct {
		policy string
		retry  bool
	}{{"leastreq", false}, {"leastreq", true}, {"central", true}}
	for _, timing := range []string{TimingLoop, TimingSpin, TimingGoroutines} {
		for _, tc := range cases {
			t.Run(timing+"/"+tc.policy, func(t *testing.T) {
				retry := tc.retry
				res, err := RunService(context.Background(), ServiceConfig{
					Scenario: scenario.Scenario{Policy: tc.policy, Servers: 4, Load: 0.5, Seed: 3, Retry: retry,
						Faults: mustFaults(t, unit, "slow:server=0,speed=0.2,at=300ms,for=300ms", "down:server=1,at=400ms,for=300ms")},
					Unit: unit, Jobs: 3000, Warmup: 100, Timing: timing,
				})
				if err != nil {
					t.Fatal(err)
				}
				m := res.Metrics
				if m["jobs"]+m["jobs_lost"] != 3000 {
					t.Errorf("retry %v: %g completed + %g lost, want the 3000 measured", retry, m["jobs"], m["jobs_lost"])
				}
				if retry && m["jobs_lost"] != 0 {
					t.Errorf("with retry %g jobs lost", m["jobs_lost"])
				}
				for _, k := range []string{"response_p99_before", "response_p99_during", "response_p99_after"} {
					if _, ok := m[k]; !ok {
						t.Errorf("retry %v: no %s", retry, k)
					}
				}
				tl := res.Timeline
				if tl == nil {
					t.Fatal("no timeline")
				}
				// 800 units down from 400ms (units of 0.5ms): buckets inside it.
				// A job held centrally is counted at the server that takes
				// it, in the bucket of its arrival: one that arrived while
				// server 1 was down may be taken by it once it is back up,
				// at most response_max after it arrived.
				end := 1400.0 - 2
				if tc.policy == "central" {
					end -= m["response_max"]
				}
				for b, d := range tl.Dispatched {
					if t0 := float64(b) * tl.Width; t0 > 800+2 && t0+tl.Width < end && d[1] != 0 {
						t.Errorf("retry %v: bucket at %.0f units: %d jobs at the down server", retry, t0, d[1])
					}
				}
			})
		}
	}
}

// TestServiceFaultAfterRun: a fault timed after the last job does not
// hold the run up until its time (the loop waits for the next event,
// faults included, only while jobs may still come or are in the system).
func TestServiceFaultAfterRun(t *testing.T) {
	unit := 100 * time.Microsecond
	for _, timing := range []string{TimingLoop, TimingSpin, TimingGoroutines} {
		res, err := RunService(context.Background(), ServiceConfig{
			Scenario: scenario.Scenario{Policy: "p2c", Servers: 3, Load: 0.5, Seed: 1,
				Faults: mustFaults(t, unit, "down:server=0,at=1h")},
			Unit: unit, Jobs: 300, Timing: timing,
		})
		if err != nil {
			t.Fatal(err)
		}
		if w := res.Metrics["wall_sec"]; w > 1800 || res.Metrics["jobs"] != 300 {
			t.Errorf("%s: %g jobs in %gs, want 300 long before the fault's hour", timing, res.Metrics["jobs"], w)
		}
	}
}
