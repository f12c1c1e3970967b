package reports

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/metrics"
)

func sampled(name, metric string, center, rel float64, n int, seed uint64) metrics.Result {
	rng := rand.New(rand.NewPCG(seed, 1))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = center * (1 + rel*rng.NormFloat64())
	}
	return metrics.Result{Engine: "harness", Family: "Batch", Name: name,
		Metrics: map[string]float64{metric: center}, Samples: map[string][]float64{metric: xs}}
}

// TestRegressions checks the CI gate: only significant changes against a
// metric's better direction, beyond the threshold, count.
func TestRegressions(t *testing.T) {
	cases := []struct {
		name      string
		metric    string
		old, new  float64
		n         int
		threshold float64
		want      int
	}{
		{"throughput down 10%", "throughput_per_sec", 100, 90, 10, 5, 1},     // worse, significant, beyond 5%
		{"throughput up 10%", "throughput_per_sec", 100, 110, 10, 5, 0},      // better is never a regression
		{"wall time up 10%", "wall_sec", 1, 1.1, 10, 5, 1},                   // lower is better: up is worse
		{"wall time up 3%", "wall_sec", 1, 1.03, 10, 5, 0},                   // significant but under the threshold
		{"wall time up 3%, zero threshold", "wall_sec", 1, 1.03, 10, 0, 1},   // any significant regression
		{"too few samples", "wall_sec", 1, 1.5, 3, 5, 0},                     // n=3 cannot reach p < 0.05
		{"latency up 20%, one value each", "response_mean", 1, 1.2, 1, 5, 0}, // no samples: no test, no failure
		{"fewer jobs", "jobs", 100000, 80000, 10, 5, 0},                      // describes the run: never a regression
		{"fewer events", "events", 100000, 80000, 10, 5, 0},
		{"lower utilization", "utilization", 0.9, 0.8, 10, 5, 0},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old := &Set{Results: []metrics.Result{sampled("executor=pool", tc.metric, tc.old, 0.005, tc.n, uint64(i))}}
			new := &Set{Results: []metrics.Result{sampled("executor=pool", tc.metric, tc.new, 0.005, tc.n, uint64(i)+100)}}
			c := Compare(old, new, 0.05)
			if len(c.Rows) != 1 {
				t.Fatalf("%d rows", len(c.Rows))
			}
			if got := len(c.Regressions(tc.threshold)); got != tc.want {
				r := c.Rows[0]
				t.Errorf("%d regressions, want %d (change %+.1f%%, p=%.3f)", got, tc.want, r.Change*100, r.Cmp.P)
			}
		})
	}
}

// TestCompareFootnotes checks that too few samples are said in footnotes
// and that `~` marks a change that is not significant.
func TestCompareFootnotes(t *testing.T) {
	old := &Set{Results: []metrics.Result{sampled("executor=pool", "wall_sec", 1, 0.01, 3, 1)}}
	new := &Set{Results: []metrics.Result{sampled("executor=pool", "wall_sec", 1.5, 0.01, 3, 2)}}
	var b bytes.Buffer
	if err := Compare(old, new, 0.05).WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"~", "¹", "need >= 6 samples for confidence interval", "need >= 4 samples to detect a difference"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestRunCompareFails checks that a regression is an error naming the
// metric, wrapped so that the command line exits 1.
func TestRunCompareFails(t *testing.T) {
	var out, errb bytes.Buffer
	err := RunCompare(context.Background(), CompareConfig{Old: "testdata/batch.jsonl", New: "testdata/batch-new.jsonl", FailOnRegression: 5}, &out, &errb)
	if !errors.Is(err, ErrRegression) || errors.Is(err, ErrInput) {
		t.Fatalf("err = %v, want a regression", err)
	}
	if !strings.Contains(err.Error(), "executor=goroutine/workers=2 throughput_per_sec") {
		t.Errorf("the error must name the metric: %v", err)
	}
	err = RunCompare(context.Background(), CompareConfig{Old: "testdata/batch.jsonl", New: "testdata/nothing.jsonl"}, &out, &errb)
	if !errors.Is(err, ErrInput) {
		t.Errorf("a missing file must be an input error, got %v", err)
	}
}
