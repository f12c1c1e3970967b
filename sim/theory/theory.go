// Package theory holds the closed forms of queueing theory that the
// simulator is checked against and that reports draw as overlays: M/M/1,
// M/G/1 (Pollaczek–Khinchine), M/G/1 processor sharing, M/M/c (Erlang C)
// and the mean-field limit of the power-of-d-choices (supermarket) model.
// It imports neither the engine nor the reports; which closed form applies
// to a policy is the policy's catalogue row's (strategies.PolicyInfo.Theory).
//
// All times are in units of the mean service time unless a function takes
// the service moments explicitly.
package theory

import (
	"math"

	"github.com/stratbench/stratbench/strategies"
)

// MM1Response is the mean response time of an M/M/1 queue with load rho and
// mean service 1: 1/(1-rho).
func MM1Response(rho float64) float64 {
	if rho >= 1 {
		return math.Inf(1)
	}
	return 1 / (1 - rho)
}

// MG1Response is the mean response time of an M/G/1 FIFO queue by the
// Pollaczek–Khinchine formula: E[S] + λE[S²]/(2(1-ρ)) with ρ = λE[S].
func MG1Response(lambda, es, es2 float64) float64 {
	rho := lambda * es
	if rho >= 1 {
		return math.Inf(1)
	}
	return es + lambda*es2/(2*(1-rho))
}

// MG1PSResponse is the mean response time of an M/G/1 processor-sharing
// queue, E[S]/(1-ρ), whatever the service distribution (insensitivity).
func MG1PSResponse(lambda, es float64) float64 {
	rho := lambda * es
	if rho >= 1 {
		return math.Inf(1)
	}
	return es / (1 - rho)
}

// ErlangC is the probability that an arriving job waits in an M/M/c queue
// with c servers and offered traffic a = λ/μ (a < c), computed with the
// stable recurrence on Erlang B.
func ErlangC(c int, a float64) float64 {
	if a >= float64(c) {
		return 1
	}
	b := 1.0 // Erlang B with 0 servers
	for k := 1; k <= c; k++ {
		b = a * b / (float64(k) + a*b)
	}
	rho := a / float64(c)
	return b / (1 - rho + rho*b)
}

// MMcResponse is the mean response time of an M/M/c queue with c servers,
// per-server load rho and mean service 1: 1 + C(c, cρ)/(c(1-ρ)).
func MMcResponse(c int, rho float64) float64 {
	if rho >= 1 {
		return math.Inf(1)
	}
	return 1 + ErlangC(c, float64(c)*rho)/(float64(c)*(1-rho))
}

// PodMeanField is the mean response time of the power-of-d-choices
// (supermarket) model in its mean-field limit N → ∞, with Poisson arrivals
// at per-server rate lambda < 1 and exponential service of mean 1:
// Σ_{i≥1} λ^((dⁱ−d)/(d−1)). For d = 1 it is M/M/1's 1/(1−λ).
func PodMeanField(lambda float64, d int) float64 {
	if lambda >= 1 {
		return math.Inf(1)
	}
	if d <= 1 {
		return MM1Response(lambda)
	}
	sum := 0.0
	di := float64(d) // d^i
	for i := 1; i < 200; i++ {
		term := math.Pow(lambda, (di-float64(d))/float64(d-1))
		sum += term
		if term < 1e-16 {
			break
		}
		di *= float64(d)
	}
	return sum
}

// Kind says how a prediction relates to the simulated system.
type Kind string

// Kinds of prediction.
const (
	Exact       Kind = "exact"       // the model is the simulated system
	LowerBound  Kind = "lower bound" // no policy of this family can do better
	Approximate Kind = "approximate" // a limit (large N) or heuristic
)

// Scenario is what a prediction needs to know of a simulated case.
type Scenario struct {
	Policy     string  // dispatch policy name
	Servers    int     // number of servers
	Load       float64 // offered load per unit of capacity
	Service    string  // service distribution kind: exp, det, ...
	ES, ES2    float64 // service mean and second moment
	Arrival    string  // arrival kind: poisson, det, onoff, trace
	Discipline string  // fifo or ps
	Uniform    bool    // all servers have speed 1
	D          int     // pod's d (0 means 2)
}

// Prediction is a theoretical mean response time for a scenario.
type Prediction struct {
	Response float64 // mean response time, in the scenario's time units
	Model    string  // which closed form, e.g. "M/M/1" or "Erlang C (M/M/c)"
	Kind     Kind
}

// Predict returns the closed form that applies to s, if any. Only Poisson
// arrivals and equal speeds have closed forms here.
func Predict(s Scenario) (Prediction, bool) {
	if s.Arrival != "poisson" || !s.Uniform || s.Servers < 1 || !(s.Load > 0) || s.Load >= 1 || !(s.ES > 0) {
		return Prediction{}, false
	}
	lambda := s.Load / s.ES // per server
	isExp := s.Service == "exp"
	ps := s.Discipline == "ps"
	th := strategies.PolicyTheory(s.Policy, strategies.PolicyConfig{Servers: s.Servers, D: s.D})
	single := s.Servers == 1 && th.Family != strategies.TheorySharedQueue
	switch {
	case ps && (th.Family == strategies.TheorySplit || single):
		return Prediction{MG1PSResponse(lambda, s.ES), "M/G/1-PS", Exact}, true
	case ps:
		return Prediction{}, false
	case th.Family == strategies.TheorySplit || single:
		if math.IsInf(s.ES2, 1) {
			return Prediction{}, false
		}
		if isExp {
			return Prediction{MG1Response(lambda, s.ES, s.ES2), "M/M/1", Exact}, true
		}
		return Prediction{MG1Response(lambda, s.ES, s.ES2), "M/G/1 (Pollaczek-Khinchine)", Exact}, true
	case (th.Family == strategies.TheorySharedQueue || th.Family == strategies.TheoryLikeSharedQueue) && isExp:
		// Least work left starts every job exactly when a central FIFO queue
		// would, so both are M/M/c.
		return Prediction{s.ES * MMcResponse(s.Servers, s.Load), "Erlang C (M/M/c)", Exact}, true
	case th.Family == strategies.TheoryPowerOfD && isExp:
		return Prediction{s.ES * PodMeanField(s.Load, th.D), "power-of-d mean field", Approximate}, true
	case th.Family == strategies.TheoryMMcBound && isExp:
		return Prediction{s.ES * MMcResponse(s.Servers, s.Load), "Erlang C (M/M/c) bound", LowerBound}, true
	}
	return Prediction{}, false
}
