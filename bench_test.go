package stratbench_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
	"github.com/stratbench/stratbench/strategies"
)

// BenchmarkSim measures the simulator's cost per event in steady state: one
// op is one event (an arrival or a departure). The engine is warmed up
// before timing (60 events a server, about 33 mean service times at
// ρ = 0.9, by when p2c's queues have filled), so allocs/op shows allocation
// per event in steady state (the target is 0). B/server is the heap the
// engine holds (after warm-up) over the number of servers; the engine of a
// case is built and warmed once and then stepped on by each b.N, so that a
// million servers are not warmed up again for every b.N.
//
// The figures of issue 13 (p2c, jsq, sed and lwl at 10^6 servers, and the
// N = 100 row):
//
//	go test -run '^$' -bench 'BenchmarkSim/policy=(p2c|jsq|sed|lwl)/servers=(100|1000000)/' -benchtime 5000000x -benchmem -count 6 .
func BenchmarkSim(b *testing.B) {
	type simCase struct {
		policy  string
		servers int
		load    float64
	}
	// Every policy of the catalog on 100 servers at ρ = 0.9 (p2c there is
	// the supermarket model, the headline figure), then the scalable
	// policies at 10^4 and 10^6 servers.
	var cases []simCase
	for _, p := range strategies.Policies {
		cases = append(cases, simCase{p.Name, 100, 0.9})
	}
	for _, n := range []int{10_000, 1_000_000} {
		for _, p := range []string{"p2c", "jsq", "sed", "lwl"} {
			cases = append(cases, simCase{p, n, 0.9})
		}
	}
	for _, tc := range cases {
		var (
			e        *sim.Engine
			perServe float64
		)
		b.Run(benchName("policy", tc.policy, "servers", tc.servers, "load", tc.load), func(b *testing.B) {
			if e == nil {
				before := heapInUse()
				var err error
				e, err = sim.NewEngine(sim.Config{
					Scenario: scenario.Scenario{Policy: tc.policy, Servers: tc.servers, Load: tc.load, Seed: 1},
					Jobs:     1 << 62, Warmup: 1,
				})
				if err != nil {
					b.Fatal(err)
				}
				e.Step(max(500_000, 60*tc.servers)) // queues and buffers at working size
				perServe = float64(int64(heapInUse())-int64(before)) / float64(tc.servers)
			}
			b.ReportAllocs()
			b.ResetTimer()
			t0 := time.Now()
			if got := e.Step(b.N); got != b.N {
				b.Fatalf("processed %d events, want %d", got, b.N)
			}
			b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "events/s")
			b.ReportMetric(perServe, "B/server")
		})
		e = nil
	}
}

// heapInUse is the heap in use after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
