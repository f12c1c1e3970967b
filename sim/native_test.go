package sim_test

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
)

// equalRuns runs cfg as is and with setting applied (which returns its
// restore function), and expects the same record bit for bit.
func equalRuns(t *testing.T, cfg sim.Config, setting func() (restore func())) {
	t.Helper()
	a, err := sim.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	restore := setting()
	b, err := sim.Run(context.Background(), cfg)
	restore()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(deterministic(a), deterministic(b)) {
		t.Errorf("records differ:\n%v\n%v\nwarnings %q\n%q", deterministic(a).Metrics, deterministic(b).Metrics, a.Warnings, b.Warnings)
	}
}

func caseName(cfg sim.Config) string {
	return fmt.Sprintf("%s/servers=%d/load=%v/%s/speeds=%v/service=%v/arrival=%v", cfg.Policy, cfg.Servers, cfg.Load, cfg.Discipline, cfg.Speeds, cfg.Service, cfg.Arrival)
}

// TestNativeChangesNothing runs the policies the engine picks for itself
// (p2c, pod with d = 2, jsq, sed, lwl) both ways, the engine's choice and
// the policy's Pick, and expects the same records bit for bit: the same
// servers chosen with the same random draws. lwl is run where every
// server is often busy (its choice then goes through the finish-time
// index) and with exact ties (deterministic arrivals and sizes).
func TestNativeChangesNothing(t *testing.T) {
	cases := []sim.Config{
		{Scenario: scenario.Scenario{Policy: "p2c", Servers: 1, Load: 0.7, Seed: 1}, Jobs: 5_000},
		{Scenario: scenario.Scenario{Policy: "p2c", Servers: 2, Load: 0.9, Seed: 2}, Jobs: 20_000},
		{Scenario: scenario.Scenario{Policy: "p2c", Servers: 100, Load: 0.95, Seed: 3}, Jobs: 50_000},
		{Scenario: scenario.Scenario{Policy: "p2c", Servers: 20, Load: 0.9, Seed: 4}, Jobs: 20_000, Discipline: sim.PS},
		{Scenario: scenario.Scenario{Policy: "pod", D: 2, Servers: 30, Load: 0.9, Seed: 5}, Jobs: 20_000},
		{Scenario: scenario.Scenario{Policy: "pod", Servers: 30, Load: 0.9, Seed: 5, Speeds: speeds(30, 3)}, Jobs: 20_000},
		{Scenario: scenario.Scenario{Policy: "jsq", Servers: 50, Load: 0.97, Seed: 6}, Jobs: 50_000},
		{Scenario: scenario.Scenario{Policy: "jsq", Servers: 7, Load: 1.2, Seed: 7}, Jobs: 20_000},
		{Scenario: scenario.Scenario{Policy: "jsq", Servers: 3, Load: 0.9, Seed: 8}, Jobs: 20_000, Discipline: sim.PS},
		{Scenario: scenario.Scenario{Policy: "sed", Servers: 20, Load: 0.9, Seed: 9}, Jobs: 20_000},
		{Scenario: scenario.Scenario{Policy: "sed", Servers: 4, Load: 0.9, Seed: 10, Speeds: []float64{2, 2, 2, 2}}, Jobs: 20_000},
		{Scenario: scenario.Scenario{Policy: "sed", Servers: 4, Load: 0.9, Seed: 10, Speeds: []float64{3, 1, 1, 0.5}}, Jobs: 20_000},
		{Scenario: scenario.Scenario{Policy: "lwl", Servers: 1, Load: 0.9, Seed: 11}, Jobs: 20_000},
		{Scenario: scenario.Scenario{Policy: "lwl", Servers: 8, Load: 0.97, Seed: 12}, Jobs: 50_000},
		{Scenario: scenario.Scenario{Policy: "lwl", Servers: 300, Load: 0.99, Seed: 13}, Jobs: 100_000},
		{Scenario: scenario.Scenario{Policy: "lwl", Servers: 4, Load: 0.95, Seed: 14, Speeds: []float64{3, 1, 1, 0.5}}, Jobs: 50_000},
		{Scenario: scenario.Scenario{Policy: "lwl", Servers: 4, Load: 1.3, Seed: 15, Speeds: []float64{1e-3, 1, 7, 0.25}}, Jobs: 20_000},
		{Scenario: scenario.Scenario{Policy: "lwl", Servers: 5, Load: 0.8, Seed: 16, Service: mustSize(t, "det"), Arrival: mustArrivalSpec(t, "det")}, Jobs: 30_000},
		{Scenario: scenario.Scenario{Policy: "lwl", Servers: 2, Load: 0.5, Seed: 17, Service: mustSize(t, "det"), Arrival: mustArrivalSpec(t, "det")}, Jobs: 10_000},
		{Scenario: scenario.Scenario{Policy: "lwl", Servers: 6, Load: 0.99, Seed: 18, Service: mustSize(t, "det"), Arrival: mustArrivalSpec(t, "det")}, Jobs: 30_000},
		{Scenario: scenario.Scenario{Policy: "lwl", Servers: 9, Load: 0.95, Seed: 19, Service: mustSize(t, "lognormal:mean=1,sigma=2")}, Jobs: 30_000},
		{Scenario: scenario.Scenario{Policy: "lwl", Servers: 4, Load: 0.7, Seed: 20}, Jobs: 20_000, Discipline: sim.PS},
	}
	for _, cfg := range cases {
		t.Run(caseName(cfg), func(t *testing.T) {
			equalRuns(t, cfg, func() func() { return sim.SetNative(false) })
		})
	}
}

func speeds(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// TestLadderChangesNothing runs FIFO clusters with their departures in the
// ladder and in the heap, and expects the same records bit for bit: the
// same departures in the same order, exact ties (deterministic sizes and
// arrivals) included.
func TestLadderChangesNothing(t *testing.T) {
	det := func(c sim.Config) sim.Config {
		c.Service, c.Arrival = mustSize(t, "det"), mustArrivalSpec(t, "det")
		return c
	}
	cases := []sim.Config{
		{Scenario: scenario.Scenario{Policy: "p2c", Servers: 300, Load: 0.9, Seed: 1}, Jobs: 60_000},
		{Scenario: scenario.Scenario{Policy: "random", Servers: 50, Load: 0.8, Seed: 2, Service: mustSize(t, "lognormal:mean=1,sigma=2")}, Jobs: 60_000},
		{Scenario: scenario.Scenario{Policy: "central", Servers: 40, Load: 0.95, Seed: 3}, Jobs: 60_000},
		{Scenario: scenario.Scenario{Policy: "jsq", Servers: 64, Load: 1.1, Seed: 4}, Jobs: 30_000},
		{Scenario: scenario.Scenario{Policy: "lwl", Servers: 20, Load: 0.95, Seed: 5, Speeds: speeds(20, 0.25)}, Jobs: 30_000},
		{Scenario: scenario.Scenario{Policy: "rr", Servers: 7, Load: 0.6, Seed: 6, Arrival: mustArrivalSpec(t, "onoff:on=5,off=20")}, Jobs: 30_000},
		det(sim.Config{Scenario: scenario.Scenario{Policy: "rr", Servers: 16, Load: 0.99, Seed: 7}, Jobs: 30_000}),
		det(sim.Config{Scenario: scenario.Scenario{Policy: "jsq", Servers: 10, Load: 0.9, Seed: 8}, Jobs: 30_000}),
		det(sim.Config{Scenario: scenario.Scenario{Policy: "lwl", Servers: 6, Load: 0.99, Seed: 9}, Jobs: 30_000}),
	}
	for _, cfg := range cases {
		t.Run(caseName(cfg), func(t *testing.T) {
			restore := sim.SetLadder(1)
			defer restore()
			equalRuns(t, cfg, func() func() { return sim.SetLadder(0) })
		})
	}
}

// TestIDWrapChangesNothing keeps the jobs' ids modulo 16 instead of 2^32,
// so that many jobs stay longer than the ids wrap (their full ids are then
// kept aside), and expects the same records bit for bit: batches, the
// pilot, the trace, retried jobs and the central queue all see the right
// ids.
func TestIDWrapChangesNothing(t *testing.T) {
	retry := faults(t, "down:server=1,at=300,for=200")
	cases := []sim.Config{
		{Scenario: scenario.Scenario{Policy: "random", Servers: 1, Load: 0.97, Seed: 1}, Jobs: 40_000, Warmup: 1000},
		{Scenario: scenario.Scenario{Policy: "random", Servers: 3, Load: 0.95, Seed: 2}, Jobs: 40_000},
		{Scenario: scenario.Scenario{Policy: "p2c", Servers: 5, Load: 0.99, Seed: 3}, Jobs: 40_000, Precision: 0.02},
		{Scenario: scenario.Scenario{Policy: "central", Servers: 4, Load: 0.97, Seed: 4}, Jobs: 40_000, Warmup: 1000},
		{Scenario: scenario.Scenario{Policy: "rr", Servers: 3, Load: 0.9, Seed: 5, Faults: retry, Retry: true}, Jobs: 20_000, Warmup: 100},
		{Scenario: scenario.Scenario{Policy: "jiq", Servers: 6, Load: 0.95, Seed: 6}, Jobs: 40_000, Warmup: 1000},
	}
	for _, cfg := range cases {
		t.Run(caseName(cfg), func(t *testing.T) {
			equalRuns(t, cfg, func() func() { return sim.SetIDWrap(16) })
		})
	}
	var a, b bytes.Buffer
	cfg := sim.Config{Scenario: scenario.Scenario{Policy: "random", Servers: 2, Load: 0.97, Seed: 7}, Jobs: 20_000, Warmup: 100}
	cfg.Trace = &a
	run(t, cfg)
	restore := sim.SetIDWrap(16)
	cfg.Trace = &b
	run(t, cfg)
	restore()
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the traces differ")
	}
}

// TestLoadCapChangesNothing keeps loads of 3 and more aside instead of in
// the server's state and expects the same records bit for bit: the engine's
// own picks (p2c, jsq and lwl through the load index), policies that read
// loads, processor sharing, a server taken down, long queues of an
// overloaded run, and the ladder.
func TestLoadCapChangesNothing(t *testing.T) {
	retry := faults(t, "down:server=1,at=300,for=200")
	cases := []sim.Config{
		{Scenario: scenario.Scenario{Policy: "p2c", Servers: 5, Load: 0.99, Seed: 3}, Jobs: 40_000},
		{Scenario: scenario.Scenario{Policy: "jsq", Servers: 6, Load: 1.2, Seed: 4}, Jobs: 30_000, Warmup: 100},
		{Scenario: scenario.Scenario{Policy: "sed", Servers: 6, Load: 0.97, Seed: 5}, Jobs: 30_000},
		{Scenario: scenario.Scenario{Policy: "lwl", Servers: 6, Load: 0.97, Seed: 6}, Jobs: 30_000},
		{Scenario: scenario.Scenario{Policy: "rr", Servers: 3, Load: 1.3, Seed: 7}, Jobs: 20_000, Warmup: 100},
		{Scenario: scenario.Scenario{Policy: "leastreq", Servers: 4, Load: 0.95, Seed: 8}, Jobs: 30_000},
		{Scenario: scenario.Scenario{Policy: "jsq", Servers: 5, Load: 0.97, Seed: 9}, Jobs: 20_000, Discipline: sim.PS},
		{Scenario: scenario.Scenario{Policy: "rr", Servers: 3, Load: 0.9, Seed: 10, Faults: retry, Retry: true}, Jobs: 20_000, Warmup: 100},
	}
	for _, cfg := range cases {
		t.Run(caseName(cfg), func(t *testing.T) {
			equalRuns(t, cfg, func() func() { return sim.SetLoadCap(3) })
		})
	}
	t.Run("ladder", func(t *testing.T) {
		restore := sim.SetLadder(1)
		defer restore()
		equalRuns(t, sim.Config{Scenario: scenario.Scenario{Policy: "p2c", Servers: 4, Load: 0.99, Seed: 11}, Jobs: 40_000},
			func() func() { return sim.SetLoadCap(3) })
	})
}
