package reports

import (
	"math"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/metrics"
)

// TestModelGap checks the split of the error on records made by hand:
// the parts add up to the error, each is what it names, and a run
// without the round trip has no split.
func TestModelGap(t *testing.T) {
	run := &metrics.Result{Params: map[string]any{"unit_sec": 0.001}, Metrics: map[string]float64{
		"response_mean": 2.5, "send_lag_mean_sec": 0.0001, "overhead_mean_sec": 0.0004, "network_delay": 0.3,
		"wait_mean": 0.8, "service_mean": 1.02, "worker_late_mean": 0.05,
	}}
	// model: wait 0.5, service 1.0, delay 0.3
	model := &metrics.Result{Metrics: map[string]float64{"response_mean": 1.8, "wait_mean": 0.5}}
	g, ok := ModelGap(run, model)
	if !ok {
		t.Fatal("no gap")
	}
	want := Gap{Measured: 2.5, Model: 1.8, Error: 0.7, SendLag: 0.1, Transport: 0.1, Wait: 0.3, Service: 0.02, Late: 0.05, Rest: 0.13}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"error", g.Error, want.Error}, {"lag", g.SendLag, want.SendLag}, {"transport", g.Transport, want.Transport},
		{"wait", g.Wait, want.Wait}, {"service", g.Service, want.Service}, {"late", g.Late, want.Late}, {"rest", g.Rest, want.Rest},
	} {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s: %g, want %g", c.name, c.got, c.want)
		}
	}
	if sum := g.SendLag + g.Transport + g.Wait + g.Service + g.Late + g.Rest; math.Abs(sum-g.Error) > 1e-12 {
		t.Errorf("the parts add up to %g, the error is %g", sum, g.Error)
	}
	g.Record(run)
	if run.Metrics["gap_wait"] != g.Wait || run.Metrics["gap_mean"] != g.Error {
		t.Errorf("recorded %v", run.Metrics)
	}
	var b strings.Builder
	if err := WriteGaps(&b, []GapRow{{"via=ours", g}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "+38.9%") {
		t.Errorf("table:\n%s", b.String())
	}
	delete(run.Metrics, "network_delay")
	if _, ok := ModelGap(run, model); ok {
		t.Error("a run without its round trip has a split")
	}
}
