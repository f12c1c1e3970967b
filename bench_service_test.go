package stratbench_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stratbench/stratbench/harness"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
)

// serviceRates are the arrival rates (jobs/s) BenchmarkServiceRate sweeps.
var serviceRates = []float64{25e3, 50e3, 100e3, 150e3, 200e3, 300e3, 400e3}

// BenchmarkServiceRate finds how fast service mode stays faithful to the
// simulator: p2c over 8, 16 and 64 sleeping servers at ρ=0.7, the unit
// shrunk so that the arrival rate λ = ρ·N/unit sweeps serviceRates. Each
// rate runs the same 60k measured jobs (the same seeded jobs as the
// simulator's run, which is unitless and so simulated once per server
// count) and reports the relative errors of the mean and p99 response
// (mean-err-%, p99-err-%), the harness's own cost (harness-ns/job: the
// dispatcher's and servers' handling outside their waits; cpu-ns/job: the
// process's CPU time), and the rate achieved. The last sub-benchmark of
// each server count, rate=faithful, reports the highest swept rate at
// which every rate up to it was within 10% on the mean (faithful-jobs/s)
// and within 15% on p99 (p99-faithful-jobs/s); the log shows the table.
// Rates past the first one off by more than 100% are skipped.
//
// It runs in real time: use -benchtime=1x (one op is one run per rate),
// and read its figures with the machine's load in mind. The harness
// measures how much the machine held it up (lag, overrun) in each record.
func BenchmarkServiceRate(b *testing.B) {
	const load, jobs, seed = 0.7, 60_000, 1
	for _, servers := range []int{8, 16, 64} {
		base := harness.ServiceConfig{Scenario: scenario.Scenario{Policy: "p2c", Servers: servers, Load: load, Seed: seed}, Jobs: jobs, Warmup: jobs / 10}
		simRes, err := sim.Run(context.Background(), sim.Config{Scenario: base.Scenario, Jobs: jobs, Warmup: base.Warmup})
		if err != nil {
			b.Fatal(err)
		}
		smean, sp99 := simRes.Metrics["response_mean"], simRes.Metrics["response_p99"]
		var table strings.Builder
		fmt.Fprintf(&table, "p2c, %d sleeping servers, ρ=%g: sim mean %.4g p99 %.4g\n  rate/s   unit     mean-err  p99-err  lag(units) overrun  harness-ns/job cpu-ns/job\n", servers, load, smean, sp99)
		faithful, faithful99 := 0.0, 0.0
		meanOK, p99OK, give := true, true, false
		for _, rate := range serviceRates {
			unit := time.Duration(math.Round(load * float64(servers) / rate * 1e9))
			b.Run(benchName("servers", servers, "rate", rate), func(b *testing.B) {
				if give {
					b.Skip("an earlier rate was off by more than 100%")
				}
				var me, pe, hns, cns, got, lag, ov float64
				for range b.N {
					cfg := base
					cfg.Unit = unit
					res, err := harness.RunService(context.Background(), cfg)
					if err != nil {
						b.Fatal(err)
					}
					m := res.Metrics
					me += m["response_mean"]/smean - 1
					pe += m["response_p99"]/sp99 - 1
					hns += m["harness_ns_per_job"]
					cns += m["cpu_ns_per_job"]
					got += m["arrival_rate_per_sec"]
					lag += m["lag_mean_sec"] / unit.Seconds()
					ov += m["overrun_mean"]
				}
				n := float64(b.N)
				me, pe, hns, cns, got, lag, ov = me/n, pe/n, hns/n, cns/n, got/n, lag/n, ov/n
				b.ReportMetric(100*me, "mean-err-%")
				b.ReportMetric(100*pe, "p99-err-%")
				b.ReportMetric(hns, "harness-ns/job")
				b.ReportMetric(cns, "cpu-ns/job")
				b.ReportMetric(got, "jobs/s")
				fmt.Fprintf(&table, "  %-8.0f %-8v %+7.1f%%  %+7.1f%%  %-10.3f %-8.3f %-14.0f %.0f\n", rate, unit, 100*me, 100*pe, lag, ov, hns, cns)
				meanOK = meanOK && math.Abs(me) <= 0.10
				p99OK = p99OK && math.Abs(pe) <= 0.15
				if meanOK {
					faithful = rate
				}
				if p99OK {
					faithful99 = rate
				}
				give = math.Abs(me) > 1
			})
		}
		b.Run(benchName("servers", servers, "rate", "faithful"), func(b *testing.B) {
			b.ReportMetric(faithful, "faithful-jobs/s")
			b.ReportMetric(faithful99, "p99-faithful-jobs/s")
			b.Logf("%s  highest faithful rate: %.0f jobs/s on the mean (10%%), %.0f on p99 (15%%)", table.String(), faithful, faithful99)
		})
	}
}
