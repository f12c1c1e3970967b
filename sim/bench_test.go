package sim_test

import (
	"testing"

	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
)

// BenchmarkStep is one event of the supermarket model (p2c, 100 servers,
// ρ = 0.9) in steady state. The root package's BenchmarkSim covers every
// policy; this one keeps the package self-contained, so that a profile-
// guided build of it (pgo's tests) compiles quickly.
func BenchmarkStep(b *testing.B) {
	e, err := sim.NewEngine(sim.Config{Scenario: scenario.Scenario{Policy: "p2c", Servers: 100, Load: 0.9, Seed: 1}, Jobs: 1 << 62})
	if err != nil {
		b.Fatal(err)
	}
	e.Step(200_000)
	b.ReportAllocs()
	b.ResetTimer()
	e.Step(b.N)
}
