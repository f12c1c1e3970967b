package harness

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

// Strategy kinds: how a batch reaches the workers.
const (
	KindExecutor = "executor" // an Executor of strategies.Executors, one call per task
	KindSchedule = "schedule" // a Schedule of strategies.Schedules, one call per chunk
)

// Strategy is one way to run a batch: an executor or a loop schedule from
// the strategies catalogs, with its settings.
type Strategy struct {
	// Kind is KindExecutor or KindSchedule.
	Kind string
	// Name is the executor's or schedule's name.
	Name string
	// Policy is the dispatch policy of the queues executor (default rr).
	Policy string
	// Batch is the batch executor's tasks per hand-over (0: its default).
	Batch int
	// Chunk is the schedule's chunk (0: its default).
	Chunk int
}

// Label is the strategy as profiles label it: the name, with the policy
// of queues after a colon (queues:p2c).
func (s Strategy) Label() string {
	if s.Kind == KindExecutor && s.Name == "queues" {
		return "queues:" + s.policy()
	}
	return s.Name
}

func (s Strategy) policy() string {
	if s.Policy == "" {
		return "rr"
	}
	return s.Policy
}

// BatchConfig describes a batch-mode measurement: a fixed set of tasks run
// by each strategy at each worker count, Count times each.
type BatchConfig struct {
	// Workload names the batch in records and in the profile label
	// "workload".
	Workload string
	// Tasks is the batch. Each run calls Reset before and Check after.
	Tasks workloads.Batch
	// Case lists ordered key, value pairs that describe the workload (task
	// count, size distribution, unit, ...): they follow workload=NAME in
	// each record's name and are copied into its params.
	Case []any
	// Strategies are the executors and schedules to compare.
	Strategies []Strategy
	// Workers are the worker counts to sweep (nil: GOMAXPROCS).
	Workers []int
	// Count is the number of measured runs of each case (0: 10).
	Count int
	// Warmup is the number of unmeasured rounds run first.
	Warmup int
	// Seed seeds the shuffled order of the runs and the placement policies.
	Seed uint64
	// Progress, when set, is called after every run with the runs done
	// and the total.
	Progress func(done, total int)
}

// DefaultCount is the number of measured runs when BatchConfig.Count is 0.
const DefaultCount = 10

// batchCase is one strategy at one worker count, and its samples.
type batchCase struct {
	strat    Strategy
	workers  int
	label    string
	exec     strategies.Executor
	sched    strategies.Schedule
	overlap  bool
	baseline bool
	stats    []workerStat
	samples  []runSample
}

// workerStat is what one worker did in one run: when it started and when
// it found no more work (ns since epoch, from the executor's or schedule's
// worker hooks), and its task count. It fills two cache lines so that
// workers never write to a shared one.
type workerStat struct {
	start, stop, n int64
	_              [128 - 24]byte
}

// runSample is the measurement of one run.
type runSample struct {
	round     int
	wall, cpu float64 // seconds; cpu < 0 when unknown
	rt        runtimeDelta
	busy      []float64 // seconds per worker, from its start until it found no more work; nil when unknown
	tasks     []float64 // per worker
}

// RunBatch measures every strategy at every worker count on cfg.Tasks. The
// sequential executor is always measured too, as the baseline of the
// speedups (its record is returned only when it was asked for). Runs are
// interleaved: each round runs every case once, in a freshly shuffled
// order, so that drift of the machine hits all cases alike.
//
// It returns one record per case, in the order of cfg.Strategies and
// cfg.Workers. If ctx is cancelled it stops within about one task, and
// returns the records of what was measured so far with ctx's error. A
// workload whose Check fails is an error.
func RunBatch(ctx context.Context, cfg BatchConfig) ([]metrics.Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, bad.Input(err)
	}
	count := cfg.Count
	if count == 0 {
		count = DefaultCount
	}
	workers := cfg.Workers
	if len(workers) == 0 {
		workers = []int{runtime.GOMAXPROCS(0)}
	}
	cases, err := buildCases(&cfg, workers)
	if err != nil {
		return nil, bad.Input(err)
	}
	r := &batchRunner{cfg: &cfg, n: cfg.Tasks.Len(), before: newRuntimeSnap(), after: newRuntimeSnap(), procs: runtime.GOMAXPROCS(0)}
	defer runtime.GOMAXPROCS(r.procs)
	stopWatch := context.AfterFunc(ctx, func() { r.stop.Store(true) })
	defer stopWatch()
	if st, ok := cfg.Tasks.(workloads.Stoppable); ok {
		// Tasks calibrated in time may be long: let Ctrl-C cut them.
		st.SetStop(&r.stop)
		defer st.SetStop(nil)
	}

	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6261746368))
	rounds := cfg.Warmup + count
	total, done := rounds*len(cases), 0
	var runErr error
rounds:
	for round := range rounds {
		for _, k := range rng.Perm(len(cases)) {
			c := cases[k]
			s, err := r.runOnce(ctx, c)
			if err != nil {
				runErr = err
				break rounds
			}
			if round >= cfg.Warmup {
				s.round = round
				c.samples = append(c.samples, s)
			}
			done++
			if cfg.Progress != nil {
				cfg.Progress(done, total)
			}
		}
	}
	runtime.GOMAXPROCS(r.procs) // records describe the process as it was
	if runErr != nil && !errors.Is(runErr, context.Canceled) && !errors.Is(runErr, context.DeadlineExceeded) {
		return nil, runErr
	}
	var base *batchCase
	for _, c := range cases {
		if c.baseline {
			base = c
		}
	}
	askedSequential := slices.ContainsFunc(cfg.Strategies, func(s Strategy) bool {
		return s.Kind == KindExecutor && s.Name == "sequential"
	})
	var out []metrics.Result
	for _, c := range cases {
		if c.baseline && !askedSequential || len(c.samples) == 0 {
			continue
		}
		out = append(out, r.result(c, base, count, runErr != nil))
	}
	return out, runErr
}

func (cfg *BatchConfig) validate() error {
	switch {
	case cfg.Tasks == nil:
		return errors.New("no tasks")
	case len(cfg.Strategies) == 0:
		return errors.New("no executor or schedule to run")
	case cfg.Count < 0:
		return fmt.Errorf("count must be >= 1, got %d", cfg.Count)
	case cfg.Warmup < 0:
		return fmt.Errorf("warmup must be >= 0, got %d", cfg.Warmup)
	case len(cfg.Case)%2 != 0:
		return errors.New("case needs key, value pairs")
	}
	for _, w := range cfg.Workers {
		if w <= 0 {
			return fmt.Errorf("workers must be > 0, got %d", w)
		}
	}
	for _, s := range cfg.Strategies {
		switch s.Kind {
		case KindExecutor, KindSchedule:
		default:
			return fmt.Errorf("strategy %q: unknown kind %q (known: executor, schedule)", s.Name, s.Kind)
		}
	}
	return nil
}

// buildCases builds one case per strategy and worker count (sequential
// only once: it uses one worker whatever the count), plus the sequential
// baseline when it was not asked for.
func buildCases(cfg *BatchConfig, workers []int) ([]*batchCase, error) {
	var cases []*batchCase
	var base *batchCase
	size := cfg.Tasks.Size
	for _, s := range cfg.Strategies {
		for _, w := range workers {
			c := &batchCase{strat: s, workers: w, label: s.Label()}
			c.stats = make([]workerStat, w)
			if s.Kind == KindExecutor && s.Name == "sequential" {
				if base != nil {
					continue
				}
				c.workers, c.baseline = 1, true
				c.stats = c.stats[:1]
				base = c
			}
			hooks := c.hooks()
			var err error
			switch s.Kind {
			case KindExecutor:
				c.exec, err = strategies.NewExecutor(s.Name, strategies.ExecutorConfig{
					Workers: c.workers, Batch: s.Batch, Policy: s.policy(), Size: size, Seed: cfg.Seed, Hooks: hooks,
				})
				if err == nil {
					c.overlap = strategies.WorkersOverlap(c.exec)
				}
			case KindSchedule:
				c.sched, err = strategies.NewSchedule(s.Name, strategies.ScheduleConfig{Chunk: s.Chunk, Hooks: hooks})
			}
			if err != nil {
				return nil, err
			}
			cases = append(cases, c)
		}
	}
	if base == nil {
		base = &batchCase{
			strat: Strategy{Kind: KindExecutor, Name: "sequential"}, label: "sequential",
			workers: 1, baseline: true, stats: make([]workerStat, 1),
		}
		base.exec, _ = strategies.NewExecutor("sequential", strategies.ExecutorConfig{Workers: 1, Hooks: base.hooks()})
		cases = append(cases, base)
	}
	return cases, nil
}

// hooks stamp each worker's start and stop into c.stats: two clock
// readings per worker and run, nothing per task.
func (c *batchCase) hooks() strategies.WorkerHooks {
	return strategies.WorkerHooks{
		Start: func(w int) { c.stats[w].start = nowNs() },
		Stop:  func(w int) { c.stats[w].stop = nowNs() },
	}
}

// batchRunner runs cases one at a time.
type batchRunner struct {
	cfg           *BatchConfig
	n             int
	procs         int // GOMAXPROCS when the measurement started
	stop          atomic.Bool
	before, after *runtimeSnap
}

// runOnce runs case c once, under the profiler labels strategy and
// workload, and measures it.
func (r *batchRunner) runOnce(ctx context.Context, c *batchCase) (runSample, error) {
	if r.stop.Load() {
		return runSample{}, ctx.Err()
	}
	tasks := r.cfg.Tasks
	tasks.Reset()
	clear(c.stats)
	var s runSample
	labels := pprof.Labels("strategy", c.label, "workload", r.cfg.Workload)
	// A case of w workers runs on w cores (GOMAXPROCS = w, up to the
	// cores the process had), so that "workers" means the same for every
	// strategy, goroutine per task included, whose goroutines would
	// otherwise use every core at any worker count.
	runtime.GOMAXPROCS(min(c.workers, r.procs))
	pprof.Do(ctx, labels, func(context.Context) {
		run := r.instrument(c)
		runtime.GC() // start every run from a collected heap
		r.before.read()
		cpu0 := cpuTime()
		t0 := time.Now()
		run()
		wall := time.Since(t0)
		cpu1 := cpuTime()
		r.after.read()
		s.wall = wall.Seconds()
		s.cpu = -1
		if cpu0 >= 0 && cpu1 >= 0 {
			s.cpu = (cpu1 - cpu0).Seconds()
		}
		s.rt = deltaOf(r.before, r.after)
	})
	if r.stop.Load() {
		return runSample{}, ctx.Err()
	}
	if err := tasks.Check(); err != nil {
		return runSample{}, fmt.Errorf("workload %s, %s %s, %d workers: %w", r.cfg.Workload, c.strat.Kind, c.label, c.workers, err)
	}
	s.tasks = make([]float64, c.workers)
	if !c.overlap {
		s.busy = make([]float64, c.workers)
	}
	for w := range c.stats {
		st := &c.stats[w]
		s.tasks[w] = float64(st.n)
		if s.busy != nil && st.stop > st.start {
			s.busy[w] = float64(st.stop-st.start) / 1e9
		}
	}
	return s, nil
}

// instrument returns the run of case c, counting each worker's tasks in
// c.stats (the worker hooks stamp its start and stop). Once the run is
// stopped the remaining tasks are skipped. Per task this costs a load of
// the stop flag and an increment of the worker's own counter.
func (r *batchRunner) instrument(c *batchCase) func() {
	n, st, stop, run := r.n, c.stats, &r.stop, r.cfg.Tasks.Run
	switch {
	case c.sched != nil:
		body := func(w, lo, hi int) {
			for i := lo; i < hi; i++ {
				if stop.Load() {
					break
				}
				run(i)
			}
			st[w].n += int64(hi - lo)
		}
		return func() { c.sched.Run(n, c.workers, body) }
	case c.overlap:
		task := func(w, i int) {
			if stop.Load() {
				return
			}
			run(i)
			atomic.AddInt64(&st[w].n, 1)
		}
		return func() { c.exec.Run(n, task) }
	default:
		task := func(w, i int) {
			if stop.Load() {
				return
			}
			run(i)
			st[w].n++
		}
		return func() { c.exec.Run(n, task) }
	}
}

// result summarizes case c's samples into a record.
func (r *batchRunner) result(c *batchCase, base *batchCase, count int, interrupted bool) metrics.Result {
	cfg := r.cfg
	kv := []any{"workload", cfg.Workload}
	kv = append(kv, cfg.Case...)
	kv = append(kv, c.strat.Kind, c.strat.Name)
	params := map[string]any{
		"workload":   cfg.Workload,
		c.strat.Kind: c.strat.Name,
		"strategy":   c.label,
		"workers":    c.workers,
		"tasks":      r.n,
		"count":      len(c.samples),
		"warmup":     cfg.Warmup,
		"seed":       cfg.Seed,
		"baseline":   "sequential",
	}
	for i := 0; i+1 < len(cfg.Case); i += 2 {
		params[fmt.Sprint(cfg.Case[i])] = cfg.Case[i+1]
	}
	switch {
	case c.strat.Kind == KindExecutor && c.strat.Name == "queues":
		kv = append(kv, "policy", c.strat.policy())
		params["policy"] = c.strat.policy()
	case c.strat.Kind == KindExecutor && c.strat.Name == "batch":
		k := c.strat.Batch
		if k != 0 {
			kv = append(kv, "batch", k)
		} else {
			k = strategies.DefaultBatch(r.n, c.workers)
		}
		params["batch"] = k
	case c.strat.Kind == KindSchedule && c.strat.Chunk != 0:
		kv = append(kv, "chunk", c.strat.Chunk)
		params["chunk"] = c.strat.Chunk
	}
	kv = append(kv, "workers", c.workers)

	res := metrics.Result{
		Engine:    metrics.EngineHarness,
		Family:    "Batch",
		Name:      metrics.Name(kv...),
		Params:    params,
		Metrics:   map[string]float64{},
		CI95:      map[string][2]float64{},
		Samples:   map[string][]float64{},
		PerServer: map[string][]float64{},
		Env:       metrics.CurrentEnv(cfg.Seed),
	}
	n := float64(r.n)
	ns := len(c.samples)
	series := map[string][]float64{}
	add := func(k string, v float64) { series[k] = append(series[k], v) }
	baseWall := map[int]float64{}
	if base != nil {
		for _, s := range base.samples {
			baseWall[s.round] = s.wall
		}
	}
	// The rate in the workload's own work unit (MB/s, elements/s), per run
	// like the others so that it gets an interval.
	workKey, workAmount := "", 0.0
	if amount, unit := cfg.Tasks.Work(); amount > 0 {
		switch unit {
		case "", "tasks":
		case "bytes":
			workKey, workAmount = "mb_per_sec", amount/1e6
		default:
			workKey, workAmount = snake(unit)+"_per_sec", amount
		}
	}
	busy := make([]float64, c.workers)
	tasks := make([]float64, c.workers)
	for _, s := range c.samples {
		add("wall_sec", s.wall)
		if s.wall > 0 {
			add("throughput_per_sec", n/s.wall)
			if workKey != "" {
				add(workKey, workAmount/s.wall)
			}
		}
		if s.cpu >= 0 {
			add("cpu_sec", s.cpu)
		}
		if r.n > 0 {
			add("allocs_per_task", float64(s.rt.allocs)/n)
		}
		add("gc_count", float64(s.rt.gcs))
		add("gc_pause_sec", s.rt.pauseSec)
		if bw, ok := baseWall[s.round]; ok && s.wall > 0 {
			add("speedup", bw/s.wall)
			add("efficiency", bw/s.wall/float64(c.workers))
		}
		if m := mean(s.busy); m > 0 {
			add("imbalance", slices.Max(s.busy)/m)
		}
		for w := range busy {
			if s.busy != nil {
				busy[w] += s.busy[w]
			}
			tasks[w] += s.tasks[w]
		}
	}
	for w := range busy {
		busy[w] /= float64(ns)
		tasks[w] /= float64(ns)
	}
	for k, xs := range series {
		med, lo, hi, ok := metrics.MedianCI(xs)
		res.Metrics[k] = med
		res.Samples[k] = xs
		if ok {
			res.CI95[k] = [2]float64{lo, hi}
		}
	}
	m := res.Metrics
	if r.n > 0 {
		m["wall_ns_per_task"] = m["wall_sec"] / n * 1e9
	}
	if base != nil && len(base.samples) > 0 {
		bw := median(seriesOf(base.samples, func(s runSample) float64 { return s.wall }))
		params["baseline_wall_sec"] = bw
		if r.n > 0 {
			m["overhead_ns_per_task"] = (float64(c.workers)*m["wall_sec"] - bw) / n * 1e9
		}
	}
	if !c.overlap {
		res.PerServer["busy_sec"] = busy
	}
	res.PerServer["tasks"] = tasks

	if ns < 6 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d measured runs: a 95%% interval for the median needs at least 6 (--count)", ns))
	}
	if interrupted && ns < count {
		res.Warnings = append(res.Warnings, fmt.Sprintf("interrupted: %d of %d measured runs", ns, count))
	}
	if p := r.procs; c.workers > p {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d workers on GOMAXPROCS=%d: workers share cores", c.workers, p))
	}
	if ci, ok := res.CI95["wall_sec"]; ok && m["wall_sec"] > 0 {
		if spread := (ci[1] - ci[0]) / 2 / m["wall_sec"]; spread > 0.1 {
			res.Warnings = append(res.Warnings, fmt.Sprintf("wall time varied by ±%.0f%% between runs: the machine was busy or the runs too short", 100*spread))
		}
	}
	res.Warnings = append(res.Warnings, plausibility(m, c.workers)...)
	return res
}

// minRunSec is the shortest run whose wall time is worth comparing: below
// it, timer resolution, goroutine start-up and one descheduling decide.
const minRunSec = 0.01

// plausibility returns warnings on figures that cannot be right, or can be
// right only for a reason the reader should know: a run too short to time,
// a speedup above the number of workers, or parallel workers that got
// about one core between them (CPU time about equal to wall time).
func plausibility(m map[string]float64, workers int) []string {
	var out []string
	wall := m["wall_sec"]
	if wall > 0 && wall < minRunSec {
		out = append(out, fmt.Sprintf("each run took %.2g ms: too short to time reliably (add tasks or work per task; aim for over %g ms)", wall*1e3, minRunSec*1e3))
	}
	if sp, ok := m["speedup"]; ok && workers > 1 && sp > 1.1*float64(workers) {
		out = append(out, fmt.Sprintf("speedup %.2f with %d workers is above linear: runs too short, caches that only fit once the work is split, or a noisy baseline", sp, workers))
	}
	if cpu, ok := m["cpu_sec"]; ok && workers > 1 && wall > minRunSec && cpu < 1.2*wall {
		if sp, ok := m["speedup"]; !ok || sp < 1.2 {
			out = append(out, fmt.Sprintf("%d workers used %.2f s of CPU in %.2f s: about one core between them, so the machine was busy (or the work is serial); speedups here say little", workers, cpu, wall))
		}
	}
	return out
}

func seriesOf(s []runSample, f func(runSample) float64) []float64 {
	out := make([]float64, len(s))
	for i := range s {
		out[i] = f(s[i])
	}
	return out
}

func median(xs []float64) float64 {
	m, _, _, _ := metrics.MedianCI(xs)
	return m
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// snake turns a work unit into a metric name part: lower case, with
// anything but letters and digits as '_'.
func snake(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '_'
	}, s)
}
