package reports

import (
	"slices"
	"strconv"
	"strings"

	"github.com/stratbench/stratbench/metrics"
)

// StrategyKeys are the parameter names that identify the strategy of a
// result. Results whose names differ only in these compete in one
// scenario. When a result has several (a per-worker-queue executor placed
// by a policy), its strategy is their values joined by ':', as the harness
// labels its profiles (queues:p2c).
var StrategyKeys = []string{"executor", "schedule", "kernel", "policy", "strategy", "via"}

// strategyModifiers are parameters that tune a strategy rather than the
// scenario (pod's d, a batch size, a chunk size): they are shown in the
// strategy's label, "pod(d=3)", instead of splitting the scenario.
var strategyModifiers = []string{"d", "dispatchers", "batch", "chunk", "weights"}

// part is one key=value component of a benchmark name; a positional
// component has an empty key.
type part struct{ key, value string }

func (p part) String() string {
	if p.key == "" {
		return p.value
	}
	return p.key + "=" + p.value
}

// nameParts splits a result's name into its parts: key=value, or a bare
// word (key "").
func nameParts(name string) []part { return appendNameParts(nil, name) }

// StrategyOf returns the strategy keys and label of r: ("policy", "p2c"),
// ("executor:policy", "queues:p2c"), ("policy", "pod(d=3)"). A result
// without a strategy key is its own strategy, named after its name.
func StrategyOf(r *metrics.Result) (key, label string) {
	return strategyOf(r, nameParts(r.Name))
}

// strategyOf is StrategyOf with r's name already split into parts.
func strategyOf(r *metrics.Result, parts []part) (key, label string) {
	var keys, vals, mods []string
	for _, k := range StrategyKeys {
		for _, p := range parts {
			if p.key == k {
				keys, vals = append(keys, k), append(vals, p.value)
				break
			}
		}
	}
	if len(keys) == 0 {
		// The name does not say; a parameter may (but only one, since
		// records may carry unused defaults).
		for _, k := range StrategyKeys {
			if v, ok := r.Params[k]; ok {
				return k, metrics.FormatValue(v)
			}
		}
		return "", r.Name
	}
	for _, p := range parts {
		if slices.Contains(strategyModifiers, p.key) {
			mods = append(mods, p.String())
		}
	}
	label = strings.Join(vals, ":")
	if len(mods) > 0 {
		label += "(" + strings.Join(mods, ",") + ")"
	}
	return strings.Join(keys, ":"), label
}

// ScenarioOf returns r's benchmark name (Family/key=value/...) without its
// strategy: the scenario in which strategies compete.
func ScenarioOf(r *metrics.Result) string {
	return scenarioWithout(r)
}

// scenarioWithout returns r's benchmark name without its strategy parts and
// without the parameters listed in drop.
func scenarioWithout(r *metrics.Result, drop ...string) string {
	parts := nameParts(r.Name)
	key, _ := strategyOf(r, parts)
	return scenarioOf(r, parts, key, drop...)
}

// scenarioOf is scenarioWithout with r's name split into parts and its
// strategy key worked out.
func scenarioOf(r *metrics.Result, parts []part, key string, drop ...string) string {
	skip := func(k string) bool {
		if slices.Contains(drop, k) {
			return true
		}
		if key == "" {
			return false
		}
		if slices.Contains(strategyModifiers, k) {
			return true
		}
		for s := range strings.SplitSeq(key, ":") {
			if s == k {
				return true
			}
		}
		return false
	}
	var b strings.Builder
	n := 0
	if r.Family != "" || r.Engine != engineBench {
		family, _, _ := strings.Cut(r.BenchName(), "/")
		b.WriteString(family)
		n++
	}
	for _, p := range parts {
		if p.key != "" && skip(p.key) {
			continue
		}
		if key == "" && p.key == "" {
			// A name without keys is the strategy itself.
			continue
		}
		if n > 0 {
			b.WriteByte('/')
		}
		n++
		if p.key != "" {
			b.WriteString(p.key)
			b.WriteByte('=')
		}
		b.WriteString(p.value)
	}
	return b.String()
}

// FullName is r's Go benchmark name without the "Benchmark" prefix:
// Family/Name as in Sim/policy=p2c/servers=100/load=0.9, or just the name
// of a top-level benchmark read from Go benchmark text.
func FullName(r *metrics.Result) string {
	if r.Family == "" && r.Engine == engineBench {
		return r.Name
	}
	return r.BenchName()
}

// param returns r's parameter k as a string, from Params or the name.
func param(r *metrics.Result, k string) (string, bool) {
	if v, ok := r.Params[k]; ok {
		return metrics.FormatValue(v), true
	}
	for _, p := range nameParts(r.Name) {
		if p.key == k {
			return p.value, true
		}
	}
	return "", false
}

// paramFloat returns r's parameter k as a number.
func paramFloat(r *metrics.Result, k string) (float64, bool) {
	switch v := r.Params[k].(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case uint64:
		return float64(v), true
	}
	s, ok := param(r, k)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// headlinePriority lists the metrics that best say who wins, in order.
var headlinePriority = []string{
	"response_mean", "mb_per_sec", "throughput_per_sec", "wall_sec",
	"sec/op", "ns/op", "MB/s", "B/s",
}

// Headline returns the metric that decides which strategy wins among
// results: the first of headlinePriority that all of them have, else the
// first rate (…/s) they share, else the first metric they share.
func Headline(rs []*metrics.Result) string {
	if len(rs) == 0 {
		return ""
	}
	return pickHeadline(rs[0].MetricNames(), func(m string) bool {
		for _, r := range rs {
			if _, ok := r.Metrics[m]; !ok {
				if _, ok := r.Samples[m]; !ok {
					return false
				}
			}
		}
		return true
	})
}

// pickHeadline is the headline among names (the first result's metrics) for
// results that all have the metrics for which has is true: the first of
// headlinePriority they all have, else their first rate, else their first
// metric.
func pickHeadline(names []string, has func(m string) bool) string {
	for _, m := range headlinePriority {
		if has(m) {
			return m
		}
	}
	for _, m := range names {
		if isRate(m, "") && has(m) {
			return m
		}
	}
	for _, m := range names {
		if has(m) {
			return m
		}
	}
	return ""
}

// scenarioGroup is the results of one scenario, one per strategy (the
// first of each strategy in input order when a strategy repeats).
type scenarioGroup struct {
	Scenario string
	Results  []*metrics.Result
}

// groupByScenario groups results by ScenarioOf in first-seen order.
func groupByScenario(results []metrics.Result) []scenarioGroup {
	return groupBy(results, func(r *metrics.Result) string { return ScenarioOf(r) })
}

func groupBy(results []metrics.Result, key func(*metrics.Result) string) []scenarioGroup {
	var out []scenarioGroup
	idx := map[string]int{}
	for i := range results {
		r := &results[i]
		k := key(r)
		j, ok := idx[k]
		if !ok {
			j = len(out)
			idx[k] = j
			out = append(out, scenarioGroup{Scenario: k})
		}
		out[j].Results = append(out[j].Results, r)
	}
	return out
}

// strategies returns the distinct strategy labels of rs in first-seen order.
func strategies(rs []*metrics.Result) []string {
	var out []string
	for _, r := range rs {
		_, s := StrategyOf(r)
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// describeScenario turns "Sim/servers=10/load=0.9" into "Sim, servers=10,
// load=0.9" for tables.
func describeScenario(s string) string {
	return strings.ReplaceAll(s, "/", " ")
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
