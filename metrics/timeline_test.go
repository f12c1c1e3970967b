package metrics

import (
	"math"
	"strings"
	"testing"
)

// TestFaultRecorder checks the phases, the recovery time, the jobs lost
// and the timeline on hand-made jobs: p99 1 before the fault (arrivals
// 0..100), 10 during (100..200), back to 1 after.
func TestFaultRecorder(t *testing.T) {
	r := NewFaultRecorder(2, 100, 200, 300) // buckets of 5
	for i := range 9000 {
		at := float64(i) / 30 // 150 a bucket, over minRecoverySamples
		resp := 1.0
		if at >= 100 && at < 200 {
			resp = 10
		}
		r.Done(at, i%2, resp)
	}
	r.Lost(150, 1)
	res := &Result{Metrics: map[string]float64{}}
	r.Finish(res)
	m := res.Metrics
	for k, want := range map[string]float64{
		"response_p99_before": 1, "response_p99_during": 10, "response_p99_after": 1,
		"response_mean_during": 10, "jobs_lost": 1,
		"recovery_time": 5, // the first bucket after the fault, [200, 205), is back
	} {
		if m[k] != want {
			t.Errorf("%s = %g, want %g", k, m[k], want)
		}
	}
	tl := res.Timeline
	if tl == nil || tl.Width != 5 || len(tl.Dispatched) != 60 || tl.FaultStart != 100 || tl.FaultEnd != 200 {
		t.Fatalf("timeline %+v", tl)
	}
	if s := tl.Share(0, 0); s != 0.5 {
		t.Errorf("share of server 0 in bucket 0: %g, want 0.5", s)
	}
	if tl.Lost[30] != 1 || tl.P99[25] != 10 {
		t.Errorf("lost %v, p99 %v", tl.Lost[30], tl.P99[25])
	}

	// A fault to the end: no after phase, no recovery.
	r = NewFaultRecorder(1, 0, math.Inf(1), 10)
	r.Done(1, 0, 2)
	res = &Result{Metrics: map[string]float64{}}
	r.Finish(res)
	if _, ok := res.Metrics["recovery_time"]; ok || res.Metrics["response_p99_during"] != 2 || res.Timeline.FaultEnd != 0 {
		t.Errorf("fault to the end: %v, fault_end %g", res.Metrics, res.Timeline.FaultEnd)
	}
}

func TestFaultOverloadWarning(t *testing.T) {
	nominal := []float64{1, 1, 1, 1}
	for _, tc := range []struct {
		name       string
		dispatched []float64
		final      []float64
		want       string
	}{
		{"no lasting fault", []float64{1, 1, 1, 1}, []float64{1, 1, 1, 1}, ""},
		// rr at load 0.5: each server 0.5 of its capacity; server 0 at 0.1
		// gets 5 times what it can serve.
		{"rr on a slow server", []float64{1, 1, 1, 1}, []float64{0.1, 1, 1, 1}, "server 0 more work than it can serve at the speed a fault leaves it (500%"},
		// A load-aware policy that settled at its capacity: 0.1 of 3.1.
		{"settled", []float64{0.1, 1, 1, 1}, []float64{0.1, 1, 1, 1}, ""},
		{"too little left", []float64{1, 1, 1, 1}, []float64{0.1, 0, 0, 1}, "leave less capacity than the offered load"},
	} {
		got := FaultOverloadWarning("rr", 0.5, tc.dispatched, nominal, tc.final)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
