package sim_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

// deterministic strips what legitimately varies between identical runs:
// timing and the environment.
func deterministic(r *metrics.Result) *metrics.Result {
	c := *r
	c.Metrics = map[string]float64{}
	for k, v := range r.Metrics {
		if k != "wall_sec" && k != "events_per_sec" {
			c.Metrics[k] = v
		}
	}
	c.Env = metrics.Env{}
	return &c
}

// TestDeterministicAcrossCores runs the same seeded configuration with one
// and several cores, and with replications spread differently, and expects
// identical results bit for bit.
func TestDeterministicAcrossCores(t *testing.T) {
	for _, policy := range strategies.PolicyNames() {
		t.Run(policy, func(t *testing.T) {
			cfg := sim.Config{Scenario: scenario.Scenario{Policy: policy, Servers: 8, Load: 0.8, Seed: 7}, Jobs: 20_000, Warmup: 2_000, Replications: 3}
			prev := runtime.GOMAXPROCS(1)
			cfg.Parallelism = 1
			a, err := sim.Run(context.Background(), cfg)
			runtime.GOMAXPROCS(prev)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Parallelism = 3
			b, err := sim.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(deterministic(a), deterministic(b)) {
				t.Errorf("same seed, different results:\n%v\n%v", deterministic(a).Metrics, deterministic(b).Metrics)
			}
			cfg.Seed = 8
			c, err := sim.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if a.Metrics["response_mean"] == c.Metrics["response_mean"] {
				t.Errorf("seeds 7 and 8 gave the same mean response %v", a.Metrics["response_mean"])
			}
		})
	}
}

// TestReplicationsCI checks that replications give an interval across
// replication means and keep every replication's mean as a sample.
func TestReplicationsCI(t *testing.T) {
	res := run(t, sim.Config{Scenario: scenario.Scenario{Policy: "random", Servers: 1, Load: 0.5}, Jobs: 50_000, Replications: 6})
	if got := len(res.Samples["response_mean"]); got != 6 {
		t.Fatalf("%d replication samples, want 6", got)
	}
	ci := res.CI95["response_mean"]
	if m := res.Metrics["response_mean"]; !(ci[0] < m && m < ci[1]) {
		t.Errorf("mean %v outside its interval %v", m, ci)
	}
	if res.Params["ci_method"] != "replications" {
		t.Errorf("ci_method %v, want replications", res.Params["ci_method"])
	}
}

// TestMemoryBounded runs a long simulation and checks that the heap does not
// grow with the number of jobs: nothing is kept per job.
func TestMemoryBounded(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation figures are distorted by the race detector")
	}
	e, err := sim.NewEngine(sim.Config{Scenario: scenario.Scenario{Policy: "p2c", Servers: 1000, Load: 0.9, Seed: 1}, Jobs: 1 << 62})
	if err != nil {
		t.Fatal(err)
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	e.Step(1_000_000)
	before := heap()
	e.Step(4_000_000)
	after := heap()
	if after > before+256<<10 {
		t.Errorf("heap grew from %d to %d bytes over 4M events", before, after)
	}
	if allocs := testing.AllocsPerRun(5, func() { e.Step(10_000) }); allocs != 0 {
		t.Errorf("%v allocations per 10,000 events in steady state, want 0", allocs)
	}
}

// TestTrace checks the per-job CSV trace: one row per job, times ordered.
func TestTrace(t *testing.T) {
	var buf bytes.Buffer
	run(t, sim.Config{Scenario: scenario.Scenario{Policy: "jsq", Servers: 4, Load: 0.8}, Jobs: 1000, Warmup: 100, Trace: &buf})
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[0]; strings.Join(got, ",") != "id,arrival,server,start,departure" {
		t.Fatalf("header %v", got)
	}
	seen := map[int]bool{}
	for _, r := range rows[1:] {
		id, _ := strconv.Atoi(r[0])
		seen[id] = true
		var v [4]float64
		for i := range v {
			v[i], _ = strconv.ParseFloat(r[i+1], 64)
		}
		if !(v[0] <= v[2] && v[2] <= v[3]) || v[1] < 0 || v[1] > 3 {
			t.Fatalf("bad row %v", r)
		}
	}
	for id := 100; id < 1100; id++ {
		if !seen[id] {
			t.Fatalf("measured job %d missing from the trace", id)
		}
	}
}

// TestTraceArrivals replays a recorded trace: sizes and times come from it.
func TestTraceArrivals(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace.csv")
	var b strings.Builder
	b.WriteString("time,size\n")
	for i := range 2000 {
		b.WriteString(strconv.FormatFloat(float64(i)*2, 'g', -1, 64) + ",1\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	arr, err := workloads.ParseArrival("trace:" + path)
	if err != nil {
		t.Fatal(err)
	}
	// One arrival every 2 time units, size 1: never any waiting.
	res := run(t, sim.Config{Scenario: scenario.Scenario{Policy: "rr", Servers: 1, Arrival: arr}, Jobs: 1900, Warmup: 100})
	if got := res.Metrics["response_mean"]; got != 1 {
		t.Errorf("mean response %v, want exactly 1", got)
	}
	if got := res.Metrics["utilization"]; math.Abs(got-0.5) > 0.01 {
		t.Errorf("utilization %v, want 0.5", got)
	}
	// A trace shorter than warmup+jobs is measured as far as it goes.
	res = run(t, sim.Config{Scenario: scenario.Scenario{Policy: "rr", Servers: 1, Arrival: arr}, Jobs: 5000, Warmup: 100})
	if got := res.Metrics["jobs"]; got != 1900 {
		t.Errorf("measured %v jobs, want the trace's 1900", got)
	}
}

// TestInterrupted checks that a cancelled run returns what it measured, with
// a warning, and the context's error.
func TestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cfg := sim.Config{
		Scenario: scenario.Scenario{Policy: "p2c", Servers: 10, Load: 0.5, Seed: 1},
		Jobs:     1 << 40,
		Progress: func(done, _ uint64) {
			if done > 100_000 {
				cancel()
			}
		},
	}
	res, err := sim.Run(ctx, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if res == nil || res.Metrics["jobs"] < 100_000 || len(res.Warnings) == 0 {
		t.Fatalf("interrupted run kept %v jobs, warnings %v", res.Metrics["jobs"], res.Warnings)
	}
	if _, ok := res.Metrics["response_mean"]; !ok {
		t.Error("interrupted run lost its response figures")
	}
}

// TestOverloadWarnsAndEnds checks that ρ ≥ 1 runs to the end with a warning.
func TestOverloadWarnsAndEnds(t *testing.T) {
	for _, disc := range []sim.Discipline{sim.FIFO, sim.PS} {
		res := run(t, sim.Config{Scenario: scenario.Scenario{Policy: "random", Servers: 2, Load: 1.2}, Jobs: 20_000, Discipline: disc})
		found := false
		for _, w := range res.Warnings {
			found = found || strings.Contains(w, "unstable")
		}
		if !found {
			t.Errorf("%s: no instability warning in %v", disc, res.Warnings)
		}
	}
}

// TestBadConfig checks that invalid configurations are rejected with an
// error naming the problem.
func TestBadConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  sim.Config
		want string
	}{
		{sim.Config{Scenario: scenario.Scenario{Policy: "nope", Servers: 1, Load: 0.5}, Jobs: 100}, "unknown policy"},
		{sim.Config{Scenario: scenario.Scenario{Policy: "rr", Servers: 0, Load: 0.5}, Jobs: 100}, "servers must be > 0"},
		{sim.Config{Scenario: scenario.Scenario{Policy: "rr", Servers: 1, Load: 0}, Jobs: 100}, "load must be"},
		{sim.Config{Scenario: scenario.Scenario{Policy: "rr", Servers: 1, Load: -1}, Jobs: 100}, "load must be"},
		{sim.Config{Scenario: scenario.Scenario{Policy: "rr", Servers: 1, Load: math.NaN()}, Jobs: 100}, "load must be"},
		{sim.Config{Scenario: scenario.Scenario{Policy: "rr", Servers: 1, Load: 0.5}, Jobs: 10, Precision: 1.5}, "precision must be in [0, 1)"},
		{sim.Config{Scenario: scenario.Scenario{Policy: "rr", Servers: 1, Load: 0.5}, Jobs: 10, Precision: -0.1}, "precision must be in [0, 1)"},
		{sim.Config{Scenario: scenario.Scenario{Policy: "rr", Servers: 2, Load: 0.5, Speeds: []float64{1}}, Jobs: 100}, "1 speeds given for 2 servers"},
		{sim.Config{Scenario: scenario.Scenario{Policy: "rr", Servers: 2, Load: 0.5, Speeds: []float64{1, 0}}, Jobs: 100}, "speed of server 1"},
		{sim.Config{Scenario: scenario.Scenario{Policy: "rr", Servers: 1, Load: 0.5}, Jobs: 100, Discipline: "lifo"}, "unknown discipline"},
		{sim.Config{Scenario: scenario.Scenario{Policy: "jsq", Servers: 100_000, Load: 0.5}, Jobs: 100, Replications: 2000}, "100000 servers × 2000 replications would take about 17.9 GB of memory, more than the 4 GB a run may take: lower servers or replications"},
	} {
		_, err := sim.Run(context.Background(), tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

// TestLoadIndexChangesNothing runs jsq and sed with and without the load
// index that lets them choose in O(log N), and expects the same results bit
// for bit: the same servers chosen with the same random draws.
func TestLoadIndexChangesNothing(t *testing.T) {
	cases := []sim.Config{
		{Scenario: scenario.Scenario{Policy: "jsq", Servers: 50, Load: 0.9, Seed: 3}, Jobs: 30_000},
		{Scenario: scenario.Scenario{Policy: "jsq", Servers: 3, Load: 0.95, Seed: 4}, Jobs: 30_000, Discipline: sim.PS},
		{Scenario: scenario.Scenario{Policy: "jsq", Servers: 10, Load: 1.2, Seed: 5}, Jobs: 20_000},
		{Scenario: scenario.Scenario{Policy: "sed", Servers: 20, Load: 0.8, Seed: 6}, Jobs: 30_000},
		{Scenario: scenario.Scenario{Policy: "sed", Servers: 3, Load: 0.8, Seed: 7, Speeds: []float64{2, 1, 1}}, Jobs: 30_000},
		{Scenario: scenario.Scenario{Policy: "sed", Servers: 3, Load: 0.8, Seed: 8, Speeds: []float64{2, 2, 2}}, Jobs: 30_000},
		{Scenario: scenario.Scenario{Policy: "lwl", Servers: 50, Load: 0.9, Seed: 9}, Jobs: 30_000},
		{Scenario: scenario.Scenario{Policy: "lwl", Servers: 4, Load: 0.7, Seed: 10, Speeds: []float64{3, 1, 1, 0.5}}, Jobs: 30_000},
		{Scenario: scenario.Scenario{Policy: "lwl", Servers: 4, Load: 0.7, Seed: 11}, Jobs: 30_000, Discipline: sim.PS},
		{Scenario: scenario.Scenario{Policy: "lwl", Servers: 5, Load: 0.8, Seed: 12, Service: mustSize(t, "det"), Arrival: mustArrivalSpec(t, "det")}, Jobs: 30_000},
		// Arrivals every 1.0 and service 1.0: each arrival meets a departure
		// due at the same instant, a busy server with no work left that ties
		// with the idle one.
		{Scenario: scenario.Scenario{Policy: "lwl", Servers: 2, Load: 0.5, Seed: 13, Service: mustSize(t, "det"), Arrival: mustArrivalSpec(t, "det")}, Jobs: 10_000},
	}
	for _, cfg := range cases {
		t.Run(fmt.Sprintf("%s/servers=%d/load=%v/%s/speeds=%v", cfg.Policy, cfg.Servers, cfg.Load, cfg.Discipline, cfg.Speeds), func(t *testing.T) {
			with, err := sim.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			restore := sim.SetLoadIndex(false)
			without, err := sim.Run(context.Background(), cfg)
			restore()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(deterministic(with), deterministic(without)) {
				t.Errorf("with the load index:\n%v\nwithout:\n%v", deterministic(with).Metrics, deterministic(without).Metrics)
			}
		})
	}
}

// TestOverloadedServersAreUnstable checks that a policy that gives some
// servers more work than they can serve, below a total load of 1, is
// reported unstable (a warning and params.unstable), and that balanced
// policies near saturation are not.
func TestOverloadedServersAreUnstable(t *testing.T) {
	for _, tc := range []struct {
		cfg      sim.Config
		unstable bool
	}{
		{sim.Config{Scenario: scenario.Scenario{Policy: "hash", Servers: 100, Load: 0.95, Seed: 1}, Jobs: 200_000}, true},
		{sim.Config{Scenario: scenario.Scenario{Policy: "rr", Servers: 3, Speeds: []float64{2, 1, 1}, Load: 0.8, Seed: 1}, Jobs: 100_000}, true},
		{sim.Config{Scenario: scenario.Scenario{Policy: "wrr", Servers: 3, Speeds: []float64{2, 1, 1}, Load: 0.8, Seed: 1}, Jobs: 100_000}, false},
		{sim.Config{Scenario: scenario.Scenario{Policy: "jsq", Servers: 100, Load: 0.95, Seed: 1}, Jobs: 200_000}, false},
		{sim.Config{Scenario: scenario.Scenario{Policy: "random", Servers: 100, Load: 0.9, Seed: 1}, Jobs: 500_000}, false},
		{sim.Config{Scenario: scenario.Scenario{Policy: "random", Servers: 4, Load: 1.1, Seed: 1}, Jobs: 20_000}, true},
	} {
		t.Run(fmt.Sprintf("%s/speeds=%v/load=%v", tc.cfg.Policy, tc.cfg.Speeds, tc.cfg.Load), func(t *testing.T) {
			res := run(t, tc.cfg)
			got := res.Params["unstable"] == true
			said := strings.Contains(strings.Join(res.Warnings, "\n"), "unstable")
			if got != tc.unstable || said != tc.unstable {
				t.Errorf("unstable param %v, warning %v, want %v: %q", got, said, tc.unstable, res.Warnings)
			}
		})
	}
}

func mustArrivalSpec(t *testing.T, spec string) *workloads.ArrivalSpec {
	t.Helper()
	a, err := workloads.ParseArrival(spec)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
