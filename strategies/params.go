package strategies

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Param declares one setting of a policy. A policy's catalogue row
// (PolicyInfo.Params) lists its parameters once; everything else takes
// them from there: the policy reads its settings (Options.Get), every
// engine builds it from the same Options, the --policy-opt flag of every
// command and the suite keys POLICY.PARAM parse them (ParsePolicyOpt,
// Param.Check), records and case names write them (PolicyConfig.Params,
// NameParams) and `stratbench list policies` shows them.
type Param struct {
	// Name is the parameter's name, written POLICY.NAME on a command line
	// and in a suite (prequal.pool).
	Name string
	// Help says what it is, in a few words.
	Help string
	// Default is its value when not set.
	Default float64
	// Min and Max bound it; MinOpen and MaxOpen exclude the bound itself.
	Min, Max         float64
	MinOpen, MaxOpen bool
	// Int marks a whole number.
	Int bool
	// Source says where the default comes from (a paper's section, a
	// product's documentation), or why it is ours.
	Source string
}

// Range writes the allowed values: [1, 1024], (0, 1], ...
func (p Param) Range() string {
	lo, hi := "[", "]"
	if p.MinOpen {
		lo = "("
	}
	if p.MaxOpen {
		hi = ")"
	}
	return lo + FormatOpt(p.Min) + ", " + FormatOpt(p.Max) + hi
}

// Check reports a value outside the parameter's range (or not whole for
// an integer parameter), naming policy.param and the range; nil if x is
// allowed.
func (p Param) Check(policy string, x float64) error {
	ok := !math.IsNaN(x) &&
		(x > p.Min || (!p.MinOpen && x == p.Min)) &&
		(x < p.Max || (!p.MaxOpen && x == p.Max))
	what := "a number"
	if p.Int {
		what = "an integer"
		ok = ok && x == math.Trunc(x)
	}
	if !ok {
		return fmt.Errorf("%s.%s must be %s in %s, got %s", policy, p.Name, what, p.Range(), FormatOpt(x))
	}
	return nil
}

// FormatOpt writes a parameter's value as ParsePolicyOpt reads it back
// (the shortest form that round-trips).
func FormatOpt(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e9 {
		return strconv.FormatFloat(x, 'f', -1, 64) // 1048576, not 1.048576e+06
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// Options are the settings given to one policy, by parameter name; a
// parameter not set takes its default (Param.Default). nil sets none.
type Options map[string]float64

// Get returns the value of the parameter of that name among params (a
// row's): set, else its default. The name must be declared.
func (o Options) Get(params []Param, name string) float64 {
	if x, ok := o[name]; ok {
		return x
	}
	p, ok := paramOf(params, name)
	if !ok {
		panic("strategies: no parameter " + name + " is declared")
	}
	return p.Default
}

// nonDefault reports whether any option differs from its default.
func (o Options) nonDefault(params []Param) bool {
	for _, p := range params {
		if x, ok := o[p.Name]; ok && x != p.Default {
			return true
		}
	}
	return false
}

// paramOf returns the parameter of that name among params.
func paramOf(params []Param, name string) (Param, bool) {
	i := slices.IndexFunc(params, func(p Param) bool { return p.Name == name })
	if i < 0 {
		return Param{}, false
	}
	return params[i], true
}

// paramNames lists the parameters' names.
func paramNames(params []Param) string {
	names := make([]string, len(params))
	for i, p := range params {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// policiesWithParams lists the policies that declare parameters.
func policiesWithParams() string {
	var names []string
	for _, p := range Policies {
		if len(p.Params) > 0 {
			names = append(names, p.Name)
		}
	}
	return strings.Join(names, ", ")
}

// ValidateOptions reports the first option the named policy does not
// declare or whose value is out of its range, or returns nil.
func ValidateOptions(policy string, o Options) error {
	if len(o) == 0 {
		return nil
	}
	row, ok := LookupPolicy(policy)
	if !ok {
		return ValidatePolicy(policy)
	}
	if len(row.Params) == 0 {
		return fmt.Errorf("policy %s has no parameters (those that have: %s)", policy, policiesWithParams())
	}
	return checkOptions(policy, row.Params, o)
}

// checkOptions is ValidateOptions against the parameters declared.
func checkOptions(policy string, params []Param, o Options) error {
	names := make([]string, 0, len(o))
	for k := range o {
		names = append(names, k)
	}
	slices.Sort(names) // the same error whatever the map's order
	for _, k := range names {
		p, ok := paramOf(params, k)
		if !ok {
			return fmt.Errorf("policy %s has no parameter %q (its parameters: %s)", policy, k, paramNames(params))
		}
		if err := p.Check(policy, o[k]); err != nil {
			return err
		}
	}
	return nil
}

// PolicyOptions are the options of several policies, by policy name: what
// a command's --policy-opt flags give to the policies it runs.
type PolicyOptions map[string]Options

// maxPolicyOpt bounds the length of one POLICY.PARAM=VALUE.
const maxPolicyOpt = 256

// PolicyOptSyntax is the form ParsePolicyOpt reads, for help and errors.
const PolicyOptSyntax = "POLICY.PARAM=VALUE (as prequal.pool=16; stratbench list policies shows each policy's parameters)"

// ParsePolicyOpt reads one POLICY.PARAM=VALUE and checks it against the
// policy's catalogue row: a known policy that declares the parameter, a
// number in its range.
func ParsePolicyOpt(spec string) (policy, param string, value float64, err error) {
	if len(spec) > maxPolicyOpt {
		return "", "", 0, fmt.Errorf("%.40q...: longer than %d bytes", spec, maxPolicyOpt)
	}
	lhs, v, ok := strings.Cut(strings.TrimSpace(spec), "=")
	policy, param, dot := strings.Cut(strings.TrimSpace(lhs), ".")
	if !ok || !dot || policy == "" || param == "" || strings.TrimSpace(v) == "" {
		return "", "", 0, fmt.Errorf("%q: want %s", spec, PolicyOptSyntax)
	}
	row, known := LookupPolicy(policy)
	if !known {
		return "", "", 0, fmt.Errorf("%q: %w", spec, ValidatePolicy(policy))
	}
	if len(row.Params) == 0 {
		return "", "", 0, fmt.Errorf("%q: policy %s has no parameters (those that have: %s)", spec, policy, policiesWithParams())
	}
	p, found := paramOf(row.Params, param)
	if !found {
		return "", "", 0, fmt.Errorf("%q: policy %s has no parameter %q (its parameters: %s)", spec, policy, param, paramNames(row.Params))
	}
	value, perr := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if perr != nil {
		return "", "", 0, fmt.Errorf("%q: %s.%s must be a number in %s, got %q", spec, policy, param, p.Range(), v)
	}
	if err := p.Check(policy, value); err != nil {
		return "", "", 0, fmt.Errorf("%q: %w", spec, err)
	}
	return policy, param, value, nil
}

// ParsePolicyOpts reads several POLICY.PARAM=VALUE (ParsePolicyOpt); a
// parameter given twice is an error.
func ParsePolicyOpts(specs []string) (PolicyOptions, error) {
	out := PolicyOptions{}
	for _, s := range specs {
		pol, name, x, err := ParsePolicyOpt(s)
		if err != nil {
			return nil, err
		}
		if out[pol] == nil {
			out[pol] = Options{}
		}
		if _, dup := out[pol][name]; dup {
			return nil, fmt.Errorf("%s.%s is given twice", pol, name)
		}
		out[pol][name] = x
	}
	return out, nil
}

// Only checks that every policy given options is among those run, and
// returns an error naming the first that is not.
func (po PolicyOptions) Only(policies []string) error {
	names := make([]string, 0, len(po))
	for k := range po {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if !slices.Contains(policies, k) {
			return fmt.Errorf("options for %s, but the policies run are %s", k, strings.Join(policies, ", "))
		}
	}
	return nil
}

// Specs writes o, the options of policy, as POLICY.PARAM=VALUE in the
// order the row declares them (what ParsePolicyOpts reads back).
func (o Options) Specs(policy string) []string {
	row, ok := LookupPolicy(policy)
	if !ok {
		return nil
	}
	var out []string
	for _, p := range row.Params {
		if x, set := o[p.Name]; set {
			out = append(out, policy+"."+p.Name+"="+FormatOpt(x))
		}
	}
	return out
}

// optionParams records a row's options: the whole set with defaults filled
// in, under the policy's name, when any differs from its default (records
// of default settings stay as they were); the name carries those that
// differ, in declared order.
func optionParams(row *PolicyInfo, c PolicyConfig) (map[string]any, []any) {
	if !c.Options.nonDefault(row.Params) {
		return nil, nil
	}
	all := map[string]any{}
	var name []any
	for _, p := range row.Params {
		x := c.Options.Get(row.Params, p.Name)
		var v any = x
		if p.Int {
			v = int(x)
		}
		all[p.Name] = v
		if x != p.Default {
			name = append(name, p.Name, v)
		}
	}
	return map[string]any{row.Name: all}, name
}
