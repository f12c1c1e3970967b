package suite

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/stratbench/stratbench/cluster"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/runs"
)

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

// runnable is the cluster run of r with env's launcher, or nil when its
// balancer is missing (nginx, HAProxy or Caddy: the run is skipped with a
// note on stderr).
func runnable(r *Run, env *Env) (*cluster.Config, error) {
	cfg, err := clusterConfig(r)
	if err != nil {
		return nil, err
	}
	if note := missingBalancer(&cfg); note != "" {
		fmt.Fprintf(env.Stderr, "stratbench suite: run %s: %s\n", r.ID, note)
		return nil, nil
	}
	cfg.Launcher = env.Launcher
	return &cfg, nil
}

// runCluster runs the cluster alone.
func runCluster(ctx context.Context, r *Run, env *Env) ([]metrics.Result, error) {
	cfg, err := runnable(r, env)
	if cfg == nil {
		return nil, err
	}
	res, err := cluster.Run(ctx, *cfg)
	if err != nil {
		return nil, err
	}
	return []metrics.Result{*res}, nil
}

// runClusterBoth runs the cluster, then its model (runs.ModelCluster: the
// simulator with the round trip the run measured as its network delay,
// and the run's own jobs replayed), and pairs the two (the cluster's
// record carries sim_<metric>, <metric>_rel_err and gap_*).
func runClusterBoth(ctx context.Context, r *Run, env *Env) ([]metrics.Result, error) {
	cfg, err := runnable(r, env)
	if cfg == nil {
		return nil, err
	}
	arr := &cluster.Arrivals{}
	cfg.OnRequest = arr.Add
	res, err := cluster.Run(ctx, *cfg)
	if err != nil {
		return nil, err
	}
	s, err := runs.ModelCluster(ctx, cfg, res, uint64(r.Int("sim_jobs", 200_000)), arr)
	if err != nil {
		return nil, err
	}
	return []metrics.Result{*res, *s}, nil
}
