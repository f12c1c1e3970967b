package main

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/cluster"
	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/reports"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
	"github.com/stratbench/stratbench/workloads"
)

// clusterCommand is `stratbench run cluster`.
func clusterCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "cluster",
		Usage: "real worker processes over HTTP behind our balancer, nginx or HAProxy, with open-loop load and faults",
		UsageText: "stratbench run cluster --workers N --via ours|nginx|haproxy|direct --policy NAME --load RHO\n" +
			"    [--duration D | --jobs J] [--backends HOST:PORT,...] [--kill-worker-at D] [options]",
		Description: `Starts N worker processes on loopback (stratbench worker), the chosen balancer in
front of them, and sends open-loop requests at rate λ = ρ·N·capacity / (mean size ×
--unit): one request is one task whose size travels in the request. Response times
run from each request's intended arrival time (no coordinated omission) and are
given in units of --unit, with the simulator's metric names, so that --compare-sim
can put the simulator's prediction for the same flags and seed beside them.

--via ours is stratbench balance (the policy itself); nginx and haproxy get a
generated configuration with their nearest built-in policy (params.native_policy;
a warning says when it is only the nearest family); direct has no proxy: the load
generator places requests itself (client-side balancing).

Every process the run starts is stopped at the end, also on SIGINT or failure.
--fault slow:... stretches a worker's tasks, down:...,for=D makes it cut off
every request for D, and down without for kills it (SIGKILL); --kill-worker-at D
is down:server=0,at=D. The balancer must notice and keep serving.
Every request is accounted for: sent = succeeded + failed, checked.

--via and --policy take lists and run every combination with the same seed.

Examples:
  stratbench run cluster --workers 4 --via ours --policy p2c --load 0.7 --duration 10s
  stratbench run cluster --workers 4 --via ours,nginx,haproxy --policy jsq --load 0.8 --jobs 20000 --compare-sim
  stratbench run cluster --workers 3 --via haproxy --policy rr --load 0.5 --duration 10s --kill-worker-at 3s
  stratbench run cluster --workers 2 --kind spin --unit 2ms --policy jsq --load 0.6 --duration 5s
  stratbench run cluster --backends host1:9000,host2:9000 --policy p2c --load 0.7 --duration 30s

Balancers: ` + strings.Join(cluster.ViaNames(), ", ") + `; worker kinds: ` + strings.Join(worker.KindNames(), ", ") + `.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "via", Value: "ours", Usage: "balancer(s), comma-separated: " + strings.Join(cluster.ViaNames(), ", ")},
			&cli.StringFlag{Name: "policy", Value: "jsq", Usage: "dispatch policy or comma-separated list (stratbench list policies)"},
			&cli.IntFlag{Name: "workers", Value: 4, Usage: "worker processes started on loopback"},
			&cli.StringFlag{Name: "backends", Usage: "use workers already running (host:port,...) instead of starting any; see stratbench worker --help"},
			&cli.Float64Flag{Name: "load", Value: 0.7, Usage: "offered load ρ per unit of capacity"},
			&cli.DurationFlag{Name: "duration", Usage: "send requests for this long", DefaultText: "10s unless --jobs"},
			&cli.Uint64Flag{Name: "jobs", Usage: "send this many requests", DefaultText: "none"},
			&cli.DurationFlag{Name: "warmup", Usage: "leave requests due in the first D out of the latencies (still accounted)"},
			&cli.StringFlag{Name: "service", Value: "exp", Usage: "task size distribution in units (stratbench list distributions)"},
			&cli.StringFlag{Name: "arrival", Value: "poisson", Usage: "arrival process: poisson, det, onoff[:on=T,off=T]"},
			&cli.DurationFlag{Name: "unit", Value: time.Millisecond, Usage: "real duration of one unit of task size"},
			&cli.StringFlag{Name: "kind", Value: "sleep", Usage: "what a task does: " + strings.Join(worker.KindNames(), ", ")},
			&cli.IntFlag{Name: "capacity", Value: 1, Usage: "tasks each worker serves at once"},
			&cli.IntFlag{Name: "d", Value: 2, Usage: "choices of pod"},
			&cli.IntFlag{Name: "dispatchers", Value: 1, Usage: "dispatchers of jiq"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of arrivals, sizes, keys and the policy"},
			&cli.DurationFlag{Name: "kill-worker-at", Usage: "kill worker 0 (SIGKILL) this long into the load: the same as --fault down:server=0,at=D"},
			faultFlag, retryFlag, policyOptFlag,
			&cli.DurationFlag{Name: "timeout", Value: 30 * time.Second, Usage: "give up on a request after this long (counted as failed)"},
			&cli.BoolFlag{Name: "compare-sim", Usage: "also simulate the same flags and seed and show both, with relative errors"},
			&cli.Uint64Flag{Name: "sim-jobs", Value: 200_000, Usage: "jobs the simulator measures for --compare-sim (plus 10% warm-up)"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "output format: text, json (JSON Lines of result records) or bench (Go benchmark format)"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write the output to this file instead of stdout"},
			quietFlag,
		},
		Action: func(c *cli.Context) error { return clusterAction(c, e) },
	}
}

func clusterAction(c *cli.Context, e *env) error {
	format, err := begin(c)
	if err != nil {
		return err
	}
	vias := splitList(c.String("via"))
	policies := splitList(c.String("policy"))
	if len(vias) == 0 || len(policies) == 0 {
		return bad.Inputf("--via and --policy need at least one name each")
	}
	opts, err := policyOpts(c, policies)
	if err != nil {
		return err
	}
	svc, err := workloads.ParseSize(c.String("service"))
	if err != nil {
		return bad.Input(fmt.Errorf("--service: %w", err))
	}
	arr, err := workloads.ParseArrival(c.String("arrival"))
	if err != nil {
		return bad.Input(fmt.Errorf("--arrival: %w", err))
	}
	// cluster.Config checks the rest, naming its fields (mapped to flags);
	// here only what its defaults would hide: a 0 given for a count or
	// a unit.
	dur := c.Duration("duration")
	if !c.IsSet("duration") && !c.IsSet("jobs") {
		dur = 10 * time.Second
	}
	if c.IsSet("jobs") && c.Uint64("jobs") == 0 {
		return bad.Inputf("--jobs must be > 0")
	}
	if c.Int("d") < 1 {
		return bad.Inputf("-d must be >= 1, got %d", c.Int("d"))
	}
	if c.Int("capacity") < 1 {
		return bad.Inputf("--capacity must be >= 1, got %d", c.Int("capacity"))
	}
	if c.Int("dispatchers") < 1 {
		return bad.Inputf("--dispatchers must be >= 1, got %d", c.Int("dispatchers"))
	}
	if c.Duration("unit") == 0 {
		return bad.Inputf("--unit must be > 0")
	}
	base := cluster.Config{
		Scenario: scenario.Scenario{
			Servers: c.Int("workers"), Load: c.Float64("load"), Service: svc, Arrival: arr,
			D: c.Int("d"), Dispatchers: c.Int("dispatchers"), Seed: c.Uint64("seed"),
		},
		Backends: splitList(c.String("backends")),
		Kind:     c.String("kind"),
		Capacity: c.Int("capacity"),
		Unit:     c.Duration("unit"),
		Jobs:     c.Uint64("jobs"),
		Duration: dur,
		Warmup:   c.Duration("warmup"),
		Timeout:  c.Duration("timeout"),
		Launcher: e.launcher,
	}
	if err := faultFlags(c, &base.Scenario, base.Unit); err != nil {
		return err
	}
	if k := c.Duration("kill-worker-at"); c.IsSet("kill-worker-at") {
		if k <= 0 {
			return bad.Inputf("--kill-worker-at must be > 0, got %v", k)
		}
		base.Faults = append(base.Faults, cluster.KillWorker(0, k, base.Unit))
	}
	var cfgs []cluster.Config
	for _, p := range policies {
		for _, v := range vias {
			cfg := base
			cfg.Via, cfg.Policy, cfg.PolicyOpts = v, p, opts[p]
			if err := cfg.Validate(); err != nil {
				return err
			}
			cfgs = append(cfgs, cfg)
		}
	}
	// A missing nginx or HAProxy is found before anything runs.
	for _, v := range vias {
		if v == "nginx" || v == "haproxy" {
			if _, err := cluster.FindBinary(v); err != nil {
				return err
			}
		}
	}

	w, commit, abort, err := output(c, c.String("out"))
	if err != nil {
		return err
	}
	defer abort()
	var (
		results []metrics.Result
		pairs   [][2]int // indices of (cluster, sim) results
		runErr  error
	)
	for i := range cfgs {
		cfg := cfgs[i]
		clear := func() {}
		if showProgress(c) {
			var update func(done, total uint64)
			update, clear = progressLine(c.App.ErrWriter, "run cluster "+cluster.CaseName(&cfg))
			cfg.Progress = func(done, total uint64) {
				if total == 0 {
					total = uint64(math.Max(1, cfg.Load*float64(cfg.Servers*max(cfg.Capacity, 1))*cfg.Duration.Seconds()/(cfg.Service.Mean()*cfg.Unit.Seconds())))
				}
				update(done, total)
			}
		}
		res, err := cluster.Run(c.Context, cfg)
		clear()
		if res != nil {
			results = append(results, *res)
			if c.Bool("compare-sim") && err == nil {
				sr, serr := simFor(c, &cfg, res)
				if serr != nil {
					err = serr
				} else {
					metrics.Pair(&results[len(results)-1], sr)
					results = append(results, *sr)
					pairs = append(pairs, [2]int{len(results) - 2, len(results) - 1})
				}
			}
		}
		if err != nil {
			runErr = err
			break
		}
	}
	if len(results) > 0 {
		if err := writeResults(w, results, format); err != nil {
			return err
		}
		if format == "text" && len(pairs) > 0 {
			fmt.Fprintln(w)
			var paired []reports.Paired
			for _, p := range pairs {
				paired = append(paired, reports.Paired{Real: &results[p[0]], Sim: &results[p[1]]})
			}
			if err := reports.WritePaired(w, "Cluster against the simulator (same scenario and seed; times in units of --unit):", paired); err != nil {
				return err
			}
		}
		if err := commit(); err != nil {
			return err
		}
	}
	return runErr
}

// simFor simulates the cluster configuration: one server per worker,
// FIFO, the same policy, load, sizes, arrivals and seed, and as network
// delay the round trip of an empty task that run measured (res's
// network_delay), so that the comparison separates queueing from
// transport.
func simFor(c *cli.Context, cfg *cluster.Config, res *metrics.Result) (*metrics.Result, error) {
	if err := c.Context.Err(); err != nil {
		return nil, err
	}
	n := cfg.Servers
	if len(cfg.Backends) > 0 {
		n = len(cfg.Backends)
	}
	return sim.Run(c.Context, sim.Config{
		Scenario: scenario.Scenario{Policy: cfg.Policy, PolicyOpts: cfg.PolicyOpts, Servers: n * max(cfg.Capacity, 1), Load: cfg.Load, Service: cfg.Service, Arrival: cfg.Arrival, D: cfg.D, Dispatchers: cfg.Dispatchers, Seed: cfg.Seed, NetworkDelay: res.Metrics["network_delay"]},
		Jobs:     max(c.Uint64("sim-jobs"), 100),
		Warmup:   max(c.Uint64("sim-jobs"), 100) / 10,
	})
}
