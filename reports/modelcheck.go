package reports

import (
	"fmt"
	"math"

	"github.com/stratbench/stratbench/metrics"
)

// ModelCheck pairs a real measurement (the harness's service mode) with the
// simulator's prediction for the same case: the check that the model can
// be trusted at scales that cannot be run.
type ModelCheck struct {
	// Name is the case both engines ran (policy=p2c/servers=8/load=0.8).
	Name string
	// Strategy is the policy.
	Strategy string
	// Real and Sim are the two results.
	Real, Sim *metrics.Result
}

// RelErr is the measured value of metric relative to the simulated one,
// (measured − simulated) / simulated, NaN when either is missing: +10%
// means the harness measured 10% more than the simulator predicted. It is
// metrics.RelErr, the <metric>_rel_err of a paired record (metrics.Pair).
func (m ModelCheck) RelErr(metric string) float64 {
	r, ok1 := m.Real.Metrics[metric]
	s, ok2 := m.Sim.Metrics[metric]
	if !ok1 || !ok2 {
		return math.NaN()
	}
	return metrics.RelErr(r, s)
}

// ModelChecks finds the harness results that have a simulator result of
// the same name (the service mode and the simulator name their cases
// alike, with times in units of the mean service time), in input order.
func ModelChecks(results []metrics.Result) []ModelCheck {
	sims := map[string]*metrics.Result{}
	for i := range results {
		r := &results[i]
		if r.Engine == metrics.EngineSim {
			if _, ok := sims[r.Name]; !ok {
				sims[r.Name] = r
			}
		}
	}
	var out []ModelCheck
	for i := range results {
		r := &results[i]
		if r.Engine != metrics.EngineHarness {
			continue
		}
		if _, ok := r.Metrics["response_mean"]; !ok {
			continue
		}
		s, ok := sims[r.Name]
		if !ok {
			continue
		}
		_, strat := StrategyOf(r)
		out = append(out, ModelCheck{Name: r.Name, Strategy: strat, Real: r, Sim: s})
	}
	return out
}

// ModelRow is one line of the "model against reality" table, as text.
type ModelRow struct {
	Case     string `json:"case"`
	Strategy string `json:"strategy"`
	Measured string `json:"measured_mean"`
	Sim      string `json:"simulated_mean"`
	// MeanErr and P99Err are ModelCheck.RelErr: (measured − simulated)
	// / simulated.
	MeanErr string `json:"mean_error"`
	RealP99 string `json:"measured_p99"`
	SimP99  string `json:"simulated_p99"`
	P99Err  string `json:"p99_error"`
}

// ModelRows are the report's model checks as table rows.
func (r *Report) ModelRows() []ModelRow {
	var out []ModelRow
	for _, c := range ModelChecks(r.Set.Results) {
		row := ModelRow{Case: FullName(c.Real), Strategy: c.Strategy}
		if e, ok := EstimateOf(c.Real, "response_mean"); ok {
			row.Measured = estimateText(e)
		}
		if e, ok := EstimateOf(c.Sim, "response_mean"); ok {
			row.Sim = estimateText(e)
		}
		row.MeanErr = pctErr(c.RelErr("response_mean"))
		if v, ok := c.Real.Metrics["response_p99"]; ok {
			row.RealP99 = FormatNumber(v)
		}
		if v, ok := c.Sim.Metrics["response_p99"]; ok {
			row.SimP99 = FormatNumber(v)
		}
		row.P99Err = pctErr(c.RelErr("response_p99"))
		out = append(out, row)
	}
	return out
}

func pctErr(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return fmt.Sprintf("%+.1f%%", 100*x)
}
