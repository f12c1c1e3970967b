package cluster

import (
	"context"
	"flag"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stratbench/stratbench/workloads"
)

// BenchmarkOverhead measures what the balancer adds to a request's
// response time at 1,000 requests/s: b.N open-loop requests of 10µs sleep
// tasks to two worker processes, through each way of balancing. direct is
// the load generator talking to the workers itself (no proxy hop), so the
// difference of p50-µs between via=ours and via=direct is our balancer's
// cost; overhead-p50-µs is the time outside the workers' queues and
// service. Run it long enough for stable percentiles:
//
//	go test -run '^$' -bench Overhead -benchtime 5000x -count 5 ./cluster/
func BenchmarkOverhead(b *testing.B) {
	for _, via := range []string{"direct", "ours", "nginx", "haproxy"} {
		b.Run("via="+via, func(b *testing.B) {
			if via == "nginx" || via == "haproxy" {
				if _, err := FindBinary(via); err != nil {
					b.Skip(err)
				}
			}
			// 1,000/s of 10µs tasks on two workers: ρ = 1000 × 1e-5 / 2.
			svc, err := workloads.ParseSize("det:mean=0.01")
			if err != nil {
				b.Fatal(err)
			}
			res, err := Run(context.Background(), Config{
				Via: via, Policy: "jsq", Workers: 2, Load: 1000 * 0.01e-3 / 2, Service: svc,
				Jobs: uint64(b.N), Seed: 1, Launcher: testLauncher(),
			})
			if err != nil {
				b.Fatal(err)
			}
			m := res.Metrics
			if m["failed"] != 0 {
				b.Fatalf("%v requests failed", m["failed"])
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(m["response_p50"]*1e3, "p50-µs")
			b.ReportMetric(m["response_p99"]*1e3, "p99-µs")
			b.ReportMetric(m["overhead_p50_sec"]*1e6, "overhead-p50-µs")
			b.ReportMetric(m["arrival_rate_per_sec"], "req/s")
		})
	}
}

// BenchmarkThroughput measures the request rate each balancer sustains in
// front of two worker processes answering empty tasks, with wrk (Debian
// package wrk) at 64 connections, as nginx was measured for issue 7, and
// the CPU time the balancer's processes spent per request (steadier than
// the rate when the machine is shared). Each run lasts 5s (1s under
// -benchtime 1x); b.N is ignored.
//
//	go test -run '^$' -bench Throughput -count 5 ./cluster/
func BenchmarkThroughput(b *testing.B) {
	wrk, err := FindBinary("wrk")
	if err != nil {
		b.Skip(err)
	}
	dur := 5 * time.Second
	if f := flag.Lookup("test.benchtime"); f != nil && f.Value.String() == "1x" {
		dur = time.Second
	}
	for _, via := range []string{"ours", "nginx", "haproxy"} {
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
			cpu0, _ := CPUTime(st.Balancer.PID())
			rate, err := runWrk(wrk, st.Target+WorkPath, dur)
			if err != nil {
				b.Fatal(err)
			}
			cpu1, _ := CPUTime(st.Balancer.PID())
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(rate, "req/s")
			// CPU per request is steadier than the rate on a shared machine.
			b.ReportMetric(float64((cpu1-cpu0).Microseconds())/(rate*dur.Seconds()), "cpu-µs/req")
		})
	}
}

var wrkRate = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)

// runWrk runs wrk with 2 threads and 64 connections against url and
// returns its requests per second.
func runWrk(wrk, url string, d time.Duration) (float64, error) {
	out, err := exec.Command(wrk, "-t2", "-c64", fmt.Sprintf("-d%ds", int(d.Seconds())), url).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("wrk: %v: %s", err, out)
	}
	m := wrkRate.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("wrk printed no rate: %s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}
