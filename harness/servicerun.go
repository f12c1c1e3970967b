package harness

import (
	"context"
	"fmt"
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

// How a service-mode run is built on goroutines (TimingGoroutines; the
// loop, TimingLoop and TimingSpin, is in serviceloop.go and shares the
// run's servers' counters, statistics, View and record), so that the
// harness is not what limits the rate:
//
//   - One goroutine, the dispatcher, generates the arrivals and owns the
//     policy: Pick, Dispatched and Completed are only ever called from it,
//     so no lock guards the policy. It sees the servers through lock-free
//     counters (jobs present, work sent and done) that the servers update.
//   - Each server is a goroutine with its own FIFO queue (a ring under a
//     lock that only the dispatcher and that server take). A server with
//     nothing to do parks on a channel; the dispatcher sends a token only
//     to a parked server, so a busy one costs no channel operation.
//   - A sleeping server, and the dispatcher between arrivals, wait through
//     internal/ptimer: one timer for the process, a heap of deadlines, no
//     Go timer per job. Nothing yields in a loop for long (see ptimer's
//     spinWait: on a shared machine that costs more than it saves).
//   - A sleeping server keeps its schedule, the FIFO recursion: a job
//     starts at its intended arrival or when the previous one was due to
//     end, whichever is later, and is due its service time after. A late
//     wake-up or a late dispatch (the machine was busy) then delays the
//     job it touches only if it is later than that job's own time, and
//     never every job queued behind it, as a stall of the harness's own
//     machine would otherwise do. How late the dispatcher sent jobs
//     (lag_*), the servers got to them (start_delay_mean) and woke from
//     them (overrun_mean) is measured and reported; the policy decides at
//     the real dispatch, on the real counters.
//   - Completions reach an observing policy through an event queue that
//     the dispatcher drains before each Pick: the policy learns of every
//     completion before its next decision, in order.
//   - The servers keep their own statistics (shards merged at the end):
//     nothing else is shared per job but the counters above.

// svcJob is a job in the system.
type svcJob struct {
	id   uint64
	at   int64 // intended arrival, monotonic ns
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

// atomicFloat is a float64 with atomic loads and stores (one writer).
type atomicFloat struct{ bits atomic.Uint64 }

func (f *atomicFloat) load() float64   { return math.Float64frombits(f.bits.Load()) }
func (f *atomicFloat) store(v float64) { f.bits.Store(math.Float64bits(v)) }

// svcServer is one server: its queue, the counters the policy sees, and
// its own accounting.
type svcServer struct {
	// load is the number of jobs present, waiting or in service: raised
	// by the dispatcher (or by the server taking a held job), lowered by
	// the server when a job ends.
	load atomic.Int32
	// parked is set while the server waits for work on wake.
	parked atomic.Bool
	wake   chan struct{}

	mu sync.Mutex // guards q
	q  jobRing

	// Work accounting for View.Work. sentWork is the dispatcher's own;
	// the others are written by the server only.
	sentWork float64
	gotWork  atomicFloat // sizes taken from the central queue
	doneWork atomicFloat // sizes of the jobs ended
	inSize   atomicFloat // size of the job in service, 0 when idle
	inStart  atomic.Int64

	dispatched atomic.Int64 // measured jobs placed here
	busyNs     int64        // service time of the measured jobs (server's own)
	spunNs     int64        // time a spin server spent spinning, all jobs (server's own)
	st         *svcStats
	_          [64]byte
}

// svcStats is a shard of the measurements: servers record into their own
// shard, merged at the end.
type svcStats struct {
	mu         sync.Mutex
	resp       *metrics.Latency
	n          uint64
	waitSum    float64
	overrunSum float64
	delaySum   float64
	batches    [serviceBatches]float64
	batchN     [serviceBatches]int64
	lastEnd    int64 // when the last measured job departed
	_          [64]byte
}

// maxStatShards bounds the statistics shards (each holds a histogram of a
// few hundred kB): beyond it servers share shards.
const maxStatShards = 64

// svcEvent tells the dispatcher what a server did, for an observing
// policy.
type svcEvent struct {
	server int32
	took   bool // took a held job (Dispatched), else ended one (Completed)
	job    svcJob
	resp   float64
}

// svcRun is one service-mode run. It implements strategies.View for the
// dispatcher: loads are atomic counters, work is the sum of the known
// sizes of the jobs present (less the part of the job in service already
// done), time is in units since the start.
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
	done    atomic.Uint64 // measured jobs completed

	servers []svcServer
	shards  []svcStats
	parkedN atomic.Int32 // servers parked

	// The central queue, for jobs the policy holds.
	cmu      sync.Mutex
	central  jobRing
	centralN atomic.Int32

	// Events for an observing policy.
	obs     strategies.Observer
	evMu    sync.Mutex
	events  []svcEvent
	spare   []svcEvent
	eventsN atomic.Int32

	// The dispatcher's own.
	pol           strategies.Policy
	lag           *metrics.Latency // seconds
	firstAt       int64
	lastAt        int64
	firstDispatch int64
	lastDispatch  int64
	generated     uint64
	measuredGen   uint64
	dispatchNs    int64 // time spent placing jobs

	faults *svcFaults // nil: none

	lp svcLoop // the loop's, with TimingLoop and TimingSpin

	// virtual, when set (by tests), is the loop's clock instead of the
	// real one: its waits jump to their deadlines, its handling takes no
	// time.
	virtual *int64
	// onEnd, when set (by tests), is told of every measured job's end.
	onEnd func(id uint64, server int, resp float64)
}

// viewNow is the time the policy sees, ns since epoch: the clock, or on
// the loop the time of the event it handles (the servers' state is as of
// that time: the loop handles events in their order, however late).
func (r *svcRun) viewNow() int64 {
	if r.c.Timing != TimingGoroutines {
		return r.lp.evNow
	}
	return r.now()
}

// now reads the run's clock: ns since epoch.
func (r *svcRun) now() int64 {
	if r.virtual != nil {
		return *r.virtual
	}
	return nowNs()
}

// View implementation (called by the policy, on the dispatcher).

func (r *svcRun) Servers() int        { return r.n }
func (r *svcRun) Load(i int) int      { return int(r.servers[i].load.Load()) }
func (r *svcRun) Speed(i int) float64 { return r.c.Speeds[i] }
func (r *svcRun) Now() float64        { return float64(r.viewNow()-r.start) / r.unitNs }

// Work is the waiting jobs' sizes plus what remains of the job in service
// at its server's speed.
func (r *svcRun) Work(i int) float64 {
	s := &r.servers[i]
	if s.load.Load() == 0 {
		return 0
	}
	w := s.sentWork + s.gotWork.load() - s.doneWork.load()
	if in := s.inSize.load(); in > 0 {
		done := float64(r.viewNow()-s.inStart.Load()) / r.unitNs * r.c.Speeds[i]
		w -= min(max(done, 0), in)
	}
	return max(w, 0)
}

func (r *svcRun) measured(id uint64) bool {
	return id >= r.warmup && (r.c.Jobs == 0 || id < r.total)
}

func (r *svcRun) jobOf(j svcJob) strategies.Job {
	return strategies.Job{ID: j.id, Key: strategies.Mix64(j.id ^ r.keySalt), Size: j.size}
}

// serviceBatches are the batches of measured jobs, in arrival order, that a
// run keeps for its interval (metrics.BatchMeans merges them to at most 40).
const serviceBatches = 120

// RunService runs the service-mode case cfg and returns its record. The
// arrival times are fixed in advance from the seed (open loop): a job's
// response time runs from its intended arrival, however late the
// generator got round to sending it, so a slow generator or a stalled
// server cannot hide queueing (no coordinated omission). If ctx is
// cancelled it stops within about 50ms and returns the record of the jobs
// measured so far with ctx's error.
func RunService(ctx context.Context, cfg ServiceConfig) (*metrics.Result, error) {
	_, res, err := runService(ctx, cfg)
	return res, err
}

// runService is RunService, also returning the run for tests.
func runService(ctx context.Context, cfg ServiceConfig, opts ...func(*svcRun)) (*svcRun, *metrics.Result, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, nil, bad.Input(err)
	}
	timeScale := c.ResolveTrace()
	lambda := c.ArrivalRate()
	pol, err := c.NewPolicy(0)
	if err != nil {
		return nil, nil, bad.Input(err)
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
		shards:  make([]svcStats, min(c.Servers, maxStatShards)),
		pol:     pol,
		lag:     metrics.NewLatency(1e-9),
		firstAt: -1,
	}
	if c.Jobs == 0 {
		e := lambda * c.Duration.Seconds() / c.Unit.Seconds()
		r.expect = uint64(max(e-float64(c.Warmup), 1))
	}
	r.obs, _ = pol.(strategies.Observer)
	for _, o := range opts {
		o(r)
	}
	if c.Jobs > 0 {
		r.setupFaults(float64(c.Warmup+c.Jobs) / lambda)
	} else {
		r.setupFaults(float64(c.Duration) / float64(c.Unit))
	}
	for i := range r.shards {
		r.shards[i].resp = metrics.NewLatency(1e-6)
	}
	for i := range r.servers {
		r.servers[i].wake = make(chan struct{}, 1)
		r.servers[i].st = &r.shards[i%len(r.shards)]
	}
	ptimer.Start()
	arrivals := c.Arrival.Process(lambda, timeScale, c.Source(0, scenario.StreamArrivals))
	sizes := c.Service.Sampler(c.Source(0, scenario.StreamSizes))
	stopWatch := context.AfterFunc(ctx, func() { r.stop.Store(true) })
	defer stopWatch()

	// Collect what came before (a simulator run with --compare-sim leaves
	// megabytes of garbage), so that the GC does not run during the run:
	// its steady state allocates nothing. gc_count says whether it did.
	runtime.GC()
	rt0, rt1 := newRuntimeSnap(), newRuntimeSnap()
	rt0.read()
	t0, cpu0 := time.Now(), cpuTime()
	var servers sync.WaitGroup
	labels := pprof.Labels("strategy", c.Policy, "workload", "service-"+c.Kind)
	pprof.Do(ctx, labels, func(ctx context.Context) {
		r.start = r.now()
		genDone := make(chan struct{})
		if c.Timing != TimingGoroutines {
			r.lp.spinning = c.Timing == TimingSpin
			go func() {
				defer close(genDone)
				r.loop(arrivals, sizes)
			}()
		} else {
			for i := range r.servers {
				servers.Go(func() { r.serve(ctx, i) })
			}
			go func() {
				defer close(genDone)
				r.generate(ctx, arrivals, sizes)
			}()
		}
		r.wait(ctx)
		close(r.quit)
		<-genDone
	})
	servers.Wait()
	wall, cpu := time.Since(t0), cpuTime()-cpu0
	rt1.read()
	if cpu0 < 0 {
		cpu = -1
	}
	res := r.result(lambda, wall, cpu, deltaOf(rt0, rt1))
	r.finishFaults(res)
	if err := ctx.Err(); err != nil {
		res.Warnings = append(res.Warnings, fmt.Sprintf("interrupted: %d of %d measured jobs completed; figures describe what was measured", r.done.Load(), r.expect))
		return r, res, err
	}
	return r, res, nil
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

// generate is the dispatcher: it sends the jobs at their intended times
// until the jobs or the duration are exhausted, or ctx is done.
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
		if r.faults != nil && r.faultsUntil(ctx, at) != nil {
			return
		}
		if ptimer.SleepNear(ctx, epoch.Add(time.Duration(at))) != nil {
			return
		}
		now := nowNs()
		r.lag.Record(float64(now-at) / 1e9)
		if r.measured(id) {
			if r.measuredGen == 0 {
				r.firstDispatch = now
				r.firstAt = at
			}
			r.lastDispatch, r.lastAt = now, at
			r.measuredGen++
		}
		r.generated = id + 1
		r.dispatch(svcJob{id: id, at: at, size: size})
		r.dispatchNs += nowNs() - now
		if math.IsInf(gap, 1) {
			return // a trace ran out: measure what arrived
		}
		t += gap
	}
}

// dispatch places job j with the policy and wakes its server if it is
// parked.
func (r *svcRun) dispatch(j svcJob) {
	r.pending.Add(1)
	if r.obs != nil && r.eventsN.Load() > 0 {
		r.drainEvents()
	}
	jj := r.jobOf(j)
	s := r.pick(jj)
	if s == noServer { // every server is down
		r.lose(j, -1)
		return
	}
	if s < 0 || s >= r.n {
		r.hold(j)
		return
	}
	r.place(s, j, jj)
}

// hold puts job j in the central queue: the next server to be idle takes
// it. It wakes a parked one, if the policy held it although some were
// idle.
func (r *svcRun) hold(j svcJob) {
	r.cmu.Lock()
	r.central.push(j)
	r.centralN.Add(1)
	r.cmu.Unlock()
	if r.parkedN.Load() > 0 {
		for i := range r.servers {
			if !r.isDown(i) && r.unpark(i) {
				break
			}
		}
	}
}

// place queues job j (jj to the policy) at server s and wakes it if it is
// parked.
func (r *svcRun) place(s int, j svcJob, jj strategies.Job) {
	sv := &r.servers[s]
	if r.measured(j.id) {
		sv.dispatched.Add(1)
	}
	sv.load.Add(1)
	sv.sentWork += j.size
	if r.obs != nil {
		r.obs.Dispatched(r, s, jj)
	}
	sv.mu.Lock()
	sv.q.push(j)
	sv.mu.Unlock()
	r.unpark(s)
}

// unpark wakes server i if it is parked, and reports whether it was.
func (r *svcRun) unpark(i int) bool {
	sv := &r.servers[i]
	if !sv.parked.Load() || !sv.parked.CompareAndSwap(true, false) {
		return false
	}
	r.parkedN.Add(-1)
	select {
	case sv.wake <- struct{}{}:
	default:
	}
	return true
}

// drainEvents tells the policy, in order, what the servers did since the
// last drain.
func (r *svcRun) drainEvents() {
	r.evMu.Lock()
	evs := r.events
	r.events = r.spare[:0]
	r.eventsN.Store(0)
	r.evMu.Unlock()
	for _, e := range evs {
		if e.took {
			r.obs.Dispatched(r, int(e.server), r.jobOf(e.job))
		} else {
			r.obs.Completed(r, int(e.server), r.jobOf(e.job), e.resp)
		}
	}
	r.spare = evs
}

func (r *svcRun) event(e svcEvent) {
	r.evMu.Lock()
	r.events = append(r.events, e)
	r.eventsN.Add(1)
	r.evMu.Unlock()
}

// next takes server i's next job: from its own queue, else from the
// central one.
func (r *svcRun) next(i int) (svcJob, bool) {
	sv := &r.servers[i]
	sv.mu.Lock()
	j, ok := sv.q.pop()
	sv.mu.Unlock()
	if ok || r.centralN.Load() == 0 || r.isDown(i) {
		return j, ok
	}
	r.cmu.Lock()
	j, ok = r.central.pop()
	if ok {
		r.centralN.Add(-1)
	}
	r.cmu.Unlock()
	if !ok {
		return j, false
	}
	if r.measured(j.id) {
		sv.dispatched.Add(1)
	}
	sv.load.Add(1)
	sv.gotWork.store(sv.gotWork.load() + j.size)
	if r.obs != nil {
		r.event(svcEvent{server: int32(i), took: true, job: j})
	}
	return j, true
}

// park waits until server i may have work, and reports false when the run
// is over.
func (r *svcRun) park(i int) bool {
	sv := &r.servers[i]
	r.parkedN.Add(1)
	sv.parked.Store(true)
	// Work sent before parked was set is seen here; work sent after finds
	// the server parked and wakes it.
	sv.mu.Lock()
	n := sv.q.n
	sv.mu.Unlock()
	if n > 0 || r.centralN.Load() > 0 {
		if sv.parked.CompareAndSwap(true, false) {
			r.parkedN.Add(-1)
		}
		return true
	}
	select {
	case <-sv.wake:
		// A token left from an earlier wake-up finds the server still
		// marked parked.
		if sv.parked.CompareAndSwap(true, false) {
			r.parkedN.Add(-1)
		}
		return true
	case <-r.quit:
		return false
	}
}

// spinSlice bounds each spin so that a stop is seen within it.
const spinSlice = 10 * time.Millisecond

// serve is server i's goroutine: it takes jobs from its own queue, else
// from the central one, and serves each for size/speed units, until the
// run ends or ctx is done.
func (r *svcRun) serve(ctx context.Context, i int) {
	sv := &r.servers[i]
	var prevDue int64 // when the previous job was due to end
	var prevEnd int64 // when it really ended
	for {
		j, ok := r.next(i)
		if !ok {
			if !r.park(i) {
				return
			}
			continue
		}
		got := nowNs()
		speed, ep := r.faultStart(i, j)
		dur := j.size / speed * r.unitNs
		// The job starts at its intended arrival or when the previous one
		// was due to end; a spinning server starts it when it gets to it.
		begin := max(j.at, prevDue)
		if r.spin {
			begin = got
		}
		due := begin + int64(dur)
		sv.inStart.Store(begin)
		sv.inSize.store(j.size)
		if r.spin {
			for left := dur; left > 0 && !r.stop.Load(); left -= float64(spinSlice) {
				workloads.Spin(min(left, float64(spinSlice)))
			}
		} else if due > got && ptimer.SleepNear(ctx, epoch.Add(time.Duration(due))) != nil {
			return
		}
		if r.stop.Load() {
			return
		}
		end := nowNs()
		if r.spin {
			sv.spunNs += end - got
		}
		resp := float64(end-j.at) / r.unitNs
		taken := r.faultEnd(i, ep) // by a down fault: counted then
		if !taken {
			r.recordJob(i, j, begin, got, due, end, prevEnd, resp)
		}
		sv.inSize.store(0)
		sv.doneWork.store(sv.doneWork.load() + j.size)
		sv.load.Add(-1)
		if r.obs != nil && !taken {
			r.event(svcEvent{server: int32(i), job: j, resp: resp})
		}
		prevDue, prevEnd = due, end
		if r.spin {
			prevDue = end
		}
		if !taken {
			r.finishOne()
		}
	}
}

// recordJob records, when it is measured, job j's end at server i: its
// response resp (units), its begin on the schedule, when the server got
// to it (got), when it was due and when it ended; prevEnd is when the
// server's previous job really ended.
func (r *svcRun) recordJob(i int, j svcJob, begin, got, due, end, prevEnd int64, resp float64) {
	if !r.measured(j.id) {
		return
	}
	if r.onEnd != nil {
		r.onEnd(j.id, i, resp)
	}
	sv := &r.servers[i]
	st := sv.st
	st.mu.Lock()
	st.resp.Record(resp)
	st.n++
	st.waitSum += float64(begin-j.at) / r.unitNs
	st.overrunSum += float64(end-due) / r.unitNs
	// How late the server got to the job it could have started.
	st.delaySum += float64(max(got-begin, 0)) / r.unitNs
	b := min((j.id-r.warmup)*serviceBatches/max(r.expect, 1), serviceBatches-1)
	st.batches[b] += resp
	st.batchN[b]++
	st.lastEnd = max(st.lastEnd, end)
	st.mu.Unlock()
	// Busy from when it really could serve the job: a late wake-up
	// overlaps the virtual start of the next one.
	sv.busyNs += end - max(begin, prevEnd)
	r.done.Add(1)
	if f := r.faults; f != nil {
		f.recMu.Lock()
		f.rec.Done(float64(j.at-r.start)/r.unitNs, i, resp)
		f.recMu.Unlock()
	}
}

// result builds the record of the run.
func (r *svcRun) result(lambda float64, wall, cpu time.Duration, rt runtimeDelta) *metrics.Result {
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
	// The harness's own cost per job. The loop does all the harness's work
	// on its goroutine: its handling time between waits. On goroutines,
	// most of the cost is outside the harness's code (the process timer's
	// system calls, the Go scheduler's wake-ups of the servers and of its
	// idle threads), and a sleeping server costs no CPU, so it is the
	// process's CPU time less what spin servers spent serving.
	// cpu_ns_per_job is the process's CPU time, with the loop's spinning
	// waits and the spin servers' service.
	m["gc_count"] = float64(rt.gcs)
	m["gc_pause_sec"] = rt.pauseSec
	if r.generated > 0 {
		g := float64(r.generated)
		if cpu >= 0 {
			m["cpu_ns_per_job"] = float64(cpu.Nanoseconds()) / g
		}
		switch {
		case c.Timing != TimingGoroutines:
			m["harness_ns_per_job"] = float64(r.lp.busyNs) / g
		case cpu >= 0:
			spun := int64(0)
			for i := range r.servers {
				spun += r.servers[i].spunNs
			}
			m["harness_ns_per_job"] = float64(max(cpu.Nanoseconds()-spun, 0)) / g
		}
	}
	// How busy the dispatcher was (near 1: it limited the rate), and the
	// loop's waits.
	if w := float64(wall.Nanoseconds()); w > 0 {
		if c.Timing != TimingGoroutines {
			sp := &r.lp.spin
			if r.lp.lateN > 0 {
				m["loop_late_mean_sec"] = r.lp.lateSum / float64(r.lp.lateN) / 1e9
				m["loop_late_abs_mean_sec"] = r.lp.lateAbs / float64(r.lp.lateN) / 1e9
			}
			if !r.lp.spinning {
				m["loop_lead_sec"] = float64(r.lp.lead) / 1e9
			}
			m["dispatcher_busy_frac"] = float64(r.lp.busyNs) / w
			m["loop_spin_frac"] = float64(sp.Spun) / w
			m["loop_sleep_frac"] = float64(sp.Slept) / w
			if sp.Sleeps > 0 {
				m["loop_sleeps"] = float64(sp.Sleeps)
				m["loop_sleep_late_frac"] = float64(sp.Late) / float64(sp.Sleeps)
			}
		} else {
			m["dispatcher_busy_frac"] = float64(r.dispatchNs) / w
		}
	}
	dispatched := make([]float64, r.n)
	busy := make([]float64, r.n)
	for i := range r.servers {
		dispatched[i] = float64(r.servers[i].dispatched.Load())
	}
	res.PerServer["dispatched"] = dispatched
	if jobs == 0 {
		return res
	}
	resp := metrics.NewLatency(1e-6)
	var waitSum, overrunSum, delaySum float64
	var batches [serviceBatches]float64
	var batchN [serviceBatches]int64
	lastEnd := int64(0)
	for i := range r.shards {
		st := &r.shards[i]
		resp.Merge(st.resp)
		waitSum += st.waitSum
		overrunSum += st.overrunSum
		delaySum += st.delaySum
		for b := range batches {
			batches[b] += st.batches[b]
			batchN[b] += st.batchN[b]
		}
		lastEnd = max(lastEnd, st.lastEnd)
	}
	resp.Summarize(m, "response")
	m["wait_mean"] = waitSum / float64(jobs)
	m["overrun_mean"] = overrunSum / float64(jobs)
	m["start_delay_mean"] = delaySum / float64(jobs)
	// The measurement window runs from the first measured job's dispatch
	// to the last one's departure: throughput is what the servers got
	// done in it. (The span of intended arrivals alone can be microseconds
	// in a short run with many servers, or when the generator fell behind.)
	window := float64(lastEnd-r.firstDispatch) / 1e9
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
	res.CDF = resp.CDF(60)
	for b := range batches {
		if batchN[b] > 0 {
			batches[b] /= float64(batchN[b])
		}
	}
	if w := metrics.OverloadWarning(c.Policy, c.Load, dispatched, res.PerServer["busy_fraction"], c.Speeds); w != "" {
		res.Warnings = append(res.Warnings, w)
		res.Params["unstable"] = true
	}
	if c.Load >= 1 {
		res.Params["unstable"] = true
		res.Warnings = append(res.Warnings, fmt.Sprintf("offered load %g >= 1: the system is unstable; queues and response times grow with the run length, so these figures describe this run only", c.Load))
	}
	res.SetBatchCI("response_mean", batches[:], batchN[:]) // after "unstable" is known
	if lag := m["lag_p99_sec"]; lag > 0.1*c.Unit.Seconds() {
		bunch := m["lag_max_sec"] / c.Unit.Seconds() * lambda
		res.Warnings = append(res.Warnings, fmt.Sprintf("the generator ran late (mean %.3gms, p99 %.3gms, max %.3gms: up to %.0f arrivals bunched): response times count from the intended arrivals, so they include these stalls of the machine", m["lag_mean_sec"]*1e3, lag*1e3, m["lag_max_sec"]*1e3, bunch))
	}
	loop := c.Timing != TimingGoroutines
	if d := m["start_delay_mean"]; d > 0.05*c.Service.Mean() {
		switch {
		case loop:
			res.Warnings = append(res.Warnings, fmt.Sprintf("the loop got to jobs %.3g units late on average (%.0f%% of the mean service): the machine held it up (a job keeps its schedule, so this delays it only when it exceeds the job's time)", d, 100*d/c.Service.Mean()))
		case r.spin:
			res.Warnings = append(res.Warnings, fmt.Sprintf("servers started jobs %.3g units late on average (%.0f%% of the mean service): the CPU could not keep up with %d goroutines at this rate", d, 100*d/c.Service.Mean(), c.Servers))
		default:
			res.Warnings = append(res.Warnings, fmt.Sprintf("servers got to their jobs %.3g units late on average (%.0f%% of the mean service): the CPU could not keep up with %d goroutines at this rate (a sleeping server keeps its schedule, so this delays a job only when it exceeds the job's time)", d, 100*d/c.Service.Mean(), c.Servers))
		}
	}
	if ov := m["overrun_mean"]; math.Abs(ov) > 0.05*c.Service.Mean() {
		if loop {
			res.Warnings = append(res.Warnings, fmt.Sprintf("jobs ended %.3g units past their deadlines on average (%.0f%% of the mean service): the loop did not wake on time (the OS's timer, or the machine held it up)", ov, 100*ov/c.Service.Mean()))
		} else {
			res.Warnings = append(res.Warnings, fmt.Sprintf("servers overran the service times by %.3g units a job (%.0f%% of the mean): timer precision or CPU contention", ov, 100*ov/c.Service.Mean()))
		}
	}
	if b := m["dispatcher_busy_frac"]; b > 0.8 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the dispatcher was busy %.0f%% of the run: it limits the rate", 100*b))
	}
	if c.Kind == ServiceSpin && c.Servers > runtime.GOMAXPROCS(0) {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d spinning servers on GOMAXPROCS=%d: servers share cores, so service takes longer than its size", c.Servers, runtime.GOMAXPROCS(0)))
	}
	return res
}
