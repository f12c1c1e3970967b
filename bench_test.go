package stratbench_test

import (
	"testing"
	"time"

	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
	"github.com/stratbench/stratbench/strategies"
)

// BenchmarkSim measures the simulator's cost per event in steady state: one
// op is one event (an arrival or a departure). The engine is warmed up
// before timing, so allocs/op shows allocation per event in steady state
// (the target is 0).
func BenchmarkSim(b *testing.B) {
	type simCase struct {
		policy  string
		servers int
		load    float64
	}
	// Every policy of the catalog on 100 servers at ρ = 0.9 (p2c there is
	// the supermarket model, the headline figure), then p2c and jsq at scale.
	var cases []simCase
	for _, p := range strategies.Policies {
		cases = append(cases, simCase{p.Name, 100, 0.9})
	}
	cases = append(cases, simCase{"p2c", 10000, 0.9}, simCase{"jsq", 10000, 0.9})
	for _, tc := range cases {
		b.Run(benchName("policy", tc.policy, "servers", tc.servers, "load", tc.load), func(b *testing.B) {
			e, err := sim.NewEngine(sim.Config{
				Scenario: scenario.Scenario{Policy: tc.policy, Servers: tc.servers, Load: tc.load, Seed: 1},
				Jobs:     1 << 62,
			})
			if err != nil {
				b.Fatal(err)
			}
			e.Step(max(500_000, 50*tc.servers)) // reach steady state: queues and buffers at working size
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
