package suite

import (
	"math"
	"strings"

	"github.com/stratbench/stratbench/strategies"
)

// policyOptParams are the suite keys of the policies' declared parameters
// (strategies.PolicyInfo.Params): one key POLICY.PARAM a parameter
// (prequal.pool), swept like any other key. A run takes the keys of its
// own policy; for a run of another policy of the same case they are left
// out (and the runs that differ only by them are one run).
func policyOptParams() []Param {
	var out []Param
	for _, row := range strategies.Policies {
		for _, p := range row.Params {
			kind := Float
			if p.Int {
				kind = Int
			}
			help := p.Help + "; " + p.Range() + ", default " + strategies.FormatOpt(p.Default) + " (" + p.Source + ")"
			out = append(out, Param{row.Name + "." + p.Name, kind, help, math.NaN(), false})
		}
	}
	return out
}

// optionOf returns the policy and the declared parameter of a suite key
// POLICY.PARAM; ok is false for other keys.
func optionOf(key string) (policy string, p strategies.Param, ok bool) {
	policy, name, dot := strings.Cut(key, ".")
	if !dot {
		return "", strategies.Param{}, false
	}
	row, known := strategies.LookupPolicy(policy)
	if !known {
		return "", strategies.Param{}, false
	}
	for _, d := range row.Params {
		if d.Name == name {
			return policy, d, true
		}
	}
	return "", strategies.Param{}, false
}

// policyOptions returns the options a run gives its policy.
func policyOptions(r *Run, policy string) strategies.Options {
	var o strategies.Options
	for k, v := range r.Params {
		pol, d, ok := optionOf(k)
		if !ok || pol != policy {
			continue
		}
		if o == nil {
			o = strategies.Options{}
		}
		switch x := v.(type) {
		case int64:
			o[d.Name] = float64(x)
		case float64:
			o[d.Name] = x
		}
	}
	return o
}

// runPolicy is the policy of a combination of a case's parameters (the
// default p2c when the case names none).
func runPolicy(combo map[string]any) string {
	if p, ok := combo["policy"].(string); ok {
		return p
	}
	return "p2c"
}
