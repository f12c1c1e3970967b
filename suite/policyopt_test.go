package suite

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/strategies"
)

// TestExpandPolicyOptions checks the keys POLICY.PARAM: swept for the runs
// of their policy, left out of the others' (one p2c run, not one per pool
// size), and given to the policy through the scenario.
func TestExpandPolicyOptions(t *testing.T) {
	f, err := Parse("t.yaml", []byte(`
cases:
  - name: pools
    type: queueing
    policy: [p2c, prequal]
    servers: 10
    prequal.pool: [1, 16]
    prequal.q_rif: 0.5
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(f, false); err != nil {
		t.Fatal(err)
	}
	var ids []string
	var opts []strategies.Options
	for _, r := range Expand(f, false, nil) {
		ids = append(ids, r.ID)
		sc, err := scenarioOf(&r, 0)
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, sc.PolicyOpts)
	}
	want := []string{
		"pools/sim/policy=p2c/servers=10",
		"pools/sim/policy=prequal/servers=10/prequal.pool=1/prequal.q_rif=0.5",
		"pools/sim/policy=prequal/servers=10/prequal.pool=16/prequal.q_rif=0.5",
	}
	if !slices.Equal(ids, want) {
		t.Errorf("runs:\n%s\nwant:\n%s", strings.Join(ids, "\n"), strings.Join(want, "\n"))
	}
	wantOpts := []strategies.Options{nil, {"pool": 1, "q_rif": 0.5}, {"pool": 16, "q_rif": 0.5}}
	if !reflect.DeepEqual(opts, wantOpts) {
		t.Errorf("options %v, want %v", opts, wantOpts)
	}
}

// TestClusterCaseFaults checks a cluster case's faults (durations) and
// kill_worker_at, which is the fault down:server=0,at=D.
func TestClusterCaseFaults(t *testing.T) {
	f, err := Parse("t.yaml", []byte(`
cases:
  - name: c
    type: cluster
    engine: harness
    policy: prequal
    prequal.probe_rate: 2
    workers: 3
    unit: 10ms
    duration: 3s
    faults: ["slow:server=1,speed=0.25,at=500ms,for=1s"]
    kill_worker_at: 2s
`))
	if err != nil {
		t.Fatal(err)
	}
	runs := Expand(f, false, nil)
	if len(runs) != 1 {
		t.Fatalf("%d runs", len(runs))
	}
	cfg, err := clusterConfig(&runs[0])
	if err != nil {
		t.Fatal(err)
	}
	want := []scenario.Fault{
		{Kind: scenario.FaultSlow, Server: 1, Speed: 0.25, At: 50, For: 100},
		{Kind: scenario.FaultDown, Server: 0, At: 200},
	}
	if !reflect.DeepEqual(cfg.Faults, want) || cfg.Unit != 10*time.Millisecond {
		t.Errorf("faults %v, want %v", cfg.Faults, want)
	}
	if !reflect.DeepEqual(cfg.PolicyOpts, strategies.Options{"probe_rate": 2}) {
		t.Errorf("options %v", cfg.PolicyOpts)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
}
