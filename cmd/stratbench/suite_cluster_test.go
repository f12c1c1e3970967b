package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stratbench/stratbench/metrics"
)

const clusterSuite = `
name: cluster-case
cases:
  - name: balancers
    type: cluster
    via: [ours, direct]
    policy: p2c
    workers: 2
    load: 0.5
    unit: 1ms
    jobs: 300
    sim_jobs: 5000
`

// TestSuiteClusterCase runs a suite's cluster case through our balancer and
// client-side: each run gives the cluster's record, with the round trip of
// an empty task, and the simulator's with that round trip as its network
// delay and the balancer's round trip to the workers as its view delay,
// paired (the relative errors are in the cluster's record).
func TestSuiteClusterCase(t *testing.T) {
	rs := runClusterSuite(t, clusterSuite)
	if len(rs) != 4 {
		t.Fatalf("%d records, want a cluster and a sim record for each of 2 balancers", len(rs))
	}
	for i := 0; i < len(rs); i += 2 {
		c, s := rs[i], rs[i+1]
		if c.Family != "Cluster" || s.Engine != "sim" {
			t.Fatalf("records %d, %d: %s/%s and %s/%s, want a cluster then a sim record", i, i+1, c.Family, c.Engine, s.Family, s.Engine)
		}
		d := c.Metrics["network_delay"]
		if !(c.Metrics["rtt_empty_mean_sec"] > 0) || !(d > 0) || s.Params["network_delay"] != d {
			t.Errorf("%s: rtt %g s, delay %g units, sim's delay %v: want the measured round trip in both", c.Name, c.Metrics["rtt_empty_mean_sec"], d, s.Params["network_delay"])
		}
		// The view delay: direct's dispatcher is the load generator, so it
		// is the same round trip; ours' is its own round trip to the
		// workers, measured straight to them.
		v := c.Metrics["view_delay"]
		switch {
		case !(v > 0) || s.Params["view_delay"] != v:
			t.Errorf("%s: view delay %g units, sim's %v: want the measured round trip to the workers in both", c.Name, v, s.Params["view_delay"])
		case c.Params["via"] == "direct" && v != d:
			t.Errorf("%s: view delay %g, network delay %g: direct's dispatcher is the load generator, want them equal", c.Name, v, d)
		case c.Params["via"] == "ours" && !(c.Metrics["rtt_workers_p50_sec"] > 0):
			t.Errorf("%s: no round trip to the workers measured: %v", c.Name, c.Metrics)
		}
		if _, ok := c.Metrics["response_mean_rel_err"]; !ok || c.Metrics["sim_response_mean"] != s.Metrics["response_mean"] {
			t.Errorf("%s: not paired with the simulator: %v", c.Name, c.Metrics)
		}
	}
}

const clusterFaultSuite = `
name: cluster-faults
cases:
  - name: gray
    type: cluster
    via: ours
    policy: jsq
    workers: 3
    load: 0.5
    unit: 1ms
    duration: 2s
    faults: ["slow:server=1,speed=0.25,at=400ms,for=400ms", "down:server=2,at=1s,for=300ms"]
    kill_worker_at: 1500ms
    sim_jobs: 5000
`

// TestSuiteClusterFaults runs a suite's cluster case with faults of every
// kind (a slow worker, one down for a while, one killed): the run applies
// them all (the record names them, has the before/during/after figures and
// counts the killed worker), and its model simulates the same faults.
func TestSuiteClusterFaults(t *testing.T) {
	rs := runClusterSuite(t, clusterFaultSuite)
	if len(rs) != 2 || rs[0].Family != "Cluster" || rs[1].Engine != "sim" {
		t.Fatalf("%d records, want the cluster's and its model's", len(rs))
	}
	c, s := rs[0], rs[1]
	want := []any{"slow:server=1,speed=0.25,at=400,for=400", "down:server=2,at=1000,for=300", "down:server=0,at=1500"}
	for _, r := range rs {
		got, _ := r.Params["faults"].([]any)
		if !slices.Equal(got, want) {
			t.Errorf("%s %s: faults %v, want %v", r.Engine, r.Name, got, want)
		}
	}
	if c.Metrics["killed_workers"] != 1 {
		t.Errorf("killed_workers %v, want 1", c.Metrics["killed_workers"])
	}
	for _, k := range []string{"response_p99_before", "jobs_lost", "fault_late_max_sec"} {
		if _, ok := c.Metrics[k]; !ok {
			t.Errorf("cluster record lacks %s: %v", k, c.Metrics)
		}
	}
	if _, ok := s.Metrics["response_p99_before"]; !ok {
		t.Errorf("the model did not simulate the faults: %v", s.Metrics)
	}
	if m := c.Metrics; m["sent"] != m["succeeded"]+m["failed"] {
		t.Errorf("sent %v succeeded %v failed %v", m["sent"], m["succeeded"], m["failed"])
	}
}

// runClusterSuite runs the suite file text with real processes and returns
// its records.
func runClusterSuite(t *testing.T, text string) []metrics.Result {
	t.Helper()
	if testing.Short() {
		t.Skip("starts real processes")
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "suite.yaml")
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCluster(t, "suite", f, "--quiet", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	return readResults(t, filepath.Join(out, "results.jsonl"))
}
