package harness

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/ptimer"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

// Service kinds: what a server does for a job of size s.
const (
	// ServiceSleep waits s units: each server is one unit of capacity
	// whatever the cores, so the run compares directly with the simulator.
	ServiceSleep = "sleep"
	// ServiceSpin burns the CPU for s units (calibrated spin): servers
	// compete for the cores.
	ServiceSpin = "spin"
)

// ServiceKinds lists the service kinds with one line of help each.
var ServiceKinds = []struct{ Name, Help string }{
	{ServiceSleep, "each server waits the job's service time: a unit of capacity, comparable with the simulator whatever the cores"},
	{ServiceSpin, "each server burns the CPU for the job's service time: servers compete for the cores"},
}

// ServiceConfig describes a service-mode run: jobs arriving open-loop at
// rate λ = Load·Σspeeds/E[S] per unit of time, placed by a policy on
// Servers goroutines with their own FIFO queues.
type ServiceConfig struct {
	// Scenario is what runs: policy, servers, load, distributions (in time
	// units), seed. The seed gives the same streams as the simulator's
	// first replication, so that both see the same jobs at the same
	// intended times.
	scenario.Scenario
	// Unit is the real duration of one time unit (0: 1ms).
	Unit time.Duration
	// Kind is ServiceSleep (default) or ServiceSpin.
	Kind string
	// Jobs is the number of measured jobs; 0 means arrivals go on for
	// Duration instead.
	Jobs uint64
	// Duration bounds the arrivals when Jobs is 0.
	Duration time.Duration
	// Warmup is the number of jobs run first and not measured.
	Warmup uint64
	// Progress, when set, is called now and then with the measured jobs
	// completed and the total expected.
	Progress func(done, total uint64)
}

func (c *ServiceConfig) withDefaults() (ServiceConfig, error) {
	x := *c
	if x.Unit == 0 {
		x.Unit = time.Millisecond
	}
	if x.Kind == "" {
		x.Kind = ServiceSleep
	}
	x.Scenario = x.Scenario.WithDefaults()
	return x, x.validate()
}

// Validate reports the first problem of the configuration (marked as bad
// input), or nil.
func (c ServiceConfig) Validate() error {
	_, err := c.withDefaults()
	return bad.Input(err)
}

// maxServiceServers bounds the server goroutines of a service run.
const maxServiceServers = 1 << 20

func (c *ServiceConfig) validate() error {
	if err := c.ValidateUpTo(maxServiceServers); err != nil {
		return err
	}
	switch {
	case c.Unit < 0:
		return fmt.Errorf("unit must be > 0, got %v", c.Unit)
	case c.Kind != ServiceSleep && c.Kind != ServiceSpin:
		return fmt.Errorf("unknown service kind %q (known: sleep, spin)", c.Kind)
	case c.Duration < 0:
		return fmt.Errorf("duration must be >= 0, got %v", c.Duration)
	case c.Jobs > 0 && c.Duration > 0:
		return errors.New("give jobs or a duration, not both")
	case c.Jobs == 0 && c.Duration == 0:
		return errors.New("give a number of jobs or a duration > 0")
	case c.Jobs == 0 && c.Load >= 1:
		return fmt.Errorf("load %g >= 1 is unstable: queues grow without end, so give a number of jobs, not a duration", c.Load)
	case c.Jobs > math.MaxUint64/2 || c.Warmup > math.MaxUint64/2:
		return errors.New("jobs and warmup must be below 2^63")
	}
	return nil
}

// Lambda is the arrival rate of cfg per unit of time: ρ·Σspeeds/E[S] (for a
// trace replayed as recorded, its own rate). Invalid configurations give 0.
func Lambda(cfg ServiceConfig) float64 {
	c, err := cfg.withDefaults()
	if err != nil {
		return 0
	}
	if tr := c.Arrival.Trace(); tr != nil && c.Load == 0 {
		return tr.Rate()
	}
	return c.ArrivalRate()
}

// svcJob is a job in the system.
type svcJob struct {
	id   uint64
	at   int64 // intended arrival, monotonic ns
	sent int64 // when the generator dispatched it, monotonic ns
	size float64
}

// jobRing is a growable FIFO of jobs (power-of-two capacity): it stops
// allocating once it has grown to the longest queue of the run.
type jobRing struct {
	buf  []svcJob
	head int
	n    int
}

func (r *jobRing) push(j svcJob) {
	if r.n == len(r.buf) {
		nb := make([]svcJob, max(8, 2*len(r.buf)))
		for i := range r.n {
			nb[i] = r.buf[(r.head+i)&(len(r.buf)-1)]
		}
		r.buf, r.head = nb, 0
	}
	r.buf[(r.head+r.n)&(len(r.buf)-1)] = j
	r.n++
}

func (r *jobRing) pop() (svcJob, bool) {
	if r.n == 0 {
		return svcJob{}, false
	}
	j := r.buf[r.head]
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.n--
	return j, true
}

// svcServer is one server: a FIFO queue and the counters the policy sees.
type svcServer struct {
	// load is the number of jobs present, waiting or in service.
	load atomic.Int32
	// The fields below are guarded by svcRun.mu.
	q          jobRing
	queuedWork float64 // sizes of the waiting jobs
	inSize     float64 // size of the job in service, 0 when idle
	inStart    int64   // when it started, monotonic ns
	dispatched int64   // measured jobs dispatched here
	busyNs     int64   // service time of the measured jobs
	wake       chan struct{}
	_          [64]byte
}

// svcRun is one service-mode run. It implements strategies.View: loads
// are atomic counters, work is the sum of the known sizes of the jobs
// present (less the part of the job in service already done), time is in
// units since the start.
type svcRun struct {
	c       ServiceConfig
	n       int
	unitNs  float64
	spin    bool
	start   int64
	keySalt uint64
	warmup  uint64
	total   uint64 // warmup + measured jobs (jobs mode)
	expect  uint64 // measured jobs expected (for progress and batch means)

	stop    atomic.Bool // set when the run is stopped
	quit    chan struct{}
	drained chan struct{}
	drain   sync.Once
	pending atomic.Int64
	genDone atomic.Bool

	mu      sync.Mutex
	servers []svcServer
	central jobRing
	pol     strategies.Policy
	obs     strategies.Observer
	// measurement, guarded by mu
	resp       *metrics.Latency
	waitSum    float64
	overrunSum float64
	delaySum   float64
	batches    []float64
	batchN     []int64
	firstAt    int64
	lastAt     int64
	done       atomic.Uint64 // measured jobs completed

	// generator's own
	lag           *metrics.Latency // seconds
	firstDispatch int64
	lastDispatch  int64
	lastEnd       int64 // when the last measured job departed
	generated     uint64
	measuredGen   uint64
}

// View implementation.

func (r *svcRun) Servers() int        { return r.n }
func (r *svcRun) Load(i int) int      { return int(r.servers[i].load.Load()) }
func (r *svcRun) Speed(i int) float64 { return r.c.Speeds[i] }
func (r *svcRun) Now() float64        { return float64(nowNs()-r.start) / r.unitNs }

// Work is the waiting jobs' sizes plus what remains of the job in service
// at its server's speed.
func (r *svcRun) Work(i int) float64 {
	s := &r.servers[i]
	w := s.queuedWork
	if s.inSize > 0 {
		done := float64(nowNs()-s.inStart) / r.unitNs * r.c.Speeds[i]
		w += max(s.inSize-done, 0)
	}
	return w
}

func (r *svcRun) measured(id uint64) bool {
	return id >= r.warmup && (r.c.Jobs == 0 || id < r.total)
}

func (r *svcRun) jobOf(j svcJob) strategies.Job {
	return strategies.Job{ID: j.id, Key: strategies.Mix64(j.id ^ r.keySalt), Size: j.size}
}

const serviceBatches = 30

// RunService runs the service-mode case cfg and returns its record. The
// arrival times are fixed in advance from the seed (open loop): a job's
// response time runs from its intended arrival, however late the
// generator got round to sending it, so a slow generator or a stalled
// server cannot hide queueing (no coordinated omission). If ctx is
// cancelled it stops within about 50ms and returns the record of the jobs
// measured so far with ctx's error.
func RunService(ctx context.Context, cfg ServiceConfig) (*metrics.Result, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, bad.Input(err)
	}
	timeScale := c.ResolveTrace()
	lambda := c.ArrivalRate()
	pol, err := c.NewPolicy(0)
	if err != nil {
		return nil, bad.Input(err)
	}
	if c.Kind == ServiceSpin {
		workloads.Calibrate()
	}
	r := &svcRun{
		c:       c,
		n:       c.Servers,
		unitNs:  float64(c.Unit.Nanoseconds()),
		spin:    c.Kind == ServiceSpin,
		keySalt: c.KeySalt(0),
		warmup:  c.Warmup,
		total:   c.Warmup + c.Jobs,
		expect:  c.Jobs,
		quit:    make(chan struct{}),
		drained: make(chan struct{}),
		servers: make([]svcServer, c.Servers),
		pol:     pol,
		resp:    metrics.NewLatency(1e-6),
		lag:     metrics.NewLatency(1e-9),
		batches: make([]float64, serviceBatches),
		batchN:  make([]int64, serviceBatches),
		firstAt: -1,
	}
	if c.Jobs == 0 {
		e := lambda * c.Duration.Seconds() / c.Unit.Seconds()
		r.expect = uint64(max(e-float64(c.Warmup), 1))
	}
	r.obs, _ = pol.(strategies.Observer)
	for i := range r.servers {
		r.servers[i].wake = make(chan struct{}, 1)
	}
	ptimer.Start()
	arrivals := c.Arrival.Process(lambda, timeScale, c.Source(0, scenario.StreamArrivals))
	sizes := c.Service.Sampler(c.Source(0, scenario.StreamSizes))
	stopWatch := context.AfterFunc(ctx, func() { r.stop.Store(true) })
	defer stopWatch()

	t0 := time.Now()
	var servers sync.WaitGroup
	labels := pprof.Labels("strategy", c.Policy, "workload", "service-"+c.Kind)
	pprof.Do(ctx, labels, func(ctx context.Context) {
		r.start = nowNs()
		for i := range r.servers {
			servers.Go(func() { r.serve(ctx, i) })
		}
		genDone := make(chan struct{})
		go func() {
			defer close(genDone)
			r.generate(ctx, arrivals, sizes)
		}()
		r.wait(ctx)
		close(r.quit)
		<-genDone
	})
	servers.Wait()
	wall := time.Since(t0)
	res := r.result(lambda, wall)
	if err := ctx.Err(); err != nil {
		res.Warnings = append(res.Warnings, fmt.Sprintf("interrupted: %d of %d measured jobs completed; figures describe what was measured", r.done.Load(), r.expect))
		return res, err
	}
	return res, nil
}

// wait returns when every generated job has completed or the run was
// stopped, reporting progress every 200ms.
func (r *svcRun) wait(ctx context.Context) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-r.drained:
			return
		case <-ctx.Done():
			r.stop.Store(true)
			return
		case <-tick.C:
			if r.c.Progress != nil {
				r.c.Progress(min(r.done.Load(), r.expect), r.expect)
			}
		}
	}
}

// finishOne notes that a job left; the last one after the generator ended
// closes drained.
func (r *svcRun) finishOne() {
	if r.pending.Add(-1) == 0 && r.genDone.Load() {
		r.drain.Do(func() { close(r.drained) })
	}
}

// generate sends the jobs at their intended times until the jobs or the
// duration are exhausted, or ctx is done.
func (r *svcRun) generate(ctx context.Context, arrivals workloads.ArrivalProcess, sizes workloads.Sampler) {
	defer func() {
		r.genDone.Store(true)
		if r.pending.Load() == 0 {
			r.drain.Do(func() { close(r.drained) })
		}
	}()
	t := 0.0 // intended time of the next arrival, in units
	for id := uint64(0); ; id++ {
		if r.c.Jobs > 0 && id >= r.total {
			return
		}
		at := r.start + int64(t*r.unitNs)
		if r.c.Jobs == 0 && time.Duration(at-r.start) >= r.c.Duration {
			return
		}
		gap, size := arrivals.Next()
		if size < 0 {
			size = sizes.Sample()
		}
		if ptimer.SleepNear(ctx, epoch.Add(time.Duration(at))) != nil {
			return
		}
		now := nowNs()
		r.lag.Record(float64(now-at) / 1e9)
		if r.measured(id) {
			if r.measuredGen == 0 {
				r.firstDispatch = now
			}
			r.lastDispatch = now
			r.measuredGen++
		}
		r.generated = id + 1
		r.dispatch(svcJob{id: id, at: at, sent: now, size: size})
		if math.IsInf(gap, 1) {
			// A trace ran out: measure what arrived.
			if r.c.Jobs > 0 && r.generated < r.total {
				r.mu.Lock()
				r.total = r.generated
				r.mu.Unlock()
			}
			return
		}
		t += gap
	}
}

// dispatch places job j with the policy and wakes its server.
func (r *svcRun) dispatch(j svcJob) {
	jj := r.jobOf(j)
	r.pending.Add(1)
	r.mu.Lock()
	if r.measured(j.id) {
		if r.firstAt < 0 {
			r.firstAt = j.at
		}
		r.lastAt = j.at
	}
	s := r.pol.Pick(r, jj)
	if s < 0 || s >= r.n {
		// Held centrally: the next server to be idle takes it. Wake the
		// idle ones, if the policy held it although some were idle.
		r.central.push(j)
		r.mu.Unlock()
		for i := range r.servers {
			if r.servers[i].load.Load() == 0 {
				r.wakeServer(i)
			}
		}
		return
	}
	r.assignLocked(s, j, jj)
	sv := &r.servers[s]
	sv.q.push(j)
	sv.queuedWork += j.size
	r.mu.Unlock()
	r.wakeServer(s)
}

// assignLocked counts job j at server s and tells the policy.
func (r *svcRun) assignLocked(s int, j svcJob, jj strategies.Job) {
	sv := &r.servers[s]
	if r.measured(j.id) {
		sv.dispatched++
	}
	sv.load.Add(1)
	if r.obs != nil {
		r.obs.Dispatched(r, s, jj)
	}
}

func (r *svcRun) wakeServer(i int) {
	select {
	case r.servers[i].wake <- struct{}{}:
	default:
	}
}

// spinSlice bounds each spin so that a stop is seen within it.
const spinSlice = 10 * time.Millisecond

// serve is server i's goroutine: it takes jobs from its own queue, else
// from the central one, and serves each for size/speed units, until the
// run ends or ctx is done.
func (r *svcRun) serve(ctx context.Context, i int) {
	sv := &r.servers[i]
	speed := r.c.Speeds[i]
	var prevEnd int64 // when the previous job ended
	for {
		r.mu.Lock()
		j, ok := sv.q.pop()
		if ok {
			sv.queuedWork -= j.size
			if sv.q.n == 0 {
				sv.queuedWork = 0 // no drift from float subtraction
			}
		} else if j, ok = r.central.pop(); ok {
			r.assignLocked(i, j, r.jobOf(j))
		}
		if !ok {
			r.mu.Unlock()
			select {
			case <-sv.wake:
				continue
			case <-r.quit:
				return
			}
		}
		begin := nowNs()
		sv.inSize, sv.inStart = j.size, begin
		r.mu.Unlock()

		dur := j.size / speed * r.unitNs
		deadline := begin + int64(dur)
		if r.spin {
			for left := dur; left > 0 && !r.stop.Load(); left -= float64(spinSlice) {
				workloads.Spin(min(left, float64(spinSlice)))
			}
		} else if ptimer.SleepNear(ctx, epoch.Add(time.Duration(deadline))) != nil {
			return
		}
		if r.stop.Load() {
			return
		}
		end := nowNs()

		r.mu.Lock()
		sv.load.Add(-1)
		sv.inSize = 0
		resp := float64(end-j.at) / r.unitNs
		if r.measured(j.id) {
			r.resp.Record(resp)
			r.waitSum += float64(begin-j.at) / r.unitNs
			r.overrunSum += float64(end-begin)/r.unitNs - j.size/speed
			// The server could start the job once it was sent and the
			// previous one had ended: the rest is the scheduler's delay.
			r.delaySum += float64(begin-max(j.sent, prevEnd)) / r.unitNs
			sv.busyNs += end - begin
			b := min((j.id-r.warmup)*serviceBatches/max(r.expect, 1), serviceBatches-1)
			r.batches[b] += resp
			r.batchN[b]++
			r.lastEnd = max(r.lastEnd, end)
			r.done.Add(1)
		}
		if r.obs != nil {
			r.obs.Completed(r, i, r.jobOf(j), resp)
		}
		r.mu.Unlock()
		prevEnd = end
		r.finishOne()
	}
}

// result builds the record of the run.
func (r *svcRun) result(lambda float64, wall time.Duration) *metrics.Result {
	c := &r.c
	res := &metrics.Result{
		Engine:    metrics.EngineHarness,
		Family:    "Service",
		Name:      serviceName(c),
		Params:    serviceParams(c, lambda),
		Metrics:   map[string]float64{},
		CI95:      map[string][2]float64{},
		PerServer: map[string][]float64{},
		Env:       metrics.CurrentEnv(c.Seed),
	}
	m := res.Metrics
	jobs := r.done.Load()
	m["jobs"] = float64(jobs)
	m["wall_sec"] = wall.Seconds()
	if r.lag.Count() > 0 {
		m["lag_mean_sec"] = r.lag.Mean()
		m["lag_p99_sec"] = r.lag.Quantile(0.99)
		m["lag_max_sec"] = r.lag.Max()
	}
	if span := float64(r.lastDispatch-r.firstDispatch) / 1e9; r.measuredGen > 1 && span > 0 {
		m["arrival_rate_per_sec"] = float64(r.measuredGen-1) / span
	}
	dispatched := make([]float64, r.n)
	busy := make([]float64, r.n)
	for i := range r.servers {
		dispatched[i] = float64(r.servers[i].dispatched)
	}
	res.PerServer["dispatched"] = dispatched
	if jobs == 0 {
		return res
	}
	r.resp.Summarize(m, "response")
	m["wait_mean"] = r.waitSum / float64(jobs)
	m["overrun_mean"] = r.overrunSum / float64(jobs)
	m["start_delay_mean"] = r.delaySum / float64(jobs)
	// The measurement window runs from the first measured job's dispatch
	// to the last one's departure: throughput is what the servers got
	// done in it. (The span of intended arrivals alone can be microseconds
	// in a short run with many servers, or when the generator fell behind.)
	window := float64(r.lastEnd-r.firstDispatch) / 1e9
	if window <= 0 {
		window = float64(r.lastAt-r.firstAt) / 1e9
	}
	if window > 0 {
		m["throughput_per_sec"] = float64(jobs) / window
		// Little's law: jobs present on average = arrival rate × response.
		m["queue_mean"] = float64(jobs) / (window / c.Unit.Seconds()) * m["response_mean"]
		u := 0.0
		for i := range r.servers {
			busy[i] = float64(r.servers[i].busyNs) / 1e9 / window
			u += busy[i] * c.Speeds[i]
		}
		m["utilization"] = u / c.Capacity()
		res.PerServer["busy_fraction"] = busy
		if mb := mean(busy); mb > 0 {
			m["imbalance"] = slices.Max(busy) / mb
		}
	}
	res.CDF = r.resp.CDF(60)
	var bm []float64
	for b := range r.batches {
		if r.batchN[b] > 0 {
			bm = append(bm, r.batches[b]/float64(r.batchN[b]))
		}
	}
	if _, half := metrics.MeanCI(bm); !math.IsNaN(half) {
		mu := m["response_mean"]
		res.CI95["response_mean"] = [2]float64{mu - half, mu + half}
	}
	res.Params["ci_method"] = fmt.Sprintf("batch means (%d batches)", len(bm))
	if len(bm) < 10 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("only %d batches: the confidence interval is unreliable", len(bm)))
	}
	if w := metrics.OverloadWarning(c.Policy, c.Load, dispatched, res.PerServer["busy_fraction"], c.Speeds); w != "" {
		res.Warnings = append(res.Warnings, w)
		res.Params["unstable"] = true
	}
	if c.Load >= 1 {
		res.Params["unstable"] = true
		res.Warnings = append(res.Warnings, fmt.Sprintf("offered load %g >= 1: the system is unstable; queues and response times grow with the run length, so these figures describe this run only", c.Load))
	}
	if lag := m["lag_p99_sec"]; lag > 0.1*c.Unit.Seconds() {
		bunch := m["lag_max_sec"] / c.Unit.Seconds() * lambda
		res.Warnings = append(res.Warnings, fmt.Sprintf("the generator ran late (mean %.3gms, p99 %.3gms, max %.3gms: up to %.0f arrivals bunched): response times count from the intended arrivals, so they include these stalls of the machine", m["lag_mean_sec"]*1e3, lag*1e3, m["lag_max_sec"]*1e3, bunch))
	}
	if d := m["start_delay_mean"]; d > 0.05*c.Service.Mean() {
		res.Warnings = append(res.Warnings, fmt.Sprintf("servers started jobs %.3g units late on average (%.0f%% of the mean service): the CPU could not keep up with %d goroutines at this rate", d, 100*d/c.Service.Mean(), c.Servers))
	}
	if ov := m["overrun_mean"]; ov > 0.05*c.Service.Mean() {
		res.Warnings = append(res.Warnings, fmt.Sprintf("servers overran the service times by %.3g units a job (%.0f%% of the mean): timer precision or CPU contention", ov, 100*ov/c.Service.Mean()))
	}
	if c.Kind == ServiceSpin && c.Servers > runtime.GOMAXPROCS(0) {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d spinning servers on GOMAXPROCS=%d: servers share cores, so service takes longer than its size", c.Servers, runtime.GOMAXPROCS(0)))
	}
	return res
}

// serviceName names a case as the simulator does (policy, servers, load,
// then the non-default settings), with the service kind when it is not
// sleep.
func serviceName(c *ServiceConfig) string {
	kv := c.NameParts()
	if c.Kind != ServiceSleep {
		kv = append(kv, "kind", c.Kind)
	}
	return metrics.Name(kv...)
}

func serviceParams(c *ServiceConfig, lambda float64) map[string]any {
	p := map[string]any{
		"policy":         c.Policy,
		"servers":        c.Servers,
		"load":           c.Load,
		"warmup":         c.Warmup,
		"service":        c.Service.String(),
		"arrival":        c.Arrival.String(),
		"discipline":     "fifo",
		"kind":           c.Kind,
		"unit":           FormatUnit(c.Unit),
		"unit_sec":       c.Unit.Seconds(),
		"lambda":         lambda,
		"lambda_per_sec": lambda / c.Unit.Seconds(),
		"seed":           c.Seed,
	}
	if c.Jobs > 0 {
		p["jobs"] = c.Jobs
	} else {
		p["duration_sec"] = c.Duration.Seconds()
	}
	maps.Copy(p, c.Params())
	return p
}
