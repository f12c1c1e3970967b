package runs

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/stratbench/stratbench/cluster"
	"github.com/stratbench/stratbench/cluster/loadgen"
	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/field"
	"github.com/stratbench/stratbench/internal/fsutil"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/reports"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

// Cluster is the run cluster command: the cluster run Base (cluster.Run)
// with every policy (outer) through every balancer, each followed by its
// simulated twin when CompareSim.
type Cluster struct {
	Base     cluster.Config
	Vias     []string
	Policies []string
	Opts     strategies.PolicyOptions
	// KillWorkerAt, when > 0, kills worker 0 that long into the load
	// (cluster.KillWorker), besides the scenario's faults.
	KillWorkerAt time.Duration
	// CompareSim runs each case's model after it (ModelCluster, SimJobs
	// measured jobs) and pairs the two records.
	CompareSim bool
	SimJobs    uint64
	// RequestsOut, when set, is a CSV file of every request's times
	// (cluster.RequestLog).
	RequestsOut string
	// durationGiven and warmupGiven say Base.Duration and Base.Warmup were
	// set: else a run without a number of jobs lasts 10s, and its first
	// tenth is its warm-up (cluster.SetDefaultWarmup).
	durationGiven, warmupGiven bool
	Output
}

// ClusterFields are the settings of Cluster (the flags of `stratbench run
// cluster`); the field servers is set by the flag workers.
func ClusterFields() []field.Field[Cluster] {
	sc := scenario.Fields(func(c *Cluster) *scenario.Scenario { return &c.Base.Scenario }, func(c *Cluster) time.Duration { return c.Base.Unit })
	sc = field.WithHelp(sc, "service", "task size distribution in units (stratbench list distributions)",
		"arrival", "arrival process: poisson, det, onoff[:on=T,off=T]", "seed", "seed of arrivals, sizes, keys and the policy")
	names := func(name, usage, def string, p func(*Cluster) *[]string) field.Field[Cluster] {
		return field.Field[Cluster]{Name: name, Kind: field.String, Usage: usage, Default: def,
			Set: func(c *Cluster, v string) error { *p(c) = field.Split(v); return nil }}
	}
	fs := []field.Field[Cluster]{
		names("via", "balancer(s), comma-separated: "+strings.Join(cluster.ViaNames(), ", "), "ours", func(c *Cluster) *[]string { return &c.Vias }),
		names("policy", "dispatch policy or comma-separated list (stratbench list policies)", "jsq", func(c *Cluster) *[]string { return &c.Policies }),
		field.Count("workers", "worker processes started on loopback", "4", field.NoMin, func(c *Cluster) *int { return &c.Base.Servers }),
		names("backends", "use workers already running (host:port,...) instead of starting any; see stratbench worker --help", "", func(c *Cluster) *[]string { return &c.Base.Backends }),
		field.Number("load", "offered load ρ per unit of capacity", "0.7", func(c *Cluster) *float64 { return &c.Base.Load }),
		{Name: "duration", Kind: field.Duration, Usage: "send requests for this long", DefaultText: "10s unless --jobs",
			Set: func(c *Cluster, v string) (err error) {
				c.durationGiven = true
				c.Base.Duration, err = field.ParseDuration("duration", v, time.Duration(field.NoMin))
				return err
			}},
		{Name: "jobs", Kind: field.Uint, Usage: "send this many requests", DefaultText: "none",
			Set: func(c *Cluster, v string) error {
				if v == "0" {
					return bad.Field("jobs", "must be > 0")
				}
				return field.Big("jobs", "", "", func(c *Cluster) *uint64 { return &c.Base.Jobs }).Set(c, v)
			}},
		{Name: "warmup", Kind: field.Duration, Usage: "leave requests due in the first D out of the latencies (still accounted)", DefaultText: "a tenth of the run, as the simulator's",
			Set: func(c *Cluster, v string) (err error) {
				c.warmupGiven = true
				c.Base.Warmup, err = field.ParseDuration("warmup", v, time.Duration(field.NoMin))
				return err
			}},
	}
	fs = append(fs, field.Pick(sc, "service", "arrival")...)
	fs = append(fs,
		field.Time("unit", "real duration of one unit of task size", "1ms", time.Nanosecond, func(c *Cluster) *time.Duration { return &c.Base.Unit }),
		field.Text("kind", "what a task does: "+strings.Join(worker.KindNames(), ", "), "sleep", func(c *Cluster) *string { return &c.Base.Kind }),
		field.Count("capacity", "tasks each worker serves at once", "1", 1, func(c *Cluster) *int { return &c.Base.Capacity }))
	fs = append(fs, field.Pick(sc, "d", "dispatchers", "seed")...)
	fs = append(fs, field.Time("kill_worker_at", "kill worker 0 (SIGKILL) this long into the load: the same as --fault down:server=0,at=D", "", time.Nanosecond,
		func(c *Cluster) *time.Duration { return &c.KillWorkerAt }))
	fs = append(fs, field.Pick(sc, "fault", "retry")...)
	fs = append(fs, scenario.OptsField(func(c *Cluster) []string { return c.Policies }, func(c *Cluster, po strategies.PolicyOptions) { c.Opts = po }),
		field.Time("timeout", "give up on a request after this long (counted as failed)", "30s", time.Duration(field.NoMin), func(c *Cluster) *time.Duration { return &c.Base.Timeout }),
		field.Flag("compare_sim", "also simulate the same flags and seed and show both, with relative errors", func(c *Cluster) *bool { return &c.CompareSim }),
		field.Big("sim_jobs", "jobs the simulator measures for --compare-sim (plus 10% warm-up)", "200000", func(c *Cluster) *uint64 { return &c.SimJobs }))
	fs = append(fs, outputFields(func(c *Cluster) *Output { return &c.Output })...)
	return append(fs, field.Text("requests_out", "write every request's times (load generator and worker) to this CSV file: the evidence behind the figures (columns: stratbench run cluster --help)", "",
		func(c *Cluster) *string { return &c.RequestsOut }))
}

// Run checks every case (and that an external balancer asked for is
// installed) before running any, runs them with their models and writes
// the records, and the requests' times when asked.
func (c *Cluster) Run(ctx context.Context, env Env) error {
	if len(c.Vias) == 0 || len(c.Policies) == 0 {
		return bad.Field("", "{via} and {policy} need at least one name each")
	}
	base := c.Base
	if !c.durationGiven && base.Jobs == 0 {
		base.Duration = 10 * time.Second
	}
	if !c.warmupGiven {
		cluster.SetDefaultWarmup(&base)
	}
	if c.KillWorkerAt > 0 {
		base.Faults = append(base.Faults, cluster.KillWorker(0, c.KillWorkerAt, base.Unit))
	}
	base.Launcher = env.Launcher
	var reqs *cluster.RequestLog
	var cases []kase
	for _, p := range c.Policies {
		for _, v := range c.Vias {
			cfg := base
			cfg.Via, cfg.Policy, cfg.PolicyOpts = v, p, c.Opts[p]
			if err := cfg.Validate(); err != nil {
				return err
			}
			cases = append(cases, kase{"run cluster " + cluster.CaseName(&cfg), func(ctx context.Context, progress func(done, total uint64)) ([]metrics.Result, error) {
				if progress != nil {
					cfg.Progress = func(done, total uint64) {
						if total == 0 { // bounded by time: the requests expected
							total = uint64(math.Max(1, cfg.Load*float64(cfg.Servers*max(cfg.Capacity, 1))*cfg.Duration.Seconds()/(cfg.Service.Mean()*cfg.Unit.Seconds())))
						}
						progress(done, total)
					}
				}
				var arr *cluster.Arrivals
				if c.CompareSim {
					arr = &cluster.Arrivals{}
				}
				cfg.OnRequest = onRequests(reqs, &cfg, arr)
				res, err := cluster.Run(ctx, cfg)
				if res == nil || err != nil || !c.CompareSim {
					return one(res), err
				}
				model, err := ModelCluster(ctx, &cfg, res, c.SimJobs, arr)
				if err != nil {
					return one(res), err
				}
				return []metrics.Result{*res, *model}, nil
			}})
		}
	}
	for _, v := range c.Vias {
		if cluster.IsExternal(v) {
			if _, err := cluster.FindBinary(v); err != nil {
				return err
			}
		}
	}
	if c.RequestsOut == "" {
		return execute(ctx, cases, c.Output, env)
	}
	if c.RequestsOut == c.Path || c.RequestsOut == "-" {
		return bad.Field("requests_out", "needs a file of its own, not %q", c.RequestsOut)
	}
	f, err := fsutil.Create(c.RequestsOut)
	if err != nil {
		return err
	}
	defer f.Abort()
	reqs = cluster.NewRequestLog(f)
	return execute(ctx, cases, c.Output, env, func() error {
		if err := reqs.Flush(); err != nil {
			return err
		}
		return f.Commit()
	})
}

// onRequests is the OnRequest of a run that logs its requests to log and
// keeps them in arr for the model's replay (either may be nil).
func onRequests(log *cluster.RequestLog, cfg *cluster.Config, arr *cluster.Arrivals) func(*loadgen.Request) {
	switch {
	case log == nil && arr == nil:
		return nil
	case log == nil:
		return arr.Add
	case arr == nil:
		return log.For(cfg)
	}
	add := log.For(cfg)
	return func(r *loadgen.Request) {
		add(r)
		arr.Add(r)
	}
}

// ModelCluster simulates the model of the cluster run of cfg that gave
// run: one server per slot of a worker, FIFO, the same policy, load,
// sizes, arrivals and seed (simJobs jobs and a tenth more as warm-up), and
// as network delay the round trip of an empty task that the run measured
// (run's network_delay), so that the comparison separates queueing from
// transport, and as view delay the round trip between the dispatcher and
// the workers (run's view_delay), so that the model's policy sees a
// worker's load as late as the balancer does. It pairs the two (run gets sim_<metric> and <metric>_rel_err)
// and splits the error of the mean (reports.ModelGap, the gap_* metrics).
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
	sc.ViewDelay = run.Metrics["view_delay"]
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
	if g, ok := reports.ModelGap(run, s); ok {
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
