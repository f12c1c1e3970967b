package cluster

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stratbench/stratbench/cluster/loadgen"
	"github.com/stratbench/stratbench/cluster/procs"
	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/internal/ptimer"
	"github.com/stratbench/stratbench/workloads"
)

// BenchmarkOverhead measures what a balancer adds to a request's response
// time at 1,000 requests/s: b.N requests of empty tasks, sent one at a
// time at Poisson times (1,000/s on average), alternately through the
// balancer and straight to a worker (round robin over the two), so that
// both paths see the machine in the same state. added-p50-µs is the
// difference of the medians, the figure issue 7 sets a target for (under
// 100µs for ours); p50-direct-µs and p50-via-µs are the medians
// themselves. Run it long enough for stable percentiles:
//
//	go test -run '^$' -bench Overhead -benchtime 4000x -count 5 ./cluster/
func BenchmarkOverhead(b *testing.B) {
	for _, via := range []string{"ours", "nginx", "haproxy", "caddy"} {
		b.Run("via="+via, func(b *testing.B) {
			if via != "ours" {
				if _, err := FindBinary(via); err != nil {
					b.Skip(err)
				}
			}
			st, err := StartStack(context.Background(), StackConfig{Via: via, Policy: "jsq", Workers: 2, Launcher: testLauncher()})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Stop()
			tr := loadgen.NewTransport()
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			gaps := rand.New(workloads.NewSource(1, 1))
			var viaUs, directUs []float64
			next := time.Now()
			b.ResetTimer()
			for i := range max(b.N, 2) {
				next = next.Add(time.Duration(gaps.ExpFloat64() * float64(time.Millisecond)))
				ptimer.SleepUntil(context.Background(), next)
				url := st.Target + worker.WorkPath
				if i%2 == 1 {
					url = "http://" + st.Backends[(i/2)%len(st.Backends)] + worker.WorkPath
				}
				t0 := time.Now()
				resp, err := client.Get(url)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				us := float64(time.Since(t0).Nanoseconds()) / 1e3
				if i%2 == 1 {
					directUs = append(directUs, us)
				} else {
					viaUs = append(viaUs, us)
				}
			}
			b.StopTimer()
			q := func(xs []float64, p float64) float64 {
				slices.Sort(xs)
				return xs[min(int(p*float64(len(xs))), len(xs)-1)]
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(q(viaUs, 0.5)-q(directUs, 0.5), "added-p50-µs")
			b.ReportMetric(q(directUs, 0.5), "p50-direct-µs")
			b.ReportMetric(q(viaUs, 0.5), "p50-via-µs")
			b.ReportMetric(q(directUs, 0.99), "p99-direct-µs")
			b.ReportMetric(q(viaUs, 0.99), "p99-via-µs")
		})
	}
}

// BenchmarkThroughput measures the request rate each balancer sustains in
// front of two worker processes answering empty tasks, with wrk (Debian
// package wrk) at 64 connections, as nginx was measured for issue 7.
// Besides req/s it reports the CPU time per request of the balancer's
// processes (cpu-µs/req, steadier than the rate when the machine is
// shared) and of the two workers (workers-cpu-µs/req). Each run lasts 5s
// (1s under -benchtime 1x); b.N is ignored. Compare the balancers with
// benchstat, or the ratio of their rates:
//
//	go test -run '^$' -bench Throughput -count 5 ./cluster/ | tee tp.txt
//	benchstat -col /via tp.txt
func BenchmarkThroughput(b *testing.B) {
	wrk, err := FindBinary("wrk")
	if err != nil {
		b.Skip(err)
	}
	dur := 5 * time.Second
	if f := flag.Lookup("test.benchtime"); f != nil && f.Value.String() == "1x" {
		dur = time.Second
	}
	for _, via := range []string{"ours", "nginx", "haproxy", "caddy"} {
		b.Run("via="+via, func(b *testing.B) {
			if via != "ours" {
				if _, err := FindBinary(via); err != nil {
					b.Skip(err)
				}
			}
			st, err := StartStack(context.Background(), StackConfig{Via: via, Policy: "jsq", Workers: 2, Launcher: testLauncher()})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Stop()
			bal0, w0 := stackCPU(st)
			rate, _, err := runWrk(wrk, st.Target+worker.WorkPath, dur)
			if err != nil {
				b.Fatal(err)
			}
			bal1, w1 := stackCPU(st)
			n := rate * dur.Seconds()
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(rate, "req/s")
			b.ReportMetric(float64((bal1-bal0).Microseconds())/n, "cpu-µs/req")
			b.ReportMetric(float64((w1-w0).Microseconds())/n, "workers-cpu-µs/req")
		})
	}
}

var wrkRate = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)

// runWrk runs wrk with 2 threads and 64 connections against url and
// returns its requests per second and the CPU time it used.
func runWrk(wrk, url string, d time.Duration) (float64, time.Duration, error) {
	cmd := exec.Command(wrk, "-t2", "-c64", fmt.Sprintf("-d%ds", int(d.Seconds())), url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("wrk: %v: %s", err, out)
	}
	m := wrkRate.FindSubmatch(out)
	if m == nil {
		return 0, 0, fmt.Errorf("wrk printed no rate: %s", out)
	}
	rate, err := strconv.ParseFloat(string(m[1]), 64)
	return rate, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), err
}

// stackCPU returns the CPU time used so far by a stack's balancer (with
// its children: nginx's workers) and by its workers.
func stackCPU(st *Stack) (bal, workers time.Duration) {
	bal, _ = procs.CPUTime(st.Balancer.PID())
	for _, w := range st.Workers {
		t, _ := procs.CPUTime(w.PID())
		workers += t
	}
	return bal, workers
}

// BenchmarkThroughputRatio is BenchmarkThroughput's comparison made robust
// to a shared machine's drift: the three stacks run side by side and wrk
// visits them in a shuffled order each round (rounds of 2s; 9 rounds, 1
// under -benchtime 1x), so that a slow minute hits every balancer alike.
// It reports each balancer's median rate and ours as a percentage of
// nginx's and HAProxy's, round by round (ours/nginx-%, the median of the
// rounds' ratios: issue 14 sets the target of at least 100%), and the
// medians of the CPU time per request of each balancer (VIA-cpu-µs/req,
// nginx's workers included) and of its whole stack (VIA-all-cpu-µs/req:
// balancer, workers and wrk): on a machine others load, the CPU time a
// request costs is steadier than the rate, which also depends on how much
// of the machine a stack's processes get. The rounds run once whatever
// -benchtime says (b.Loop).
//
//	go test -run '^$' -bench ThroughputRatio ./cluster/
func BenchmarkThroughputRatio(b *testing.B) {
	wrk, err := FindBinary("wrk")
	if err != nil {
		b.Skip(err)
	}
	rounds, dur := 9, 2*time.Second
	if f := flag.Lookup("test.benchtime"); f != nil && f.Value.String() == "1x" {
		rounds, dur = 1, time.Second
	}
	vias := []string{"ours"}
	for _, v := range []string{"nginx", "haproxy", "caddy"} {
		if _, err := FindBinary(v); err == nil {
			vias = append(vias, v)
		}
	}
	if len(vias) == 1 {
		b.Skip("none of nginx, haproxy and caddy is installed")
	}
	stacks := map[string]*Stack{}
	for _, via := range vias {
		st, err := StartStack(context.Background(), StackConfig{Via: via, Policy: "jsq", Workers: 2, Launcher: testLauncher()})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Stop()
		stacks[via] = st
	}
	order := rand.New(workloads.NewSource(1, 2))
	rates, cpu, all := map[string][]float64{}, map[string][]float64{}, map[string][]float64{}
	var ratios, hratios, cratios []float64
	for range rounds {
		round := map[string]float64{}
		for _, i := range order.Perm(len(vias)) {
			via, st := vias[i], stacks[vias[i]]
			bal0, w0 := stackCPU(st)
			rate, wrkCPU, err := runWrk(wrk, st.Target+worker.WorkPath, dur)
			if err != nil {
				b.Fatal(err)
			}
			bal1, w1 := stackCPU(st)
			n := rate * dur.Seconds()
			round[via] = rate
			rates[via] = append(rates[via], rate)
			cpu[via] = append(cpu[via], float64((bal1-bal0).Microseconds())/n)
			all[via] = append(all[via], float64((bal1-bal0+w1-w0+wrkCPU).Microseconds())/n)
		}
		if n, ok := round["nginx"]; ok {
			ratios = append(ratios, 100*round["ours"]/n)
		}
		if h, ok := round["haproxy"]; ok {
			hratios = append(hratios, 100*round["ours"]/h)
		}
		if c, ok := round["caddy"]; ok {
			cratios = append(cratios, 100*round["ours"]/c)
		}
	}
	for b.Loop() {
	}
	b.Logf("ours/nginx %% by round: %.0f; ours/haproxy %% by round: %.0f; ours/caddy %% by round: %.0f", ratios, hratios, cratios)
	for _, via := range vias {
		b.Logf("%s by round: req/s %.0f; cpu-µs/req %.1f; all-cpu-µs/req %.1f", via, rates[via], cpu[via], all[via])
	}
	median := func(xs []float64) float64 {
		xs = slices.Clone(xs)
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	b.ReportMetric(0, "ns/op")
	for _, via := range vias {
		b.ReportMetric(median(rates[via]), via+"-req/s")
		b.ReportMetric(median(cpu[via]), via+"-cpu-µs/req")
		b.ReportMetric(median(all[via]), via+"-all-cpu-µs/req")
	}
	if len(ratios) > 0 {
		b.ReportMetric(median(ratios), "ours/nginx-%")
	}
	if len(hratios) > 0 {
		b.ReportMetric(median(hratios), "ours/haproxy-%")
	}
	if len(cratios) > 0 {
		b.ReportMetric(median(cratios), "ours/caddy-%")
	}
}
