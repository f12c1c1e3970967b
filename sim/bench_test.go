package sim_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

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

// BenchmarkScale is the engine's cost per event at 10^2, 10^4 and 10^6
// servers for the policies it picks for itself, measured three ways: wall
// time (events/s), the CPU time of the thread that ran them (cpu-ns/event,
// which a machine shared with other work inflates much less), and the heap
// the engine holds per server after its warm-up (B/server). One op is one
// event. The root package's BenchmarkSim gives the headline figures; this
// one is for comparing changes on a busy machine.
func BenchmarkScale(b *testing.B) {
	for _, n := range []int{100, 10_000, 1_000_000} {
		for _, p := range []string{"p2c", "jsq", "sed", "lwl"} {
			var (
				e        *sim.Engine
				perServe float64
			)
			b.Run(fmt.Sprintf("policy=%s/servers=%d", p, n), func(b *testing.B) {
				if e == nil {
					runtime.GC()
					before := heapInUse()
					var err error
					e, err = sim.NewEngine(sim.Config{Scenario: scenario.Scenario{Policy: p, Servers: n, Load: 0.9, Seed: 1}, Jobs: 1 << 62, Warmup: 1})
					if err != nil {
						b.Fatal(err)
					}
					e.Step(max(500_000, 60*n))
					perServe = float64(int64(heapInUse())-int64(before)) / float64(n)
				}
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				b.ReportAllocs()
				b.ResetTimer()
				t0, c0 := time.Now(), threadCPU()
				if got := e.Step(b.N); got != b.N {
					b.Fatalf("processed %d events, want %d", got, b.N)
				}
				c1, t1 := threadCPU(), time.Now()
				b.ReportMetric(float64(b.N)/t1.Sub(t0).Seconds(), "events/s")
				if c0 >= 0 {
					b.ReportMetric(float64((c1-c0).Nanoseconds())/float64(b.N), "cpu-ns/event")
				}
				b.ReportMetric(perServe, "B/server")
			})
			e = nil
		}
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
