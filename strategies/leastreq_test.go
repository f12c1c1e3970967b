package strategies_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stratbench/stratbench/strategies"
)

// healthView is a fakeView whose servers can be out of service.
type healthView struct {
	*fakeView
	upSince []float64
}

func (v *healthView) UpSince(i int) float64 { return v.upSince[i] }

// TestLeastReqEqualWeightsIsP2C checks that with equal weights leastreq is
// Envoy's two-choice least request: the same picks and draws as p2c on
// random loads.
func TestLeastReqEqualWeightsIsP2C(t *testing.T) {
	lr := newPolicy(t, "leastreq", strategies.PolicyConfig{Servers: 7, Rand: rand.New(rand.NewPCG(3, 4))})
	p2c := newPolicy(t, "p2c", strategies.PolicyConfig{Servers: 7, Rand: rand.New(rand.NewPCG(3, 4))})
	v := newView(7)
	loads := rand.New(rand.NewPCG(9, 9))
	for i := range 2000 {
		for k := range v.load {
			v.load[k] = loads.IntN(5)
		}
		if a, b := lr.Pick(v, strategies.Job{}), p2c.Pick(v, strategies.Job{}); a != b {
			t.Fatalf("pick %d: leastreq %d, p2c %d", i, a, b)
		}
	}
}

// TestLeastReqWeights checks the unequal-weight schedule: with bias 0 the
// picks follow the weights exactly (earliest deadline first), and with
// bias 1 a busy server's effective weight w/(active+1) shrinks.
func TestLeastReqWeights(t *testing.T) {
	p := newPolicy(t, "leastreq", strategies.PolicyConfig{Servers: 3, Weights: []float64{4, 2, 1}, Options: strategies.Options{"bias": 0}})
	v := newView(3)
	count := make([]int, 3)
	for range 700 {
		count[p.Pick(v, strategies.Job{})]++
	}
	for i, want := range []int{400, 200, 100} {
		if d := count[i] - want; d < -1 || d > 1 {
			t.Errorf("bias 0: server %d got %d of 700 picks, want %d ± 1 (weights 4,2,1)", i, count[i], want)
		}
	}

	// Bias 1: server 0 (weight 2) with 3 active has effective weight 0.5,
	// server 1 (weight 1) idle has 1: server 1 gets about twice the picks.
	p = newPolicy(t, "leastreq", strategies.PolicyConfig{Servers: 2, Weights: []float64{2, 1}})
	v = newView(2)
	v.load[0] = 3
	count = make([]int, 2)
	for range 300 {
		count[p.Pick(v, strategies.Job{})]++
	}
	if count[1] < 190 || count[1] > 210 {
		t.Errorf("bias 1: the idle server got %d of 300 picks, want about 200 (effective weights 0.5 and 1)", count[1])
	}
}

// TestLeastReqSlowStart checks slow start: a server back in service for
// a tenth of the window has its weight scaled by max(10%, 0.1) and gets
// about a tenth of a full server's share; after the window it is back to
// two-choice least request; a server out of service is never picked.
func TestLeastReqSlowStart(t *testing.T) {
	p := newPolicy(t, "leastreq", strategies.PolicyConfig{Servers: 2, Options: strategies.Options{"slow_start_window": 100}})
	v := &healthView{fakeView: newView(2), upSince: []float64{0, 500}}
	v.now = 510 // server 1 came back 10 units ago: factor 0.1
	count := make([]int, 2)
	for range 1100 {
		count[p.Pick(v, strategies.Job{})]++
	}
	if count[1] < 95 || count[1] > 105 {
		t.Errorf("slow start: the returning server got %d of 1100 picks, want about 100 (weight 0.1 against 1)", count[1])
	}
	v.now = 700 // past the window: equal weights, two random choices
	count = make([]int, 2)
	for range 1000 {
		count[p.Pick(v, strategies.Job{})]++
	}
	// With two servers both are sampled and the first (server 0) wins ties,
	// as pod does when d >= N; give server 0 a job so that server 1 wins.
	if count[0] != 1000 {
		t.Errorf("after slow start with 2 servers: server 0 got %d of 1000 tied picks, want all (the sample is both, in order)", count[0])
	}
	v.load[0] = 1
	if got := p.Pick(v, strategies.Job{}); got != 1 {
		t.Errorf("after slow start: picked %d, want the idle server 1", got)
	}
	v.upSince[1] = -1 // down
	for range 200 {
		if p.Pick(v, strategies.Job{}) == 1 {
			t.Fatal("leastreq picked a server out of service")
		}
	}
}

func TestLeastReqParamsErrors(t *testing.T) {
	for _, tc := range []struct {
		o    strategies.Options
		want string
	}{
		{strategies.Options{"choices": 0}, "leastreq.choices must be an integer in [1, 1048576], got 0"},
		{strategies.Options{"choices": 2.5}, "leastreq.choices must be an integer in [1, 1048576], got 2.5"},
		{strategies.Options{"bias": -1}, "leastreq.bias must be a number in [0, 100], got -1"},
		{strategies.Options{"bias": math.NaN()}, "leastreq.bias must be a number in [0, 100], got NaN"},
		{strategies.Options{"slow_start_window": math.Inf(1)}, "leastreq.slow_start_window must be a number in [0, 1e+12], got +Inf"},
		{strategies.Options{"aggression": 0}, "leastreq.aggression must be a number in (0, 100], got 0"},
		{strategies.Options{"min_weight_percent": 101}, "leastreq.min_weight_percent must be a number in [0, 100], got 101"},
		{strategies.Options{"pool": 3}, `policy leastreq has no parameter "pool" (its parameters: choices, bias, slow_start_window, aggression, min_weight_percent)`},
	} {
		_, err := strategies.NewPolicy("leastreq", strategies.PolicyConfig{Servers: 2, Options: tc.o, Rand: rand.New(rand.NewPCG(1, 1))})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v: error %v, want %q", tc.o, err, tc.want)
		}
	}
}
