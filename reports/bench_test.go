package reports

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stratbench/stratbench/metrics"
)

// syntheticResults makes n records shaped like a real suite's: simulator
// load sweeps (with CDFs and per-server arrays) and harness batch sweeps
// (with ten samples of every metric and per-worker arrays).
func syntheticResults(n int) []metrics.Result {
	rng := rand.New(rand.NewPCG(1, 2))
	env := metrics.Env{GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64", NumCPU: 2, GOMAXPROCS: 2, Seed: 1}
	var out []metrics.Result
	policies := []string{"random", "rr", "jsq", "p2c", "central", "jiq", "lwl", "sed"}
	loads := []float64{0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95}
	for i := 0; len(out) < n*3/4; i++ {
		servers := []int{10, 100, 1000}[i%3]
		for _, ld := range loads {
			for _, p := range policies {
				mean := 1 + rng.Float64()/(1-ld)
				cdf := make([][2]float64, 60)
				for j := range cdf {
					q := 1 - math.Pow(10, -float64(j)/12)
					cdf[j] = [2]float64{-mean * math.Log(1-q+1e-9), q}
				}
				ps := make([]float64, servers)
				for j := range ps {
					ps[j] = 1000 * (1 + 0.1*rng.NormFloat64())
				}
				out = append(out, metrics.Result{Engine: "sim", Family: "Sim",
					Name:   metrics.Name("policy", p, "servers", servers, "load", ld, "run", i),
					Params: map[string]any{"policy": p, "servers": float64(servers), "load": ld, "service": "exp", "arrival": "poisson"},
					Metrics: map[string]float64{"response_mean": mean, "response_p50": mean * 0.7, "response_p95": mean * 3,
						"response_p99": mean * 4.6, "utilization": ld, "wall_sec": 0.1},
					CI95:      map[string][2]float64{"response_mean": {mean * 0.97, mean * 1.03}},
					PerServer: map[string][]float64{"dispatched": ps},
					CDF:       cdf, Env: env})
			}
		}
	}
	for i := 0; len(out) < n; i++ {
		for _, e := range []string{"sequential", "goroutine", "pool", "batch", "steal"} {
			for _, w := range []int{1, 2, 4, 8} {
				xs := make([]float64, 10)
				for j := range xs {
					xs[j] = 1e4 * float64(w) * (1 + 0.02*rng.NormFloat64())
				}
				out = append(out, metrics.Result{Engine: "harness", Family: "Batch",
					Name:      metrics.Name("workload", fmt.Sprint("w", i), "executor", e, "workers", w),
					Params:    map[string]any{"executor": e, "workers": float64(w)},
					Metrics:   map[string]float64{"throughput_per_sec": xs[0], "speedup": float64(w), "efficiency": 1},
					Samples:   map[string][]float64{"throughput_per_sec": xs},
					PerServer: map[string][]float64{"busy_sec": make([]float64, w), "tasks": make([]float64, w)},
					Env:       env})
			}
		}
	}
	return out[:n]
}

// BenchmarkReport writes every format of a report of 300 results, charts
// and page included: the issue asks for under 5 s.
func BenchmarkReport(b *testing.B) {
	results := syntheticResults(300)
	var in bytes.Buffer
	for i := range results {
		if err := metrics.WriteJSON(&in, &results[i]); err != nil {
			b.Fatal(err)
		}
	}
	data := in.Bytes()
	b.ResetTimer()
	for b.Loop() {
		dir := b.TempDir()
		var out, errb bytes.Buffer
		cfg := Config{Inputs: []string{"-"}, Out: dir, Stdin: bytes.NewReader(data)}
		if err := Run(context.Background(), cfg, &out, &errb); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(300, "results/op")
}
