package harness

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

// fixedView is a cluster the policy cannot learn from: every server
// empty, time still.
type fixedView struct{ n int }

func (v fixedView) Servers() int    { return v.n }
func (fixedView) Load(int) int      { return 0 }
func (fixedView) Speed(int) float64 { return 1 }
func (fixedView) Work(int) float64  { return 0 }
func (fixedView) Now() float64      { return 0 }

// TestRunServiceSameStreams checks that the dispatcher drives the policy
// with the simulator's streams (policy stream 3, key salt stream 4) and
// places every job where the policy said: for the policies whose choice
// does not depend on the cluster's state, the measured jobs each server
// received are exactly those of a twin policy fed the same jobs.
func TestRunServiceSameStreams(t *testing.T) {
	for _, tc := range timingCases() {
		for _, policy := range []string{"random", "rr", "maglev", "hash"} {
			t.Run(tc.name+"/"+policy, func(t *testing.T) {
				testSameStreams(t, policy, tc.timing)
			})
		}
	}
}

func testSameStreams(t *testing.T, policy, timing string) {
	const servers, jobs, warmup, seed = 5, 400, 40, 7
	res, err := RunService(context.Background(), ServiceConfig{
		Scenario: scenario.Scenario{Policy: policy, Servers: servers, Load: 0.5, Seed: seed},
		Unit:     100 * time.Microsecond, Jobs: jobs, Warmup: warmup, Timing: timing,
	})
	if err != nil {
		t.Fatal(err)
	}
	twin, err := strategies.NewPolicy(policy, strategies.PolicyConfig{
		Servers: servers, Speeds: []float64{1, 1, 1, 1, 1},
		Rand: rand.New(workloads.NewSource(seed, 3)),
	})
	if err != nil {
		t.Fatal(err)
	}
	salt := workloads.NewSource(seed, 4).Uint64()
	want := make([]float64, servers)
	for id := uint64(0); id < warmup+jobs; id++ {
		s := twin.Pick(fixedView{servers}, strategies.Job{ID: id, Key: strategies.Mix64(id ^ salt)})
		if id >= warmup {
			want[s]++
		}
	}
	got := res.PerServer["dispatched"]
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("measured jobs per server %v, want %v (the twin policy's)", got, want)
		}
	}
}

// TestRunServiceCentralWakesIdle runs the central queue with more servers
// than jobs in flight and with many jobs each: a held job must always
// find a server (none may park with work waiting), and every server's
// counters must return to empty.
func TestRunServiceCentralWakesIdle(t *testing.T) {
	for _, tc := range timingCases() {
		for _, load := range []float64{0.3, 0.95} {
			res, err := RunService(context.Background(), ServiceConfig{
				Scenario: scenario.Scenario{Policy: "central", Servers: 12, Load: load, Seed: 2},
				Unit:     50 * time.Microsecond, Jobs: 3000, Warmup: 100, Timing: tc.timing,
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Metrics["jobs"] != 3000 {
				t.Fatalf("%s at load %g: %g jobs measured, want 3000", tc.name, load, res.Metrics["jobs"])
			}
		}
	}
}

// TestServiceViewEmptyAtEnd checks the lock-free counters against their
// meaning: after a run every server holds no job and no work.
func TestServiceViewEmptyAtEnd(t *testing.T) {
	for _, tc := range timingCases() {
		for _, policy := range []string{"lwl", "central", "jiq", "p2c"} {
			c, err := (&ServiceConfig{Scenario: scenario.Scenario{Policy: policy, Servers: 6, Load: 0.8, Seed: 5}, Unit: 50 * time.Microsecond, Jobs: 2000, Timing: tc.timing}).withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			r := testRun(t, c)
			for i := range r.servers {
				if l, w := r.Load(i), r.Work(i); l != 0 || w != 0 {
					t.Errorf("%s/%s: server %d ends with load %d, work %g", tc.name, policy, i, l, w)
				}
				if w := r.servers[i].sentWork + r.servers[i].gotWork.load() - r.servers[i].doneWork.load(); w > 1e-6 || w < -1e-6 {
					t.Errorf("%s/%s: server %d's work sent and done differ by %g", tc.name, policy, i, w)
				}
			}
		}
	}
}

func testRun(t *testing.T, c ServiceConfig) *svcRun {
	t.Helper()
	r, _, err := runService(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
