package strategies_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stratbench/stratbench/strategies"
)

// probeView answers probes: every server reports its load and a latency
// estimate from lat.
type probeView struct {
	*fakeView
	lat []float64
}

func (v *probeView) Probe(i int) (int, float64) { return v.load[i], v.lat[i] }

// TestPrequalAvoidsSlowServer checks, through the Prober interface, that a
// server whose probes report a high latency gets almost nothing while the
// others are cold, and that its probes are used only when the cold ones are
// gone. The first query has no probes to go by (asynchronous probing: they
// are sent after it) and goes to a random server.
func TestPrequalAvoidsSlowServer(t *testing.T) {
	p := newPolicy(t, "prequal", strategies.PolicyConfig{Servers: 5})
	v := &probeView{fakeView: newView(5), lat: []float64{50, 1, 1, 1, 1}}
	count := make([]int, 5)
	for i := range 1000 {
		s := p.Pick(v, strategies.Job{ID: uint64(i)})
		count[s]++
		v.load[s]++
		if i%2 == 1 { // a departure from the most loaded server every other query
			m := 0
			for k := range v.load {
				if v.load[k] > v.load[m] {
					m = k
				}
			}
			v.load[m]--
		}
		v.now++
	}
	if count[0] > 20 {
		t.Errorf("the slow server got %d of 1000 queries, want almost none: %v", count[0], count)
	}
	for s := 1; s < 5; s++ {
		if count[s] < 100 {
			t.Errorf("server %d got %d of 1000 queries, want a good share: %v", s, count[s], count)
		}
	}
}

// TestPrequalInProcessLatency checks the estimate prequal makes itself when
// the engine does not answer probes: completions of 20 units at server 0
// and 1 unit elsewhere steer queries away from server 0.
func TestPrequalInProcessLatency(t *testing.T) {
	p := newPolicy(t, "prequal", strategies.PolicyConfig{Servers: 4})
	obs := p.(strategies.Observer)
	v := newView(4)
	for s := range 4 {
		lat := 1.0
		if s == 0 {
			lat = 20
		}
		for k := range 5 {
			j := strategies.Job{ID: uint64(100*s + k)}
			v.load[s] = 1
			obs.Dispatched(v, s, j)
			v.load[s] = 0
			obs.Completed(v, s, j, lat)
		}
	}
	count := make([]int, 4)
	for range 400 {
		count[p.Pick(v, strategies.Job{})]++
	}
	if count[0] > 5 {
		t.Errorf("server 0 (latency 20) got %d of 400 queries: %v", count[0], count)
	}
}

// TestPrequalHealth checks that a server out of service is neither probed
// nor picked.
func TestPrequalHealth(t *testing.T) {
	p := newPolicy(t, "prequal", strategies.PolicyConfig{Servers: 3})
	v := &healthView{fakeView: newView(3), upSince: []float64{0, -1, 0}}
	for range 500 {
		if p.Pick(v, strategies.Job{}) == 1 {
			t.Fatal("prequal picked a server out of service")
		}
	}
}

// TestPrequalDeterministic checks that the same seed gives the same picks.
func TestPrequalDeterministic(t *testing.T) {
	run := func() []int {
		p := newPolicy(t, "prequal", strategies.PolicyConfig{Servers: 8, Rand: rand.New(rand.NewPCG(5, 6))})
		v := newView(8)
		var got []int
		for i := range 300 {
			s := p.Pick(v, strategies.Job{})
			got = append(got, s)
			v.load[s]++
			v.load[i%8] = max(v.load[i%8]-1, 0)
			v.now += 0.3
		}
		return got
	}
	a, b := run(), run()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("pick %d differs: %d and %d", i, a[i], b[i])
		}
	}
}

func TestPrequalParamsErrors(t *testing.T) {
	for _, tc := range []struct {
		o    strategies.Options
		want string
	}{
		{strategies.Options{"probe_rate": 0}, "prequal.probe_rate must be a number in (0, 64], got 0"},
		{strategies.Options{"pool": 0}, "prequal.pool must be an integer in [1, 1024], got 0"},
		{strategies.Options{"pool": 1025}, "prequal.pool must be an integer in [1, 1024], got 1025"},
		{strategies.Options{"remove_rate": -1}, "prequal.remove_rate must be a number in [0, 64], got -1"},
		{strategies.Options{"reuse_delta": math.NaN()}, "prequal.reuse_delta must be a number in [0, 1000000], got NaN"},
		{strategies.Options{"q_rif": 1.5}, "prequal.q_rif must be a number in [0, 1], got 1.5"},
		{strategies.Options{"max_age": 0}, "prequal.max_age must be a number in (0, 1e+12], got 0"},
		{strategies.Options{"qrif": 0.5}, `policy prequal has no parameter "qrif" (its parameters: probe_rate, pool, remove_rate, reuse_delta, q_rif, max_age)`},
	} {
		_, err := strategies.NewPolicy("prequal", strategies.PolicyConfig{Servers: 2, Options: tc.o, Rand: rand.New(rand.NewPCG(1, 1))})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v: error %v, want %q", tc.o, err, tc.want)
		}
	}
	if _, err := strategies.NewPolicy("p2c", strategies.PolicyConfig{Servers: 2, Options: strategies.Options{"pool": 1}, Rand: rand.New(rand.NewPCG(1, 1))}); err == nil ||
		err.Error() != "policy p2c has no parameters (those that have: leastreq, prequal)" {
		t.Errorf("options for p2c: %v", err)
	}
}
