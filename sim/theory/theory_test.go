package theory

import (
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

// TestClosedForms checks the closed forms against values computed by hand
// or tabulated, and against each other where they coincide.
func TestClosedForms(t *testing.T) {
	cases := []struct {
		name      string
		got, want float64
	}{
		{"M/M/1 rho=0.5", MM1Response(0.5), 2},
		{"M/M/1 rho=0.9", MM1Response(0.9), 10},
		{"PK with exp service is M/M/1", MG1Response(0.8, 1, 2), MM1Response(0.8)},
		{"M/D/1 rho=0.8: 1 + 0.8/(2*0.2)", MG1Response(0.8, 1, 1), 3},
		{"M/G/1-PS: rho = 0.25*2", MG1PSResponse(0.25, 2), 2 / (1 - 0.5)},
		{"Erlang C, c=1 is rho", ErlangC(1, 0.7), 0.7},
		{"Erlang C, c=2, a=1: 1/3", ErlangC(2, 1), 1.0 / 3},
		{"Erlang C, c=10, a=8 (tabulated 0.4092)", ErlangC(10, 8), 0.40918},
		{"M/M/c with c=1 is M/M/1", MMcResponse(1, 0.6), MM1Response(0.6)},
		{"M/M/2 rho=0.5: 1 + (1/3)/(2*0.5)", MMcResponse(2, 0.5), 1 + (1.0/3)/(2*0.5)},
		{"mean field d=1 is M/M/1", PodMeanField(0.7, 1), MM1Response(0.7)},
		{"mean field d=2 lambda=0.9 (Mitzenmacher)", PodMeanField(0.9, 2), 2.6141},
		{"mean field d=2 lambda=0.5: sum of 0.5^(2^i-2)", PodMeanField(0.5, 2), 1 + math.Pow(0.5, 2) + math.Pow(0.5, 6) + math.Pow(0.5, 14) + math.Pow(0.5, 30)},
	}
	for _, c := range cases {
		if !near(c.got, c.want, 1e-3) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if !math.IsInf(MM1Response(1), 1) || !math.IsInf(MMcResponse(3, 1.2), 1) || !math.IsInf(PodMeanField(1, 2), 1) {
		t.Error("an unstable queue must have infinite mean response")
	}
}

// TestPredict checks which closed form applies to which scenario.
func TestPredict(t *testing.T) {
	base := Scenario{Servers: 10, Load: 0.8, Service: "exp", ES: 1, ES2: 2, Arrival: "poisson", Discipline: "fifo", Uniform: true}
	for _, tc := range []struct {
		policy, service, arrival, disc string
		uniform                        bool
		model                          string
		kind                           Kind
	}{
		{"random", "exp", "poisson", "fifo", true, "M/M/1", Exact},
		{"random", "det", "poisson", "fifo", true, "M/G/1 (Pollaczek-Khinchine)", Exact},
		{"random", "det", "poisson", "ps", true, "M/G/1-PS", Exact},
		{"central", "exp", "poisson", "fifo", true, "Erlang C (M/M/c)", Exact},
		{"lwl", "exp", "poisson", "fifo", true, "Erlang C (M/M/c)", Exact},
		{"p2c", "exp", "poisson", "fifo", true, "power-of-d mean field", Approximate},
		{"jsq", "exp", "poisson", "fifo", true, "Erlang C (M/M/c) bound", LowerBound},
		{"jsq", "det", "poisson", "fifo", true, "", ""},
		{"random", "exp", "onoff", "fifo", true, "", ""},
		{"random", "exp", "poisson", "fifo", false, "", ""},
	} {
		s := base
		s.Policy, s.Service, s.Arrival, s.Discipline, s.Uniform = tc.policy, tc.service, tc.arrival, tc.disc, tc.uniform
		if tc.service == "det" {
			s.ES2 = 1
		}
		p, ok := Predict(s)
		if ok != (tc.model != "") || p.Model != tc.model || p.Kind != tc.kind {
			t.Errorf("%+v: got %+v ok=%v, want %q (%s)", s, p, ok, tc.model, tc.kind)
		}
	}
}
