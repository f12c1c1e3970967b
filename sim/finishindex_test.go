package sim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/strategies"
)

// TestFinishIndexMatchesScan puts a FIFO cluster in random states built to
// tie, or nearly, under lwl (finish times equal or a few ulps apart, jobs
// due at this very instant, idle servers beside them, speeds equal or
// not, times near 0 and large) and checks that the engine's choice
// through the finish-time index is strategies' lwl scan, server and
// random draws alike.
func TestFinishIndexMatchesScan(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 3000 {
		n := 1 + r.IntN(70)
		if trial%10 == 0 {
			n = 1 + r.IntN(3000)
		}
		var sp []float64
		if r.IntN(2) == 0 {
			sp = make([]float64, n)
			for i := range sp {
				sp[i] = []float64{1, 0.5, 2, 3, 1e-3, 7}[r.IntN(6)]
			}
		}
		c := &Config{Scenario: scenario.Scenario{Policy: "lwl", Servers: n, Load: 0.5, Seed: uint64(trial), Speeds: sp}, Jobs: 1 << 20, Warmup: 1}
		cfg, err := c.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		cl, err := newCluster(&cfg, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if cl.native != pickLWL || cl.fin == nil {
			t.Fatalf("lwl does not use the finish-time index")
		}
		cl.now = []float64{0, 1, 1e3 * r.Float64(), 1e7 * r.Float64()}[r.IntN(4)]
		target := cl.now + r.ExpFloat64()
		pIdle := []float64{0, 0, 0.3, 0.9}[r.IntN(4)]
		// state puts server s in a random state near the tie.
		state := func(s int) {
			cl.srv[s].load = 0
			cl.work[s] = workState{}
			if r.Float64() < pIdle {
				return
			}
			cl.srv[s].load = 1 + uint16(r.IntN(4))
			end := cl.now // due now
			if r.IntN(4) > 0 {
				end = cl.now + (target-cl.now)*r.Float64()
			}
			q := 0.0
			if cl.srv[s].load > 1 {
				q = (target - end) * cl.Speed(s)
				for range r.IntN(3) {
					q = math.Nextafter(q, []float64{0, math.Inf(1)}[r.IntN(2)])
				}
				if r.IntN(5) == 0 {
					q *= 1 + r.Float64()
				}
			}
			cl.work[s] = workState{queued: max(q, 0), end: end}
		}
		for s := range n {
			state(s)
		}
		seed := r.Uint64()
		pr := rand.New(rand.NewPCG(seed, 0))
		pol, err := strategies.NewPolicy("lwl", strategies.PolicyConfig{Servers: n, Rand: pr})
		if err != nil {
			t.Fatal(err)
		}
		rr := rand.New(rand.NewPCG(seed, 0))
		// Twice: the tree built from scratch, then kept up to date as a
		// few servers change.
		for round := range 2 {
			if round == 1 {
				for range 1 + r.IntN(5) {
					s := r.IntN(n)
					state(s)
					cl.finishChanged(s)
				}
			}
			cl.heap = newEventHeapFor(n, false)
			for s := range n {
				if cl.srv[s].load > 0 {
					cl.heap.pushNoPos(int32(s), cl.work[s].end)
				}
			}
			cl.idx = newLoadIndex(cl.srv, &cl.bigLoad)
			cl.view = indexedView{cl, cl.idx}
			want := pol.Pick(cl.view, strategies.Job{})
			got := cl.pickLWL(rr)
			if got != want {
				t.Fatalf("trial %d round %d (n=%d, now=%v): index chose %d, the scan %d", trial, round, n, cl.now, got, want)
			}
			if rr.Uint64() != pr.Uint64() {
				t.Fatalf("trial %d round %d: the index and the scan drew different numbers", trial, round)
			}
		}
	}
}
