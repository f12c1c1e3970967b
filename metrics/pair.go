package metrics

import "math"

// PairedMetrics are the metrics a real record carries beside the
// simulator's figures for the same scenario (Pair), in the order tables
// show them.
var PairedMetrics = []string{"response_mean", "response_p50", "response_p90", "response_p99"}

// ComparedWith is the parameter of a paired real record that names the
// simulated record it was paired with.
const ComparedWith = "compared_with"

// RelErr is the real value relative to the simulated one, (real − sim) /
// sim: +0.1 means the real engine measured 10% more than the simulator
// predicted. It is NaN when sim is 0 or either value is NaN.
func RelErr(real, sim float64) float64 {
	if sim == 0 || math.IsNaN(sim) || math.IsNaN(real) {
		return math.NaN()
	}
	return (real - sim) / sim
}

// Pair puts the simulated record s beside the real record r of the same
// scenario: for each of PairedMetrics that both have, r gets sim_<metric>
// (the simulated value) and <metric>_rel_err (RelErr, when defined), and
// r's ComparedWith parameter names s. Nothing is set for a nil s.
func Pair(r, s *Result) {
	if r == nil || s == nil {
		return
	}
	if r.Metrics == nil {
		r.Metrics = map[string]float64{}
	}
	for _, k := range PairedMetrics {
		sv, okS := s.Metrics[k]
		rv, okR := r.Metrics[k]
		if !okS || !okR {
			continue
		}
		r.Metrics["sim_"+k] = sv
		if e := RelErr(rv, sv); !math.IsNaN(e) {
			r.Metrics[k+"_rel_err"] = e
		}
	}
	if r.Params == nil {
		r.Params = map[string]any{}
	}
	r.Params[ComparedWith] = s.Name
}
