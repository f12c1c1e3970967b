package reports

import (
	"context"
	"fmt"
	"github.com/stratbench/stratbench/reports/internal/chart"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/stratbench/stratbench/metrics"
)

// The tests of this file pin the fixes of a new user's review of the
// default suite's report: each is named after what was wrong.

// chartsOf lays out (render false) or draws the charts of rs.
func chartsOf(t *testing.T, rs []metrics.Result, render bool) []*Chart {
	t.Helper()
	r, err := build(context.Background(), &Set{Results: rs}, true, render)
	if err != nil {
		t.Fatal(err)
	}
	return r.Charts
}

func chartOfKind(t *testing.T, cs []*Chart, kind string) *Chart {
	t.Helper()
	for _, c := range cs {
		if c.Kind == kind {
			return c
		}
	}
	t.Fatalf("no %s chart", kind)
	return nil
}

// serviceVsSim returns harness and simulator results of the same cases,
// as the default suite's service-vs-sim case writes them.
func serviceVsSim(loads []float64, policies ...string) []metrics.Result {
	var rs []metrics.Result
	for _, ld := range loads {
		for i, p := range policies {
			name := metrics.Name("policy", p, "servers", 8, "load", ld)
			params := map[string]any{"policy": p, "servers": 8.0, "load": ld, "unit_sec": 1e-3}
			sim := 1 + float64(i)*0.3 + ld
			rs = append(rs,
				metrics.Result{Engine: metrics.EngineSim, Name: name, Params: params,
					Metrics: map[string]float64{"response_mean": sim},
					CI95:    map[string][2]float64{"response_mean": {sim * 0.95, sim * 1.05}}},
				metrics.Result{Engine: metrics.EngineHarness, Family: "Service", Name: name, Params: params,
					Metrics: map[string]float64{"response_mean": sim * 1.1},
					CI95:    map[string][2]float64{"response_mean": {sim, sim * 1.2}}})
		}
	}
	return rs
}

// TestModelVsRealOneLoadIsBars: with one load every series stood on one
// vertical line, and the caption spoke of solid lines that were not
// drawn. One load now gives bars per policy; several loads keep lines.
func TestModelVsRealOneLoadIsBars(t *testing.T) {
	cases := []struct {
		loads []float64
		want  string // in the caption
		not   string
	}{
		// The default suite: 8 servers at load 0.7 only.
		{[]float64{0.7}, "bar", "lines"},
		// A sweep: lines against the load.
		{[]float64{0.5, 0.8}, "dashed lines", "bar"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.loads), func(t *testing.T) {
			c := chartOfKind(t, chartsOf(t, serviceVsSim(tc.loads, "random", "jsq", "p2c"), true), "model-vs-real")
			if !strings.Contains(c.What, tc.want) || strings.Contains(c.What, tc.not) {
				t.Errorf("caption %q: want %q and no %q", c.What, tc.want, tc.not)
			}
			if len(c.PNG) == 0 {
				t.Error("not drawn")
			}
		})
	}
}

// TestRelErrIsMeasuredAgainstSimulated: the report used (sim − real) /
// real while the CLI and the records use real/sim − 1.
func TestRelErrIsMeasuredAgainstSimulated(t *testing.T) {
	c := ModelCheck{
		Real: &metrics.Result{Metrics: map[string]float64{"response_mean": 1.5}},
		Sim:  &metrics.Result{Metrics: map[string]float64{"response_mean": 1.2}},
	}
	// (1.5 − 1.2) / 1.2 = +25%: the harness measured more than predicted.
	if got := c.RelErr("response_mean"); math.Abs(got-0.25) > 1e-12 {
		t.Errorf("RelErr = %v, want +0.25", got)
	}
	if got := pctErr(c.RelErr("response_mean")); got != "+25.0%" {
		t.Errorf("shown as %s, want +25.0%%", got)
	}
}

// TestChartStylesAreDistinct: colors were reused within one legend
// (goroutine and dynamic both vermillion, random and sed both blue).
func TestChartStylesAreDistinct(t *testing.T) {
	s := chart.NewStyleSet()
	batch := []string{"sequential", "goroutine", "pool", "batch", "queues:rr", "queues:p2c", "steal", "static", "cyclic", "dynamic", "guided"}
	policies := []string{"random", "rr", "wrr", "jsq", "p2c", "pod(d=3)", "jiq", "lwl", "sed", "ewma", "hash", "maglev", "central"}
	for _, b := range batch {
		s.Register("batch", b)
	}
	for _, p := range policies {
		s.Register("policy", p)
	}
	cases := []struct {
		name  string
		names []string
	}{
		{"13 policies", policies},
		{"10 batch strategies without sequential", batch[1:]},
		{"7 policies of the service chart", []string{"random", "rr", "jsq", "p2c", "jiq", "lwl", "central"}},
		{"strategies of two kinds", append(slices.Clone(batch), policies...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cs := s.ForChart(tc.names)
			lines := map[string]string{}
			bars := map[string]string{}
			colors := map[string]bool{}
			for _, n := range tc.names {
				j := cs.Index(n)
				line := fmt.Sprint(chart.SlotColor(j), fmt.Sprintf("%T", chart.SlotGlyph(j).Shape), chart.SlotLine(j).Dashes)
				if o, ok := lines[line]; ok {
					t.Errorf("%s and %s look alike as lines", o, n)
				}
				lines[line] = n
				bar := fmt.Sprint(cs.Fill(n))
				if o, ok := bars[bar]; ok {
					t.Errorf("%s and %s look alike as bars", o, n)
				}
				bars[bar] = n
				colors[fmt.Sprint(chart.SlotColor(j))] = true
			}
			// As many colors as the palette has, or one per series.
			if want := min(len(tc.names), len(chart.Palette)); len(colors) != want {
				t.Errorf("%d colors for %d series, want %d", len(colors), len(tc.names), want)
			}
		})
	}
}

// TestFitTicksNeverOverlap: the percentiles chart's log axis labelled
// 1, 2, 5, 10, 20, 50, 100, 200 on a narrow panel, and "50100200" ran
// together.
func TestFitTicksNeverOverlap(t *testing.T) {
	cases := []struct {
		ticker plot.Ticker
		log    bool
		lo, hi float64
		length vg.Length
	}{
		{chart.LogTicks{}, true, 0.5, 260, vg.Points(150)},     // the percentiles panel
		{chart.LogTicks{}, true, 0.5, 260, vg.Points(600)},     // wide: 1-2-5 fit
		{chart.CompactTicks{}, false, 0, 12500, vg.Points(60)}, // a tiny linear axis
		{ninesTicks{}, false, nines(0.5), 5, vg.Points(140)},
	}
	for _, tc := range cases {
		p := chart.NewPlot("", "", "")
		p.X.Min, p.X.Max = tc.lo, tc.hi
		if tc.log {
			chart.SetLog(&p.X, tc.lo, tc.hi)
		}
		f := chart.FitTicks{Inner: tc.ticker, Axis: &p.X, Length: tc.length, Horizontal: true}
		prevEnd := vg.Length(math.Inf(-1))
		n := 0
		var labels []string
		for _, tk := range f.Ticks(tc.lo, tc.hi) {
			if tk.Label == "" {
				continue
			}
			n++
			labels = append(labels, tk.Label)
			pos := vg.Length(p.X.Scale.Normalize(tc.lo, tc.hi, tk.Value)) * tc.length
			w := p.X.Tick.Label.Width(tk.Label)
			if pos-w/2 <= prevEnd {
				t.Errorf("%T over %v..%v in %vpt: %q overlaps the label before it (%v)", tc.ticker, tc.lo, tc.hi, tc.length, tk.Label, labels)
			}
			prevEnd = pos + w/2
		}
		if n < 2 {
			t.Errorf("%T over %v..%v in %vpt: only %v labelled", tc.ticker, tc.lo, tc.hi, tc.length, labels)
		}
	}
}

// sweep returns simulator results of policies over loads; same maps a
// policy to the one whose numbers it copies.
func sweep(policies []string, same map[string]string) []metrics.Result {
	var rs []metrics.Result
	for _, ld := range []float64{0.5, 0.7, 0.9} {
		for i, p := range policies {
			k := i
			if s, ok := same[p]; ok {
				k = slices.Index(policies, s)
			}
			mean := (1 + float64(k)) / (1 - ld)
			per := []float64{1, 1, 1, 1}
			per[0] += float64(k) * 0.1 * ld
			rs = append(rs, metrics.Result{Engine: metrics.EngineSim, Name: metrics.Name("policy", p, "servers", 4, "load", ld),
				Params:    map[string]any{"policy": p, "servers": 4.0, "load": ld},
				Metrics:   map[string]float64{"response_mean": mean},
				PerServer: map[string][]float64{"dispatched": per, "busy_fraction": per}})
		}
	}
	return rs
}

// TestIdenticalSeriesAreShown: rr was drawn exactly under wrr, with
// nothing saying so.
func TestIdenticalSeriesAreShown(t *testing.T) {
	c := chartOfKind(t, chartsOf(t, sweep([]string{"random", "rr", "wrr"}, map[string]string{"rr": "wrr"}), false), "response-vs-load")
	var labels []string
	for _, it := range c.fig.Legend() {
		labels = append(labels, it.Label)
	}
	if !slices.Contains(labels, "rr (same as wrr)") || !slices.Contains(labels, "wrr") || !slices.Contains(labels, "random") {
		t.Errorf("legend %q: want rr marked as the same as wrr", labels)
	}
	if !strings.Contains(c.How, "same as") {
		t.Errorf("caption %q does not explain the note", c.How)
	}
}

// TestAxesHoldAllData: lwl's line went off the top of the per-server
// chart. The axes now hold every point with a margin.
func TestAxesHoldAllData(t *testing.T) {
	rs := sweep([]string{"random", "jsq", "lwl"}, nil)
	for i := range rs {
		if strings.Contains(rs[i].Name, "lwl") {
			// A hot spot: 1.6 and 0.7 times the mean of 1.
			rs[i].PerServer["dispatched"] = []float64{1.6, 0.9, 0.8, 0.7}
		}
	}
	cs := chartsOf(t, rs, false)
	p := chartOfKind(t, cs, "per-server").fig.Panels()[0]
	if !(p.Y.Max > 1.6+0.02) || !(p.Y.Min < 0.7-0.02) {
		t.Errorf("per-server: y axis [%v, %v] does not hold [0.7, 1.6] with a margin", p.Y.Min, p.Y.Max)
	}
	if !(p.X.Min < 0) || !(p.X.Max > 3) {
		t.Errorf("per-server: x axis [%v, %v] does not hold [0, 3] with a margin", p.X.Min, p.X.Max)
	}
	// The highest mean response time is (1+2)/(1−0.9) = 30.
	p = chartOfKind(t, cs, "response-vs-load").fig.Panels()[0]
	if !(p.Y.Max > 30) {
		t.Errorf("response-vs-load: y axis ends at %v, under the data (30)", p.Y.Max)
	}
}

// TestBarsSpanningDecadesUseLogAxis: concat.plus (1.35 MB/s) was an
// invisible sliver beside concat.builder (294 MB/s).
func TestBarsSpanningDecadesUseLogAxis(t *testing.T) {
	var rs []metrics.Result
	for k, v := range map[string]float64{"concat.plus": 1.35, "concat.builder": 294} {
		rs = append(rs, metrics.Result{Engine: metrics.EngineHarness, Family: "Kernel",
			Name:    metrics.Name("family", "concat", "kernel", k, "workers", 1),
			Params:  map[string]any{"kernel": k, "workers": 1.0},
			Metrics: map[string]float64{"mb_per_sec": v}})
	}
	c := chartOfKind(t, chartsOf(t, rs, false), "summary-bars")
	p := c.fig.Panels()[0]
	if _, ok := p.X.Scale.(plot.LogScale); !ok {
		t.Fatal("the x axis is linear")
	}
	if !strings.Contains(p.X.Label.Text, "log scale") || !strings.Contains(c.How, "logarithmic") {
		t.Errorf("label %q, caption %q: neither says the axis is logarithmic", p.X.Label.Text, c.How)
	}
	// The smallest bar is at least a twentieth of the axis.
	if f := p.X.Scale.Normalize(p.X.Min, p.X.Max, 1.35); f < 0.05 {
		t.Errorf("concat.plus ends at %.0f%% of the axis", 100*f)
	}
	if _, err := c.fig.Render(); err != nil {
		t.Error(err)
	}
}

// TestTaskCodeCategory: "kernel" named the task's own code, which read as
// the OS kernel or the kernel twins.
func TestTaskCodeCategory(t *testing.T) {
	if slices.Contains(Categories, "kernel") || Categories[0] != TaskCode {
		t.Errorf("categories %v", Categories)
	}
	if category([]string{"main.spin"}) != TaskCode {
		t.Error("the task's code is not task code")
	}
}

// TestInputsLineSaysItOnce: "131 results from report/results.jsonl (131
// results)" said the count twice.
func TestInputsLineSaysItOnce(t *testing.T) {
	run := func(i int) metrics.Result {
		return metrics.Result{Params: map[string]any{"suite_run": fmt.Sprint("run", i/2)}}
	}
	cases := []struct {
		set  Set
		want string
	}{
		// A suite's folder: the runs it did.
		{Set{Inputs: []Input{{Path: "report/results.jsonl", Results: 4}}, Results: []metrics.Result{run(0), run(1), run(2), run(3)}},
			"4 results of 2 suite runs, from report/results.jsonl."},
		// Results without a suite, from two files and a profile.
		{Set{Inputs: []Input{{Path: "a.jsonl", Results: 2}, {Path: "cpu.pprof", Kind: KindProfile}, {Path: "b.txt", Results: 1}},
			Results: make([]metrics.Result, 3)},
			"3 results from 2 files: a.jsonl (2), b.txt (1); and 1 profile: cpu.pprof."},
		{Set{Inputs: []Input{{Path: "-", Results: 1}}, Results: make([]metrics.Result, 1)}, "1 result from -."},
	}
	for _, tc := range cases {
		r := &Report{Set: &tc.set}
		if got := r.inputsLine(); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

// TestSlugCutsAtPartBoundaries: PNG names were cut mid-word
// ("...-scale-0.02-worke.png").
func TestSlugCutsAtPartBoundaries(t *testing.T) {
	long := "per-server-Batch/workload=xml:token/tasks=64/size=det/unit=10µs/scale=0.02/workers=2"
	a := slug(long)
	b := slug(strings.Replace(long, "token", "fast", 1))
	c := slug(strings.Replace(long, "workers=2", "workers=4", 1))
	for _, s := range []string{a, b, c} {
		if len(s) > maxSlug {
			t.Errorf("%s: %d characters, want at most %d", s, len(s), maxSlug)
		}
		head := s[:strings.LastIndexByte(s, '-')]
		if !strings.HasPrefix(slugText(long), head) && !strings.HasPrefix(slugText(strings.Replace(long, "token", "fast", 1)), head) {
			t.Errorf("%s does not start with the ID", s)
		}
		if !strings.HasSuffix(head, "-10us") {
			t.Errorf("%s: want it cut after a whole part (…-unit-10us-HASH)", s)
		}
	}
	if a == b || a == c {
		t.Errorf("two IDs share a name: %s, %s, %s", a, b, c)
	}
	if short := slug("bars-Kernel/family=sum/tasks=32"); short != "bars-kernel-family-sum-tasks-32" {
		t.Errorf("a short ID changed: %s", short)
	}
}

// TestPerServerCountAllHave: the cluster's per-server chart showed "jobs
// dispatched" with nginx in the legend but no bars, since a run behind
// nginx knows only what its workers served. The count shown is now one
// that every run has, and a run without it gets no legend entry.
func TestPerServerCountAllHave(t *testing.T) {
	cluster := func(via string, ps map[string][]float64) metrics.Result {
		return metrics.Result{Engine: "harness", Family: "Cluster", Name: metrics.Name("via", via, "policy", "jsq", "workers", 4, "load", 0.7),
			Params:    map[string]any{"policy": "jsq", "via": via, "workers": 4.0, "load": 0.7},
			Metrics:   map[string]float64{"response_mean": 3},
			PerServer: ps}
	}
	for _, tc := range []struct {
		name   string
		rs     []metrics.Result
		ylabel string
		legend []string
	}{
		{"all served, not all dispatched", []metrics.Result{
			cluster("ours", map[string][]float64{"dispatched": {1440, 1457, 1442, 1467}, "served": {1392, 1402, 1387, 1404}}),
			cluster("nginx", map[string][]float64{"served": {1398, 1397, 1416, 1374}}),
			cluster("haproxy", map[string][]float64{"dispatched": {1466, 1445, 1422, 1473}, "served": {1410, 1390, 1367, 1418}}),
		}, "jobs served (count)", []string{"jsq:ours", "jsq:nginx", "jsq:haproxy"}},
		{"all dispatched", []metrics.Result{
			cluster("ours", map[string][]float64{"dispatched": {1440, 1457, 1442, 1467}, "served": {1392, 1402, 1387, 1404}}),
			cluster("haproxy", map[string][]float64{"dispatched": {1466, 1445, 1422, 1473}}),
		}, "jobs dispatched (count)", []string{"jsq:ours", "jsq:haproxy"}},
		{"none in common", []metrics.Result{
			cluster("ours", map[string][]float64{"dispatched": {1440, 1457, 1442, 1467}}),
			cluster("nginx", map[string][]float64{"busy_sec": {1, 1, 1, 1}}),
		}, "jobs dispatched (count)", []string{"jsq:ours", "jsq:nginx"}}, // nginx for its busy-time bars
	} {
		c := chartOfKind(t, chartsOf(t, tc.rs, false), "per-server")
		if got := c.fig.Panels()[0].Y.Label.Text; got != tc.ylabel {
			t.Errorf("%s: first panel counts %q, want %q", tc.name, got, tc.ylabel)
		}
		var labels []string
		for _, it := range c.fig.Legend() {
			labels = append(labels, it.Label)
		}
		for _, want := range tc.legend {
			if !slices.Contains(labels, want) {
				t.Errorf("%s: legend %q lacks %q", tc.name, labels, want)
			}
		}
		if len(labels) != len(tc.legend) {
			t.Errorf("%s: legend %q, want exactly %q", tc.name, labels, tc.legend)
		}
	}
}
