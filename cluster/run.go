package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"net"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/stratbench/stratbench/cluster/loadgen"
	"github.com/stratbench/stratbench/cluster/procs"
	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/strategies"
)

// Config describes one cluster run.
type Config struct {
	// Scenario is what runs: policy (with D, Dispatchers and PolicyOpts),
	// load, distributions of task sizes in Unit, seed (arrivals, sizes,
	// keys and the policy), faults (times in Unit: a down fault without an
	// end kills the worker, see KillWorker). Servers is the number of
	// worker processes started on loopback; every worker serves at speed
	// 1.
	scenario.Scenario
	// Via is how requests reach the workers (Vias): ours, nginx, haproxy
	// or direct.
	Via string
	// Backends, when set, are workers already running (on this machine or
	// others) used instead of starting any; Servers is then their number.
	Backends []string
	// Kind is what a worker does for a task (worker.Kinds); Capacity is the number
	// of tasks each worker serves at once (default 1: one worker is one
	// server of the simulator).
	Kind     string
	Capacity int
	// Unit is the real duration of one unit of size (default 1ms).
	Unit time.Duration
	// Jobs or Duration bound the run (exactly one is set).
	Jobs     uint64
	Duration time.Duration
	// Warmup leaves the requests intended before it out of the latencies,
	// WarmupJobs the first WarmupJobs requests (SetDefaultWarmup: the
	// simulator's share).
	Warmup     time.Duration
	WarmupJobs uint64
	// Timeout bounds each request (default 30s).
	Timeout time.Duration
	// procs.Launcher starts stratbench's own child processes.
	Launcher procs.Launcher
	// StartTimeout bounds how long each process may take to be ready
	// (default 10s).
	StartTimeout time.Duration
	// Progress, when set, is called now and then with the requests sent so
	// far and the total (0 when bounded by time).
	Progress func(done, total uint64)
	// OnRequest, when set, is told of every request as it ends (the load
	// generator's and the worker's times: loadgen.Request).
	OnRequest func(r *loadgen.Request)
}

// maxWorkers bounds the worker processes of a run on one machine.
const maxWorkers = 256

// Validate checks c; its errors are bad input.
func (c *Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

func (c *Config) withDefaults() (Config, error) {
	x := *c
	if x.Via == "" {
		x.Via = "ours"
	}
	if x.Kind == "" {
		x.Kind = "sleep"
	}
	if x.Capacity == 0 {
		x.Capacity = 1
	}
	if x.Unit == 0 {
		x.Unit = time.Millisecond
	}
	if x.Timeout == 0 {
		x.Timeout = 30 * time.Second
	}
	if x.StartTimeout == 0 {
		x.StartTimeout = 10 * time.Second
	}
	if len(x.Backends) > 0 {
		x.Servers = len(x.Backends)
	}
	if x.Servers <= maxWorkers {
		x.Scenario = x.Scenario.WithDefaults()
	}
	err := func() error {
		switch {
		case !slices.Contains(ViaNames(), x.Via):
			return bad.Field("via", ": unknown balancer %q (known: %s)", x.Via, strings.Join(ViaNames(), ", "))
		case !slices.Contains(strategies.PolicyNames(), x.Policy):
			return bad.Field("policy", ": unknown policy %q (known: %s)", x.Policy, strings.Join(strategies.PolicyNames(), ", "))
		case strategies.ValidateOptions(x.Policy, x.PolicyOpts) != nil:
			return bad.Field("policy_opt", ": %v", strategies.ValidateOptions(x.Policy, x.PolicyOpts))
		case !slices.Contains(worker.KindNames(), x.Kind):
			return bad.Field("kind", ": unknown worker kind %q (known: %s)", x.Kind, strings.Join(worker.KindNames(), ", "))
		case x.Servers < 1:
			return bad.Field("servers", "must be >= 1, got %d", x.Servers)
		case x.Servers > maxWorkers:
			return bad.Field("servers", "must be <= %d on one machine, got %d", maxWorkers, x.Servers)
		case !strategies.UniformSpeeds(x.Speeds) || x.Weights != nil:
			return bad.Field("speeds", "and weights: every worker of a cluster run serves at speed 1")
		case x.Capacity < 1:
			return bad.Field("capacity", "must be >= 1, got %d", x.Capacity)
		case !(x.Load > 0) || math.IsInf(x.Load, 0):
			return bad.Field("load", "must be a number > 0, got %g", x.Load)
		case x.Load >= 1 && x.Jobs == 0 && x.Duration == 0:
			return bad.Field("load", "%g >= 1 is unstable: bound the run with a number of jobs or a duration", x.Load)
		case x.Unit <= 0:
			return bad.Field("unit", "must be > 0, got %v", x.Unit)
		case x.Jobs > 0 && x.Duration > 0:
			return errors.New("give jobs or a duration, not both")
		case x.Jobs == 0 && x.Duration <= 0:
			return bad.Field("duration", "must be > 0 (or a number of jobs given) to bound the run, got %v", x.Duration)
		case x.Warmup < 0:
			return bad.Field("warmup", "must be >= 0, got %v", x.Warmup)
		case len(x.Faults) > 0 && len(x.Backends) > 0:
			return bad.Field("backends", "are already running: faults (and killing a worker) need workers started by this run")
		case x.Timeout < 0:
			return bad.Field("timeout", "must be >= 0, got %v", x.Timeout)
		case x.Arrival.Trace() != nil:
			return bad.Field("arrival", ": a trace is not supported by cluster runs yet")
		}
		for _, a := range x.Backends {
			if _, _, err := net.SplitHostPort(a); err != nil {
				return bad.Field("backends", ": %q is not host:port", a)
			}
		}
		for _, f := range x.Faults {
			at := time.Duration(f.At * float64(x.Unit))
			switch {
			case x.Duration > 0 && at >= x.Duration:
				return bad.Field("fault", "%s (times in units of %v): at %v, not before the end of the load (duration %v): it would never apply", f, x.Unit, at, x.Duration)
			case f.Kind == scenario.FaultDown && f.For == 0 && x.Servers < 2:
				return bad.Field("fault", "%s (down without for: a kill) needs at least 2 workers, so that the others keep serving", f)
			}
		}
		// The scenario's own checks: faults on workers that exist, one at a
		// time on each.
		if err := x.Scenario.ValidateUpTo(maxWorkers); err != nil {
			return err
		}
		if _, err := x.NewPolicy(0); err != nil {
			return err
		}
		return nil
	}()
	return x, bad.Input(err)
}

// clientConns bounds the load generator's connections to a balancer in
// front of capacity slots: 16 a slot, at least 64. The model's queue seldom
// comes near (4 slots at ρ=0.7 hold 64 jobs with a probability of about
// 1e-10), so the bound binds only when the generator sends a stalled
// backlog at once, and then keeps it from opening hundreds of connections
// (measured: 560 to 1,900 client connections open at load 16 without a
// bound, about 6 jobs in the system on average).
func clientConns(capacity int) int { return max(64, 16*capacity) }

// SetDefaultWarmup leaves the first tenth of the run out of the
// latencies, as the simulator leaves out the first tenth of its jobs
// (run cluster --compare-sim and cluster suite cases model the run with
// it): a tenth of the duration, or of the jobs. Both start with empty
// queues; the real run also with connections and timers yet to settle.
func SetDefaultWarmup(c *Config) {
	if c.Duration > 0 {
		c.Warmup = c.Duration / 10
	} else {
		c.WarmupJobs = c.Jobs / 10
	}
}

// CaseName is the benchmark-style name of a cluster case.
func CaseName(c *Config) string {
	kv := []any{"via", c.Via, "policy", c.Policy, "workers", c.Servers, "load", c.Load}
	if c.Kind != "" && c.Kind != "sleep" {
		kv = append(kv, "kind", c.Kind)
	}
	if c.Capacity > 1 {
		kv = append(kv, "capacity", c.Capacity)
	}
	if c.Service != nil && c.Service.String() != "exp" {
		kv = append(kv, "service", c.Service.String())
	}
	if c.Arrival != nil && c.Arrival.String() != "poisson" {
		kv = append(kv, "arrival", c.Arrival.String())
	}
	kv = append(kv, strategies.PolicyConfig{Options: c.PolicyOpts}.NameParams(c.Policy)...)
	if len(c.Faults) > 0 {
		kv = append(kv, "faults", scenario.FaultsName(c.Faults))
	}
	return metrics.Name(kv...)
}

// KillWorker is the fault that kills worker i (SIGKILL) at after the load
// starts: a down fault without an end, in units of unit (what run
// cluster's --kill-worker-at and a cluster case's kill_worker_at mean).
func KillWorker(i int, at, unit time.Duration) scenario.Fault {
	return scenario.Fault{Kind: scenario.FaultDown, Server: i, At: float64(at) / float64(unit)}
}

// Run starts the workers (unless cfg.Backends are given) and the balancer,
// sends open-loop load through it, and returns the result record (engine
// "harness", family "Cluster"). Every process it started is stopped before
// it returns, whatever happens. The request accounting is checked: a run in
// which sent != succeeded + failed is an error. If ctx is cancelled it
// returns the result of what was measured so far with ctx's error.
func Run(ctx context.Context, cfg Config) (res *metrics.Result, err error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	st, err := StartStack(ctx, StackConfig{
		Via: c.Via, Policy: c.Policy, D: c.D, Dispatchers: c.Dispatchers, PolicyOpts: c.PolicyOpts,
		Workers: c.Servers, Backends: c.Backends, Kind: c.Kind, Capacity: c.Capacity, AcceptFaults: len(c.Faults) > 0,
		Seed: c.Seed, Unit: c.Unit, Launcher: c.Launcher, StartTimeout: c.StartTimeout,
	})
	if err != nil {
		return nil, err
	}
	defer st.Stop()
	bh, addrs, workers := st.bal, st.Backends, st.Workers
	target, transport := st.Target, st.Transport
	capacity := 0
	for _, in := range st.infos {
		capacity += in.Capacity
	}

	// The transport's fixed cost, before the load: --compare-sim models it
	// as the scenario's network delay. The workers count from after it.
	rt, rtErr := MeasureRoundTrip(ctx, target, transport, roundTripWarm, roundTripN, c.Timeout)
	// The dispatcher's own round trip to the workers: how late it learns
	// that a worker is done (direct's dispatcher is the load generator).
	view, viewErr, viewMethod := rt, rtErr, fmt.Sprintf("the network delay's round trip: via direct the load generator dispatches (%d empty tasks one at a time; their median)", roundTripN)
	if c.Via != "direct" && rtErr == nil {
		view, viewErr = MeasureWorkerRoundTrip(ctx, addrs, roundTripWarm/4, roundTripN, c.Timeout)
		viewMethod = fmt.Sprintf("%d empty tasks one at a time from the load generator straight to each worker, as the balancer's own round trip to them (their median)", view.N)
	}
	if rtErr == nil {
		if infos, err := workerInfos(ctx, st.Backends); err == nil {
			st.infos = infos
		}
	}

	rate := c.Load * float64(capacity) / (c.Service.Mean() * c.Unit.Seconds())
	lc := loadgen.Config{
		Target:     target,
		Transport:  transport,
		Rate:       rate,
		Arrival:    c.Arrival,
		Service:    c.Service,
		Unit:       c.Unit,
		Jobs:       c.Jobs,
		Duration:   c.Duration,
		Warmup:     c.Warmup,
		WarmupJobs: c.WarmupJobs,
		Seed:       c.Seed,
		Timeout:    c.Timeout,
		Progress:   c.Progress,
		OnRequest:  c.OnRequest,
		MaxConns:   clientConns(capacity),
	}
	if fr := newFaultRunner(&c, addrs); fr != nil {
		defer fr.stop()
		lc.OnStart = func(t time.Time) { fr.schedule(ctx, &c, workers, addrs, t) }
		lc.OnDone = fr.done
		defer func() {
			if res != nil {
				fr.finish(res)
			}
		}()
	}
	load0, loadAvgErr := procs.LoadAvg()
	cpu0 := st.cpuTime()
	lr, loadErr := loadgen.Generate(ctx, lc)
	if lr == nil {
		return nil, loadErr
	}
	cpu1 := st.cpuTime()
	load1, loadAvgErr1 := procs.LoadAvg()
	if loadErr != nil && !errors.Is(loadErr, context.Canceled) && !errors.Is(loadErr, context.DeadlineExceeded) {
		return nil, loadErr // the accounting check failed
	}
	res = assemble(&c, lr, rate, capacity, addrs, bh.native)
	if lr.Sent > 0 && cpu1 > cpu0 {
		res.Metrics["stack_cpu_ns_per_task"] = float64((cpu1 - cpu0).Nanoseconds()) / float64(lr.Sent)
	}
	if loadAvgErr == nil && loadAvgErr1 == nil {
		res.Params["loadavg_1m_start"], res.Params["loadavg_1m_end"] = load0, load1
		if cores := runtime.NumCPU(); max(load0, load1) > float64(cores) {
			res.Warnings = append(res.Warnings, fmt.Sprintf("the machine was busy (load average %.1f then %.1f on %d cores): the load generator's lateness, the transport beyond the idle round trip and the workers' lateness are the machine's as much as the stack's", load0, load1, cores))
		}
	}
	if rtErr == nil {
		rt.record(res, c.Unit)
		recordGap(res, c.Unit, c.Service.Mean())
		if viewErr == nil {
			view.recordView(res, c.Unit, viewMethod)
		} else {
			res.Warnings = append(res.Warnings, "the round trip between the balancer and its workers was not measured, so the model's dispatcher sees completions at once: "+viewErr.Error())
		}
	} else {
		res.Warnings = append(res.Warnings, "the round trip of an empty task was not measured, so the transport cannot be modeled: "+rtErr.Error())
	}
	if loadErr != nil {
		res.Warnings = append(res.Warnings, fmt.Sprintf("interrupted after %.1fs: the figures describe the %d requests sent so far", lr.Wall.Seconds(), lr.Sent))
	}
	if bh.stats != nil {
		bh.stats(res)
	}
	// Served counts as the workers see them (the killed one cannot answer).
	served := make([]float64, len(addrs))
	for i, a := range addrs {
		if in, err := workerInfo(context.Background(), a); err == nil {
			served[i] = float64(in.Served - st.infos[i].Served)
		}
	}
	res.PerServer["served"] = served
	for _, p := range st.group.Processes() {
		if err := p.Err(); err != nil {
			res.Warnings = append(res.Warnings, err.Error())
		}
	}
	return res, loadErr
}

// assemble builds the result record of a run.
func assemble(c *Config, lr *loadgen.Result, rate float64, capacity int, addrs []string, native *Native) *metrics.Result {
	unitSec := c.Unit.Seconds()
	p := map[string]any{
		"via":           c.Via,
		"policy":        c.Policy,
		"workers":       c.Servers,
		"capacity":      c.Capacity,
		"kind":          c.Kind,
		"load":          c.Load,
		"service":       c.Service.String(),
		"arrival":       c.Arrival.String(),
		"unit_sec":      unitSec,
		"lambda":        rate * unitSec,
		"rate_per_sec":  rate,
		"seed":          c.Seed,
		"timeout_sec":   c.Timeout.Seconds(),
		"discipline":    "fifo",
		"warmup_sec":    c.Warmup.Seconds(),
		"request_ratio": "sent = succeeded + failed, checked",
	}
	if c.Via != "direct" { // direct sends through the balancer's own pool
		p["client_conns"] = clientConns(capacity)
	}
	if c.Jobs > 0 {
		p["jobs"] = c.Jobs
	}
	if c.WarmupJobs > 0 {
		p["warmup_jobs"] = c.WarmupJobs
	}
	if c.Duration > 0 {
		p["duration_sec"] = c.Duration.Seconds()
	}
	if len(c.Backends) > 0 {
		p["backends"] = strings.Join(c.Backends, ",")
	}
	maps.Copy(p, strategies.PolicyConfig{D: c.D, Dispatchers: c.Dispatchers, Options: c.PolicyOpts}.Params(c.Policy))
	c.AddFaultParams(p)
	res := &metrics.Result{
		Engine:    metrics.EngineHarness,
		Family:    "Cluster",
		Name:      CaseName(c),
		Params:    p,
		Metrics:   map[string]float64{},
		PerServer: map[string][]float64{},
		Env:       metrics.CurrentEnv(c.Seed),
	}
	if native != nil {
		p["native_policy"] = strings.Join(strings.Fields(native.Directive), " ")
		if !native.Exact {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s has no %s policy: %s (%s)", c.Via, c.Policy, native.Note, p["native_policy"]))
		}
		if len(c.PolicyOpts) > 0 {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s runs its own policy: the options %s apply to our balancer only", c.Via, strings.Join(c.PolicyOpts.Specs(c.Policy), ",")))
		}
	}
	m := res.Metrics
	m["sent"] = float64(lr.Sent)
	m["succeeded"] = float64(lr.Succeeded)
	m["failed"] = float64(lr.Failed)
	m["errors"] = float64(lr.Failed)
	m["jobs"] = float64(lr.Measured)
	m["wall_sec"] = lr.Wall.Seconds()
	m["offered_rate_per_sec"] = rate
	if lr.SendSpan > 0 && lr.Sent > 1 {
		m["arrival_rate_per_sec"] = float64(lr.Sent-1) / lr.SendSpan.Seconds()
	}
	if lr.Wall > 0 {
		m["throughput_per_sec"] = float64(lr.Succeeded) / lr.Wall.Seconds()
	}
	lr.Response.Summarize(m, "response")
	var bm [loadgen.Batches]float64
	for b, n := range lr.BatchN {
		if n > 0 {
			bm[b] = lr.Batches[b] / float64(n)
		}
	}
	res.SetBatchCI("response_mean", bm[:], lr.BatchN[:])
	if lr.Service.Count() > 0 {
		m["service_mean"] = lr.Service.Mean()
		m["wait_mean"] = lr.Wait.Mean()
		m["wait_p99"] = lr.Wait.Quantile(0.99)
		m["overhead_mean_sec"] = lr.Overhead.Mean()
		m["overhead_p50_sec"] = lr.Overhead.Quantile(0.5)
		m["overhead_p99_sec"] = lr.Overhead.Quantile(0.99)
	}
	if lr.Forward.Count() > 0 {
		m["forward_mean_sec"] = lr.Forward.Mean()
		m["forward_p99_sec"] = lr.Forward.Quantile(0.99)
		m["return_mean_sec"] = lr.Return.Mean()
		m["return_p99_sec"] = lr.Return.Quantile(0.99)
	}
	if lr.Late.N > 0 {
		m["worker_late_mean"] = lr.Late.Mean()
	}
	if lr.Asked.N > 0 {
		m["asked_mean"] = lr.Asked.Mean()
	}
	if lr.Lag.Count() > 0 {
		m["send_lag_mean_sec"] = lr.Lag.Mean()
		m["send_lag_p99_sec"] = lr.Lag.Quantile(0.99)
		m["send_lag_max_sec"] = lr.Lag.Max()
	}
	if window := lr.Wall.Seconds(); window > 0 && lr.Service.Count() > 0 {
		busy := lr.Service.Mean() * unitSec * float64(lr.Succeeded) / window
		m["utilization"] = busy / float64(capacity)
	}
	res.CDF = lr.Response.CDF(60)
	if len(lr.Failures) > 0 {
		res.Answers = map[string]any{"failures": lr.Failures}
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d of %d requests failed: %s", lr.Failed, lr.Sent, lr.FailureSummary()))
	}
	// Successes by worker, as the load generator saw them.
	byWorker := make([]float64, len(addrs))
	for i, a := range addrs {
		byWorker[i] = float64(lr.PerWorker[a])
	}
	res.PerServer["succeeded"] = byWorker
	if c.Capacity > 1 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("each worker serves %d tasks at once: the simulator's one-server-per-worker model is only an approximation", c.Capacity))
	}
	if w := stretchWarning(c.Kind, m["service_mean"], c.Service.Mean(), c.Load); w != "" {
		res.Warnings = append(res.Warnings, w)
	}
	if c.Kind == "spin" && capacity > 0 {
		res.Warnings = append(res.Warnings, "spin tasks compete for the machine's cores with each other, the balancer and the load generator: service times stretch under load")
	}
	if c.Load >= 1 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("offered load %g >= 1: the system is unstable; these figures describe this run only", c.Load))
	}
	if lag := m["send_lag_p99_sec"]; lag > 0.1*m["response_mean"]*unitSec && lag > 1e-3 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the load generator ran late (p99 %.3gms): response times include it, from each request's intended time", lag*1e3))
	}
	if lr.Measured < 1000 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("only %d measured requests: percentiles are rough", lr.Measured))
	}
	return res
}

// stretchWarning says when tasks took more than 15% more or less time than
// asked on average (CPU-bound kinds stretch when the cores are shared), so
// that the load really offered differs from the load the run is named for;
// else it returns "".
func stretchWarning(kind string, measured, asked, load float64) string {
	if !(measured > 0 && asked > 0) {
		return ""
	}
	r := measured / asked
	if r <= 1.15 && r >= 0.85 {
		return ""
	}
	return fmt.Sprintf("%s tasks took %.0f%% of the time asked on average (service_mean %.3g, asked %.3g): the load really offered was about %.2f, not %g",
		kind, 100*r, measured, asked, load*r, load)
}
