package reports

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/metrics"
)

// machine is a synthetic machine for paired tests: round r runs every
// benchmark slower by the factor drift[r] (what the machine does between
// rounds: large), and each sample has its own small noise.
type machine struct {
	rng   *rand.Rand
	drift []float64
	noise float64
}

func newMachine(seed uint64, rounds int, driftSD, noise float64) *machine {
	m := &machine{rng: rand.New(rand.NewPCG(seed, 99)), noise: noise}
	for range rounds {
		m.drift = append(m.drift, math.Exp(driftSD*m.rng.NormFloat64()))
	}
	return m
}

// run is one build's run in round r: n benchmarks of 5 samples each, the
// base time of benchmark i being (i+1)·slow(i) seconds, times the order
// factor of running second in the round.
func (m *machine) run(r, n int, metric string, slow func(i int) float64, order float64) *Set {
	s := &Set{}
	for i := range n {
		xs := make([]float64, 5)
		for k := range xs {
			xs[k] = float64(i+1) * slow(i) * m.drift[r] * order * (1 + m.noise*m.rng.NormFloat64())
		}
		if metric == "throughput_per_sec" {
			for k := range xs {
				xs[k] = 1 / xs[k]
			}
		}
		s.Results = append(s.Results, metrics.Result{Engine: "harness", Family: "Batch",
			Name: "workload=spin/executor=e" + string(rune('a'+i)), Metrics: map[string]float64{metric: xs[0]},
			Samples: map[string][]float64{metric: xs}})
	}
	return s
}

// rounds runs both builds in every round; the build that runs second is
// slower by secondPenalty (an order effect), and which one that is
// alternates as interleave.First has it.
func (m *machine) rounds(n int, metric string, oldSlow, newSlow func(int) float64, secondPenalty float64) (old, new []*Set) {
	for r := range m.drift {
		oo, no := secondPenalty, 1.0
		if r%2 == 0 {
			oo, no = 1, secondPenalty
		}
		old = append(old, m.run(r, n, metric, oldSlow, oo))
		new = append(new, m.run(r, n, metric, newSlow, no))
	}
	return old, new
}

func pool(sets []*Set) *Set {
	out := &Set{}
	for _, s := range sets {
		out.Results = append(out.Results, s.Results...)
	}
	return out
}

func same(int) float64 { return 1 }

// TestPairedGate is the gate on synthetic rounds with known answers: the
// machine drifts by 20% (sd) between rounds, far more than the change to
// find, and samples vary by 1%. Pure drift never fails the 5% gate; a pure
// 10% slowdown of one benchmark is caught (and only that benchmark) in
// nearly every trial with 10 rounds; the unpaired gate on the same
// samples, pooled, misses it, because drift swamps it.
func TestPairedGate(t *testing.T) {
	const trials, rounds, benches = 40, 10, 6
	slow3 := func(i int) float64 {
		if i == 3 {
			return 1.10
		}
		return 1
	}
	falseAlarms, caught, wrong, unpairedCaught := 0, 0, 0, 0
	for trial := range trials {
		m := newMachine(uint64(trial), rounds, 0.20, 0.01)
		old, new := m.rounds(benches, "wall_sec", same, same, 1)
		if fs := ComparePaired(old, new, Alpha, RoundMedian).Gate(5, nil, "").Failures(); len(fs) > 0 {
			falseAlarms++
		}
		m = newMachine(uint64(trial)+1000, rounds, 0.20, 0.01)
		old, new = m.rounds(benches, "wall_sec", same, slow3, 1)
		g := ComparePaired(old, new, Alpha, RoundMedian).Gate(5, nil, "")
		for _, f := range g.Failures() {
			if f.Bench == "Batch/workload=spin/executor=ed" {
				caught++
			} else {
				wrong++
			}
		}
		if len(Compare(pool(old), pool(new), Alpha).Gate(5, nil, "").Failures()) > 0 {
			unpairedCaught++
		}
	}
	if falseAlarms > 0 {
		t.Errorf("pure drift: %d of %d trials failed the paired 5%% gate", falseAlarms, trials)
	}
	if caught < trials-1 || wrong > 0 {
		t.Errorf("a 10%% slowdown under 20%% drift: caught in %d of %d trials, %d other benchmarks failed", caught, trials, wrong)
	}
	if unpairedCaught > trials/4 {
		t.Errorf("the unpaired gate caught the slowdown under 20%% drift in %d of %d trials: the test does not show what pairing is for", unpairedCaught, trials)
	}
}

// TestPairedGateOrderEffect checks that alternating the order cancels an
// order effect: when the build that runs second in a round is 8% slower
// (beyond the 5% threshold), identical builds never fail, though they
// would in nearly every trial if the new build always ran second; with a
// 3% order effect a 10% slowdown is still caught.
func TestPairedGateOrderEffect(t *testing.T) {
	falseAlarms, unalternated, caught := 0, 0, 0
	const trials = 30
	for trial := range trials {
		m := newMachine(uint64(trial)+7, 12, 0.1, 0.01)
		old, new := m.rounds(3, "wall_sec", same, same, 1.08)
		if len(ComparePaired(old, new, Alpha, RoundMedian).Gate(5, nil, "").Failures()) > 0 {
			falseAlarms++
		}
		var oldFirst, newSecond []*Set
		for r := range m.drift {
			oldFirst = append(oldFirst, m.run(r, 3, "wall_sec", same, 1))
			newSecond = append(newSecond, m.run(r, 3, "wall_sec", same, 1.08))
		}
		if len(ComparePaired(oldFirst, newSecond, Alpha, RoundMedian).Gate(5, nil, "").Failures()) > 0 {
			unalternated++
		}
		old, new = m.rounds(3, "wall_sec", same, func(int) float64 { return 1.10 }, 1.03)
		if len(ComparePaired(old, new, Alpha, RoundMedian).Gate(5, nil, "").Failures()) == 3 {
			caught++
		}
	}
	if falseAlarms > 0 || unalternated < trials-3 || caught < trials-1 {
		t.Errorf("order effects: %d of %d A/A trials failed with alternation, %d without (8%%); 10%% caught on every benchmark in %d (3%%)",
			falseAlarms, trials, unalternated, caught)
	}
}

// TestPairedEstimate checks the paired change: a pure 7% slowdown under
// drift is estimated within 1% with an interval that covers it, and the
// gate does not fail it at 10% but does at 5% and at 0%.
func TestPairedEstimate(t *testing.T) {
	m := newMachine(11, 16, 0.3, 0.005)
	old, new := m.rounds(1, "wall_sec", same, func(int) float64 { return 1.07 }, 1)
	c := ComparePaired(old, new, Alpha, RoundMedian)
	if len(c.Rows) != 1 || c.Rows[0].Paired == nil {
		t.Fatalf("rows: %+v", c.Rows)
	}
	pc := c.Rows[0].Paired
	if math.Abs(pc.Ratio-1.07) > 0.01 || pc.Lo > 1.07 || pc.Hi < 1.07 || pc.Rounds != 16 || !c.Rows[0].Worse {
		t.Errorf("7%% slower: ratio %.4f [%.4f, %.4f] over %d rounds, worse %v", pc.Ratio, pc.Lo, pc.Hi, pc.Rounds, c.Rows[0].Worse)
	}
	for _, tc := range []struct {
		pct  float64
		fail bool
	}{{10, false}, {5, true}, {0, true}} {
		if got := len(c.Gate(tc.pct, nil, "").Failures()) == 1; got != tc.fail {
			t.Errorf("7%% slower at a %g%% gate: failed %v, want %v", tc.pct, got, tc.fail)
		}
	}
}

// TestPairedHigherIsBetter: a throughput 10% lower fails the 5% gate, 10%
// higher does not; the best sample of a rate is its largest.
func TestPairedHigherIsBetter(t *testing.T) {
	m := newMachine(21, 10, 0.2, 0.01)
	// Throughput is 1/time: slower by 1.1 is 9.1% less throughput, more than 5%.
	old, new := m.rounds(2, "throughput_per_sec", same, func(int) float64 { return 1.1 }, 1)
	if n := len(ComparePaired(old, new, Alpha, RoundBest).Gate(5, nil, "").Failures()); n != 2 {
		t.Errorf("throughput 9%% lower: %d failures, want 2", n)
	}
	old, new = m.rounds(2, "throughput_per_sec", same, func(int) float64 { return 1 / 1.1 }, 1)
	if n := len(ComparePaired(old, new, Alpha, RoundBest).Gate(5, nil, "").Failures()); n != 0 {
		t.Errorf("throughput 10%% higher: %d failures, want 0", n)
	}
	for _, tc := range []struct {
		stat   RoundStat
		better metrics.Better
		want   float64
	}{
		{RoundBest, metrics.Lower, 1}, {RoundBest, metrics.Higher, 9}, {RoundBest, metrics.Neutral, 3},
		{RoundMedian, metrics.Lower, 3}, {RoundMedian, metrics.Higher, 3},
	} {
		if got := tc.stat.of([]float64{3, 9, 1, 4, 2}, tc.better); got != tc.want {
			t.Errorf("%s of 3 9 1 4 2 (%s is better) = %v, want %v", tc.stat, tc.better, got, tc.want)
		}
	}
}

// TestPairedBestAgainstOutliers: when a few samples of a run are hit by the
// rest of the machine (3 of 20 samples twice as slow, in whichever runs),
// the best sample of each round keeps the rounds steady; identical builds
// pass and a 10% slowdown is caught.
func TestPairedBestAgainstOutliers(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 1))
	run := func(slow float64) *Set {
		xs := make([]float64, 20)
		for k := range xs {
			xs[k] = slow * (1 + 0.003*rng.NormFloat64())
			if rng.IntN(20) < 3 {
				xs[k] *= 1 + rng.Float64()
			}
		}
		return &Set{Results: []metrics.Result{{Engine: "harness", Family: "Batch", Name: "executor=pool",
			Metrics: map[string]float64{"wall_sec": xs[0]}, Samples: map[string][]float64{"wall_sec": xs}}}}
	}
	var aOld, aNew, bNew []*Set
	for range 10 {
		aOld, aNew, bNew = append(aOld, run(1)), append(aNew, run(1)), append(bNew, run(1.1))
	}
	if n := len(ComparePaired(aOld, aNew, Alpha, RoundBest).Gate(5, nil, "").Failures()); n != 0 {
		t.Errorf("A/A with outliers: %d failures", n)
	}
	c := ComparePaired(aOld, bNew, Alpha, RoundBest)
	if n := len(c.Gate(5, nil, "").Failures()); n != 1 {
		t.Errorf("10%% slower with outliers: %d failures, want 1", n)
	}
	if pc := c.Rows[0].Paired; math.Abs(pc.Ratio-1.1) > 0.01 {
		t.Errorf("10%% slower with outliers: ratio %.4f", pc.Ratio)
	}
}

// TestPairedCannotFail: with fewer rounds than the gate needs to fail over
// its benchmarks, it says so, and how many rounds it needs: 4 rounds give
// p >= 1/16, Holm over 6 benchmarks needs p < 0.0083 = 2^-6.9: 7 rounds.
func TestPairedCannotFail(t *testing.T) {
	m := newMachine(41, 4, 0.01, 0.01)
	old, new := m.rounds(6, "wall_sec", same, func(int) float64 { return 2 }, 1)
	g := ComparePaired(old, new, Alpha, RoundMedian).Gate(5, nil, "")
	if g.MinRounds != 7 || len(g.Failures()) != 0 || !strings.Contains(g.CannotFail(), "give 7 rounds or more") {
		t.Errorf("4 rounds, 6 benchmarks: min rounds %d, %d failures, %q", g.MinRounds, len(g.Failures()), g.CannotFail())
	}
	m = newMachine(41, 7, 0.01, 0.01)
	old, new = m.rounds(6, "wall_sec", same, func(int) float64 { return 2 }, 1)
	g = ComparePaired(old, new, Alpha, RoundMedian).Gate(5, nil, "")
	if g.CannotFail() != "" || len(g.Failures()) != 6 {
		t.Errorf("7 rounds, 6 benchmarks twice as slow: %q, %d failures", g.CannotFail(), len(g.Failures()))
	}
	var b bytes.Buffer
	err := ComparePaired(old[:4], new[:4], Alpha, RoundMedian).Judge(&b, 5, nil, "")
	if err == nil || !strings.Contains(err.Error(), "4 rounds cannot fail the gate over 6 benchmarks") {
		t.Errorf("Judge with 4 rounds: %v", err)
	}
}

// TestPairedMissingRounds: a benchmark missing from a round of one build
// is paired over the other rounds; all-zero metrics are no change; a
// benchmark of one build only is listed apart.
func TestPairedMissingRounds(t *testing.T) {
	mk := func(names []string, v float64, zero bool) *Set {
		s := &Set{}
		for _, n := range names {
			ms := map[string]float64{"wall_sec": v, "allocs_per_task": 0}
			if !zero {
				delete(ms, "allocs_per_task")
			}
			s.Results = append(s.Results, metrics.Result{Engine: "harness", Family: "Batch", Name: "executor=" + n, Metrics: ms})
		}
		return s
	}
	var old, new []*Set
	for r := range 8 {
		on := []string{"pool", "steal", "gone"}
		if r == 3 {
			on = []string{"steal", "gone"}
		}
		old = append(old, mk(on, 1+0.1*float64(r), true))
		new = append(new, mk([]string{"pool", "steal", "fresh"}, (1+0.1*float64(r))*1.2, true))
	}
	c := ComparePaired(old, new, Alpha, RoundMedian)
	byName := map[string]CompareRow{}
	for _, r := range c.Rows {
		byName[r.Bench+" "+r.Metric] = r
	}
	if r := byName["Batch/executor=pool wall_sec"]; r.Paired == nil || r.Paired.Rounds != 7 || math.Abs(r.Paired.Ratio-1.2) > 1e-9 {
		t.Errorf("pool, missing from round 4 of old: %+v", r.Paired)
	}
	if r := byName["Batch/executor=steal allocs_per_task"]; r.Paired == nil || r.Paired.Ratio != 1 || r.Significant {
		t.Errorf("all-zero metric: %+v", r.Paired)
	}
	if !slices.Equal(c.OnlyOld, []string{"Batch/executor=gone"}) || !slices.Equal(c.OnlyNew, []string{"Batch/executor=fresh"}) {
		t.Errorf("only old %v, only new %v", c.OnlyOld, c.OnlyNew)
	}
}
