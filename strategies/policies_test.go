package strategies_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/strategies"
)

// fakeView is a View over plain slices, for policy unit tests.
type fakeView struct {
	load  []int
	speed []float64
	work  []float64
	now   float64
}

func newView(n int) *fakeView {
	v := &fakeView{load: make([]int, n), speed: make([]float64, n), work: make([]float64, n)}
	for i := range v.speed {
		v.speed[i] = 1
	}
	return v
}

func (v *fakeView) Servers() int        { return len(v.load) }
func (v *fakeView) Load(i int) int      { return v.load[i] }
func (v *fakeView) Speed(i int) float64 { return v.speed[i] }
func (v *fakeView) Work(i int) float64  { return v.work[i] }
func (v *fakeView) Now() float64        { return v.now }

func newPolicy(t *testing.T, name string, cfg strategies.PolicyConfig) strategies.Policy {
	t.Helper()
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(1, 2))
	}
	p, err := strategies.NewPolicy(name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestWRRNginxOrder checks nginx's smooth weighted round robin: weights
// 5,1,1 give a a b a c a a, spreading the heavy server's turns.
func TestWRRNginxOrder(t *testing.T) {
	p := newPolicy(t, "wrr", strategies.PolicyConfig{Servers: 3, Weights: []float64{5, 1, 1}})
	v := newView(3)
	var got strings.Builder
	for range 14 {
		got.WriteByte("abc"[p.Pick(v, strategies.Job{})])
	}
	if want := "aabacaa" + "aabacaa"; got.String() != want {
		t.Errorf("wrr 5,1,1 picked %s, want %s", got.String(), want)
	}
}

// TestRRCycles checks that round robin visits servers in turn.
func TestRRCycles(t *testing.T) {
	p := newPolicy(t, "rr", strategies.PolicyConfig{Servers: 4})
	v := newView(4)
	for i := range 12 {
		if got := p.Pick(v, strategies.Job{}); got != i%4 {
			t.Fatalf("pick %d = %d, want %d", i, got, i%4)
		}
	}
}

// TestPodDistinct checks that pod never samples a server twice: with d = N
// it must always find the single idle server.
func TestPodDistinct(t *testing.T) {
	for n := 2; n <= 6; n++ {
		p := newPolicy(t, "pod", strategies.PolicyConfig{Servers: n, D: n})
		v := newView(n)
		for trial := range 200 {
			for i := range v.load {
				v.load[i] = 5
			}
			idle := trial % n
			v.load[idle] = 0
			if got := p.Pick(v, strategies.Job{}); got != idle {
				t.Fatalf("n=%d d=%d: picked %d, the idle server is %d", n, n, got, idle)
			}
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		n := 1 + r.IntN(50)
		k := 1 + r.IntN(10)
		s := strategies.SampleDistinct(r, n, k, nil)
		if len(s) != min(n, k) {
			t.Fatalf("SampleDistinct(%d, %d) gave %d servers", n, k, len(s))
		}
		sorted := slices.Clone(s)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != len(s) {
			t.Fatalf("SampleDistinct(%d, %d) repeated a server: %v", n, k, s)
		}
		for _, x := range s {
			if x < 0 || x >= n {
				t.Fatalf("SampleDistinct(%d, %d) out of range: %v", n, k, s)
			}
		}
	}
}

// TestShortestQueueRandomTieBreak checks that jsq picks a least-loaded server
// and spreads ties uniformly.
func TestShortestQueueRandomTieBreak(t *testing.T) {
	p := newPolicy(t, "jsq", strategies.PolicyConfig{Servers: 4})
	v := newView(4)
	v.load = []int{3, 1, 2, 1}
	counts := map[int]int{}
	for range 4000 {
		counts[p.Pick(v, strategies.Job{})]++
	}
	if counts[0] != 0 || counts[2] != 0 {
		t.Fatalf("jsq picked a longer queue: %v", counts)
	}
	if c := counts[1]; c < 1800 || c > 2200 {
		t.Errorf("ties not split evenly: %v", counts)
	}
}

// TestHashMovesFewKeys checks consistent hashing: adding an 11th server
// moves about 1/11 of the keys (ring and Maglev), never many more.
func TestHashMovesFewKeys(t *testing.T) {
	for _, tc := range []struct {
		name   string
		lookup func(n int) func(uint64) int
	}{
		{"ring", func(n int) func(uint64) int { return strategies.NewRing(n, 100).Lookup }},
		{"maglev", func(n int) func(uint64) int { return strategies.NewMaglev(n).Lookup }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, after := tc.lookup(10), tc.lookup(11)
			const keys = 100_000
			moved := 0
			perServer := make([]int, 11)
			for k := range uint64(keys) {
				a, b := before(k), after(k)
				perServer[b]++
				if a != b {
					moved++
					if b != 10 && tc.name == "ring" {
						t.Fatalf("key %d moved between old servers %d -> %d", k, a, b)
					}
				}
			}
			frac := float64(moved) / keys
			// 1/11 ≈ 0.091; Maglev trades a little disruption for balance.
			if frac < 0.06 || frac > 0.13 {
				t.Errorf("%.3f of keys moved, want about 1/11", frac)
			}
			for s, c := range perServer {
				if share := float64(c) / keys; share < 0.06 || share > 0.125 {
					t.Errorf("server %d owns %.3f of keys, want about 1/11", s, share)
				}
			}
		})
	}
}

// TestJIQUsesIdleServers checks that jiq sends jobs to idle servers while it
// knows of any, and re-learns a server when it completes.
func TestJIQUsesIdleServers(t *testing.T) {
	p := newPolicy(t, "jiq", strategies.PolicyConfig{Servers: 5, Dispatchers: 1})
	obs := p.(strategies.Observer)
	v := newView(5)
	seen := map[int]bool{}
	for range 5 {
		s := p.Pick(v, strategies.Job{})
		if v.load[s] != 0 || seen[s] {
			t.Fatalf("jiq picked busy server %d while idle ones were known", s)
		}
		seen[s] = true
		v.load[s]++
	}
	v.load[3] = 0
	obs.Completed(v, 3, strategies.Job{}, 1)
	if s := p.Pick(v, strategies.Job{}); s != 3 {
		t.Errorf("jiq picked %d, want the server that just became idle (3)", s)
	}
}

// TestLeastWorkAndSED checks the work- and speed-aware policies.
func TestLeastWorkAndSED(t *testing.T) {
	v := newView(3)
	v.work = []float64{5, 2, 3}
	v.speed = []float64{4, 1, 1} // server 0 finishes its 5 units in 1.25
	p := newPolicy(t, "lwl", strategies.PolicyConfig{Servers: 3, Speeds: v.speed})
	if got := p.Pick(v, strategies.Job{}); got != 0 {
		t.Errorf("lwl picked %d, want 0 (least work per speed)", got)
	}
	v.load = []int{3, 0, 1}
	p = newPolicy(t, "sed", strategies.PolicyConfig{Servers: 3, Speeds: v.speed})
	// (3+1)/4 = 1 = (0+1)/1: a tie between 0 and 1, never 2.
	for range 100 {
		if got := p.Pick(v, strategies.Job{}); got == 2 {
			t.Fatalf("sed picked 2 with expected delay 2")
		}
	}
}

// TestCentralHoldsWhenBusy checks that central sends to idle servers and
// holds jobs when none is idle.
func TestCentralHoldsWhenBusy(t *testing.T) {
	for _, speeds := range [][]float64{nil, {2, 1, 1}} {
		p := newPolicy(t, "central", strategies.PolicyConfig{Servers: 3, Speeds: speeds})
		obs := p.(strategies.Observer)
		v := newView(3)
		if speeds != nil {
			v.speed = speeds
		}
		for range 3 {
			s := p.Pick(v, strategies.Job{})
			if s == strategies.Hold || v.load[s] != 0 {
				t.Fatalf("central picked %d with idle servers", s)
			}
			v.load[s]++
			obs.Dispatched(v, s, strategies.Job{})
		}
		if s := p.Pick(v, strategies.Job{}); s != strategies.Hold {
			t.Fatalf("central picked %d with every server busy, want Hold", s)
		}
		v.load[1] = 0
		obs.Completed(v, 1, strategies.Job{}, 1)
		if s := p.Pick(v, strategies.Job{}); s != 1 {
			t.Fatalf("central picked %d, want the idle server 1", s)
		}
	}
}

// TestEWMAAvoidsSlowServer checks that peak EWMA steers away from a server
// whose latency was observed to be high.
func TestEWMAAvoidsSlowServer(t *testing.T) {
	p := newPolicy(t, "ewma", strategies.PolicyConfig{Servers: 2})
	obs := p.(strategies.Observer)
	v := newView(2)
	obs.Completed(v, 0, strategies.Job{}, 10)
	obs.Completed(v, 1, strategies.Job{}, 1)
	for range 50 {
		if got := p.Pick(v, strategies.Job{}); got != 1 {
			t.Fatalf("ewma picked the slow server")
		}
	}
}

// TestNewPolicyErrors checks that bad configurations name the problem.
func TestNewPolicyErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		name string
		cfg  strategies.PolicyConfig
		want string
	}{
		{"nope", strategies.PolicyConfig{Servers: 1, Rand: r}, "unknown policy \"nope\" (known: random, rr"},
		{"rr", strategies.PolicyConfig{Servers: 0, Rand: r}, "servers must be > 0"},
		{"wrr", strategies.PolicyConfig{Servers: 2, Weights: []float64{1, -1}, Rand: r}, "weight of server 1"},
		{"pod", strategies.PolicyConfig{Servers: 2, D: -1, Rand: r}, "d must be >= 1"},
		{"pod", strategies.PolicyConfig{Servers: 4, D: 9, Rand: r}, "d must be at most the number of servers (4), got 9"},
		{"wrr", strategies.PolicyConfig{Servers: 3, Weights: []float64{1e308, 1e308, 1e308}, Rand: r}, "weight of server 0 must be a number in [1e-09, 1e+09], got 1e+308"},
		{"rr", strategies.PolicyConfig{Servers: 2, Speeds: []float64{1}, Rand: r}, "1 speeds for 2 servers"},
	} {
		_, err := strategies.NewPolicy(tc.name, tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestValidatePolicyAndSpeeds(t *testing.T) {
	if err := strategies.ValidatePolicy("p2c"); err != nil {
		t.Errorf("p2c: %v", err)
	}
	if err := strategies.ValidatePolicy("nope"); err == nil || !strings.Contains(err.Error(), `unknown policy "nope" (known: random, rr`) {
		t.Errorf("nope: %v", err)
	}
	inf := math.Inf(1)
	for _, tc := range []struct {
		servers         int
		speeds, weights []float64
		want            string // "" for no error
	}{
		{2, []float64{1, 2}, nil, ""},
		{2, []float64{1, 2}, []float64{3, 1}, ""},
		{0, nil, nil, ""},                                      // no servers is the caller's to refuse
		{2, []float64{1}, nil, "1 speeds given for 2 servers"}, // one short
		{2, nil, nil, "0 speeds given for 2 servers"},          // defaults are the caller's
		{2, []float64{1, 1}, []float64{1}, "1 weights given for 2 servers"},
		{2, []float64{1, 0}, nil, "speed of server 1 must be a number in [1e-06, 1e+06], got 0"},
		{2, []float64{math.NaN(), 1}, nil, "speed of server 0 must be a number in [1e-06, 1e+06], got NaN"},
		{2, []float64{1, inf}, nil, "speed of server 1 must be a number in [1e-06, 1e+06], got +Inf"},
		{1, []float64{-1}, []float64{1, 1}, "2 weights given"}, // lengths before values
	} {
		err := strategies.ValidateSpeeds(tc.servers, tc.speeds, tc.weights)
		if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ValidateSpeeds(%d, %v, %v) = %v, want %q", tc.servers, tc.speeds, tc.weights, err, tc.want)
		}
	}
}

func TestPolicyParams(t *testing.T) {
	for _, tc := range []struct {
		policy string
		cfg    strategies.PolicyConfig
		want   map[string]any
	}{
		// Uniform speeds are the default: not recorded.
		{"rr", strategies.PolicyConfig{Speeds: []float64{1, 1}}, map[string]any{}},
		{"wrr", strategies.PolicyConfig{Speeds: []float64{1, 2}, Weights: []float64{2, 1}},
			map[string]any{"speeds": []float64{1, 2}, "weights": []float64{2, 1}}},
		// pod's d and jiq's dispatchers as the policies use them.
		{"pod", strategies.PolicyConfig{}, map[string]any{"d": 2}},
		{"pod", strategies.PolicyConfig{D: 3}, map[string]any{"d": 3}},
		{"jiq", strategies.PolicyConfig{}, map[string]any{"dispatchers": 1}},
		{"jiq", strategies.PolicyConfig{Dispatchers: 4}, map[string]any{"dispatchers": 4}},
		// Settings of other policies are not theirs to record.
		{"jsq", strategies.PolicyConfig{D: 3, Dispatchers: 4}, map[string]any{}},
	} {
		if got := tc.cfg.Params(tc.policy); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %+v: %v, want %v", tc.policy, tc.cfg, got, tc.want)
		}
	}
	if !strategies.UniformSpeeds(nil) || strategies.UniformSpeeds([]float64{1, 0.5}) {
		t.Error("UniformSpeeds: nil is uniform, {1, 0.5} is not")
	}
}

// shrinkingView's work left shrinks a little at every read, as the
// harness's does with the clock.
type shrinkingView struct {
	*fakeView
	reads int
}

func (v *shrinkingView) Work(i int) float64 {
	v.reads++
	return v.work[i] - 1e-9*float64(v.reads)
}

// TestPolicyReadsViewOnce is the regression test for lwl sending every job
// to server 0 in the harness: its two passes read the work left twice, the
// values moved in between, and the second pass found no minimum. Policies
// now read each server once per decision.
func TestPolicyReadsViewOnce(t *testing.T) {
	v := &shrinkingView{fakeView: newView(4)}
	v.work = []float64{5, 3, 1, 4}
	p := newPolicy(t, "lwl", strategies.PolicyConfig{Servers: 4})
	for range 100 {
		if got := p.Pick(v, strategies.Job{}); got != 2 {
			t.Fatalf("lwl picked %d, want 2 (least work left)", got)
		}
	}
}

// The catalogue marks the reference bounds apart from deployable policies.
func TestPolicyBounds(t *testing.T) {
	for _, p := range strategies.Policies {
		want := p.Name == "central" || p.Name == "lwl"
		if p.Bound != want || strategies.IsBound(p.Name) != want || p.Deployable() == want {
			t.Errorf("%s: Bound %v, IsBound %v, Deployable %v; want bound %v", p.Name, p.Bound, strategies.IsBound(p.Name), p.Deployable(), want)
		}
		if row, ok := strategies.LookupPolicy(p.Name); !ok || row.Name != p.Name {
			t.Errorf("strategies.LookupPolicy(%q) = %v, %v", p.Name, row.Name, ok)
		}
	}
	if strategies.IsBound("nope") {
		t.Error("an unknown policy is a bound")
	}
	if _, ok := strategies.LookupPolicy("nope"); ok {
		t.Error("LookupPolicy found an unknown policy")
	}
}

// workSpy is a View that counts the calls of Work.
type workSpy struct {
	*fakeView
	calls int
}

func (v *workSpy) Work(i int) float64 { v.calls++; return v.fakeView.Work(i) }

// TestReadsWork drives every policy of the catalogue through picks,
// dispatches and completions on a view whose loads and work change, and
// expects a policy for which ReadsWork is false never to call Work (an
// engine that believes it keeps no work), and lwl to say it reads it.
func TestReadsWork(t *testing.T) {
	const n = 6
	for _, row := range strategies.Policies {
		p := newPolicy(t, row.Name, strategies.PolicyConfig{Servers: n})
		v := &workSpy{fakeView: newView(n)}
		r := rand.New(rand.NewPCG(3, 4))
		obs, _ := p.(strategies.Observer)
		for i := range 2000 {
			for s := range n {
				v.load[s] = r.IntN(4)
				v.work[s] = float64(v.load[s]) * r.Float64()
			}
			v.now += r.ExpFloat64()
			j := strategies.Job{ID: uint64(i), Key: r.Uint64(), Size: r.ExpFloat64()}
			s := p.Pick(v, j)
			if obs != nil && s >= 0 {
				obs.Dispatched(v, s, j)
				obs.Completed(v, s, j, r.ExpFloat64())
			}
		}
		if got := strategies.ReadsWork(p); !got && v.calls > 0 {
			t.Errorf("%s: ReadsWork is false, but it read Work %d times", row.Name, v.calls)
		}
		if row.Name == "lwl" && (!strategies.ReadsWork(p) || v.calls == 0) {
			t.Errorf("lwl: ReadsWork is %v and it read Work %d times, want true and some", strategies.ReadsWork(p), v.calls)
		}
	}
}
