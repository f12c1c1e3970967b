//go:build scale

package sim_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
)

// TestMeanFieldAtScale runs p2c at ρ = 0.9 on 10^5 and 10^6 servers with
// the default run length (warm-up found by MSER, 50 measured jobs a
// server) and checks it against the power-of-two mean field, exact as
// N → ∞ (2.614): within 2%, inside the 95% interval, steady state reached,
// and no instability warning. It takes minutes (10^6 servers simulate
// about 10^8 jobs), so it is built only with the scale tag:
//
//	go test -tags scale -run TestMeanFieldAtScale -timeout 2h -v ./sim/
func TestMeanFieldAtScale(t *testing.T) {
	for _, n := range []int{100_000, 1_000_000} {
		t.Run(fmt.Sprintf("servers=%d", n), func(t *testing.T) {
			t0 := time.Now()
			res, err := sim.Run(context.Background(), sim.Config{Scenario: scenario.Scenario{Policy: "p2c", Servers: n, Load: 0.9, Seed: 1}})
			if err != nil {
				t.Fatal(err)
			}
			m, ci := res.Metrics["response_mean"], res.CI95["response_mean"]
			theory := res.Metrics["theory_response_mean"]
			t.Logf("N=%d: response_mean %.4f, 95%% CI [%.4f, %.4f], mean field %.4f (%+.2f%%); warmup %v jobs, steady_state %v, %v jobs, %.3g events in %v (%.3g events/s)",
				n, m, ci[0], ci[1], theory, 100*(m/theory-1), res.Params["warmup"], res.Params["steady_state"], res.Metrics["jobs"], res.Metrics["events"], time.Since(t0).Round(time.Second), res.Metrics["events_per_sec"])
			if math.Abs(theory-2.614) > 0.001 {
				t.Fatalf("mean field %v, want 2.614", theory)
			}
			if math.Abs(m/theory-1) > 0.02 {
				t.Errorf("response_mean %v is %.2f%% from the mean field %v, want within 2%%", m, 100*(m/theory-1), theory)
			}
			if !(ci[0] <= theory && theory <= ci[1]) {
				t.Errorf("the 95%% interval [%v, %v] excludes the mean field %v", ci[0], ci[1], theory)
			}
			if res.Params["steady_state"] != true {
				t.Errorf("steady_state %v", res.Params["steady_state"])
			}
			if res.Params["unstable"] == true || strings.Contains(strings.Join(res.Warnings, "\n"), "unstable") {
				t.Errorf("reported unstable: %q", res.Warnings)
			}
			if len(res.Warnings) > 0 {
				t.Logf("warnings: %q", res.Warnings)
			}
		})
	}
}
