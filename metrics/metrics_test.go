package metrics

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestLatencyQuantiles checks the HDR recorder against exact quantiles of a
// sorted sample: three significant digits means a relative error of at
// most 0.1% (plus the resolution).
func TestLatencyQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	l := NewLatency(1e-6)
	xs := make([]float64, 100_000)
	for i := range xs {
		xs[i] = r.ExpFloat64() * 3
		l.Record(xs[i])
	}
	slices.Sort(xs)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := xs[int(math.Ceil(q*float64(len(xs))))-1]
		if got := l.Quantile(q); math.Abs(got-want) > 1e-3*want+1e-6 {
			t.Errorf("q%.3f = %v, want %v within 0.1%%", q, got, want)
		}
	}
	mean := 0.0
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if math.Abs(l.Mean()-mean) > 1e-9*mean {
		t.Errorf("mean %v, want the exact %v", l.Mean(), mean)
	}
	if l.Count() != int64(len(xs)) || l.Clamped != 0 {
		t.Errorf("count %d clamped %d", l.Count(), l.Clamped)
	}
}

// TestLatencyEdges checks clamping of values out of range and merging.
func TestLatencyEdges(t *testing.T) {
	l := NewLatency(1)
	if !math.IsNaN(l.Quantile(0.5)) || !math.IsNaN(l.Mean()) || l.CDF(10) != nil {
		t.Error("an empty recorder must report NaN and no CDF")
	}
	l.Record(-1)
	l.Record(math.NaN())
	l.Record(1e15)
	if l.Clamped != 3 || l.Count() != 3 {
		t.Errorf("clamped %d of %d, want 3 of 3", l.Clamped, l.Count())
	}
	a, b := NewLatency(1e-3), NewLatency(1e-3)
	for i := range 1000 {
		a.Record(float64(i) / 1000)
		b.Record(1 + float64(i)/1000)
	}
	a.Merge(b)
	if a.Count() != 2000 || math.Abs(a.Quantile(0.5)-1) > 0.002 {
		t.Errorf("merged: count %d median %v", a.Count(), a.Quantile(0.5))
	}
	if allocs := testing.AllocsPerRun(100, func() { a.Record(0.5) }); allocs != 0 {
		t.Errorf("Record allocates %v times", allocs)
	}
}

// TestCDFMonotone checks that CDF points increase in value and fraction and
// end at the maximum.
func TestCDFMonotone(t *testing.T) {
	l := NewLatency(1e-6)
	r := rand.New(rand.NewPCG(3, 4))
	for range 50_000 {
		l.Record(r.ExpFloat64())
	}
	pts := l.CDF(60)
	if len(pts) < 20 {
		t.Fatalf("%d points", len(pts))
	}
	for i := 1; i < len(pts); i++ {
		if pts[i][0] <= pts[i-1][0] || pts[i][1] < pts[i-1][1] {
			t.Fatalf("not increasing at %d: %v %v", i, pts[i-1], pts[i])
		}
	}
	if last := pts[len(pts)-1]; last[1] != 1 || last[0] != l.Max() {
		t.Errorf("last point %v, want (max %v, 1)", last, l.Max())
	}
}

// TestMeanCI checks the t interval against a hand computation.
func TestMeanCI(t *testing.T) {
	m, h := MeanCI([]float64{1, 2, 3, 4, 5})
	// sd = sqrt(2.5); t(4, 0.975) = 2.7764
	if m != 3 || math.Abs(h-2.7764*math.Sqrt(2.5)/math.Sqrt(5)) > 1e-3 {
		t.Errorf("MeanCI = %v ± %v", m, h)
	}
	if _, h := MeanCI([]float64{1}); !math.IsNaN(h) {
		t.Errorf("one value: half-width %v, want NaN", h)
	}
}

// TestMedianCI checks the order-statistic interval: 10 samples give
// [x(2), x(9)] with 97.9% coverage; 5 samples are too few for 95%.
func TestMedianCI(t *testing.T) {
	xs := []float64{10, 1, 9, 2, 8, 3, 7, 4, 6, 5}
	med, lo, hi, ok := MedianCI(xs)
	if med != 5.5 || lo != 2 || hi != 9 || !ok {
		t.Errorf("MedianCI = %v [%v, %v] ok=%v, want 5.5 [2, 9] true", med, lo, hi, ok)
	}
	if _, lo, hi, ok := MedianCI([]float64{3, 1, 2, 5, 4}); ok || lo != 1 || hi != 5 {
		t.Errorf("5 samples: [%v, %v] ok=%v, want the full range and ok=false", lo, hi, ok)
	}
}

// TestReadJSONL checks that malformed lines become file:line errors and
// the rest is still read.
func TestReadJSONL(t *testing.T) {
	in := strings.Join([]string{
		`{"engine":"sim","name":"a=1","metrics":{"x":1},"env":{}}`,
		``,
		`{"engine":"sim","name":"a=2","metrics":{"x":2}`,
		`{"engine":"sim","name":"a=3","metrics":{"x":3},"bogus":1}`,
		`{"name":"a=4","metrics":{"x":4}}`,
		`{"engine":"sim","name":"a=5","metrics":{"x":5}}`,
	}, "\n")
	rs, errs := ReadJSONL("r.jsonl", strings.NewReader(in))
	if len(rs) != 2 || rs[1].Name != "a=5" {
		t.Errorf("read %d results", len(rs))
	}
	want := []string{"r.jsonl:3:", "r.jsonl:4: json: unknown field \"bogus\"", `r.jsonl:5: missing "engine"`}
	if len(errs) != len(want) {
		t.Fatalf("errors %v", errs)
	}
	for i, w := range want {
		if !strings.HasPrefix(errs[i].Error(), w) {
			t.Errorf("error %d = %v, want prefix %q", i, errs[i], w)
		}
	}
}

// TestWriteJSONDropsNonFinite checks that NaN metrics are left out with a
// warning instead of breaking the JSON.
func TestWriteJSONDropsNonFinite(t *testing.T) {
	r := &Result{Engine: "sim", Name: "a=1", Metrics: map[string]float64{"ok": 1, "bad": math.NaN()},
		CI95: map[string][2]float64{"bad": {math.Inf(-1), 1}}}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	rs, errs := ReadJSONL("x", &buf)
	if len(errs) > 0 || len(rs) != 1 {
		t.Fatal(errs)
	}
	if _, ok := rs[0].Metrics["bad"]; ok || len(rs[0].Warnings) != 1 || len(rs[0].CI95) != 0 {
		t.Errorf("got %+v", rs[0])
	}
}

// TestNameAndDescribe checks benchmark-style names and metric units.
func TestNameAndDescribe(t *testing.T) {
	if got := Name("policy", "p2c", "load", 0.9, "speeds", []float64{2, 1}, "path", "a/b c"); got != "policy=p2c/load=0.9/speeds=2,1/path=a_b_c" {
		t.Errorf("Name = %q", got)
	}
	for _, tc := range []struct {
		metric, unit string
		better       Better
	}{
		{"response_mean", "units", Lower},
		{"throughput_per_sec", "ops/s", Higher},
		{"mb_per_sec", "MB/s", Higher},
		{"events_per_sec", "events/s", Higher},
		{"wall_sec", "sec", Lower},
		{"speedup", "x", Higher},
		{"allocs_per_task", "allocs/task", Lower},
		{"imbalance", "ratio", Lower},
		{"jobs", "jobs", Neutral},
		{"events", "events", Neutral},
		{"utilization", "ratio", Neutral},
		{"theory_response_mean", "units", Neutral},
		{"arrival_rate_per_sec", "jobs/s", Neutral},
	} {
		u, b := Describe(tc.metric)
		if u != tc.unit || b != tc.better {
			t.Errorf("Describe(%s) = %s %v, want %s %v", tc.metric, u, b, tc.unit, tc.better)
		}
	}
}

// FuzzReadJSONL checks that no input makes the results reader panic, that
// every line yields a result or an error, and that results it accepts are
// valid and survive a write and a second read.
func FuzzReadJSONL(f *testing.F) {
	f.Add(`{"engine":"sim","name":"a=1","metrics":{"x":1},"env":{}}` + "\n")
	f.Add(`{"engine":"harness","name":"n","metrics":{"x":1e308},"ci95":{"x":[0,2]},"samples":{"x":[1,2]}}`)
	f.Add(`{"engine":"sim","name":"n","metrics":{}}` + "\n{")
	f.Fuzz(func(t *testing.T, in string) {
		rs, _ := ReadJSONL("fuzz", strings.NewReader(in))
		for i := range rs {
			if err := rs[i].Validate(); err != nil {
				t.Fatalf("accepted an invalid result: %v", err)
			}
			var buf bytes.Buffer
			if err := WriteJSON(&buf, &rs[i]); err != nil {
				t.Fatalf("cannot write back: %v", err)
			}
			back, errs := ReadJSONL("again", &buf)
			if len(errs) > 0 || len(back) != 1 {
				t.Fatalf("written result does not read back: %v", errs)
			}
		}
	})
}
