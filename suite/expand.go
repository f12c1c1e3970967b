package suite

import (
	"strconv"
	"strings"
	"time"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/metrics"
)

// Run is one combination of a case's parameters: the unit that runs,
// is appended to results.jsonl, resumed and sharded.
type Run struct {
	// ID names the run uniquely and stably: case/key=value/...
	ID string
	// Case is the case the run comes from.
	Case *Case
	// Params holds one value per parameter that the case sets.
	Params map[string]any
	// Seed is the run's seed.
	Seed uint64
	// Index is the run's position in the whole suite (before sharding).
	Index int
	// Tag tells apart the parts of a run that write files of their own
	// (the kernels of a kernel run): it is appended to profile names.
	Tag string
}

// Str returns parameter name as a string, or def when unset.
func (r *Run) Str(name, def string) string {
	if v, ok := r.Params[name]; ok {
		return v.(string)
	}
	return def
}

// Int returns parameter name as an int, or def when unset.
func (r *Run) Int(name string, def int64) int64 {
	if v, ok := r.Params[name]; ok {
		return v.(int64)
	}
	return def
}

// Float returns parameter name as a float64, or def when unset.
func (r *Run) Float(name string, def float64) float64 {
	if v, ok := r.Params[name]; ok {
		return v.(float64)
	}
	return def
}

// Duration returns parameter name as a duration, or def when unset.
func (r *Run) Duration(name string, def time.Duration) time.Duration {
	if v, ok := r.Params[name]; ok {
		return v.(time.Duration)
	}
	return def
}

// List returns a whole-list parameter's values as strings (nil when unset).
func (r *Run) List(name string) []string {
	list, _ := r.Params[name].([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		out = append(out, metrics.FormatValue(x))
	}
	return out
}

// Ints returns a whole-list parameter's values as ints (nil when unset).
func (r *Run) Ints(name string) []int {
	list, _ := r.Params[name].([]any)
	var out []int
	for _, x := range list {
		out = append(out, int(x.(int64)))
	}
	return out
}

// Has reports whether the case sets parameter name.
func (r *Run) Has(name string) bool { _, ok := r.Params[name]; return ok }

// Expand lists the runs of a suite: for each case, the cartesian product of
// its parameters' alternatives, keys in the order of the case type's
// parameter table. With quick, each case's quick overrides apply. seed, if
// not nil, replaces the suite's seed (a case's own seed parameter wins).
func Expand(f *File, quick bool, seed *uint64) []Run {
	var runs []Run
	for ci := range f.Cases {
		c := &f.Cases[ci]
		t, _ := typeByName(c.Type)
		params := c.Params
		if quick && c.Quick != nil {
			params = map[string][]any{}
			for k, v := range c.Params {
				params[k] = v
			}
			for k, v := range c.Quick {
				params[k] = v
			}
		}
		var keys, swept []string
		whole := map[string]bool{}
		for _, p := range t.Params {
			if _, ok := params[p.Name]; ok {
				keys = append(keys, p.Name)
				if p.List {
					whole[p.Name] = true
				} else {
					swept = append(swept, p.Name)
				}
			}
		}
		combos := []map[string]any{{}}
		for k := range whole {
			combos[0][k] = params[k]
		}
		for _, k := range swept {
			var next []map[string]any
			for _, combo := range combos {
				for _, v := range params[k] {
					m := make(map[string]any, len(combo)+1)
					for kk, vv := range combo {
						m[kk] = vv
					}
					m[k] = v
					next = append(next, m)
				}
			}
			combos = next
		}
		// A policy's parameters (POLICY.PARAM) belong to the runs of that
		// policy: the others leave them out, and runs that differed only
		// by them are one run.
		seen := map[string]bool{}
		for _, combo := range combos {
			pol := runPolicy(combo)
			for k := range combo {
				if p, _, ok := optionOf(k); ok && p != pol {
					delete(combo, k)
				}
			}
			s := f.Seed
			if seed != nil {
				s = *seed
			}
			if v, ok := combo["seed"]; ok {
				s = uint64(v.(int64))
			}
			kv := []any{}
			for _, k := range keys {
				v, set := combo[k]
				if !set {
					continue
				}
				if list, ok := v.([]any); ok {
					parts := make([]string, len(list))
					for i, x := range list {
						parts[i] = metrics.FormatValue(x)
					}
					v = strings.Join(parts, ",")
				}
				kv = append(kv, k, v)
			}
			id := c.Name + "/" + c.Engine
			if len(kv) > 0 {
				id += "/" + metrics.Name(kv...)
			}
			if seen[id] {
				continue
			}
			seen[id] = true
			runs = append(runs, Run{ID: id, Case: c, Params: combo, Seed: s, Index: len(runs)})
		}
	}
	return runs
}

// Shard returns the runs of shard i of n (0 <= i < n): every n-th run
// starting at i, so that shards get similar mixes of cases. The union of
// all shards is the whole suite, each run in exactly one shard.
func Shard(runs []Run, i, n int) []Run {
	var out []Run
	for _, r := range runs {
		if r.Index%n == i {
			out = append(out, r)
		}
	}
	return out
}

// ParseShard parses "i/n" with 0 <= i < n.
func ParseShard(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a) // whole: Sscanf took "0/2x" as 0/2
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, bad.Field("shard", ": want i/n with 0 <= i < n (as 0/4), got %q", s)
	}
	return i, n, nil
}
