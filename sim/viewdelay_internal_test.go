package sim

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"math"
	"strconv"
	"testing"

	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/strategies"
)

// recorder is a policy that picks the least loaded server it sees (the
// first on a tie) and records what an Observer is told.
type recorder struct {
	dispatched map[uint64]float64 // job id: when it was dispatched
	done       []told
}

type told struct {
	id           uint64
	now, latency float64
	load         int
}

func (p *recorder) Pick(v strategies.View, j strategies.Job) int {
	best := 0
	for i := 1; i < v.Servers(); i++ {
		if v.Load(i) < v.Load(best) {
			best = i
		}
	}
	return best
}

func (p *recorder) Dispatched(v strategies.View, s int, j strategies.Job) {
	p.dispatched[j.ID] = v.Now()
}

func (p *recorder) Completed(v strategies.View, s int, j strategies.Job, latency float64) {
	p.done = append(p.done, told{id: j.ID, now: v.Now(), latency: latency, load: v.Load(s)})
}

// TestViewDelayObserver checks what an Observer sees with a view delay:
// each completion is told once, in order, at its departure plus the delay
// (latency = the time from dispatch to then).
func TestViewDelayObserver(t *testing.T) {
	const vd = 0.4
	c := &Config{Scenario: scenario.Scenario{Policy: "jsq", Servers: 3, Load: 0.8, Seed: 4, ViewDelay: vd}, Jobs: 5000, Warmup: 10}
	cfg, err := c.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	cl, err := newCluster(&cfg, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if cl.native != pickPolicy || cl.idx != nil {
		t.Fatalf("with a view delay the engine must ask the policy through the lagging view (native %d, index %v)", cl.native, cl.idx != nil)
	}
	rec := &recorder{dispatched: map[uint64]float64{}}
	cl.policy, cl.observer = rec, rec
	var trace bytes.Buffer
	cl.trace = bufio.NewWriter(&trace)
	for cl.pending() {
		cl.step()
	}
	cl.trace.Flush()
	// Departure times from the trace, which the engine writes as each job
	// leaves its server: id,arrival,server,start,departure.
	departed := map[uint64]float64{}
	rows, err := csv.NewReader(&trace).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		id, err1 := strconv.ParseUint(row[0], 10, 64)
		dep, err2 := strconv.ParseFloat(row[4], 64)
		if err1 == nil && err2 == nil {
			departed[id] = dep
		}
	}
	if len(rec.done) < 4000 {
		t.Fatalf("told of %d completions, want most of 5010", len(rec.done))
	}
	last := 0.0
	seen := map[uint64]bool{}
	for _, d := range rec.done {
		if seen[d.id] {
			t.Fatalf("job %d told twice", d.id)
		}
		seen[d.id] = true
		if d.now < last {
			t.Fatalf("job %d told at %g, after one told at %g", d.id, d.now, last)
		}
		last = d.now
		at, ok := rec.dispatched[d.id]
		if !ok {
			t.Fatalf("job %d completed, never dispatched", d.id)
		}
		if diff := d.latency - (d.now - at); math.Abs(diff) > 1e-9 {
			t.Fatalf("job %d: latency %g, want %g (from dispatch at %g to being told at %g)", d.id, d.latency, d.now-at, at, d.now)
		}
		dep, ok := departed[d.id]
		if !ok {
			t.Fatalf("job %d told, not in the trace", d.id)
		}
		if diff := d.now - (dep + vd); math.Abs(diff) > 1e-9*max(1, dep) {
			t.Fatalf("job %d: told at %g, departed at %g: want departure + %g", d.id, d.now, dep, vd)
		}
	}
}
