package metrics

import (
	"math"
	"testing"
)

func TestPair(t *testing.T) {
	r := &Result{Name: "real", Metrics: map[string]float64{"response_mean": 1.1, "response_p50": 1, "response_p99": 4, "jobs": 10}}
	s := &Result{Name: "policy=p2c/servers=8/load=0.5", Metrics: map[string]float64{"response_mean": 1, "response_p50": 0, "response_p90": 2, "response_p99": 5}}
	Pair(r, s)
	want := map[string]float64{
		"sim_response_mean": 1, "response_mean_rel_err": 0.1 / 1,
		"sim_response_p50": 0, // no relative error against 0
		"sim_response_p99": 5, "response_p99_rel_err": -0.2,
	}
	for k, v := range want {
		if got, ok := r.Metrics[k]; !ok || math.Abs(got-v) > 1e-12 {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	for _, k := range []string{"response_p50_rel_err", "sim_response_p90", "response_p90_rel_err", "sim_jobs"} {
		if _, ok := r.Metrics[k]; ok {
			t.Errorf("%s set, want absent", k)
		}
	}
	if r.Params[ComparedWith] != s.Name {
		t.Errorf("%s = %v, want %q", ComparedWith, r.Params[ComparedWith], s.Name)
	}
	Pair(r, nil) // no simulated record: nothing happens
}

func TestRelErr(t *testing.T) {
	for _, tc := range []struct{ real, sim, want float64 }{
		{1.5, 1, 0.5}, {0.5, 1, -0.5}, {1, 0, math.NaN()}, {math.NaN(), 1, math.NaN()}, {1, math.NaN(), math.NaN()},
	} {
		got := RelErr(tc.real, tc.sim)
		if !(got == tc.want || math.IsNaN(got) && math.IsNaN(tc.want)) {
			t.Errorf("RelErr(%g, %g) = %g, want %g", tc.real, tc.sim, got, tc.want)
		}
	}
}
