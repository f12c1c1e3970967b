// What a report keeps of its results: everything the summary, the
// Markdown and the page need, gathered one result at a time, so that a
// report of a sweep of a million runs does not hold a million records.

package reports

import (
	"cmp"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/stratbench/stratbench/metrics"
)

// holdAll is the most results a report holds all of: up to it, the
// charts and the page are drawn from every result. A larger report holds
// only the results the page lists and the charts draw (see selectHeld)
// and aggregates of the others; every file beside the page still has them
// all.
var holdAll = 10000

// Bounds on the results a large report holds for its charts and page.
const (
	// chartGroups is how many sweep groups (of one scenario across loads,
	// or across worker counts) give their results to the charts, in the
	// order they first appear: at most maxChartsPerKind of each kind are
	// drawn.
	chartGroups     = 2 * maxChartsPerKind
	maxChartResults = 20000
	maxTimelines    = 64
	maxModelResults = 2000
	// maxKeptWarnings is how many of the results' warnings are kept in
	// full (the page shows 20, the Markdown this many); the rest are
	// counted.
	maxKeptWarnings = 1000
)

// derived is what a report works out of each result: its strategy, its
// scenario, the sweep groups it belongs to (by name), and its metric names
// in order.
type derived struct {
	label, scenario  string
	loadKey, workKey string
	names            []string
	bound            bool
}

// deriveOf works out d for r, splitting its name once.
func deriveOf(r *metrics.Result) derived {
	var arr [16]part
	parts := appendNameParts(arr[:0], r.Name)
	key, label := strategyOf(r, parts)
	return derived{label: label, scenario: scenarioOf(r, parts, key),
		loadKey: scenarioOf(r, parts, key, "load"), workKey: scenarioOf(r, parts, key, "workers"),
		names: r.MetricNames(), bound: isBoundParts(r, parts)}
}

// appendNameParts is nameParts appending to out.
func appendNameParts(out []part, name string) []part {
	for s := range strings.SplitSeq(name, "/") {
		if s == "" {
			continue
		}
		if k, v, ok := strings.Cut(s, "="); ok {
			out = append(out, part{k, v})
		} else {
			out = append(out, part{"", s})
		}
	}
	return out
}

// resultWarning is one warning of a result, with the result's index.
type resultWarning struct {
	idx        int
	name, text string
}

// heldResult is a result the report holds, with its index among all.
type heldResult struct {
	idx int
	res *metrics.Result
}

// Flags of a result, for choosing which to hold.
const (
	flagWarned = 1 << iota
	flagTimeline
	flagModelReal // a harness result with response_mean (ModelChecks)
	flagSim
)

// collector gathers, result by result, what the report needs of all of
// them.
type collector struct {
	n       int
	rank    ranker
	answers answerAcc

	envs   []envCount
	envIdx map[envKey]int

	runs   map[[2]uint64]struct{}
	inRuns int

	warnings  []resultWarning
	nWarnings int

	// Every metric name (summary.json gives their units); lastNames are
	// the last result's, which the next ones of a sweep repeat.
	metricNames map[string]struct{}
	lastNames   []string

	// For choosing the results to hold (selectHeld).
	flags            []uint8
	loadGrp, workGrp []int32
	loadKeys         map[string]int32
	workKeys         map[string]int32
	groupsSeen       map[uint64]struct{} // hashes of every load group's key, to count them
	nameHash         []uint64            // of sim and model-real results' names
	seed             maphash.Seed
}

type envKey struct {
	metrics.Env
	Engine string
}

func newCollector() *collector {
	return &collector{envIdx: map[envKey]int{}, runs: map[[2]uint64]struct{}{}, metricNames: map[string]struct{}{},
		loadKeys: map[string]int32{}, workKeys: map[string]int32{}, groupsSeen: map[uint64]struct{}{}, seed: maphash.MakeSeed()}
}

// add takes the next result (index c.n).
func (c *collector) add(r *metrics.Result, d derived) {
	idx := c.n
	c.n++
	c.rank.addDerived(r, idx, d.scenario, d.label, d.bound)
	c.answers.add(r)
	if !slices.Equal(d.names, c.lastNames) {
		for _, m := range d.names {
			c.metricNames[m] = struct{}{}
		}
		c.lastNames = d.names
	}

	k := envKey{r.Env, r.Engine}
	k.Time = ""
	i, ok := c.envIdx[k]
	if !ok {
		i = len(c.envs)
		c.envIdx[k] = i
		c.envs = append(c.envs, envCount{Env: k.Env, Engine: r.Engine})
	}
	e := &c.envs[i]
	e.Results++
	if t := r.Env.Time; t != "" {
		if e.First == "" || t < e.First {
			e.First = t
		}
		if t > e.Last {
			e.Last = t
		}
	}

	if v, ok := r.Params["suite_run"]; ok {
		c.runs[hash128(c.seed, metrics.FormatValue(v))] = struct{}{}
		c.inRuns++
	}

	var f uint8
	if len(r.Warnings) > 0 {
		f |= flagWarned
		for _, w := range r.Warnings {
			if len(c.warnings) < maxKeptWarnings {
				c.warnings = append(c.warnings, resultWarning{idx, FullName(r), w})
			}
			c.nWarnings++
		}
	}
	if r.Timeline != nil {
		f |= flagTimeline
	}
	if _, ok := r.Metrics["response_mean"]; ok && r.Engine == metrics.EngineHarness {
		f |= flagModelReal
	}
	if r.Engine == metrics.EngineSim {
		f |= flagSim
	}
	c.flags = append(c.flags, f)
	c.loadGrp = append(c.loadGrp, groupID(c.loadKeys, d.loadKey))
	c.groupsSeen[maphash.String(c.seed, d.loadKey)] = struct{}{}
	c.workGrp = append(c.workGrp, groupID(c.workKeys, d.workKey))
	var h uint64
	if f&(flagSim|flagModelReal) != 0 {
		h = maphash.String(c.seed, r.Name)
	}
	c.nameHash = append(c.nameHash, h)
}

// groupID numbers a group key in first-seen order; keys past the
// chartGroups first are not remembered (the charts get none of them).
func groupID(ids map[string]int32, key string) int32 {
	if id, ok := ids[key]; ok {
		return id
	}
	if len(ids) >= chartGroups {
		return chartGroups
	}
	id := int32(len(ids))
	ids[key] = id
	return id
}

func hash128(seed maphash.Seed, s string) [2]uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	h.WriteString(s)
	a := h.Sum64()
	h.WriteByte(0)
	return [2]uint64{a, h.Sum64()}
}

// sortedEnvs are the environments, most results first.
func (c *collector) sortedEnvs() []envCount {
	out := slices.Clone(c.envs)
	slices.SortStableFunc(out, func(a, b envCount) int { return cmp.Compare(b.Results, a.Results) })
	return out
}

// selectHeld returns the indexes of the results a report of n > holdAll
// results holds, ascending: the page's rows (pageResults: those with
// warnings first), the results of the first chartGroups sweep groups, the
// first results with a timeline, and the harness results with their
// simulator twins (ModelChecks: the first simulator result of the same
// name, which the caller confirms by name; cands are more of the same
// name, in order, should a hash collide).
func (c *collector) selectHeld() (held []int, twins map[int][]int) {
	want := make([]bool, c.n)
	// The page's rows, as pageResults chooses them.
	k := 0
	for pass := range 2 {
		for i := 0; i < c.n && k < maxPageResults; i++ {
			if !want[i] && (pass == 1 || c.flags[i]&flagWarned != 0) {
				want[i] = true
				k++
			}
		}
	}
	charts, timelines, model := 0, 0, 0
	realNames := map[uint64][]int{}
	for i := range c.n {
		if charts < maxChartResults && (c.loadGrp[i] < chartGroups || c.workGrp[i] < chartGroups) {
			want[i] = true
			charts++
		}
		if c.flags[i]&flagTimeline != 0 && timelines < maxTimelines {
			want[i] = true
			timelines++
		}
		if c.flags[i]&flagModelReal != 0 && model < maxModelResults {
			want[i] = true
			model++
			realNames[c.nameHash[i]] = append(realNames[c.nameHash[i]], i)
		}
	}
	if len(realNames) > 0 {
		twins = map[int][]int{}
		for i := range c.n {
			if c.flags[i]&flagSim == 0 {
				continue
			}
			for _, h := range realNames[c.nameHash[i]] {
				twins[h] = append(twins[h], i)
			}
		}
	}
	for i, w := range want {
		if w {
			held = append(held, i)
		}
	}
	return held, twins
}
