package stratbench_test

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stratbench/stratbench/harness"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
)

var (
	serviceRepeats = flag.Int("service.repeats", 3, "BenchmarkServiceRate: runs per rate, judged by their median")
	serviceJobs    = flag.Uint64("service.jobs", 60_000, "BenchmarkServiceRate: measured jobs per run")
	serviceBisect  = flag.Int("service.bisect", 3, "BenchmarkServiceRate: bisection steps between the last rate that passed and the first that failed")
)

// serviceGrid are the arrival rates (jobs/s) BenchmarkServiceRate climbs
// until one fails; 112k is the rate of 16 servers with a 100µs unit.
var serviceGrid = []float64{25e3, 50e3, 112e3, 200e3, 400e3, 800e3, 1.6e6, 3.2e6}

// Faithfulness: the relative error of the mean and of p99 against the
// simulator's.
const (
	faithfulMean = 0.10
	faithfulP99  = 0.15
)

// BenchmarkServiceRate finds how fast service mode stays faithful to the
// simulator, for each timing path of sleeping servers: p2c over 8, 16 and
// 64 servers at ρ=0.7, the unit shrunk so that the arrival rate
// λ = ρ·N/unit climbs serviceGrid. Every run measures the same seeded jobs
// as the simulator's run (unitless, so simulated once per server count).
//
// Each rate runs -service.repeats times and is judged by the median of its
// runs' errors, so that one run the machine disturbed does not decide it;
// a rate that fails runs as many times again and is judged on all its
// runs. The climb stops at the first rate that fails, then bisects
// (geometrically, -service.bisect steps) between it and the last that
// passed. The highest rate that passed is the faithful rate, for the mean
// within 10% and for p99 within 15% (each found on its own, from the same
// runs where they overlap). Each rate's sub-benchmark reports the median
// errors (mean-err-%, p99-err-%), their spread over the runs (min and max),
// the harness's cost (harness-ns/job: its handling time; cpu-ns/job: the
// process's CPU time, spinning waits included) and the achieved rate; the
// last one, rate=faithful, reports faithful-jobs/s and p99-faithful-jobs/s
// and logs the table.
//
// It runs in real time: use -benchtime=1x, do not run it under nice, and
// read its figures with the machine's load in mind (the log starts with
// it). For example:
//
//	go test -run '^$' -bench 'ServiceRate' -benchtime=1x .
//	go test -run '^$' -bench 'ServiceRate/timing=loop/servers=16' -benchtime=1x . -service.repeats=5
//
// With -short (CI's smoke run) it only checks that every timing path runs:
// 16 servers, the grid's first rate, one run of 5,000 jobs, no bisection.
func BenchmarkServiceRate(b *testing.B) {
	const load, seed = 0.7, 1
	jobs, serverCounts := *serviceJobs, []int{8, 16, 64}
	repeats, bisect, grid := *serviceRepeats, *serviceBisect, serviceGrid
	if testing.Short() {
		jobs, serverCounts, repeats, bisect, grid = min(jobs, 5000), []int{16}, 1, 0, serviceGrid[:1]
	}
	for _, timing := range []string{harness.TimingLoop, harness.TimingSpin, harness.TimingGoroutines} {
		for _, servers := range serverCounts {
			base := harness.ServiceConfig{Scenario: scenario.Scenario{Policy: "p2c", Servers: servers, Load: load, Seed: seed}, Jobs: jobs, Warmup: jobs / 10, Timing: timing}
			simRes, err := sim.Run(context.Background(), sim.Config{Scenario: base.Scenario, Jobs: jobs, Warmup: base.Warmup})
			if err != nil {
				b.Fatal(err)
			}
			sw := &rateSweep{
				base: base, smean: simRes.Metrics["response_mean"], sp99: simRes.Metrics["response_p99"],
				memo: map[float64]*ratePoint{}, repeats: repeats, bisect: bisect, grid: grid,
			}
			var table strings.Builder
			fmt.Fprintf(&table, "p2c, %d sleeping servers, ρ=%g, timing %s, %d runs a rate (machine load %s): sim mean %.4g p99 %.4g\n", servers, load, timing, repeats, loadAvg(), sw.smean, sw.sp99)
			fmt.Fprintf(&table, "  %-9s %-8s %-4s %-22s %-22s %-9s %-9s %-8s %-9s %-10s %s\n", "rate/s", "unit", "runs", "mean-err [min, max]", "p99-err [min, max]", "lag-us", "late-us", "busy", "hns/job", "cpu-ns/job", "load")
			name := func(rate float64) string { return benchName("timing", timing, "servers", servers, "rate", rate) }
			sw.run = func(rate float64) *ratePoint {
				var p *ratePoint
				b.Run(name(rate), func(b *testing.B) {
					for range b.N {
						p = sw.point(b, rate)
					}
					p.report(b)
				})
				if p == nil { // filtered out by -bench
					p = &ratePoint{}
				}
				fmt.Fprintf(&table, "  %s\n", p.row(rate, sw.unit(rate)))
				return p
			}
			faithful := sw.crossing(func(p *ratePoint) bool { return math.Abs(p.median(meanErr)) <= faithfulMean })
			faithful99 := sw.crossing(func(p *ratePoint) bool { return math.Abs(p.median(p99Err)) <= faithfulP99 })
			b.Run(benchName("timing", timing, "servers", servers, "rate", "faithful"), func(b *testing.B) {
				b.ReportMetric(faithful, "faithful-jobs/s")
				b.ReportMetric(faithful99, "p99-faithful-jobs/s")
				if p := sw.memo[faithful]; p != nil && len(p.runs) > 0 {
					lo, hi := p.spread(meanErr)
					b.ReportMetric(100*lo, "mean-err-min-%")
					b.ReportMetric(100*hi, "mean-err-max-%")
				}
				b.Logf("%s  highest faithful rate: %.0f jobs/s on the mean (%g%%), %.0f on p99 (%g%%)", table.String(), faithful, 100*faithfulMean, faithful99, 100*faithfulP99)
			})
		}
	}
}

// runErrs is what one run measured against the simulator.
type runErrs struct {
	mean, p99, lagUs, lateUs, busy, hns, cpu, rate float64
}

func meanErr(e runErrs) float64 { return e.mean }
func p99Err(e runErrs) float64  { return e.p99 }

// ratePoint is the runs of one rate, and the machine's load average when
// they ended.
type ratePoint struct {
	runs []runErrs
	load string
}

// median is the median of f over the runs (NaN without runs).
func (p *ratePoint) median(f func(runErrs) float64) float64 {
	if len(p.runs) == 0 {
		return math.NaN()
	}
	xs := make([]float64, len(p.runs))
	for i, r := range p.runs {
		xs[i] = f(r)
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// spread is the least and greatest f over the runs.
func (p *ratePoint) spread(f func(runErrs) float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, r := range p.runs {
		lo, hi = min(lo, f(r)), max(hi, f(r))
	}
	return lo, hi
}

func (p *ratePoint) report(b *testing.B) {
	b.ReportMetric(100*p.median(meanErr), "mean-err-%")
	b.ReportMetric(100*p.median(p99Err), "p99-err-%")
	lo, hi := p.spread(meanErr)
	b.ReportMetric(100*lo, "mean-err-min-%")
	b.ReportMetric(100*hi, "mean-err-max-%")
	b.ReportMetric(p.median(func(e runErrs) float64 { return e.hns }), "harness-ns/job")
	b.ReportMetric(p.median(func(e runErrs) float64 { return e.cpu }), "cpu-ns/job")
	b.ReportMetric(p.median(func(e runErrs) float64 { return e.rate }), "jobs/s")
}

func (p *ratePoint) row(rate float64, unit time.Duration) string {
	if len(p.runs) == 0 {
		return fmt.Sprintf("%-9.0f %-8v (not run)", rate, unit)
	}
	med := func(f func(runErrs) float64) float64 { return p.median(f) }
	ml, mh := p.spread(meanErr)
	pl, ph := p.spread(p99Err)
	return fmt.Sprintf("%-9.0f %-8v %-4d %-22s %-22s %-9.1f %-9.2f %-8.3f %-9.0f %-10.0f %s", rate, unit, len(p.runs),
		fmt.Sprintf("%+.1f%% [%+.1f, %+.1f]", 100*p.median(meanErr), 100*ml, 100*mh),
		fmt.Sprintf("%+.1f%% [%+.1f, %+.1f]", 100*p.median(p99Err), 100*pl, 100*ph),
		med(func(e runErrs) float64 { return e.lagUs }), med(func(e runErrs) float64 { return e.lateUs }),
		med(func(e runErrs) float64 { return e.busy }), med(func(e runErrs) float64 { return e.hns }), med(func(e runErrs) float64 { return e.cpu }), p.load)
}

// rateSweep finds the crossings of one timing path and server count.
type rateSweep struct {
	base        harness.ServiceConfig
	smean, sp99 float64
	memo        map[float64]*ratePoint
	run         func(rate float64) *ratePoint // runs a rate as a sub-benchmark
	// repeats are the runs of a rate, bisect the bisection steps, grid the
	// rates climbed.
	repeats, bisect int
	grid            []float64
}

// unit is the unit that gives arrival rate rate (jobs/s).
func (sw *rateSweep) unit(rate float64) time.Duration {
	return time.Duration(math.Round(sw.base.Load * float64(sw.base.Servers) / rate * 1e9))
}

// point runs rate sw.repeats times, and as many again if the median
// fails either criterion.
func (sw *rateSweep) point(b *testing.B, rate float64) *ratePoint {
	p := &ratePoint{}
	runs := func(n int) {
		for range n {
			cfg := sw.base
			cfg.Unit = sw.unit(rate)
			res, err := harness.RunService(context.Background(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			m := res.Metrics
			p.runs = append(p.runs, runErrs{
				mean: m["response_mean"]/sw.smean - 1, p99: m["response_p99"]/sw.sp99 - 1,
				lagUs: 1e6 * m["lag_mean_sec"], lateUs: 1e6 * m["loop_late_mean_sec"],
				busy: m["dispatcher_busy_frac"], hns: m["harness_ns_per_job"], cpu: m["cpu_ns_per_job"],
				rate: m["arrival_rate_per_sec"],
			})
		}
	}
	runs(max(sw.repeats, 1))
	if math.Abs(p.median(meanErr)) > faithfulMean || math.Abs(p.median(p99Err)) > faithfulP99 {
		runs(max(sw.repeats, 1))
	}
	p.load = loadAvg()
	return p
}

// eval returns rate's runs, running it the first time it is asked for.
func (sw *rateSweep) eval(rate float64) *ratePoint {
	if p, ok := sw.memo[rate]; ok {
		return p
	}
	p := sw.run(rate)
	sw.memo[rate] = p
	return p
}

// crossing climbs the grid to the first rate that fails pass, bisects
// between it and the last that passed, and returns the highest rate that
// passed (0 if the lowest failed; the top of the grid if none failed).
func (sw *rateSweep) crossing(pass func(*ratePoint) bool) float64 {
	lo, hi := 0.0, 0.0
	for _, rate := range sw.grid {
		p := sw.eval(rate)
		if len(p.runs) == 0 {
			return 0 // filtered out
		}
		if !pass(p) {
			hi = rate
			break
		}
		lo = rate
	}
	if hi == 0 || lo == 0 {
		return lo
	}
	for range sw.bisect {
		mid := math.Round(math.Sqrt(lo*hi)/1000) * 1000
		if mid <= lo || mid >= hi {
			break
		}
		if pass(sw.eval(mid)) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// loadAvg is the machine's load average over the last minute, or "?".
func loadAvg() string {
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			return f[0]
		}
	}
	return "?"
}

// TestServiceLoopFollowsSimulator checks the loop against the simulator on
// a real clock, under whatever load the machine has: the loop handles
// events in the order of their times and shows the policy the state at
// each event's time, so its decisions are the simulator's (the same
// measured jobs at each server, but for a rare pair of events less than
// a nanosecond apart, which the loop's integer clock may order the other
// way), and its mean response is the simulator's plus how late, on
// average, it ended jobs (overrun_mean, measured by the run itself).
func TestServiceLoopFollowsSimulator(t *testing.T) {
	for _, tc := range []struct{ policy, timing string }{
		{"p2c", harness.TimingLoop}, {"jsq", harness.TimingLoop}, {"lwl", harness.TimingLoop},
		{"central", harness.TimingLoop}, {"p2c", harness.TimingSpin},
	} {
		t.Run(tc.policy+"/"+tc.timing, func(t *testing.T) {
			cfg := harness.ServiceConfig{
				Scenario: scenario.Scenario{Policy: tc.policy, Servers: 6, Load: 0.8, Seed: 9},
				Unit:     200 * time.Microsecond, Jobs: 3000, Warmup: 300, Timing: tc.timing,
			}
			res, err := harness.RunService(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			simRes, err := sim.Run(context.Background(), sim.Config{Scenario: cfg.Scenario, Jobs: cfg.Jobs, Warmup: cfg.Warmup})
			if err != nil {
				t.Fatal(err)
			}
			m, sm := res.Metrics, simRes.Metrics
			if sched := m["response_mean"] - m["overrun_mean"]; math.Abs(sched/sm["response_mean"]-1) > 0.01 {
				t.Errorf("mean response %g less mean overrun %g = %g, want the simulator's %g within 1%%", m["response_mean"], m["overrun_mean"], sched, sm["response_mean"])
			}
			got, want := res.PerServer["dispatched"], simRes.PerServer["dispatched"]
			diff := 0.0
			for i := range want {
				diff += math.Abs(got[i] - want[i])
			}
			if diff > 0.01*float64(cfg.Jobs) {
				t.Errorf("measured jobs per server %v, the simulator's %v", got, want)
			}
			t.Logf("mean %g (overrun %g), simulator %g; jobs moved %g", m["response_mean"], m["overrun_mean"], sm["response_mean"], diff)
		})
	}
}
