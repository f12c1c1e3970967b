package suite

import (
	"context"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/stratbench/stratbench/cluster"
	"github.com/stratbench/stratbench/cluster/procs"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
	"github.com/stratbench/stratbench/workloads"
)

// ClusterLauncher starts stratbench's own child processes for cluster
// cases (workers, our balancer, the guard of nginx and HAProxy); the
// zero value runs this executable, tests replace it.
var ClusterLauncher procs.Launcher

func init() {
	nan := math.NaN()
	registerType(Type{
		Name: "cluster",
		Help: "real worker processes over HTTP behind our balancer, nginx, HAProxy or Caddy (run cluster); engine both adds the simulator's prediction with the measured round trip of an empty task as the network delay",
		// both first: a cluster case is compared with the model unless it
		// says engine: harness.
		Engines: []string{"both", "harness"},
		Params: append([]Param{
			{"via", String, "balancer: ours, nginx, haproxy, caddy or direct (a missing nginx, HAProxy or Caddy skips the run with a note)", nan, false},
			{"workers", Int, "worker processes on loopback", 1, false},
			{"kind", String, "what a task does (stratbench list worker-kinds; default sleep)", nan, false},
			{"capacity", Int, "tasks each worker serves at once (default 1)", 1, false},
			{"policy", String, "dispatch policy (stratbench list policies)", nan, false},
			{"d", Int, "choices of pod", 1, false},
			{"dispatchers", Int, "dispatchers of jiq", 1, false},
			{"load", Float, "offered load per unit of capacity", 0, false},
			{"service", String, "task-size distribution in units (default exp)", nan, false},
			{"arrival", String, "arrival process: poisson, det, onoff", nan, false},
			{"unit", Duration, "real duration of one unit of task size (default 1ms)", nan, false},
			{"duration", Duration, "send requests for this long (default 10s unless jobs)", nan, false},
			{"jobs", Int, "send this many requests instead", 1, false},
			{"warmup", Duration, "requests due in the first D are left out of the latencies (default: a tenth of the run, as the simulator's)", nan, false},
			{"faults", String, "timed events, all applied in one run: slow:server=I,speed=S,at=T[,for=D] or down:server=I,at=T[,for=D], T and D durations (2s); down without for kills the worker", nan, true},
			{"kill_worker_at", Duration, "kill worker 0 (SIGKILL) this long into the load: the fault down:server=0,at=D", nan, false},
			{"sim_jobs", Int, "jobs the simulator measures for engine both (default 200000)", 100, false},
			{"seed", Int, "seed of this case's runs", 0, false},
		}, policyOptParams()...),
	})
	registerRunner("cluster", "both", Runner{Check: checkCluster, Run: runClusterBoth})
	registerRunner("cluster", "harness", Runner{Check: checkCluster, Run: runCluster})
}

// clusterConfig builds the cluster run of a suite run.
func clusterConfig(r *Run) (cluster.Config, error) {
	unit := r.Duration("unit", time.Millisecond)
	sc, err := scenarioOf(r, unit)
	if err != nil {
		return cluster.Config{}, err
	}
	sc.Servers = int(r.Int("workers", 4))
	if r.Has("servers") {
		return cluster.Config{}, fmt.Errorf("a cluster case counts workers, not servers")
	}
	if r.Has("kill_worker_at") {
		sc.Faults = append(sc.Faults, cluster.KillWorker(0, r.Duration("kill_worker_at", 0), unit))
	}
	cfg := cluster.Config{
		Scenario: sc,
		Via:      r.Str("via", "ours"),
		Kind:     r.Str("kind", "sleep"),
		Capacity: int(r.Int("capacity", 1)),
		Unit:     unit,
		Jobs:     uint64(r.Int("jobs", 0)),
		Warmup:   r.Duration("warmup", 0),
		Launcher: ClusterLauncher,
	}
	if cfg.Jobs == 0 {
		cfg.Duration = r.Duration("duration", 10*time.Second)
	} else if r.Has("duration") {
		return cluster.Config{}, fmt.Errorf("give jobs or duration, not both")
	}
	if !r.Has("warmup") {
		cluster.SetDefaultWarmup(&cfg)
	}
	return cfg, nil
}

func checkCluster(r *Run) error {
	cfg, err := clusterConfig(r)
	if err != nil {
		return err
	}
	return cfg.Validate()
}

// missingBalancer returns a one-line note when the run's balancer is not
// installed, else "".
func missingBalancer(cfg *cluster.Config) string {
	if !cluster.IsExternal(cfg.Via) {
		return ""
	}
	if _, err := cluster.FindBinary(cfg.Via); err != nil {
		return fmt.Sprintf("%s is not installed: its cluster runs are skipped (%v)", cfg.Via, err)
	}
	return ""
}

// runCluster runs the cluster alone; a missing nginx, HAProxy or Caddy skips it
// with a note on stderr.
func runCluster(ctx context.Context, r *Run, env *Env) ([]metrics.Result, error) {
	cfg, err := clusterConfig(r)
	if err != nil {
		return nil, err
	}
	if note := missingBalancer(&cfg); note != "" {
		fmt.Fprintf(env.Stderr, "stratbench suite: run %s: %s\n", r.ID, note)
		return nil, nil
	}
	res, err := cluster.Run(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return []metrics.Result{*res}, nil
}

// ModelCluster simulates the model of the cluster run of cfg that gave
// run: one server per slot of a worker, FIFO, the same policy, load,
// sizes, arrivals and seed (simJobs jobs and a tenth more as warm-up), and
// as network delay the round trip of an empty task that the run measured
// (run's network_delay), so that the comparison separates queueing from
// transport. It pairs the two (run gets sim_<metric> and <metric>_rel_err)
// and splits the error of the mean (cluster.ModelGap, the gap_* metrics).
// With arr, the requests the run recorded, it also replays the run's own
// jobs through the model, at the times they were due and at the times
// they were sent (run's replay_wait_mean and replay_sent_wait_mean), which
// splits the excess wait into chance, the generator's bunching and the
// balancer's placement.
func ModelCluster(ctx context.Context, cfg *cluster.Config, run *metrics.Result, simJobs uint64, arr *cluster.Arrivals) (*metrics.Result, error) {
	sc := cfg.Scenario
	if len(cfg.Backends) > 0 {
		sc.Servers = len(cfg.Backends)
	}
	sc.Servers *= max(cfg.Capacity, 1)
	sc.NetworkDelay = run.Metrics["network_delay"]
	simJobs = max(simJobs, 100)
	s, err := sim.Run(ctx, sim.Config{Scenario: sc, Jobs: simJobs, Warmup: simJobs / 10})
	if err != nil {
		return nil, err
	}
	if arr != nil && arr.Len() > 1 && len(cfg.Faults) == 0 {
		for _, sent := range []bool{false, true} {
			w, err := replayWait(ctx, cfg, sc, arr, sent)
			if err != nil {
				run.Warnings = append(run.Warnings, "replaying the run's jobs through the model: "+err.Error())
				break
			}
			if sent {
				run.Metrics["replay_sent_wait_mean"] = w
			} else {
				run.Metrics["replay_wait_mean"] = w
			}
		}
	}
	metrics.Pair(run, s)
	if g, ok := cluster.ModelGap(run, s); ok {
		g.Record(run)
	}
	return s, nil
}

// replayWait simulates sc on the run's own requests (arr), at the times
// they were due or sent, and returns the mean wait of those the run
// measured.
func replayWait(ctx context.Context, cfg *cluster.Config, sc scenario.Scenario, arr *cluster.Arrivals, sent bool) (float64, error) {
	trace, warm, err := arr.Trace(cfg, sent)
	if err != nil {
		return 0, err
	}
	f, err := os.CreateTemp("", "stratbench-replay-*.csv")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(trace)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	sc.Arrival, err = workloads.ParseArrival("trace:" + f.Name())
	if err != nil {
		return 0, err
	}
	sc.Load = 0 // as recorded
	n := uint64(arr.Len())
	if warm >= n {
		return 0, fmt.Errorf("all %d requests were in the warm-up", n)
	}
	r, err := sim.Run(ctx, sim.Config{Scenario: sc, Jobs: n - warm, Warmup: warm})
	if err != nil {
		return 0, err
	}
	w, ok := r.Metrics["wait_mean"]
	if !ok {
		return 0, fmt.Errorf("the replay measured no wait")
	}
	return w, nil
}

// runClusterBoth runs the cluster, then its model (ModelCluster: the
// simulator with the round trip the run measured as its network delay,
// and the run's own jobs replayed), and pairs the two (the cluster's
// record carries sim_<metric>, <metric>_rel_err and gap_*).
func runClusterBoth(ctx context.Context, r *Run, env *Env) ([]metrics.Result, error) {
	cfg, err := clusterConfig(r)
	if err != nil {
		return nil, err
	}
	if note := missingBalancer(&cfg); note != "" {
		fmt.Fprintf(env.Stderr, "stratbench suite: run %s: %s\n", r.ID, note)
		return nil, nil
	}
	arr := &cluster.Arrivals{}
	cfg.OnRequest = arr.Add
	res, err := cluster.Run(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s, err := ModelCluster(ctx, &cfg, res, uint64(r.Int("sim_jobs", 200_000)), arr)
	if err != nil {
		return nil, err
	}
	return []metrics.Result{*res, *s}, nil
}
