package sim_test

import (
	"bytes"
	"math"
	"testing"

	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
)

// TestViewDelayIndependent checks the view delay against the simple
// simulation, in which the policy counts a job until vd after it departs:
// jsq and p2c over 4 servers at ρ = 0.7 with vd = 0.3 (the cluster mode's
// case) agree within 1% on the mean response, on the same arrivals and
// sizes, and the delay moves the mean by more than 2% (so the agreement
// is not that of a change that does nothing).
func TestViewDelayIndependent(t *testing.T) {
	t.Parallel()
	speeds := []float64{1, 1, 1, 1}
	nJobs, warmup := int(jobs(400_000)), int(jobs(40_000))
	picks := simplePicks(speeds)
	const vd = 0.3
	for _, name := range []string{"jsq", "p2c"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var trace bytes.Buffer
			sc := scenario.Scenario{Policy: name, Servers: 4, Load: 0.7, Seed: 9, ViewDelay: vd}
			res := run(t, sim.Config{Scenario: sc, Jobs: uint64(nJobs - warmup), Warmup: uint64(warmup), Trace: &trace})
			sc.ViewDelay = 0
			at0 := run(t, sim.Config{Scenario: sc, Jobs: uint64(nJobs - warmup), Warmup: uint64(warmup)})
			mean, _ := simpleFIFO(readTrace(t, &trace, speeds, nJobs), speeds, warmup, vd, picks[name])
			got, base := res.Metrics["response_mean"], at0.Metrics["response_mean"]
			rel := math.Abs(got-mean) / mean
			t.Logf("%s: simulator mean %.4f (%.4f without the delay); simple simulation %.4f (%.2f%% apart)", name, got, base, mean, 100*rel)
			if rel > 0.01 {
				t.Errorf("%s: simulator mean response %.4f with view delay %g, simple simulation %.4f: %.2f%% apart, more than 1%%", name, got, vd, mean, 100*rel)
			}
			if got < 1.02*base {
				t.Errorf("%s: view delay %g gave mean %.4f, without it %.4f: want the stale view to cost more than 2%%", name, vd, got, base)
			}
			if res.Params["view_delay"] != vd {
				t.Errorf("%s: params view_delay %v, want %g", name, res.Params["view_delay"], vd)
			}
			if _, ok := res.Metrics["theory_response_mean"]; ok && res.Params["theory_kind"] != "lower bound" {
				t.Errorf("%s: a %v theory prediction with a view delay: the theory's dispatcher sees completions at once", name, res.Params["theory_kind"])
			}
		})
	}
}

// TestViewDelayObliviousPolicies checks that a view delay changes nothing
// for policies that read no loads (rr, random, PS as well as FIFO): every
// metric is the same, bit for bit, and only the name and params differ.
func TestViewDelayObliviousPolicies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		policy string
		disc   sim.Discipline
	}{{"rr", sim.FIFO}, {"random", sim.FIFO}, {"random", sim.PS}, {"rr", sim.PS}} {
		sc := scenario.Scenario{Policy: tc.policy, Servers: 5, Load: 0.8, Seed: 3}
		a := run(t, sim.Config{Scenario: sc, Jobs: 20_000, Discipline: tc.disc})
		sc.ViewDelay = 0.7
		b := run(t, sim.Config{Scenario: sc, Jobs: 20_000, Discipline: tc.disc})
		for k, v := range a.Metrics {
			if k == "wall_sec" || k == "events_per_sec" {
				continue
			}
			if w := b.Metrics[k]; w != v && !(math.IsNaN(v) && math.IsNaN(w)) {
				t.Errorf("%s/%s: %s = %v with view delay, %v without", tc.policy, tc.disc, k, w, v)
			}
		}
		if b.Name == a.Name {
			t.Errorf("%s/%s: the name %s does not carry the view delay", tc.policy, tc.disc, b.Name)
		}
	}
}

// TestViewDelayRejected checks that a negative or infinite view delay is
// refused with the field's name.
func TestViewDelayRejected(t *testing.T) {
	for _, vd := range []float64{-1, math.Inf(1), math.NaN()} {
		_, err := sim.Run(t.Context(), sim.Config{Scenario: scenario.Scenario{Policy: "jsq", Servers: 2, Load: 0.5, ViewDelay: vd}, Jobs: 100})
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte("view_delay")) {
			t.Errorf("view delay %g: error %v, want one naming view_delay", vd, err)
		}
	}
}
