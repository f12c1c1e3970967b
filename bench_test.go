package stratbench_test

import (
	"testing"
	"time"

	"github.com/stratbench/stratbench/sim"
)

// BenchmarkSim measures the simulator's cost per event in steady state: one
// op is one event (an arrival or a departure). The engine is warmed up
// before timing, so allocs/op shows allocation per event in steady state
// (the target is 0).
func BenchmarkSim(b *testing.B) {
	cases := []struct {
		policy  string
		servers int
		load    float64
	}{
		{"p2c", 100, 0.9}, // the supermarket model: the headline figure
		{"random", 100, 0.9},
		{"jsq", 100, 0.9},
		{"central", 100, 0.9},
		{"p2c", 10000, 0.9},
	}
	for _, tc := range cases {
		b.Run(benchName("policy", tc.policy, "servers", tc.servers, "load", tc.load), func(b *testing.B) {
			e, err := sim.NewEngine(sim.Config{
				Policy: tc.policy, Servers: tc.servers, Load: tc.load,
				Jobs: 1 << 62, Seed: 1,
			})
			if err != nil {
				b.Fatal(err)
			}
			e.Step(20 * tc.servers) // reach steady state: queues and buffers at working size
			b.ReportAllocs()
			b.ResetTimer()
			t0 := time.Now()
			if got := e.Step(b.N); got != b.N {
				b.Fatalf("processed %d events, want %d", got, b.N)
			}
			b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "events/s")
		})
	}
}
