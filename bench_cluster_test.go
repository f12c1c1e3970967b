package stratbench_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stratbench/stratbench/cluster"
	"github.com/stratbench/stratbench/cluster/procs"
	"github.com/stratbench/stratbench/reports"
	"github.com/stratbench/stratbench/runs"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/workloads"
)

var gapDuration = flag.Duration("gap-duration", 20*time.Second, "BenchmarkClusterGap: how long each cluster run sends load")

// BenchmarkClusterGap is issue 17's comparison of cluster mode with its
// model: 4 sleeping workers (1 unit = 1ms) at ρ=0.7, jsq and p2c, through
// direct, ours, nginx, HAProxy and Caddy (those installed), each run for
// -gap-duration (20s) with the first tenth left out, beside the simulator
// (200k jobs) given the round trip of an empty task the run measured as
// its network delay and the round trip straight to the workers as its
// view delay, and the run's own jobs replayed through the model
// (runs.ModelCluster). One op is one round over the balancers in a shuffled
// order, so that a slow minute of a shared machine hits them alike
// (-benchtime Nx: N rounds); it reports each balancer's error of the mean
// (VIA-err-%, the mean over the rounds) and prints the table of every run's
// error split into the load generator's lateness, transport beyond the
// round trip, wait and service against the model's and the workers'
// lateness (cluster.Gap), in units. Note the machine's load (uptime)
// beside it:
//
//	go test -run '^$' -bench ClusterGap -benchtime 3x -timeout 1h . [-args -gap-duration 20s]
//
// With -short (CI's smoke run): jsq only, 2s a run, a 20,000-job model.
func BenchmarkClusterGap(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "stratbench")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/stratbench").CombinedOutput(); err != nil {
		b.Fatalf("building stratbench: %v: %s", err, out)
	}
	vias := []string{"direct", "ours"}
	for _, v := range []string{"nginx", "haproxy", "caddy"} {
		if _, err := cluster.FindBinary(v); err == nil {
			vias = append(vias, v)
		} else {
			b.Logf("skipping %s: %v", v, err)
		}
	}
	simJobs, policies, duration := uint64(200_000), []string{"jsq", "p2c"}, *gapDuration
	if testing.Short() {
		simJobs, policies, duration = 20_000, policies[:1], 2*time.Second
	}
	for _, policy := range policies {
		b.Run(benchName("policy", policy), func(b *testing.B) {
			sc := scenario.Scenario{Policy: policy, Servers: 4, Load: 0.7, Seed: 1}
			order := rand.New(workloads.NewSource(1, 7))
			sum := map[string]float64{}
			var rows []reports.GapRow
			rounds := 0
			for b.Loop() {
				rounds++
				for _, i := range order.Perm(len(vias)) {
					via := vias[i]
					cfg := cluster.Config{Scenario: sc, Via: via, Duration: duration, Launcher: procs.Launcher{Path: bin}}
					cluster.SetDefaultWarmup(&cfg)
					arr := &cluster.Arrivals{}
					cfg.OnRequest = arr.Add
					res, err := cluster.Run(context.Background(), cfg)
					if err != nil {
						b.Fatalf("%s: %v", via, err)
					}
					model, err := runs.ModelCluster(context.Background(), &cfg, res, simJobs, arr)
					if err != nil {
						b.Fatal(err)
					}
					g, ok := reports.ModelGap(res, model)
					if !ok {
						b.Fatalf("%s: no split of the error (%v)", via, res.Warnings)
					}
					sum[via] += g.Error / g.Model
					rows = append(rows, reports.GapRow{Name: fmt.Sprintf("round %d %s", rounds, res.Name), Gap: g})
				}
			}
			b.ReportMetric(0, "ns/op")
			var summary []string
			for _, via := range vias {
				e := 100 * sum[via] / float64(rounds)
				b.ReportMetric(e, via+"-err-%")
				summary = append(summary, fmt.Sprintf("%s %+.1f%%", via, e))
			}
			var table strings.Builder
			if err := reports.WriteGaps(&table, rows); err != nil {
				b.Fatal(err)
			}
			// The table on stdout: a benchmark's log keeps 10 lines.
			fmt.Printf("%s, ρ=%g, %d workers, %v a run, %d rounds: mean error of the mean %s\n%s",
				policy, sc.Load, sc.Servers, duration, rounds, strings.Join(summary, ", "), table.String())
		})
	}
}
