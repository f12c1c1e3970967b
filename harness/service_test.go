package harness

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/workloads/xmark"
)

// TestRunServiceEveryPolicy runs a short service under each kind of policy
// (random, load-aware, central queue, observers, hashing) and checks the
// accounting: every measured job completed and was dispatched once, and
// the metrics the simulator reports are there.
func TestRunServiceEveryPolicy(t *testing.T) {
	for _, tc := range timingCases() {
		for _, policy := range []string{"random", "rr", "jsq", "p2c", "central", "jiq", "lwl", "ewma", "maglev"} {
			t.Run(tc.name+"/"+policy, func(t *testing.T) {
				testEveryPolicy(t, policy, tc.kind, tc.timing)
			})
		}
	}
}

// timingCases are the service kinds and timing paths a test runs on.
func timingCases() []struct{ name, kind, timing string } {
	return []struct{ name, kind, timing string }{
		{TimingLoop, ServiceSleep, TimingLoop},
		{TimingSpin, ServiceSleep, TimingSpin},
		{TimingGoroutines, ServiceSleep, TimingGoroutines},
	}
}

func testEveryPolicy(t *testing.T, policy, kind, timing string) {
	res, err := RunService(context.Background(), ServiceConfig{
		Scenario: scenario.Scenario{Policy: policy, Servers: 4, Load: 0.6, Seed: 3},
		Unit:     200 * time.Microsecond,
		Kind:     kind,
		Timing:   timing,
		Jobs:     300,
		Warmup:   30,
	})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Metrics
	if m["jobs"] != 300 {
		t.Fatalf("%g measured jobs, want 300", m["jobs"])
	}
	sum := 0.0
	for _, d := range res.PerServer["dispatched"] {
		sum += d
	}
	if sum != 300 {
		t.Errorf("%g measured jobs dispatched, want 300", sum)
	}
	for _, k := range []string{"response_mean", "response_p99", "wait_mean", "utilization", "throughput_per_sec", "arrival_rate_per_sec", "lag_mean_sec", "overrun_mean"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no metric %s", k)
		}
	}
	// A job waits its whole service time, so its response is at
	// least its size: the mean is well above zero.
	if !(m["response_mean"] > 0.3) || m["wait_mean"] < 0 {
		t.Errorf("response_mean %g, wait_mean %g", m["response_mean"], m["wait_mean"])
	}
	if res.Params["unit_sec"] != 200e-6 || res.Params["timing"] != timing || res.Family != "Service" || res.Engine != "harness" {
		t.Errorf("params %v family %q", res.Params, res.Family)
	}
	if ci, ok := res.CI95["response_mean"]; !ok || !(ci[0] < m["response_mean"] && m["response_mean"] < ci[1]) || !strings.HasPrefix(fmt.Sprint(res.Params["ci_method"]), "batch means") {
		t.Errorf("response_mean %g, interval %v (%v)", m["response_mean"], ci, res.Params["ci_method"])
	}
	if !(m["harness_ns_per_job"] > 0) || !(m["dispatcher_busy_frac"] > 0) || m["dispatcher_busy_frac"] > 1 {
		t.Errorf("harness_ns_per_job %g, dispatcher_busy_frac %g", m["harness_ns_per_job"], m["dispatcher_busy_frac"])
	}
}

// TestRunServiceDuration checks the duration mode: arrivals stop after the
// duration, about λ·D jobs are measured.
func TestRunServiceDuration(t *testing.T) {
	for _, tc := range timingCases() {
		cfg := ServiceConfig{Scenario: scenario.Scenario{Policy: "p2c", Servers: 4, Load: 0.5, Seed: 1}, Unit: 500 * time.Microsecond, Duration: 300 * time.Millisecond, Timing: tc.timing}
		want := Lambda(cfg) * 0.3 / 500e-6 // 4·0.5 per unit, 600 units
		res, err := RunService(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Metrics["jobs"]; math.Abs(got-want) > 4*math.Sqrt(want) {
			t.Errorf("%s: %g jobs in 300ms, want about %g", tc.name, got, want)
		}
	}
}

// TestRunServiceSpin runs CPU-bound servers: service takes CPU time.
func TestRunServiceSpin(t *testing.T) {
	res, err := RunService(context.Background(), ServiceConfig{
		Scenario: scenario.Scenario{Policy: "jsq", Servers: 2, Load: 0.3, Seed: 1},
		Unit:     100 * time.Microsecond,
		Kind:     ServiceSpin,
		Jobs:     200,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Metrics["jobs"] != 200 || !strings.Contains(res.Name, "kind=spin") {
		t.Errorf("jobs %g, name %s", res.Metrics["jobs"], res.Name)
	}
}

// TestRunServiceInterrupt stops a long run: RunService returns within a
// second with the jobs measured so far and ctx's error.
func TestRunServiceInterrupt(t *testing.T) {
	for _, tc := range timingCases() {
		ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
		t0 := time.Now()
		res, err := RunService(ctx, ServiceConfig{
			Scenario: scenario.Scenario{Policy: "random", Servers: 4, Load: 0.5, Seed: 1},
			Unit:     time.Millisecond,
			Duration: time.Minute,
			Timing:   tc.timing,
		})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: error %v, want the context's", tc.name, err)
		}
		if el := time.Since(t0); el > 1400*time.Millisecond {
			t.Errorf("%s: stopped after %v, want within a second of the interruption", tc.name, el)
		}
		if res == nil || res.Metrics["jobs"] == 0 || !strings.Contains(strings.Join(res.Warnings, " "), "interrupted") {
			t.Fatalf("%s: record %+v: want the jobs measured so far and a warning", tc.name, res)
		}
	}
}

func TestServiceConfigErrors(t *testing.T) {
	ok := ServiceConfig{Scenario: scenario.Scenario{Policy: "p2c", Servers: 2, Load: 0.5}, Jobs: 10}
	cases := []struct {
		edit func(c *ServiceConfig)
		want string
	}{
		{func(c *ServiceConfig) { c.Policy = "nope" }, "unknown policy \"nope\" (known: random"},
		{func(c *ServiceConfig) { c.Servers = 0 }, "servers must be > 0"},
		{func(c *ServiceConfig) { c.Load = -1 }, "load must be a number > 0"},
		{func(c *ServiceConfig) { c.Kind = "nap" }, "unknown service kind"},
		{func(c *ServiceConfig) { c.Timing = "wheel" }, "timing must be loop, spin-loop or goroutines, got \"wheel\""},
		{func(c *ServiceConfig) { c.Kind, c.Timing = ServiceSpin, TimingLoop }, "timing loop serves sleep only: a spin server does work"},
		{func(c *ServiceConfig) { c.Kind, c.Timing = ServiceSpin, TimingSpin }, "timing spin-loop serves sleep only"},
		{func(c *ServiceConfig) { c.Duration = -time.Second; c.Jobs = 0 }, "duration must be >= 0"},
		{func(c *ServiceConfig) { c.Duration = time.Second }, "not both"},
		{func(c *ServiceConfig) { c.Jobs = 0 }, "number of jobs or a duration"},
		{func(c *ServiceConfig) { c.Jobs, c.Duration, c.Load = 0, time.Second, 1.2 }, "load 1.2 >= 1 is unstable"},
		{func(c *ServiceConfig) { c.Speeds = []float64{1} }, "1 speeds given for 2 servers"},
	}
	for _, tc := range cases {
		cfg := ok
		tc.edit(&cfg)
		err := cfg.Validate()
		if err == nil || !errors.Is(err, bad.ErrInput) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want bad input containing %q", err, tc.want)
		}
		if _, err := RunService(context.Background(), cfg); err == nil || !errors.Is(err, bad.ErrInput) {
			t.Errorf("RunService: got %v, want bad input", err)
		}
	}
	// A load >= 1 is allowed with a number of jobs: the run ends.
	cfg := ok
	cfg.Load = 1.5
	if err := cfg.Validate(); err != nil {
		t.Errorf("load 1.5 with jobs: %v", err)
	}
}

func TestJobRing(t *testing.T) {
	var r jobRing
	for i := range 20 {
		r.push(svcJob{id: uint64(i)})
		if i%3 == 0 {
			r.pop()
		}
	}
	last := -1
	for {
		j, ok := r.pop()
		if !ok {
			break
		}
		if int(j.id) <= last {
			t.Fatalf("ring out of order: %d after %d", j.id, last)
		}
		last = int(j.id)
	}
}

// TestRunServiceAllocations checks that requests allocate nothing in steady
// state: queues are rings that stop growing, latencies go to an HDR
// histogram, the policy sees the run through a pointer.
func TestRunServiceAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	const jobs = 3000
	for _, tc := range timingCases() {
		run := func(n uint64) uint64 {
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			_, err := RunService(context.Background(), ServiceConfig{
				Scenario: scenario.Scenario{Policy: "p2c", Servers: 4, Load: 0.7, Seed: 1},
				Unit:     50 * time.Microsecond,
				Jobs:     n,
				Timing:   tc.timing,
			})
			runtime.ReadMemStats(&m1)
			if err != nil {
				t.Fatal(err)
			}
			return m1.Mallocs - m0.Mallocs
		}
		small, big := run(100), run(jobs)
		// Signed: the run's fixed allocations vary by a few (the runtime's
		// own), so the longer run may allocate fewer in all.
		if perJob := float64(int64(big)-int64(small)) / (jobs - 100); perJob > 0.05 {
			t.Errorf("%s: %.3f allocations per request (%d for 100 jobs, %d for %d), want none", tc.name, perJob, small, big, jobs)
		}
	}
}

func TestXMLRecord(t *testing.T) {
	rep := &xmark.Report{Kernel: "fast", Mode: xmark.ModeChunks, Files: 1, Bytes: 2e6, Chunks: 8, Wall: time.Second, Reruns: 1}
	r := XMLRecord(rep, 4, "pool")
	if r.Name != "kernel=fast/workers=4/executor=pool" || r.Family != "XML" || r.Metrics["mb_per_sec"] != 2 || r.Params["chunks"] != 8 {
		t.Fatalf("record %+v", r)
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if one := XMLRecord(rep, 1, "pool"); one.Name != "kernel=fast/workers=1" || one.Params["executor"] != nil {
		t.Fatalf("one worker: %+v", one)
	}
}
