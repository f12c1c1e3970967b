package sim

import (
	"context"
	"testing"

	"github.com/stratbench/stratbench/scenario"
)

// TestDispatchedPastWrap runs more measured jobs at each server than its
// two-byte count holds (2^16) and expects the counts of the jobs
// dispatched, wraps included, to add up to the measured jobs (and rr's to
// be a third each).
func TestDispatchedPastWrap(t *testing.T) {
	for _, p := range []string{"rr", "p2c"} {
		cfg := Config{Scenario: scenario.Scenario{Policy: p, Servers: 3, Load: 0.7, Seed: 5}, Jobs: 400_000, Warmup: 10}
		c, err := cfg.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		cl, err := newCluster(&c, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.run(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		sum := uint64(0)
		for s := range cl.n {
			d := cl.dispatched(s)
			if d <= 1<<16 {
				t.Errorf("%s: server %d got %d jobs, want more than 2^16 for the test to mean anything", p, s, d)
			}
			if p == "rr" && (d < c.Jobs/3 || d > c.Jobs/3+1) {
				t.Errorf("rr: server %d got %d of %d jobs, want a third", s, d, c.Jobs)
			}
			sum += d
		}
		if sum != c.Jobs {
			t.Errorf("%s: %d jobs dispatched in all, want %d", p, sum, c.Jobs)
		}
	}
}
