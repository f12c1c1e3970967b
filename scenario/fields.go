package scenario

import (
	"strings"
	"time"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/field"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

// Fields are the settings of the scenario *sc(c) of a configuration C as
// a field table (servers, distributions, speeds and weights, d and
// dispatchers, seed, faults, network delay), with fault times in units of
// unit(c) (nil: numbers of the simulator's time units). The policy and the
// load are not among them: each command says how many it runs.
func Fields[C any](sc func(*C) *Scenario, unit func(*C) time.Duration) []field.Field[C] {
	faultTimes := "T and D: numbers of time units"
	if unit != nil {
		faultTimes = "T and D: durations such as 2s"
	}
	fs := []field.Field[C]{
		field.Count("servers", "number of servers", "", field.NoMin, func(c *C) *int { return &sc(c).Servers }),
		{Name: "service", Kind: field.String, Default: "exp",
			Usage: "service-time distribution: exp, det, lognormal:sigma=S, pareto:alpha=A, bimodal:p=P,ratio=R, hyperexp:scv=C, empirical:FILE (mean 1 unless mean=M)",
			Set: func(c *C, v string) (err error) {
				if sc(c).Service, err = workloads.ParseSize(v); err != nil {
					return bad.Field("service", ": %v", err)
				}
				return nil
			}},
		{Name: "arrival", Kind: field.String, Default: "poisson", Usage: "arrival process: poisson, det, onoff[:on=T,off=T], trace:FILE (CSV: time,size)",
			Set: func(c *C, v string) (err error) {
				if sc(c).Arrival, err = workloads.ParseArrival(v); err != nil {
					return bad.Field("arrival", ": %v", err)
				}
				return nil
			}},
		{Name: "speeds", Kind: field.String, Usage: "relative server speeds, comma-separated, one per server (default all 1)",
			Set: func(c *C, v string) (err error) { sc(c).Speeds, err = field.Floats("speeds", v); return err }},
		{Name: "weights", Kind: field.String, Usage: "wrr weights, one per server (default the speeds)",
			Set: func(c *C, v string) (err error) { sc(c).Weights, err = field.Floats("weights", v); return err }},
	}
	fs = append(fs, ChoiceFields(func(c *C) *int { return &sc(c).D }, func(c *C) *int { return &sc(c).Dispatchers })...)
	return append(fs,
		field.Big("seed", "seed of every random stream", "1", func(c *C) *uint64 { return &sc(c).Seed }),
		field.Field[C]{Name: "fault", Kind: field.List, Usage: "a timed event, repeatable: " + FaultSyntax + " (" + faultTimes + "; no for: to the end)",
			Set: func(c *C, v string) (err error) {
				u := time.Duration(0)
				if unit != nil {
					u = unit(c)
				}
				sc(c).Faults, err = ParseFaults(joinFaultPieces(strings.Split(v, ",")), u)
				return bad.Input(err)
			}},
		field.Flag("retry", "the balancer sends again the jobs a server held when it went down (default: they are lost and counted)", func(c *C) *bool { return &sc(c).Retry }),
		field.Number("network_delay", "fixed transport time every job spends outside the queues (to its server and back), in time units, added to its response (run cluster measures it)", "",
			func(c *C) *float64 { return &sc(c).NetworkDelay }),
		field.Number("view_delay", "how long after a server finishes a job the dispatcher learns of it (the round trip between them), in time units: policies that read loads see a job until then (run cluster measures it)", "",
			func(c *C) *float64 { return &sc(c).ViewDelay }),
	)
}

// ChoiceFields are the settings of the policies that choose among some
// servers, in a configuration C: d (pod's choices) and dispatchers (jiq's).
func ChoiceFields[C any](d, dispatchers func(*C) *int) []field.Field[C] {
	return []field.Field[C]{
		field.Count("d", "choices of pod", "2", 1, d),
		field.Count("dispatchers", "dispatchers of jiq", "1", 1, dispatchers),
	}
}

// OptsField is the field policy_opt of a configuration C that runs the
// policies policies(c) (set before it): the policies' declared parameters,
// given to set.
func OptsField[C any](policies func(*C) []string, set func(*C, strategies.PolicyOptions)) field.Field[C] {
	return field.Field[C]{Name: "policy_opt", Kind: field.List,
		Usage: "a policy's parameter, repeatable or comma-separated: " + strategies.PolicyOptSyntax + "; applies to that policy wherever it runs",
		Set: func(c *C, v string) error {
			po, err := strategies.ParsePolicyOpts(field.Split(v))
			if err == nil {
				err = po.Only(policies(c))
			}
			if err != nil {
				return bad.Field("policy_opt", "%v", err)
			}
			set(c, po)
			return nil
		}}
}

// joinFaultPieces undoes a split at commas: a piece that starts with a
// fault kind and ':' begins a fault, the others continue the previous one.
func joinFaultPieces(pieces []string) []string {
	var out []string
	for _, p := range pieces {
		kind, _, ok := strings.Cut(p, ":")
		if len(out) == 0 || (ok && (kind == string(FaultSlow) || kind == string(FaultDown))) {
			out = append(out, p)
			continue
		}
		out[len(out)-1] += "," + p
	}
	return out
}
