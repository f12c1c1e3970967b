package reports

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/metrics"
)

func result(name string, metric string, v float64, ci []float64, samples []float64) metrics.Result {
	r := metrics.Result{Engine: "harness", Family: "Batch", Name: name, Params: map[string]any{},
		Metrics: map[string]float64{metric: v}}
	if ci != nil {
		r.CI95 = map[string][2]float64{metric: {ci[0], ci[1]}}
	}
	if samples != nil {
		r.Samples = map[string][]float64{metric: samples}
	}
	return r
}

// TestComparisonLines checks the hyperfine-style sentences and their
// significance notes.
func TestComparisonLines(t *testing.T) {
	fast := []float64{10, 10.1, 9.9, 10.2, 9.8, 10, 10.1, 9.9}
	slow := []float64{30, 30.5, 29.5, 30.2, 29.8, 30, 30.1, 29.9}
	cases := []struct {
		name    string
		results []metrics.Result
		want    string
	}{
		{
			// Throughput: higher is better, and a rate reads "ran ... faster".
			"throughput",
			[]metrics.Result{
				result("executor=goroutine/workers=2", "throughput_per_sec", 10, nil, fast),
				result("executor=pool/workers=2", "throughput_per_sec", 30, nil, slow),
			},
			"pool ran 3.00 ± 0.06 times faster than goroutine",
		},
		{
			// Latency: lower is better, said with the metric's words; ± is
			// 4 · hypot(0.5/10, 0.1/2.5) = 0.26.
			"latency",
			[]metrics.Result{
				result("policy=random/load=0.9", "response_mean", 10, []float64{9.5, 10.5}, nil),
				result("policy=p2c/load=0.9", "response_mean", 2.5, []float64{2.4, 2.6}, nil),
			},
			"p2c had 4.00 ± 0.26 times lower mean response time than random",
		},
		{
			// Overlapping intervals: the win is marked as not significant.
			"overlap",
			[]metrics.Result{
				result("policy=jsq/load=0.5", "response_mean", 1.02, []float64{0.99, 1.05}, nil),
				result("policy=sed/load=0.5", "response_mean", 1.0, []float64{0.98, 1.02}, nil),
			},
			"sed had 1.020 ± 0.036 times lower mean response time than jsq (~ not significant, p=0.28)",
		},
		{
			// No interval at all: the ratio stands alone and says so.
			"bare",
			[]metrics.Result{
				result("executor=a", "wall_sec", 2, nil, nil),
				result("executor=b", "wall_sec", 1, nil, nil),
			},
			"b ran 2.00 times faster than a (no interval: significance unknown)",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rks := Rank(tc.results, "", Units{})
			if len(rks) != 1 || len(rks[0].Comparisons) != 1 {
				t.Fatalf("rankings %+v", rks)
			}
			if got := rks[0].Comparisons[0].String(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestStrategyAndScenario pins how names split into strategy and scenario.
func TestStrategyAndScenario(t *testing.T) {
	cases := []struct {
		family, name     string
		key, label, scen string
	}{
		{"Sim", "policy=p2c/servers=10/load=0.9", "policy", "p2c", "Sim/servers=10/load=0.9"},
		{"Sim", "policy=pod/servers=10/load=0.9/d=3", "policy", "pod(d=3)", "Sim/servers=10/load=0.9"},
		{"Batch", "workload=spin/executor=queues/policy=p2c/workers=2", "executor:policy", "queues:p2c", "Batch/workload=spin/workers=2"},
		{"Batch", "workload=spin/schedule=dynamic/chunk=16/workers=2", "schedule", "dynamic(chunk=16)", "Batch/workload=spin/workers=2"},
		{"XML", "kernel=fast/scale=1", "kernel", "fast", "XML/scale=1"},
	}
	for _, tc := range cases {
		r := metrics.Result{Engine: "harness", Family: tc.family, Name: tc.name}
		key, label := StrategyOf(&r)
		if key != tc.key || label != tc.label || ScenarioOf(&r) != tc.scen {
			t.Errorf("%s: got (%s, %s, %s), want (%s, %s, %s)", tc.name, key, label, ScenarioOf(&r), tc.key, tc.label, tc.scen)
		}
	}
}

// TestEstimateFromSamples checks that a result with samples but no CI95
// gets the distribution-free interval of the median, as benchstat does.
func TestEstimateFromSamples(t *testing.T) {
	r := result("x=1", "wall_sec", 3, nil, []float64{1, 2, 3, 4, 5, 6, 7})
	e, ok := EstimateOf(&r, "wall_sec")
	if !ok || e.Center != 3 || !e.HasCI() || e.Lo > 2 || e.Hi < 6 {
		t.Errorf("estimate %+v", e)
	}
	r = result("x=1", "wall_sec", 3, nil, []float64{1, 2})
	if e, _ := EstimateOf(&r, "wall_sec"); e.HasCI() || !math.IsNaN(e.Lo) {
		t.Errorf("two samples cannot give a 95%% interval: %+v", e)
	}
	if _, ok := EstimateOf(&r, "nothing"); ok {
		t.Error("a missing metric has no estimate")
	}
	if !strings.Contains(estimateText(Estimate{Center: 1, Lo: 0.5, Hi: 2}), "[0.5, 2]") {
		t.Error("estimateText must show the interval")
	}
}

// TestAnswerChecks checks that kernels that disagree on an answer are
// named, and that agreeing kernels (at any worker count) are not.
func TestAnswerChecks(t *testing.T) {
	mk := func(name string, q5 int) metrics.Result {
		r := result(name, "mb_per_sec", 10, nil, nil)
		r.Family = "XML"
		r.Params = map[string]any{"bytes": 1000.0}
		r.Answers = map[string]any{"q1": "Jonas", "q5": q5}
		return r
	}
	ok := []metrics.Result{mk("kernel=token/workers=1", 248), mk("kernel=fast/workers=1", 248), mk("kernel=token/workers=2/executor=pool", 248)}
	if notes := answerChecks(ok); len(notes) != 0 {
		t.Errorf("agreeing kernels flagged: %v", notes)
	}
	bad := append(ok, mk("kernel=rawtoken/workers=1", 250))
	notes := answerChecks(bad)
	if len(notes) != 1 || !strings.Contains(notes[0], "q5: token gives 248, rawtoken gives 250") {
		t.Errorf("notes = %v", notes)
	}
}

// TestSummaryLeavesOutUnstable checks that a strategy whose run was
// unstable is not taken as the worst to compare with, and is named.
func TestSummaryLeavesOutUnstable(t *testing.T) {
	rs := []metrics.Result{
		result("policy=jsq/load=0.95", "response_mean", 1.2, []float64{1.1, 1.3}, nil),
		result("policy=p2c/load=0.95", "response_mean", 3, []float64{2.9, 3.1}, nil),
		result("policy=random/load=0.95", "response_mean", 20, []float64{18, 22}, nil),
		result("policy=hash/load=0.95", "response_mean", 150, []float64{50, 250}, nil),
	}
	rs[3].Params["unstable"] = true
	rep := &Report{Set: &Set{Results: rs}, Rankings: Rank(rs, "", Units{})}
	rows := rep.Summary()
	if len(rows) != 1 {
		t.Fatalf("%d summary rows", len(rows))
	}
	if r := rows[0]; r.Winner != "jsq" || r.Worst != "random" || len(r.Unstable) != 1 || r.Unstable[0] != "hash" {
		t.Errorf("best %s, worst %s, unstable %v; want jsq, random, [hash]", r.Best, r.Worst, r.Unstable)
	}
}

// TestRankTiesAndBounds pins the verdicts: exact ties are one entry,
// strategies the tests cannot tell from the leader are tied for best, a
// single winner only when it beats every other, and bounds are never
// candidates.
func TestRankTiesAndBounds(t *testing.T) {
	ci := func(v, h float64) []float64 { return []float64{v - h, v + h} }
	cases := []struct {
		name    string
		results []metrics.Result
		best    []string
		winner  string
		leader  string
		bound   string
		ranks   map[string][2]int
	}{
		{
			// jsq and sed are bit-identical: one entry "jsq = sed", which
			// beats p2c and random clearly; central is a bound, not the
			// winner, although it has the lowest value.
			name: "exact tie wins",
			results: []metrics.Result{
				result("policy=jsq/load=0.5", "response_mean", 1.065, ci(1.065, 0.01), nil),
				result("policy=central/load=0.5", "response_mean", 1.0, ci(1, 0.01), nil),
				result("policy=sed/load=0.5", "response_mean", 1.065, ci(1.065, 0.01), nil),
				result("policy=p2c/load=0.5", "response_mean", 1.3, ci(1.3, 0.01), nil),
				result("policy=random/load=0.5", "response_mean", 2, ci(2, 0.05), nil),
			},
			best: []string{"jsq", "sed"}, winner: "jsq = sed", leader: "jsq = sed", bound: "central",
			ranks: map[string][2]int{"jsq": {1, 1}, "sed": {1, 1}, "p2c": {2, 2}, "random": {3, 3}},
		},
		{
			// jiq is within noise of jsq: a tie, no winner; p2c is
			// clearly worse than both.
			name: "statistical tie",
			results: []metrics.Result{
				result("policy=jsq/load=0.9", "response_mean", 1.50, ci(1.50, 0.05), nil),
				result("policy=jiq/load=0.9", "response_mean", 1.52, ci(1.52, 0.05), nil),
				result("policy=p2c/load=0.9", "response_mean", 2.6, ci(2.6, 0.05), nil),
			},
			best: []string{"jsq", "jiq"}, winner: "", leader: "jsq",
			ranks: map[string][2]int{"jsq": {1, 2}, "jiq": {1, 2}, "p2c": {3, 3}},
		},
		{
			// b and c alone would be significantly worse than a (z-test
			// p ≈ 0.04 and 0.03: se = 0.1·√2/1.96 = 0.072); Holm over the
			// three comparisons takes d's tiny p first, then needs
			// p < 0.05/2: both are tied with a.
			name: "holm",
			results: []metrics.Result{
				result("policy=a/load=0.9", "response_mean", 1.0, ci(1.0, 0.1), nil),
				result("policy=b/load=0.9", "response_mean", 1.148, ci(1.148, 0.1), nil),
				result("policy=c/load=0.9", "response_mean", 1.157, ci(1.157, 0.1), nil),
				result("policy=d/load=0.9", "response_mean", 3, ci(3, 0.1), nil),
			},
			best: []string{"a", "b", "c"}, winner: "", leader: "a",
			ranks: map[string][2]int{"a": {1, 3}, "d": {4, 4}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rks := Rank(tc.results, "", Units{})
			if len(rks) != 1 {
				t.Fatalf("%d rankings", len(rks))
			}
			rk := rks[0]
			if !slices.Equal(rk.Best, tc.best) || rk.Winner != tc.winner || rk.Leader != tc.leader {
				t.Errorf("best %v winner %q leader %q; want %v %q %q", rk.Best, rk.Winner, rk.Leader, tc.best, tc.winner, tc.leader)
			}
			bound := ""
			if rk.BoundGap != nil {
				bound = rk.BoundGap.Best
			}
			if bound != tc.bound {
				t.Errorf("bound %q, want %q", bound, tc.bound)
			}
			for _, e := range rk.Entries {
				for _, n := range e.Names {
					if want, ok := tc.ranks[n]; ok && (e.RankLo != want[0] || e.RankHi != want[1]) {
						t.Errorf("%s ranks [%d, %d], want %v", n, e.RankLo, e.RankHi, want)
					}
				}
			}
		})
	}
}

// TestHolm checks the step-down correction against a hand computation:
// p = 0.01, 0.04, 0.03 and an unknown one (p = 1) over four tests give
// 4·0.01, max(3·0.03, 2·0.04) twice, and 1.
func TestHolm(t *testing.T) {
	cs := []Comparison{{P: 0.01, Known: true}, {P: 0.04, Known: true}, {P: 0.03, Known: true}, {P: math.NaN()}}
	holm(cs)
	want := []float64{0.04, 0.09, 0.09, 1}
	for i, c := range cs {
		if math.Abs(c.PAdj-want[i]) > 1e-12 {
			t.Errorf("PAdj[%d] = %g, want %g", i, c.PAdj, want[i])
		}
	}
	if !cs[0].Significant || cs[1].Significant || cs[3].Significant {
		t.Errorf("significance %v %v %v", cs[0].Significant, cs[1].Significant, cs[3].Significant)
	}
}

// TestRatioText pins the text of small ratios, which read "1.00 ±
// 0.00×" before.
func TestRatioText(t *testing.T) {
	for _, c := range []struct {
		ratio, err float64
		want       string
	}{
		{1.004, 0.0004, "1.004 ± 0.0004×"},
		{1.56, 0.18, "1.56 ± 0.18×"},
		{12.3, 0.4, "12.3 ± 0.4×"},
	} {
		if got := ratioText(Comparison{Ratio: c.ratio, RatioErr: c.err}); got != c.want {
			t.Errorf("ratioText(%g, %g) = %q, want %q", c.ratio, c.err, got, c.want)
		}
	}
}

// TestFewSamples checks the test used with 2 to 5 samples a side: the U
// test cannot go below p = 0.1 with 3 against 3, so a 100× difference
// would read "not significant"; Welch's t-test on the logarithms calls it,
// and still calls 3% within 5% noise a tie.
func TestFewSamples(t *testing.T) {
	mk := func(name string, v float64) metrics.Result {
		return result(name, "wall_sec", v, nil, []float64{v * 0.97, v, v * 1.04})
	}
	rk := Rank([]metrics.Result{mk("kernel=builder", 0.01), mk("kernel=plus", 1)}, "", Units{})[0]
	if rk.Winner != "builder" || rk.Comparisons[0].P > 1e-3 {
		t.Errorf("100× apart with 3 samples: winner %q, p=%g", rk.Winner, rk.Comparisons[0].P)
	}
	rk = Rank([]metrics.Result{mk("kernel=a", 1), mk("kernel=b", 1.03)}, "", Units{})[0]
	if rk.Winner != "" || len(rk.Best) != 2 {
		t.Errorf("3%% apart within the noise: winner %q, best %v", rk.Winner, rk.Best)
	}
}
