package cluster

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stratbench/stratbench/cluster/internal/workertest"
	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/reports"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/strategies"
)

// skipWithout skips a test through via when its balancer is not installed.
func skipWithout(t *testing.T, via string) {
	t.Helper()
	if IsExternal(via) {
		if _, err := FindBinary(via); err != nil {
			t.Skip(err)
		}
	}
}

// TestRunVia runs a short cluster through every balancer with real worker
// processes and checks the record and the accounting.
func TestRunVia(t *testing.T) {
	for _, v := range Vias {
		t.Run(v.Name, func(t *testing.T) {
			skipWithout(t, v.Name)
			t.Parallel()
			res, err := Run(context.Background(), Config{
				Scenario: scenario.Scenario{Policy: "jsq", Servers: 2, Load: 0.5, Seed: 1},
				Via:      v.Name,
				Jobs:     300,
				Launcher: testLauncher(),
			})
			if err != nil {
				t.Fatal(err)
			}
			m := res.Metrics
			if m["sent"] != 300 || m["succeeded"]+m["failed"] != 300 || m["failed"] != 0 {
				t.Errorf("sent %v succeeded %v failed %v (%v)", m["sent"], m["succeeded"], m["failed"], res.Warnings)
			}
			for _, k := range []string{"response_mean", "response_p50", "response_p99", "throughput_per_sec", "service_mean", "wait_mean", "overhead_p50_sec", "errors"} {
				if _, ok := m[k]; !ok {
					t.Errorf("metric %s missing", k)
				}
			}
			if res.Engine != "harness" || res.Params["via"] != v.Name || !strings.HasPrefix(res.Name, "via="+v.Name+"/policy=jsq/workers=2") {
				t.Errorf("engine %q name %q params %v", res.Engine, res.Name, res.Params)
			}
			if got := res.PerServer["succeeded"]; len(got) != 2 || got[0]+got[1] != 300 {
				t.Errorf("successes by worker %v, want 2 adding up to 300", got)
			}
			// The interval of the mean comes from the run's batch means.
			if ci, ok := res.CI95["response_mean"]; !ok || !(ci[0] < m["response_mean"] && m["response_mean"] < ci[1]) || !strings.HasPrefix(fmt.Sprint(res.Params["ci_method"]), "batch means") {
				t.Errorf("response_mean %g, interval %v (%v)", m["response_mean"], ci, res.Params["ci_method"])
			}
			if !(m["stack_cpu_ns_per_task"] > 0) {
				t.Errorf("no CPU time of the stack: %v", m["stack_cpu_ns_per_task"])
			}
			if IsExternal(v.Name) && res.Params["native_policy"] == nil {
				t.Error("no params.native_policy")
			}
			// Sleep workers serve each task for the size asked, on their
			// schedule, whatever the machine's timers did (the lateness is
			// counted apart); the histograms keep 3 significant digits.
			if s, a := m["service_mean"], m["asked_mean"]; !(a > 0) || s < a*0.998 || s > a*1.002 {
				t.Errorf("mean service %g for a mean size asked of %g", s, a)
			}
			// The response splits into its parts: with a model of exactly
			// the run's wait, service and round trip, the error is the
			// generator's lag, the transport beyond the round trip and the
			// workers' lateness, and nothing is left but rounding.
			model := &metrics.Result{Metrics: map[string]float64{
				"wait_mean":     m["wait_mean"],
				"response_mean": m["wait_mean"] + m["service_mean"] + m["network_delay"],
			}}
			g, ok := reports.ModelGap(res, model)
			if !ok {
				t.Fatalf("no split of the error: %v", m)
			}
			if want := g.SendLag + g.Transport + g.Late; math.Abs(g.Error-want) > 0.01*m["response_mean"] || math.Abs(g.Rest) > 0.01*m["response_mean"] {
				t.Errorf("error %g against lag+transport+late %g (rest %g): %+v", g.Error, want, g.Rest, g)
			}
		})
	}
}

// TestRunKillWorker kills one of three workers mid-run (the fault of
// --kill-worker-at, KillWorker): the balancer must route around it and
// keep serving, and every request is accounted for.
func TestRunKillWorker(t *testing.T) {
	for _, via := range []string{"ours", "direct", "nginx", "haproxy", "caddy"} {
		t.Run(via, func(t *testing.T) {
			skipWithout(t, via)
			t.Parallel()
			res, err := Run(context.Background(), Config{
				Scenario: scenario.Scenario{Policy: "rr", Servers: 3, Load: 0.4, Seed: 2,
					Faults: []scenario.Fault{KillWorker(0, 500*time.Millisecond, time.Millisecond)}},
				Via:      via,
				Duration: 1500 * time.Millisecond,
				Launcher: testLauncher(),
			})
			if err != nil {
				t.Fatal(err)
			}
			m := res.Metrics
			if m["sent"] != m["succeeded"]+m["failed"] || m["sent"] < 100 {
				t.Fatalf("sent %v succeeded %v failed %v", m["sent"], m["succeeded"], m["failed"])
			}
			// Requests in flight at the killed worker are retried elsewhere;
			// a few may still fail (counted, not hidden).
			if m["failed"] > 0.02*m["sent"] {
				t.Errorf("%v of %v requests failed: %v", m["failed"], m["sent"], res.Warnings)
			}
			if m["killed_workers"] != 1 || !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.HasPrefix(w, "worker 0 (") && strings.Contains(w, "was killed") }) {
				t.Errorf("killed_workers %v, warnings %q", m["killed_workers"], res.Warnings)
			}
			by := res.PerServer["succeeded"]
			// Round robin over three: worker 0 served for a third of the run
			// at most, the others for all of it.
			if by[0] >= by[1] || by[0] >= by[2] {
				t.Errorf("successes by worker %v: the killed worker 0 should have served least", by)
			}
		})
	}
}

// TestRunExternalBackends runs against workers that the run did not start,
// as on other machines (--backends).
func TestRunExternalBackends(t *testing.T) {
	_, ss := workertest.Start(t, 2, worker.Config{})
	res, err := Run(context.Background(), Config{
		Scenario: scenario.Scenario{Policy: "p2c", Load: 0.5},
		Via:      "ours",
		Backends: []string{workertest.Addr(ss[0]), workertest.Addr(ss[1])},
		Jobs:     200,
		Launcher: testLauncher(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Metrics["succeeded"] != 200 || res.Params["backends"] == nil || res.Params["workers"] != 2 {
		t.Errorf("metrics %v params %v", res.Metrics, res.Params)
	}
}

// TestRunConfigErrors checks that bad configurations are refused before
// anything starts.
func TestRunConfigErrors(t *testing.T) {
	ok := Config{Scenario: scenario.Scenario{Policy: "jsq", Servers: 2, Load: 0.5}, Via: "ours", Jobs: 10}
	cases := []struct {
		name string
		mod  func(*Config)
	}{
		{"unknown via", func(c *Config) { c.Via = "traefik" }},
		{"unknown policy", func(c *Config) { c.Policy = "fastest" }},
		{"unknown kind", func(c *Config) { c.Kind = "gpu" }},
		{"no workers", func(c *Config) { c.Servers = 0 }},
		{"zero load", func(c *Config) { c.Load = 0 }},
		{"jobs and duration", func(c *Config) { c.Duration = time.Second }},
		{"neither jobs nor duration", func(c *Config) { c.Jobs = 0 }},
		{"kill with backends", func(c *Config) {
			c.Backends = []string{"a:1", "b:2"}
			c.Faults = []scenario.Fault{KillWorker(0, time.Second, time.Millisecond)}
		}},
		{"faults with backends", func(c *Config) {
			c.Backends = []string{"a:1", "b:2"}
			c.Faults = []scenario.Fault{{Kind: scenario.FaultDown, Server: 0, At: 1}}
		}},
		{"kill with one worker", func(c *Config) {
			c.Servers = 1
			c.Faults = []scenario.Fault{KillWorker(0, time.Second, time.Millisecond)}
		}},
		{"kill after the end", func(c *Config) {
			c.Jobs, c.Duration = 0, time.Second
			c.Faults = []scenario.Fault{KillWorker(1, 2*time.Second, time.Millisecond)}
		}},
		{"slow after the end", func(c *Config) {
			c.Jobs, c.Duration = 0, time.Second
			c.Faults = []scenario.Fault{{Kind: scenario.FaultSlow, Server: 0, Speed: 0.5, At: 1000}}
		}},
		{"bad policy option", func(c *Config) { c.Policy = "prequal"; c.PolicyOpts = strategies.Options{"pool": 0} }},
		{"option of another policy", func(c *Config) { c.PolicyOpts = strategies.Options{"pool": 2} }},
		{"fault on a worker that does not exist", func(c *Config) {
			c.Faults = []scenario.Fault{{Kind: scenario.FaultSlow, Server: 2, Speed: 0.5, At: 1}}
		}},
		{"faults overlapping on a worker", func(c *Config) {
			c.Faults = []scenario.Fault{{Kind: scenario.FaultSlow, Server: 1, Speed: 0.5, At: 1, For: 5}, {Kind: scenario.FaultDown, Server: 1, At: 3, For: 1}}
		}},
		{"bad backend", func(c *Config) { c.Backends = []string{"nohost"} }},
		{"zero capacity is default, negative is not", func(c *Config) { c.Capacity = -1 }},
		{"pod d", func(c *Config) { c.Policy = "pod"; c.D = -1 }},
	}
	for _, tc := range cases {
		c := ok
		tc.mod(&c)
		_, err := Run(context.Background(), c)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

// TestRunStartFailure checks that a worker that cannot start is reported
// with its log, and nothing is left running.
func TestRunStartFailure(t *testing.T) {
	l := testLauncher()
	l.Args = []string{"-test.run=^TestHelperProcess$", "--", "nonsense"} // the helper refuses it
	_, err := Run(context.Background(), Config{Scenario: scenario.Scenario{Policy: "rr", Servers: 2, Load: 0.5}, Via: "ours", Jobs: 10, Launcher: l, StartTimeout: 5 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "exited before it listened") {
		t.Fatalf("error %v, want a worker that exited before it listened", err)
	}
	var me *MissingError
	if errors.As(err, &me) {
		t.Error("not a missing-binary error")
	}
}

// TestStretchWarning checks when a run says its tasks took longer (or
// shorter) than asked, and the load really offered.
func TestStretchWarning(t *testing.T) {
	for _, tc := range []struct {
		measured, asked, load float64
		want                  string
	}{
		{1.05, 1, 0.7, ""},
		{0.9, 1, 0.7, ""},
		{1.4, 1, 0.5, "took 140% of the time asked on average (service_mean 1.4, asked 1): the load really offered was about 0.70, not 0.5"},
		{0.5, 1, 0.8, "took 50% of the time asked"},
		{0, 1, 0.5, ""}, // nothing measured
	} {
		got := stretchWarning("xml", tc.measured, tc.asked, tc.load)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("stretchWarning(%v, %v, %v) = %q, want %q", tc.measured, tc.asked, tc.load, got, tc.want)
		}
	}
}

// TestRunPrequalProbes runs prequal behind our balancer (a process) and in
// the client (direct) with 2 probes a request and checks the probe counts
// the record carries against what the run did: the policy asked for 2
// probes per request it placed (each sent, coalesced with one in flight or
// not sent to a dead worker), answers came back, and the dispatched counts
// are the requests alone.
func TestRunPrequalProbes(t *testing.T) {
	for _, via := range []string{"ours", "direct"} {
		t.Run(via, func(t *testing.T) {
			res, err := Run(context.Background(), Config{
				Scenario: scenario.Scenario{Policy: "prequal", PolicyOpts: strategies.Options{"probe_rate": 2}, Servers: 3, Load: 0.5, Seed: 4},
				Via:      via,
				Jobs:     300,
				Launcher: testLauncher(),
			})
			if err != nil {
				t.Fatal(err)
			}
			m := res.Metrics
			var disp float64
			for _, d := range res.PerServer["dispatched"] {
				disp += d
			}
			asked := m["sent_probes"] + m["coalesced_probes"] + m["dead_probes"]
			// Every request placed (the 300, the round-trip measurement's and
			// health probes through the balancer) asked for 2 probes.
			if disp < m["sent"] || asked != 2*disp {
				t.Errorf("dispatched %v for %v sent; probes asked %v, want 2 per dispatch (%v)", disp, m["sent"], asked, m)
			}
			if m["answered_probes"] < 1 || m["answered_probes"] > m["sent_probes"] {
				t.Errorf("answered %v of %v probes", m["answered_probes"], m["sent_probes"])
			}
			if p := res.Params["prequal"]; p == nil || p.(map[string]any)["probe_rate"] != 2.0 || !strings.Contains(res.Name, "probe_rate=2") {
				t.Errorf("params %v, name %s: want the option recorded and named", res.Params, res.Name)
			}
		})
	}
}
