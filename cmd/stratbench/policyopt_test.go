package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/metrics"
)

// simRecord runs sim with args and returns its one JSON record.
func simRecord(t *testing.T, args ...string) metrics.Result {
	t.Helper()
	code, out, errs := runCLI(t, append([]string{"sim", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errs)
	}
	var r metrics.Result
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &r); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return r
}

// TestPolicyOptPoolSize checks that --policy-opt reaches the simulated
// policy and changes it in the expected direction: prequal with a pool of
// one probe never holds the two it needs to choose, so it places every
// query at random (M/M/1 at each server: mean response 1/(1-ρ) = 5 at
// ρ = 0.8, p99 ln(100)/(1-ρ) = 23), far worse than with the paper's pool
// of 16, which chooses among probes.
func TestPolicyOptPoolSize(t *testing.T) {
	t.Parallel()
	common := []string{"--policy", "prequal", "--servers", "10", "--load", "0.8", "--jobs", "200000", "--warmup", "20000", "--seed", "3"}
	one := simRecord(t, append(common, "--policy-opt", "prequal.pool=1")...)
	def := simRecord(t, common...)
	sixteen := simRecord(t, append(common, "--policy-opt", "prequal.pool=16")...)
	if m := one.Metrics["response_mean"]; math.Abs(m-5)/5 > 0.1 {
		t.Errorf("pool 1: mean response %g, want random's 5 ± 10%%", m)
	}
	if p1, p16 := one.Metrics["response_p99"], sixteen.Metrics["response_p99"]; !(p1 > 2*p16) {
		t.Errorf("p99 with pool 1 = %g, with pool 16 = %g: want pool 1 at least twice as bad", p1, p16)
	}
	if def.Metrics["response_p99"] != sixteen.Metrics["response_p99"] {
		t.Errorf("pool 16 given (%g) differs from the default (%g): the default is not 16", sixteen.Metrics["response_p99"], def.Metrics["response_p99"])
	}
	if !strings.Contains(one.Name, "pool=1") || one.Params["prequal"].(map[string]any)["pool"] != 1.0 {
		t.Errorf("pool 1: name %s, params %v: want the option named and recorded", one.Name, one.Params)
	}
	if strings.Contains(def.Name, "pool") || def.Params["prequal"] != nil {
		t.Errorf("defaults: name %s, params %v: want no option", def.Name, def.Params)
	}
}

// TestPolicyOptBadInput checks the errors of --policy-opt in every command
// that takes it: one line, exit 2, naming the parameter and its range.
func TestPolicyOptBadInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sim", "--policy", "prequal", "--policy-opt", "prequal.pool=0"}, `--policy-opt "prequal.pool=0": prequal.pool must be an integer in [1, 1024], got 0`},
		{[]string{"sim", "--policy", "prequal", "--policy-opt", "prequal.q_rif=1.5"}, `prequal.q_rif must be a number in [0, 1], got 1.5`},
		{[]string{"sim", "--policy", "prequal", "--policy-opt", "prequal.qrif=0.5"}, `policy prequal has no parameter "qrif" (its parameters: probe_rate, pool, remove_rate, reuse_delta, q_rif, max_age)`},
		{[]string{"sim", "--policy", "p2c,jsq", "--policy-opt", "prequal.pool=4"}, `--policy-opt options for prequal, but the policies run are p2c, jsq`},
		{[]string{"sim", "--policy", "prequal", "--policy-opt", "prequal.pool=4,prequal.pool=5"}, `--policy-opt prequal.pool is given twice`},
		{[]string{"sim", "--policy", "prequal", "--policy-opt", "pool=4"}, `want POLICY.PARAM=VALUE`},
		{[]string{"run", "service", "--policy", "leastreq", "--policy-opt", "leastreq.bias=-1"}, `leastreq.bias must be a number in [0, 100], got -1`},
		{[]string{"run", "cluster", "--policy", "prequal", "--policy-opt", "prequal.probe_rate=0"}, `prequal.probe_rate must be a number in (0, 64], got 0`},
		{[]string{"balance", "--backends", "a:1", "--policy", "prequal", "--policy-opt", "prequal.pool=2000"}, `prequal.pool must be an integer in [1, 1024], got 2000`},
		{[]string{"balance", "--backends", "a:1", "--policy", "jsq", "--policy-opt", "prequal.pool=2"}, `options for prequal, but the policies run are jsq`},
	} {
		code, stdout, stderr := runCLI(t, tc.args...)
		if code != 2 || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, want 2 and none", tc.args, code, stdout)
		}
		if !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: stderr %q, want one line containing %q", tc.args, stderr, tc.want)
		}
	}
}

// TestListPolicyParams checks that list policies shows each declared
// parameter with its default, range and source.
func TestListPolicyParams(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, "list", "policies")
	for _, want := range []string{"prequal.pool=16", "[1, 1024]", "Prequal NSDI 2024: m", "prequal.q_rif=0.84", "leastreq.bias=1", "Envoy active_request_bias", "leastreq.min_weight_percent=10"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("list policies lacks %q:\n%s", want, out)
		}
	}
}

// TestClusterPolicyOpt runs prequal behind our balancer process with
// --policy-opt and --kill-worker-at through the real command line: the
// option reaches the balancer (its probes are counted at 2 a request, and
// the sim beside it runs the same option), and the kill is the down fault.
func TestClusterPolicyOpt(t *testing.T) {
	code, out, errs := runCluster(t, "run", "cluster", "--workers", "3", "--via", "ours", "--policy", "prequal", "--policy-opt", "prequal.probe_rate=2",
		"--load", "0.5", "--duration", "1500ms", "--kill-worker-at", "500ms", "--compare-sim", "--sim-jobs", "5000", "--format", "json", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	results, bad := metrics.ReadJSONL("stdout", strings.NewReader(out))
	if len(bad) > 0 || len(results) != 2 {
		t.Fatalf("%d results, errors %v", len(results), bad)
	}
	real, sim := results[0], results[1]
	m := real.Metrics
	var disp float64
	for _, d := range real.PerServer["dispatched"] {
		disp += d
	}
	// 2 probes a pick; a pick of a backend that died between the policy's
	// look and the dispatch is picked again (rare: 1% allowed).
	if asked := m["sent_probes"] + m["coalesced_probes"] + m["dead_probes"]; asked < 2*disp || asked > 2.02*disp || m["answered_probes"] < 1 {
		t.Errorf("probes asked %v for %v dispatched (want 2 each), answered %v", asked, disp, m["answered_probes"])
	}
	if m["killed_workers"] != 1 || real.Params["faults"] == nil {
		t.Errorf("killed_workers %v, faults %v: want the kill as a fault", m["killed_workers"], real.Params["faults"])
	}
	for _, r := range []metrics.Result{real, sim} {
		if p, _ := r.Params["prequal"].(map[string]any); p == nil || p["probe_rate"] != 2.0 || !strings.Contains(r.Name, "probe_rate=2") {
			t.Errorf("%s %s: params %v, want probe_rate 2 recorded and named", r.Engine, r.Name, r.Params["prequal"])
		}
	}
}
