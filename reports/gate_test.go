package reports

import (
	"math/rand/v2"
	"testing"

	"github.com/stratbench/stratbench/metrics"
)

// gateSet is one run of n benchmarks: wall times of 10 rounds around base
// (times shift), with 2% noise.
func gateSet(rng *rand.Rand, n int, shift func(i int) float64) *Set {
	s := &Set{}
	for i := range n {
		xs := make([]float64, 10)
		for k := range xs {
			xs[k] = (1 + float64(i)) * shift(i) * (1 + 0.02*rng.NormFloat64())
		}
		s.Results = append(s.Results, metrics.Result{Engine: "harness", Family: "Batch",
			Name: "workload=spin/executor=e" + string(rune('a'+i)), Metrics: map[string]float64{"wall_sec": xs[0]},
			Samples: map[string][]float64{"wall_sec": xs}})
	}
	return s
}

// TestGate checks the gate on synthetic runs: identical builds pass (also
// when the whole second run drifted 3% slower), a 10% slowdown of one
// benchmark fails at 5%, and a noise floor of 8% lets a 10% change pass
// at 5% but not a 20% one.
func TestGate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	one := func(int) float64 { return 1 }
	const trials = 40
	falseAlarms, caught := 0, 0
	for range trials {
		old := gateSet(rng, 8, one)
		if len(Compare(old, gateSet(rng, 8, func(int) float64 { return 1.03 }), Alpha).Gate(5, nil, "").Failures()) > 0 {
			falseAlarms++
		}
		slow := gateSet(rng, 8, func(i int) float64 {
			if i == 3 {
				return 1.10
			}
			return 1
		})
		fs := Compare(old, slow, Alpha).Gate(5, nil, "").Failures()
		if len(fs) == 1 && fs[0].Bench == "Batch/workload=spin/executor=ed" {
			caught++
		}
	}
	if falseAlarms > 2 {
		t.Errorf("%d of %d A/A pairs with 3%% drift failed the 5%% gate", falseAlarms, trials)
	}
	if caught < trials-2 {
		t.Errorf("a 10%% slowdown was caught in %d of %d pairs", caught, trials)
	}
	old := gateSet(rng, 4, one)
	noise := Compare(old, gateSet(rng, 4, func(int) float64 { return 1.08 }), Alpha)
	g := Compare(old, gateSet(rng, 4, func(int) float64 { return 1.10 }), Alpha).Gate(5, noise, "")
	if len(g.Failures()) != 0 || g.Rows[0].Floor < 5 {
		t.Errorf("10%% within a 5%% + ~8%% noise margin failed: %+v", g.Failures())
	}
	g = Compare(old, gateSet(rng, 4, func(int) float64 { return 1.25 }), Alpha).Gate(5, noise, "")
	if len(g.Failures()) != 4 {
		t.Errorf("25%% slower past a ~13%% margin: %d failures", len(g.Failures()))
	}
}

// A higher-is-better metric regresses downwards: throughput 10% lower
// fails, 10% higher does not.
func TestGateHigherIsBetter(t *testing.T) {
	mk := func(v float64) *Set {
		xs := []float64{v, v * 1.01, v * 0.99, v * 1.005, v * 0.995, v, v * 1.002, v * 0.998}
		return &Set{Results: []metrics.Result{{Engine: "harness", Family: "Batch", Name: "executor=pool",
			Metrics: map[string]float64{"throughput_per_sec": v}, Samples: map[string][]float64{"throughput_per_sec": xs}}}}
	}
	if n := len(Compare(mk(100), mk(90), Alpha).Gate(5, nil, "").Failures()); n != 1 {
		t.Errorf("10%% less throughput: %d failures, want 1", n)
	}
	if n := len(Compare(mk(100), mk(110), Alpha).Gate(5, nil, "").Failures()); n != 0 {
		t.Errorf("10%% more throughput: %d failures, want 0", n)
	}
}
