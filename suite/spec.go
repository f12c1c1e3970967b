// Package suite runs comparison suites: a YAML file lists cases, each case
// sweeps parameters (lists, ranges, cartesian products) over strategies, and
// every combination runs in the simulator, the real harness, or both. The
// results are appended to DIR/results.jsonl as each run finishes, so an
// interrupted suite keeps what it finished and --resume goes on from there;
// --shard i/n runs a deterministic slice so that a sweep can be spread over
// a batch system and merged by `stratbench report`.
//
// A suite file:
//
//	name: policies            # optional
//	seed: 1                   # default seed of every run (--seed overrides)
//	cases:
//	  - name: sim-policies
//	    type: queueing        # queueing | batch | kernel | cluster
//	    engine: sim           # sim | harness | both (queueing only)
//	    policy: [random, jsq, p2c]
//	    servers: 100
//	    load: {from: 0.5, to: 0.9, step: 0.2}
//	    jobs: 200000
//	    quick: {jobs: 20000}  # overrides under --quick
//
// Every parameter takes a scalar, a list, or a range {from, to, step}; a
// case runs the cartesian product of its lists, in the order the keys are
// documented (`stratbench suite --keys` lists them). A few parameters take
// their whole list into one run instead (a batch run's executors and
// schedules, which it interleaves round by round so that drift of the
// machine hits them alike).
package suite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/strategies"
)

// File is a parsed and validated suite file.
type File struct {
	// Path names the file in messages ("default" for the embedded suite).
	Path string
	// Name is the suite's name.
	Name string
	// Seed is the default seed of every run.
	Seed uint64
	// Cases are the suite's cases, in file order.
	Cases []Case
}

// Case is one case of a suite: a type of experiment, an engine, and
// parameters whose lists are swept.
type Case struct {
	Name   string
	Type   string
	Engine string
	// Params maps a parameter to its alternatives (one for a scalar).
	Params map[string][]any
	// Quick holds the alternatives that replace Params under --quick.
	Quick map[string][]any
	// Line is the case's line in the file.
	Line int
	// Lines maps each parameter to the line of its value, for errors.
	Lines map[string]int
}

// Kind is the type of a parameter's values.
type Kind int

// Parameter kinds.
const (
	String Kind = iota
	Int
	Float
	Duration
)

func (k Kind) String() string {
	return [...]string{"string", "integer", "number", "duration"}[k]
}

// Param describes one parameter a case type accepts.
type Param struct {
	Name string
	Kind Kind
	Help string
	// Min is the smallest allowed value for numbers (NaN: any).
	Min float64
	// List marks parameters whose list is passed whole to one run (the
	// strategies a batch run interleaves) instead of being swept.
	List bool
}

// Type describes a case type: the engines it runs on and its parameters.
type Type struct {
	Name    string
	Help    string
	Engines []string
	Params  []Param
}

var types []Type

// registerType adds a case type; runner files register theirs from init.
func registerType(t Type) { types = append(types, t) }

// Types returns the case types in name order.
func Types() []Type {
	out := slices.Clone(types)
	slices.SortFunc(out, func(a, b Type) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func typeByName(name string) (Type, bool) {
	i := slices.IndexFunc(types, func(t Type) bool { return t.Name == name })
	if i < 0 {
		return Type{}, false
	}
	return types[i], true
}

func typeNames() string {
	var names []string
	for _, t := range Types() {
		names = append(names, t.Name)
	}
	return strings.Join(names, ", ")
}

// ParseFile reads and validates a suite file.
func ParseFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, bad.Input(err)
	}
	defer f.Close()
	// Read no more than a suite can be: a 2 GB file was read whole before
	// it was refused.
	b, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, bad.Input(err)
	}
	if len(b) > maxFileBytes {
		return nil, bad.Inputf("%s: larger than %d MB, the limit of a suite file (a suite is a few cases; sweeps are ranges {from, to, step})", path, maxFileBytes>>20)
	}
	return Parse(path, b)
}

// maxFileBytes bounds a suite file.
const maxFileBytes = 16 << 20

// Parse validates a suite from its YAML text. Errors are bad input and read
// `file:line: what is wrong (what is allowed)`.
func Parse(path string, data []byte) (*File, error) {
	p := &parser{path: path}
	f, err := p.file(data)
	if err != nil {
		return nil, bad.Input(err)
	}
	return f, nil
}

type parser struct{ path string }

func (p *parser) errf(n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return fmt.Errorf("%s:%d: %s", p.path, line, fmt.Sprintf(format, args...))
}

var topKeys = []string{"name", "seed", "cases"}

// yamlParserError reports whether a yaml.v3 error message comes from its
// parser (rather than its scanner): those give the line where the
// unfinished construct began, counted from 0.
func yamlParserError(msg string) bool {
	for _, m := range []string{"did not find expected <document start>", "did not find expected node content",
		"did not find expected key", "did not find expected '-' indicator", "did not find expected ',' or ']'",
		"did not find expected ',' or '}'"} {
		if strings.HasPrefix(msg, m) {
			return true
		}
	}
	return false
}

// findAlias returns the first alias in n (an anchor's *use*), or nil. An
// alias reached the parameter checks as an unknown kind of value and got
// a misleading message ("want a value, a list or a range").
func findAlias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode {
		return n
	}
	for _, c := range n.Content {
		if a := findAlias(c); a != nil {
			return a
		}
	}
	return nil
}

func (p *parser) file(data []byte) (*File, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty suite file (want a mapping with cases:)", p.path)
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		var line int
		if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
			_, msg, _ = strings.Cut(msg, ": ")
			if yamlParserError(msg) {
				line++ // yaml.v3 counts lines from 0 in its parser's errors (from 1 in its scanner's)
			}
			return nil, fmt.Errorf("%s:%d: %s", p.path, line, msg)
		}
		return nil, fmt.Errorf("%s: %s", p.path, msg)
	}
	if a := findAlias(&doc); a != nil {
		return nil, p.errf(a, "YAML aliases (*%s) and merge keys are not supported in a suite: write the value out where it is used", a.Value)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, p.errf(root, "a suite is a mapping with name, seed and cases")
	}
	f := &File{Path: p.path, Seed: 1}
	var cases *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "name":
			if v.Kind != yaml.ScalarNode {
				return nil, p.errf(v, "name must be a string")
			}
			f.Name = v.Value
		case "seed":
			s, err := strconv.ParseUint(v.Value, 10, 64)
			if v.Kind != yaml.ScalarNode || err != nil {
				return nil, p.errf(v, "seed must be a non-negative integer, got %q", v.Value)
			}
			f.Seed = s
		case "cases":
			cases = v
		default:
			return nil, p.errf(k, "unknown key %q (allowed: %s)", k.Value, strings.Join(topKeys, ", "))
		}
	}
	if cases == nil {
		return nil, p.errf(root, "no cases: (a suite needs a list of cases)")
	}
	if cases.Kind != yaml.SequenceNode || len(cases.Content) == 0 {
		return nil, p.errf(cases, "cases must be a non-empty list")
	}
	names := map[string]int{}
	total := 0.0
	for i, cn := range cases.Content {
		c, err := p.caseNode(cn, i)
		if err != nil {
			return nil, err
		}
		n := c.combinations()
		if n > maxRuns {
			return nil, p.errf(cn, "case %s sweeps %.3g combinations, more than %d: split it into several cases", c.Name, n, maxRuns)
		}
		if total += n; total > maxRuns {
			// Every run is expanded before any runs (about 325 bytes each
			// with its parameters): bound the whole suite, not a case.
			return nil, p.errf(cn, "the suite sweeps %.3g runs up to case %s, more than %d in one suite (about %.1f GB to list them): split it into several suites or shrink the sweeps", total, c.Name, maxRuns, total*runBytes/1e9)
		}
		if prev, dup := names[c.Name]; dup {
			return nil, p.errf(cn, "case name %q is used twice (first at line %d)", c.Name, prev)
		}
		names[c.Name] = cn.Line
		f.Cases = append(f.Cases, c)
	}
	return f, nil
}

func (p *parser) caseNode(n *yaml.Node, index int) (Case, error) {
	c := Case{Line: n.Line, Params: map[string][]any{}, Lines: map[string]int{}}
	if n.Kind != yaml.MappingNode {
		return c, p.errf(n, "case %d must be a mapping with type, engine and parameters", index+1)
	}
	get := func(key string) *yaml.Node {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
		return nil
	}
	tn := get("type")
	if tn == nil {
		return c, p.errf(n, "case %d has no type (allowed: %s)", index+1, typeNames())
	}
	t, ok := typeByName(tn.Value)
	if !ok {
		return c, p.errf(tn, "unknown case type %q (allowed: %s)", tn.Value, typeNames())
	}
	c.Type = t.Name
	c.Name = fmt.Sprintf("%s-%d", t.Name, index+1)
	if nn := get("name"); nn != nil {
		if nn.Kind != yaml.ScalarNode || nn.Value == "" || strings.ContainsAny(nn.Value, "/ \t") {
			return c, p.errf(nn, "case name must be a word without spaces or '/', got %q", nn.Value)
		}
		c.Name = nn.Value
	}
	c.Engine = t.Engines[0]
	if en := get("engine"); en != nil {
		if !slices.Contains(t.Engines, en.Value) {
			return c, p.errf(en, "case %s: engine %q is not available for type %s (allowed: %s)", c.Name, en.Value, t.Name, strings.Join(t.Engines, ", "))
		}
		c.Engine = en.Value
	}
	allowed := []string{"name", "type", "engine", "quick"}
	opts := false
	for _, prm := range t.Params {
		if _, _, ok := optionOf(prm.Name); ok {
			opts = true // listed once, below
			continue
		}
		allowed = append(allowed, prm.Name)
	}
	if opts {
		allowed = append(allowed, "POLICY.PARAM (a policy's parameter: stratbench list policies)")
	}
	unknown := func(key string) string {
		if pol, name, dot := strings.Cut(key, "."); dot {
			if _, _, _, err := strategies.ParsePolicyOpt(pol + "." + name + "=0"); err != nil && opts && strings.Contains(err.Error(), "parameter") {
				_, msg, _ := strings.Cut(err.Error(), ": ")
				return msg
			}
		}
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "name", "type", "engine":
			continue
		case "quick":
			if v.Kind != yaml.MappingNode {
				return c, p.errf(v, "case %s: quick must be a mapping of parameters", c.Name)
			}
			c.Quick = map[string][]any{}
			for j := 0; j+1 < len(v.Content); j += 2 {
				qk, qv := v.Content[j], v.Content[j+1]
				prm, ok := paramOf(t, qk.Value)
				if !ok {
					if msg := unknown(qk.Value); msg != "" {
						return c, p.errf(qk, "case %s: quick: %s", c.Name, msg)
					}
					return c, p.errf(qk, "case %s: unknown parameter %q in quick (allowed for %s: %s)", c.Name, qk.Value, t.Name, strings.Join(allowed[4:], ", "))
				}
				vals, err := p.values(c.Name, prm, qv)
				if err != nil {
					return c, err
				}
				c.Quick[prm.Name] = vals
			}
			continue
		}
		prm, ok := paramOf(t, k.Value)
		if !ok {
			if msg := unknown(k.Value); msg != "" {
				return c, p.errf(k, "case %s: %s", c.Name, msg)
			}
			return c, p.errf(k, "case %s: unknown key %q (allowed for %s: %s)", c.Name, k.Value, t.Name, strings.Join(allowed, ", "))
		}
		vals, err := p.values(c.Name, prm, v)
		if err != nil {
			return c, err
		}
		c.Params[prm.Name] = vals
		c.Lines[prm.Name] = v.Line
	}
	return c, p.checkOptions(&c, n)
}

// checkOptions checks a case's policy parameters (POLICY.PARAM): each
// value in the parameter's range, and the policy among those the case
// runs (a key for a policy it never runs would be silently ignored).
func (p *parser) checkOptions(c *Case, n *yaml.Node) error {
	runs := func(pol string) bool {
		for _, alts := range [][]any{c.Params["policy"], c.Quick["policy"]} {
			for _, a := range alts {
				if a == pol {
					return true
				}
			}
		}
		return false
	}
	for _, m := range []map[string][]any{c.Params, c.Quick} {
		for k, vals := range m {
			pol, d, ok := optionOf(k)
			if !ok {
				continue
			}
			at := &yaml.Node{Line: c.Lines[k]}
			if at.Line == 0 {
				at = n
			}
			if !runs(pol) {
				return p.errf(at, "case %s: %s is a parameter of policy %s, which the case does not run (set policy: %s)", c.Name, k, pol, pol)
			}
			for _, v := range vals {
				var x float64
				switch v := v.(type) {
				case int64:
					x = float64(v)
				case float64:
					x = v
				}
				if err := d.Check(pol, x); err != nil {
					return p.errf(at, "case %s: %v", c.Name, err)
				}
			}
		}
	}
	return nil
}

// maxRuns bounds the combinations of one case and of a whole suite.
const maxRuns = 1_000_000

// runBytes is about the memory of one expanded run (6.5 GB for 20M runs).
const runBytes = 325

// combinations is the number of runs the case sweeps (the larger of its
// full and quick forms), as a float so that it cannot overflow.
func (c *Case) combinations() float64 {
	t, _ := typeByName(c.Type)
	count := func(quick bool) float64 {
		n := 1.0
		for _, p := range t.Params {
			vals, ok := c.Params[p.Name]
			if q, qok := c.Quick[p.Name]; quick && qok {
				vals, ok = q, true
			}
			if ok && !p.List {
				n *= float64(len(vals))
			}
		}
		return n
	}
	return max(count(false), count(true))
}

func paramOf(t Type, name string) (Param, bool) {
	i := slices.IndexFunc(t.Params, func(p Param) bool { return p.Name == name })
	if i < 0 {
		return Param{}, false
	}
	return t.Params[i], true
}

// values reads a parameter's alternatives: a scalar, a list of scalars, or
// a range {from, to, step} (numbers only; to is included when a whole
// number of steps lands on it).
func (p *parser) values(caseName string, prm Param, n *yaml.Node) ([]any, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		v, err := p.scalar(caseName, prm, n)
		if err != nil {
			return nil, err
		}
		return []any{v}, nil
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return nil, p.errf(n, "case %s: %s: empty list", caseName, prm.Name)
		}
		var out []any
		for _, e := range n.Content {
			if e.Kind != yaml.ScalarNode {
				return nil, p.errf(e, "case %s: %s: list items must be scalars", caseName, prm.Name)
			}
			v, err := p.scalar(caseName, prm, e)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		return p.rangeOf(caseName, prm, n)
	}
	return nil, p.errf(n, "case %s: %s: want a value, a list or a range {from, to, step}", caseName, prm.Name)
}

func (p *parser) rangeOf(caseName string, prm Param, n *yaml.Node) ([]any, error) {
	if prm.Kind != Int && prm.Kind != Float {
		return nil, p.errf(n, "case %s: %s is a %s; ranges {from, to, step} are for numbers", caseName, prm.Name, prm.Kind)
	}
	var from, to, step float64
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		x, err := strconv.ParseFloat(v.Value, 64)
		if v.Kind != yaml.ScalarNode || err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, p.errf(v, "case %s: %s: range %s must be a number, got %q", caseName, prm.Name, k.Value, v.Value)
		}
		switch k.Value {
		case "from":
			from = x
		case "to":
			to = x
		case "step":
			step = x
		default:
			return nil, p.errf(k, "case %s: %s: unknown range key %q (allowed: from, to, step)", caseName, prm.Name, k.Value)
		}
		seen[k.Value] = true
	}
	if !seen["from"] || !seen["to"] || !seen["step"] {
		return nil, p.errf(n, "case %s: %s: a range needs from, to and step", caseName, prm.Name)
	}
	if !(step > 0) || to < from {
		return nil, p.errf(n, "case %s: %s: a range needs step > 0 and to >= from", caseName, prm.Name)
	}
	count := int(math.Floor((to-from)/step+1e-9)) + 1
	if count > 10000 {
		return nil, p.errf(n, "case %s: %s: range has %d values, more than 10000", caseName, prm.Name, count)
	}
	var out []any
	for i := range count {
		x := from + float64(i)*step
		x = math.Round(x*1e9) / 1e9 // 0.1+0.2 stays 0.3 in names
		if prm.Kind == Int {
			if x != math.Trunc(x) {
				return nil, p.errf(n, "case %s: %s is an integer; the range gives %g", caseName, prm.Name, x)
			}
			out = append(out, int64(x))
		} else {
			out = append(out, x)
		}
		if err := checkMin(prm, x); err != nil {
			return nil, p.errf(n, "case %s: %v", caseName, err)
		}
	}
	return out, nil
}

func checkMin(prm Param, x float64) error {
	if !math.IsNaN(prm.Min) && x < prm.Min {
		return fmt.Errorf("%s must be >= %g, got %g", prm.Name, prm.Min, x)
	}
	return nil
}

func (p *parser) scalar(caseName string, prm Param, n *yaml.Node) (any, error) {
	s := n.Value
	switch prm.Kind {
	case String:
		if s == "" {
			return nil, p.errf(n, "case %s: %s must not be empty", caseName, prm.Name)
		}
		return s, nil
	case Int:
		x, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
		if err != nil {
			return nil, p.errf(n, "case %s: %s must be an integer, got %q", caseName, prm.Name, s)
		}
		if err := checkMin(prm, float64(x)); err != nil {
			return nil, p.errf(n, "case %s: %v", caseName, err)
		}
		return x, nil
	case Float:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, p.errf(n, "case %s: %s must be a number, got %q", caseName, prm.Name, s)
		}
		if err := checkMin(prm, x); err != nil {
			return nil, p.errf(n, "case %s: %v", caseName, err)
		}
		return x, nil
	case Duration:
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return nil, p.errf(n, "case %s: %s must be a duration such as 10us or 1ms, got %q", caseName, prm.Name, s)
		}
		return d, nil
	}
	return nil, p.errf(n, "case %s: %s: unsupported kind", caseName, prm.Name)
}
