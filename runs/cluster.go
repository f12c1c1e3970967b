package runs

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/stratbench/stratbench/cluster"
	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/field"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
	"github.com/stratbench/stratbench/strategies"
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
	// CompareSim simulates each case after it ran (ClusterTwin, SimJobs
	// measured jobs) and pairs the two records.
	CompareSim bool
	SimJobs    uint64
	// durationGiven says Base.Duration was set: else a run without a
	// number of jobs lasts 10s.
	durationGiven bool
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
		field.Time("warmup", "leave requests due in the first D out of the latencies (still accounted)", "", time.Duration(field.NoMin), func(c *Cluster) *time.Duration { return &c.Base.Warmup }),
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
	return append(fs, outputFields(func(c *Cluster) *Output { return &c.Output })...)
}

// Run checks every case (and that nginx or HAProxy is installed when
// asked for) before running any, runs them with their twins and writes
// the records.
func (c *Cluster) Run(ctx context.Context, env Env) error {
	if len(c.Vias) == 0 || len(c.Policies) == 0 {
		return bad.Field("", "{via} and {policy} need at least one name each")
	}
	base := c.Base
	if !c.durationGiven && base.Jobs == 0 {
		base.Duration = 10 * time.Second
	}
	if c.KillWorkerAt > 0 {
		base.Faults = append(base.Faults, cluster.KillWorker(0, c.KillWorkerAt, base.Unit))
	}
	base.Launcher = env.Launcher
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
				res, err := cluster.Run(ctx, cfg)
				if res == nil || err != nil || !c.CompareSim {
					return one(res), err
				}
				twin, err := sim.Run(ctx, ClusterTwin(cfg, res, c.SimJobs))
				if err != nil {
					return one(res), err
				}
				metrics.Pair(res, twin)
				return []metrics.Result{*res, *twin}, nil
			}})
		}
	}
	for _, v := range c.Vias {
		if v == "nginx" || v == "haproxy" {
			if _, err := cluster.FindBinary(v); err != nil {
				return err
			}
		}
	}
	return execute(ctx, cases, c.Output, env)
}

// ClusterTwin is the simulation of a cluster run that measured res: its
// scenario with one server per task a worker serves at once (FIFO), and
// as network delay the round trip of an empty task the run measured
// (res's network_delay), so that the comparison separates queueing from
// transport; jobs (at least 100) are measured after a tenth as many.
func ClusterTwin(cfg cluster.Config, res *metrics.Result, jobs uint64) sim.Config {
	sc := cfg.Scenario
	if len(cfg.Backends) > 0 {
		sc.Servers = len(cfg.Backends)
	}
	sc.Servers *= max(cfg.Capacity, 1)
	sc.NetworkDelay = res.Metrics["network_delay"]
	jobs = max(jobs, 100)
	return sim.Config{Scenario: sc, Jobs: jobs, Warmup: jobs / 10}
}
