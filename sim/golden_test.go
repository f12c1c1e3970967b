package sim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestGoldenRecords pins the simulator's records, bit for bit, for a table of
// seeded configurations covering every policy, both disciplines, unequal
// speeds, non-exponential sizes and arrivals, and replications. A refactor or
// a speed-up must leave every record identical; a change that means to alter
// them regenerates the file with -update and says why in its commit.
func TestGoldenRecords(t *testing.T) {
	mustSize := func(s string) *workloads.SizeDist {
		d, err := workloads.ParseSize(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	mustArrival := func(s string) *workloads.ArrivalSpec {
		a, err := workloads.ParseArrival(s)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	type named struct {
		name string
		cfg  sim.Config
	}
	var cases []named
	for _, p := range strategies.PolicyNames() {
		cases = append(cases, named{"fifo/" + p, sim.Config{Scenario: scenario.Scenario{Policy: p, Servers: 6, Load: 0.85, Seed: 11}, Jobs: 4000, Warmup: 500}})
	}
	cases = append(cases,
		named{"ps/jsq", sim.Config{Scenario: scenario.Scenario{Policy: "jsq", Servers: 4, Load: 0.7, Seed: 3}, Jobs: 4000, Warmup: 500, Discipline: sim.PS}},
		named{"speeds/sed", sim.Config{Scenario: scenario.Scenario{Policy: "sed", Servers: 4, Load: 0.8, Seed: 5, Speeds: []float64{0.25, 1, 1, 2}}, Jobs: 4000, Warmup: 500}},
		named{"speeds/wrr", sim.Config{Scenario: scenario.Scenario{Policy: "wrr", Servers: 3, Load: 0.6, Seed: 5, Speeds: []float64{1, 2, 3}, Weights: []float64{1, 2, 3}}, Jobs: 4000, Warmup: 500}},
		named{"pod/d3", sim.Config{Scenario: scenario.Scenario{Policy: "pod", D: 3, Servers: 8, Load: 0.9, Seed: 2}, Jobs: 4000, Warmup: 500}},
		named{"jiq/disp2", sim.Config{Scenario: scenario.Scenario{Policy: "jiq", Dispatchers: 2, Servers: 8, Load: 0.9, Seed: 2}, Jobs: 4000, Warmup: 500}},
		named{"lognormal/p2c", sim.Config{Scenario: scenario.Scenario{Policy: "p2c", Servers: 8, Load: 0.8, Seed: 9, Service: mustSize("lognormal:mean=1,sigma=1.2")}, Jobs: 4000, Warmup: 500}},
		named{"onoff/jsq", sim.Config{Scenario: scenario.Scenario{Policy: "jsq", Servers: 8, Load: 0.7, Seed: 4, Arrival: mustArrival("onoff:on=5,off=5")}, Jobs: 4000, Warmup: 500}},
		named{"reps/p2c", sim.Config{Scenario: scenario.Scenario{Policy: "p2c", Servers: 16, Load: 0.9, Seed: 1}, Jobs: 3000, Warmup: 300, Replications: 3}},
	)
	var buf bytes.Buffer
	for _, c := range cases {
		r, err := sim.Run(context.Background(), c.cfg)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		line, err := json.Marshal(struct {
			Case   string `json:"case"`
			Record any    `json:"record"`
		}{c.name, deterministic(r)})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	path := filepath.Join("testdata", "golden_records.jsonl")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./sim -run TestGoldenRecords -update to create it)", err)
	}
	if !bytes.Equal(want, buf.Bytes()) {
		wl, gl := bytes.Split(want, []byte("\n")), bytes.Split(buf.Bytes(), []byte("\n"))
		for i := range max(len(wl), len(gl)) {
			var w, g []byte
			if i < len(wl) {
				w = wl[i]
			}
			if i < len(gl) {
				g = gl[i]
			}
			if !bytes.Equal(w, g) {
				t.Errorf("line %d differs from %s:\nwant %s\ngot  %s", i+1, path, w, g)
			}
		}
	}
}
