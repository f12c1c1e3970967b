package runs

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stratbench/stratbench/cluster"
	"github.com/stratbench/stratbench/cluster/loadgen"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
	"github.com/stratbench/stratbench/workloads"
)

// TestReplayIsTheModel checks the replay of a run's jobs through the model
// against the model itself: requests made from the scenario's own streams,
// as the load generator makes them, replayed at their intended times, wait
// as the simulator's run of the same scenario over the same jobs does (the
// same jobs, the same policy stream: the same queueing, to rounding);
// replayed at send times later by a bunching lag, they wait longer.
func TestReplayIsTheModel(t *testing.T) {
	const unit = time.Millisecond
	for _, policy := range []string{"jsq", "p2c", "rr"} {
		sc := scenario.Scenario{Policy: policy, Servers: 4, Load: 0.8, Seed: 3}.WithDefaults()
		cfg := &cluster.Config{Scenario: sc, Unit: unit, Jobs: 6000}
		cluster.SetDefaultWarmup(cfg)
		arrivals := sc.Arrival.Process(sc.ArrivalRate(), 1, workloads.NewSource(sc.Seed, uint64(scenario.StreamArrivals)))
		sizes := sc.Service.Sampler(workloads.NewSource(sc.Seed, uint64(scenario.StreamSizes)))
		exact, late := &cluster.Arrivals{}, &cluster.Arrivals{}
		at := 0.0
		for id := range uint64(cfg.Jobs) {
			gap, size := arrivals.Next()
			at += gap
			if size < 0 {
				size = sizes.Sample()
			}
			intended := time.Duration(at * float64(unit))
			exact.Add(&loadgen.Request{ID: id, Size: size, Intended: intended, Sent: intended})
			// Every request of each 50ms is sent at the end of it: a
			// generator stalled and catching up.
			late.Add(&loadgen.Request{ID: id, Size: size, Intended: intended, Sent: (intended/(50*time.Millisecond) + 1) * 50 * time.Millisecond})
		}
		model, err := sim.Run(context.Background(), sim.Config{Scenario: sc, Jobs: cfg.Jobs - cfg.WarmupJobs, Warmup: cfg.WarmupJobs})
		if err != nil {
			t.Fatal(err)
		}
		want := model.Metrics["wait_mean"]
		for _, sent := range []bool{false, true} {
			got, err := replayWait(context.Background(), cfg, sc, exact, sent)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-want) > 1e-6*want {
				t.Errorf("%s, sent=%v: the replay waits %.9g, the model on the same jobs %.9g", policy, sent, got, want)
			}
		}
		bunched, err := replayWait(context.Background(), cfg, sc, late, true)
		if err != nil {
			t.Fatal(err)
		}
		if !(bunched > want) {
			t.Errorf("%s: jobs bunched by a stalling generator wait %.4g, no longer than sent on time (%.4g)", policy, bunched, want)
		}
	}
}
