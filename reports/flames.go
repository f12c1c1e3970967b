// Flame graphs of the profile section: one per strategy, and the
// differential graph of the winner and the runner-up of each profiled
// scenario.

package reports

import (
	"fmt"
	"hash/fnv"
	"html/template"
	"image/color"
	"path/filepath"
	"slices"
	"strings"

	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/reports/internal/chart"
	"github.com/stratbench/stratbench/reports/internal/flame"
)

// flameKinds are the kinds of function a flame graph colors apart, in
// legend order, with the color of the profile chart's category.
var flameKinds = []struct{ kind, label string }{
	{TaskCode, "task code"},
	{"scheduling", "scheduling, channels, locks"},
	{"GC", "garbage collection"},
	{"allocation", "allocation"},
	{"syscalls", "system calls"},
	{"other", "runtime, harness, profiler"},
}

// frameKind is the kind of function name is, by the prefixes the
// categories of CPU samples use (see category).
func frameKind(name string) string {
	gcish := []string{"runtime.gc", "runtime.mark", "runtime.scan", "runtime.sweep", "runtime.(*gcWork)", "runtime.(*mheap).reclaim", "runtime.bgscavenge", "runtime.bgsweep"}
	switch {
	case hasPrefixAny(name, gcRoots) || hasPrefixAny(name, gcish):
		return "GC"
	case hasPrefixAny(name, allocRoots) || strings.HasPrefix(name, "runtime.(*mcache)") || strings.HasPrefix(name, "runtime.(*mcentral)"):
		return "allocation"
	case hasPrefixAny(name, syscallPrefixes):
		return "syscalls"
	case hasPrefixAny(name, schedRoots):
		return "scheduling"
	case hasPrefixAny(name, ownPrefixes) || hasPrefixAny(name, systemPrefixes) || isHarness(name):
		return "other"
	}
	return TaskCode
}

// isHarness reports whether name is stratbench's own code around the
// tasks (the command, the suite, the harness; the workloads are task
// code) or the command line library's.
func isHarness(name string) bool {
	const mod = "github.com/stratbench/stratbench/"
	switch {
	case strings.HasPrefix(name, "main."), strings.HasPrefix(name, "github.com/urfave/"):
		return true
	case strings.HasPrefix(name, mod):
		return !strings.HasPrefix(name, mod+"workloads")
	}
	return false
}

// frameColor is the fill of a frame: its kind's color, lightened so that
// black text reads on it, by a little more or less for each name so that
// neighbours of one kind stay apart.
func frameColor(name string) color.Color {
	base := categoryColors[frameKind(name)]
	h := fnv.New32a()
	h.Write([]byte(name))
	return mix(base, color.White, 0.42+0.2*float64(h.Sum32()%100)/100)
}

func mix(a, b color.Color, t float64) color.Color {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	f := func(x, y uint32) uint8 { return uint8((float64(x)*(1-t) + float64(y)*t) / 257) }
	return color.RGBA{f(ar, br), f(ag, bg), f(ab, bb), 0xff}
}

// flameLegend explains the colors of a strategy's graph.
func flameLegend() []flame.LegendEntry {
	var out []flame.LegendEntry
	for _, k := range flameKinds {
		out = append(out, flame.LegendEntry{Color: mix(categoryColors[k.kind], color.White, 0.5), Label: k.label})
	}
	return out
}

// measure is the width of text in the page's chart font.
func measure(s string, size float64) float64 { return chart.TextWidth(s, size) }

// flameSVG draws the flame graph of group g of profile ps, or nothing
// when it has too few samples to say anything.
func flameSVG(ps *ProfileSummary, g *ProfileGroup) template.HTML {
	t := ps.flame(g)
	if t == nil || g.Samples < minProfileSamples {
		return ""
	}
	svg := t.SVG(flame.Options{Label: "Flame graph of " + g.Label(), Of: g.Label() + "'s CPU time",
		Color: frameColor, Legend: flameLegend(), Measure: measure})
	return template.HTML(svg) // made by package flame, every text escaped
}

// htmlDiff is the differential flame graph of one scenario's winner (or
// leader of a tie) and its runner-up.
type htmlDiff struct {
	Scenarios       []string
	Leader, Runner  string
	Tie             bool
	LeaderProfile   string
	RunnerProfile   string
	Changes         []string
	SVG             template.HTML
	leaderG, runner *ProfileGroup
}

// maxDiffs bounds the differential graphs of a page.
const maxDiffs = 24

// flameDiffs pairs, for every ranked scenario whose two best deployable
// strategies were profiled (with at least minProfileSamples samples
// each), the runner-up's flame graph colored by how its frames' shares
// differ from the leader's. Scenarios with the same pair of profile
// groups share one graph.
func (r *Report) flameDiffs() []htmlDiff {
	var out []htmlDiff
	for _, rk := range r.Rankings {
		if len(rk.Entries) < 2 {
			continue
		}
		lead, run := rk.Entries[0].Names[0], rk.Entries[1].Names[0]
		ra, rb := r.rankedResult(&rk, lead), r.rankedResult(&rk, run)
		if ra == nil || rb == nil {
			continue
		}
		pa, ga := r.profileOf(ra)
		pb, gb := r.profileOf(rb)
		if ga == nil || gb == nil || ga.Samples < minProfileSamples || gb.Samples < minProfileSamples {
			continue
		}
		ta, tb := pa.flame(ga), pb.flame(gb)
		if ta == nil || tb == nil {
			continue
		}
		if i := indexDiff(out, ga, gb); i >= 0 {
			out[i].Scenarios = append(out[i].Scenarios, describeScenario(rk.Scenario))
			continue
		}
		if len(out) == maxDiffs {
			break
		}
		svg, changes := flame.Diff(tb, ta, flame.DiffOptions{
			Options: flame.Options{Label: "Differential flame graph: " + run + " against " + lead, Measure: measure},
			Name:    run, BaseName: lead})
		d := htmlDiff{Scenarios: []string{describeScenario(rk.Scenario)}, Leader: lead, Runner: run, Tie: rk.Winner == "",
			LeaderProfile: profileLink(pa), RunnerProfile: profileLink(pb), SVG: template.HTML(svg), leaderG: ga, runner: gb}
		// The largest changes, the deepest function of a chain of callers
		// with the same change only (they pass it on).
		var said []float64
		for _, c := range changes {
			delta := c.Share - c.Base
			if len(d.Changes) == 3 || abs(delta) < 0.01 {
				break
			}
			if slices.ContainsFunc(said, func(x float64) bool { return abs(x-delta) < 0.0005 }) {
				continue
			}
			said = append(said, delta)
			d.Changes = append(d.Changes, fmt.Sprintf("%s %s points", flame.ShortName(c.Name), signedPoints(delta)))
		}
		out = append(out, d)
	}
	return out
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// signedPoints formats a change of share in percentage points: "+4.2".
func signedPoints(d float64) string { return fmt.Sprintf("%+.1f", 100*d) }

func indexDiff(ds []htmlDiff, a, b *ProfileGroup) int {
	for i, d := range ds {
		if d.leaderG == a && d.runner == b {
			return i
		}
	}
	return -1
}

// rankedResult is the result of strategy s in the ranking rk, or nil
// when it is not among the results the report holds.
func (r *Report) rankedResult(rk *Ranking, s string) *metrics.Result {
	for _, ri := range rk.results {
		if ri.label == s && ri.idx >= 0 && r.holds(ri.idx) {
			return r.result(ri.idx)
		}
	}
	return nil
}

func profileLink(ps *ProfileSummary) string {
	if ps.Link != "" {
		return ps.Link
	}
	return ps.Path
}

// profileOf finds the profile a result names and its group: the group of
// the result's strategy and workload labels (its params), else the one
// labelled group of a profile of one strategy.
func (r *Report) profileOf(res *metrics.Result) (*ProfileSummary, *ProfileGroup) {
	if res.Profile == "" {
		return nil, nil
	}
	want := filepath.ToSlash(filepath.Clean(res.Profile))
	var ps *ProfileSummary
	base := 0
	for _, p := range r.Profiles {
		path := filepath.ToSlash(filepath.Clean(p.Path))
		if path == want || strings.HasSuffix(path, "/"+want) {
			ps = p
			break
		}
		if filepath.Base(path) == filepath.Base(want) {
			ps = p
			base++
		}
	}
	if ps == nil || (base > 1 && !strings.HasSuffix(filepath.ToSlash(ps.Path), want)) {
		return nil, nil
	}
	strategy, _ := param(res, "strategy")
	workload, _ := param(res, "workload")
	var only *ProfileGroup
	labeled := 0
	for i := range ps.Groups {
		g := &ps.Groups[i]
		if g.Strategy == Unlabeled {
			continue
		}
		labeled++
		only = g
		if strategy != "" && g.Strategy == strategy && (workload == "" || g.Workload == workload) {
			return ps, g
		}
	}
	if labeled == 1 {
		return ps, only
	}
	return nil, nil
}
