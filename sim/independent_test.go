package sim_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
)

// traceJob is one job read back from the simulator's trace: its arrival
// time and its size (service time at speed 1).
type traceJob struct{ arrival, size float64 }

// readTrace returns the jobs of a FIFO simulation's trace in id order,
// sizes recovered as (departure - start) × speed of the server.
func readTrace(t *testing.T, r io.Reader, speeds []float64, n int) []traceJob {
	t.Helper()
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	jobs := make([]traceJob, n)
	seen := 0
	for _, row := range rows[1:] {
		id, _ := strconv.Atoi(row[0])
		if id >= n {
			continue
		}
		var v [4]float64
		for i := range v {
			v[i], _ = strconv.ParseFloat(row[i+1], 64)
		}
		jobs[id] = traceJob{v[0], (v[3] - v[2]) * speeds[int(v[1])]}
		seen++
	}
	if seen != n {
		t.Fatalf("trace has %d of the first %d jobs", seen, n)
	}
	return jobs
}

// simpleFIFO is an independent simulation of FIFO servers with speeds
// behind a dispatcher, written apart from the engine: each server keeps
// the departure times of the jobs it holds; at each arrival the departed
// ones leave, the policy sees the counts, and the job departs at
// max(arrival, last departure) + size/speed. With a view delay vd the
// policy counts a job until vd after its departure. It returns the mean
// response time of jobs warmup.. and their 99th percentile.
func simpleFIFO(jobs []traceJob, speeds []float64, warmup int, vd float64, pick func(load []int, r *rand.Rand) int) (mean, p99 float64) {
	r := rand.New(rand.NewPCG(77, 78))
	n := len(speeds)
	queue := make([][]float64, n)
	load := make([]int, n)
	var resp []float64
	for id, j := range jobs {
		for s := range queue {
			k := 0
			for k < len(queue[s]) && queue[s][k]+vd <= j.arrival {
				k++
			}
			queue[s] = queue[s][k:]
			load[s] = len(queue[s])
		}
		s := pick(load, r)
		start := j.arrival
		if q := queue[s]; len(q) > 0 {
			start = max(start, q[len(q)-1])
		}
		dep := start + j.size/speeds[s]
		queue[s] = append(queue[s], dep)
		if id >= warmup {
			resp = append(resp, dep-j.arrival)
		}
	}
	sum := 0.0
	for _, x := range resp {
		sum += x
	}
	slices.Sort(resp)
	return sum / float64(len(resp)), resp[int(math.Ceil(0.99*float64(len(resp))))-1]
}

// argminRandom returns the index of the smallest score, uniformly among
// ties.
func argminRandom(score []float64, r *rand.Rand) int {
	best, ties := 0, 0
	for i, x := range score {
		switch {
		case i == 0 || x < score[best]:
			best, ties = i, 1
		case x == score[best]:
			ties++
			if r.IntN(ties) == 0 {
				best = i
			}
		}
	}
	return best
}

// simplePicks are the simple simulation's jsq, p2c and sed over servers
// of the given speeds, each drawing its own tie-breaks and samples.
func simplePicks(speeds []float64) map[string]func(load []int, r *rand.Rand) int {
	return map[string]func(load []int, r *rand.Rand) int{
		"jsq": func(load []int, r *rand.Rand) int {
			score := make([]float64, len(load))
			for i, l := range load {
				score[i] = float64(l)
			}
			return argminRandom(score, r)
		},
		"p2c": func(load []int, r *rand.Rand) int {
			a := r.IntN(len(load))
			b := r.IntN(len(load) - 1)
			if b >= a {
				b++
			}
			if load[b] < load[a] {
				return b
			}
			return a
		},
		"sed": func(load []int, r *rand.Rand) int {
			score := make([]float64, len(load))
			for i, l := range load {
				score[i] = float64(l+1) / speeds[i]
			}
			return argminRandom(score, r)
		},
	}
}

// TestIndependentSimulation checks the simulator against the simple one
// above with static speeds, one server at 0.25 and nine at 1, ρ = 0.8:
// jsq, p2c and sed agree within 1% on the mean response time. Both see the
// same arrivals and sizes (read back from the simulator's trace: common
// random numbers, so that 1% is not lost in the noise of two seeds), and
// each draws its own tie-breaks and samples, so the agreement is
// statistical, not a replay of the same decisions.
func TestIndependentSimulation(t *testing.T) {
	t.Parallel()
	speeds := []float64{0.25, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	nJobs, warmup := int(jobs(400_000)), int(jobs(40_000))
	policies := simplePicks(speeds)
	for _, name := range []string{"jsq", "p2c", "sed"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var trace bytes.Buffer
			res := run(t, sim.Config{
				Scenario: scenario.Scenario{Policy: name, Servers: 10, Speeds: speeds, Load: 0.8, Seed: 5},
				Jobs:     uint64(nJobs - warmup), Warmup: uint64(warmup), Trace: &trace,
			})
			mean, p99 := simpleFIFO(readTrace(t, &trace, speeds, nJobs), speeds, warmup, 0, policies[name])
			got := res.Metrics["response_mean"]
			rel := math.Abs(got-mean) / mean
			t.Logf("%s: simulator mean %.4f p99 %.4f; simple simulation mean %.4f p99 %.4f (mean differs by %.2f%%)",
				name, got, res.Metrics["response_p99"], mean, p99, 100*rel)
			if rel > 0.01 {
				t.Errorf("%s: simulator mean response %.4f, simple simulation %.4f: %.2f%% apart, more than 1%%", name, got, mean, 100*rel)
			}
		})
	}
}

// TestSlowServerStability checks the per-server stability report with one
// server at speed 0.25 among nine at 1: rr and random give every server a
// tenth of the arrivals, λ/10 = ρ·9.25/10, which exceeds the slow server's
// capacity 0.25 at ρ = 0.8 (0.74: unstable) and not at ρ = 0.2 (0.185,
// 74% of its capacity). sed, which knows the speeds, is stable at both.
func TestSlowServerStability(t *testing.T) {
	t.Parallel()
	speeds := []float64{0.25, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	for _, tc := range []struct {
		policy   string
		load     float64
		unstable bool
	}{
		{"rr", 0.8, true}, {"random", 0.8, true},
		{"rr", 0.2, false}, {"random", 0.2, false},
		{"sed", 0.8, false},
	} {
		res := run(t, sim.Config{
			Scenario: scenario.Scenario{Policy: tc.policy, Servers: 10, Speeds: speeds, Load: tc.load},
			Jobs:     jobs(50_000),
		})
		got := res.Params["unstable"] == true
		if got != tc.unstable {
			t.Errorf("%s at ρ=%g with a server at 0.25: unstable = %v, want %v (warnings %q)", tc.policy, tc.load, got, tc.unstable, res.Warnings)
		}
	}
}
