// Package sim is a discrete-event simulator of a cluster of servers, each
// with its own queue (FIFO or processor sharing) and relative speed, fed by
// an arrival process and dispatched by a policy from package strategies.
//
// Time is unitless: the mean service time is 1 unless the service
// distribution says otherwise. The offered load ρ is per unit of capacity:
// the arrival rate is λ = ρ·Σspeeds / mean service.
//
// The engine keeps one timer per busy server (its next departure), in a
// 4-ary heap of small values, or from 4096 FIFO servers on in a ladder of
// epochs (ladder.go) that costs the same per event at any size; the next
// arrival's time is kept beside them. Departures due at the same instant
// leave in server order. A server's state that every event touches is 8
// bytes; jobs waiting at FIFO servers live in a pool of 24-byte records
// only while they wait (pool.go), and a job in service rides with its
// departure timer (20 bytes in the ladder), so memory does not grow with
// the number of jobs simulated; at a million servers p2c at ρ = 0.9 holds
// 64 bytes a server in steady state (2.35 jobs a server), jsq 31. For p2c, jsq, sed and lwl the engine picks
// servers itself, with the policies' own random draws (native.go), and
// asks the memory ahead for the servers and jobs the next events will
// read. A run is sequential and deterministic: the same Config (including
// Seed) gives the same result bit for bit, whatever GOMAXPROCS is;
// independent replications run in parallel, each with its own seeded
// streams, and are combined in replication order.
package sim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

// Discipline is a server's queueing discipline.
type Discipline string

// Disciplines.
const (
	FIFO Discipline = "fifo" // first come, first served; one job in service
	PS   Discipline = "ps"   // processor sharing: all jobs present served at once
)

// Config describes one simulation: a scenario and how long and how often
// to run it.
type Config struct {
	// Scenario is what runs: policy, servers, load, distributions, seed.
	// Time is in units of the service distribution's scale (mean 1 unless
	// it says otherwise).
	scenario.Scenario
	// Jobs is the number of measured jobs (0: 50 per server, at least a
	// million).
	Jobs uint64
	// Warmup is the number of jobs simulated first and discarded (0: found
	// by the MSER rule on a pilot phase, see steady.go).
	Warmup uint64
	// Precision, when > 0, is a target for the 95% interval of the mean
	// response relative to its value: the run goes on (doubling the
	// measured jobs, or the replications) until the interval is within
	// ±Precision of the mean or 64 times Jobs (Replications) have run.
	Precision float64
	// Discipline is FIFO (default) or PS.
	Discipline Discipline
	// Replications > 1 runs independent replications in parallel and takes
	// the confidence interval across them; otherwise batch means are used.
	Replications int
	// Batches is the number of batches for batch means (0: 30).
	Batches int
	// Parallelism bounds the replications run at once (0: GOMAXPROCS).
	Parallelism int
	// Trace, when set, receives one CSV row a departing job:
	// id,arrival,server,start,departure (replication 0 only).
	Trace io.Writer
	// Progress, when set, is called now and then with the measured jobs
	// completed so far, summed over replications, and the total.
	Progress func(done, total uint64)
}

// Disciplines lists the valid disciplines.
var Disciplines = []Discipline{FIFO, PS}

func (cfg *Config) withDefaults() (Config, error) {
	c := *cfg
	c.Scenario = c.Scenario.WithDefaults()
	if c.Discipline == "" {
		c.Discipline = FIFO
	}
	if c.Replications == 0 {
		c.Replications = 1
	}
	if c.Jobs == 0 && c.Servers > 0 {
		c.Jobs = defaultJobs(c.Servers)
	}
	if c.Batches == 0 {
		c.Batches = 30
	}
	if c.Parallelism == 0 {
		c.Parallelism = runtime.GOMAXPROCS(0)
	}
	if err := c.validate(); err != nil {
		return c, bad.Input(err)
	}
	if strategies.UniformSpeeds(c.Speeds) {
		// Every speed is 1: the engine keeps none (a million servers would
		// carry 8 MB of ones), as the scenario allows.
		c.Speeds = nil
	}
	return c, nil
}

// serverBytes is the memory of one server of one replication at ρ = 0.9
// with room to spare: measured (BenchmarkSim, 10^6 servers) 31 bytes for
// jsq, 62 to 64 for p2c, whose queues hold 2.35 jobs a server. Policies
// that let queues grow longer hold more (24 bytes a job waiting).
const serverBytes = 96

func (c *Config) validate() error {
	if err := c.Scenario.Validate(); err != nil {
		return err
	}
	switch {
	case c.Jobs == 0:
		return bad.Field("jobs", "must be > 0")
	case math.IsNaN(c.Precision) || c.Precision < 0 || c.Precision >= 1:
		return bad.Field("precision", "must be in [0, 1) (a fraction of the mean; 0 for none), got %g", c.Precision)
	case c.Jobs > math.MaxUint64/2 || c.Warmup > math.MaxUint64/2:
		return errors.New("jobs and warmup must be below 2^63")
	case !slices.Contains(Disciplines, c.Discipline):
		return fmt.Errorf("unknown discipline %q (known: fifo, ps)", c.Discipline)
	case c.Replications < 1 || c.Replications > 1<<16:
		return bad.Field("replications", "must be in [1, %d], got %d", 1<<16, c.Replications)
	case float64(c.Servers)*float64(c.Replications)*serverBytes > workloads.MaxRunBytes:
		// Every replication's servers are kept until they are combined.
		return workloads.CheckBytes(fmt.Sprintf("%d servers × %d replications", c.Servers, c.Replications),
			float64(c.Servers)*float64(c.Replications)*serverBytes, "{servers} or {replications}")
	case c.Batches < 2 || c.Batches > 1<<16:
		return fmt.Errorf("batches must be in [2, %d], got %d", 1<<16, c.Batches)
	case uint64(c.Batches) > c.Jobs:
		return fmt.Errorf("jobs (%d) must be at least the number of batches (%d)", c.Jobs, c.Batches)
	}
	return nil
}

// replication is one finished replication.
type replication struct {
	c    *cluster
	err  error
	wall time.Duration
}

// Run simulates cfg and returns its result record. If ctx is cancelled it
// stops and returns the result of what was measured so far (whole
// replications, or the jobs of a single replication measured so far) along
// with ctx's error.
func Run(ctx context.Context, cfg Config) (*metrics.Result, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	timeScale := c.ResolveTrace()
	start := time.Now()
	reps := make([]replication, c.Replications)
	var (
		mu   sync.Mutex
		done = make([]uint64, c.Replications)
	)
	progress := func(r int) func(uint64) {
		if c.Progress == nil {
			return nil
		}
		return func(d uint64) {
			mu.Lock()
			defer mu.Unlock()
			done[r] = d
			sum := uint64(0)
			for _, x := range done {
				sum += x
			}
			c.Progress(sum, c.Jobs*uint64(len(done)))
		}
	}
	sem := make(chan struct{}, c.Parallelism)
	var wg sync.WaitGroup
	runReps := func(lo, hi int) {
		for r := lo; r < hi; r++ {
			sem <- struct{}{}
			if ctx.Err() != nil {
				<-sem
				reps[r].err = ctx.Err()
				continue
			}
			wg.Go(func() {
				defer func() { <-sem }()
				t0 := time.Now()
				cl, err := newCluster(&c, r, timeScale)
				if err != nil {
					reps[r].err = bad.Input(err) // the policy's own settings
					return
				}
				if r == 0 && c.Trace != nil {
					cl.trace = bufio.NewWriterSize(c.Trace, 1<<16)
					cl.trace.WriteString("id,arrival,server,start,departure\n")
				}
				reps[r].err = cl.run(ctx, progress(r))
				if cl.trace != nil {
					if err := cl.trace.Flush(); err != nil && reps[r].err == nil {
						reps[r].err = fmt.Errorf("writing trace: %w", err)
					}
				}
				reps[r].c = cl
				reps[r].wall = time.Since(t0)
			})
		}
		wg.Wait()
	}
	runReps(0, len(reps))
	// A precision target across replications: double them until the
	// interval of the mean response is narrow enough or the cap is reached.
	for c.Precision > 0 && c.Replications > 1 && ctx.Err() == nil && repsFailed(reps) == nil {
		m, half := metrics.MeanCI(repMeans(reps))
		if half <= c.Precision*math.Abs(m) || len(reps) >= min(precisionCapFactor*c.Replications, 1<<16) {
			break
		}
		n := len(reps)
		mu.Lock()
		reps = append(reps, make([]replication, n)...)
		done = append(done, make([]uint64, n)...)
		mu.Unlock()
		runReps(n, 2*n)
	}
	wall := time.Since(start)
	if err := repsFailed(reps); err != nil {
		return nil, err
	}
	res := assemble(&c, reps, wall)
	finishFaults(&c, res, reps)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, nil
}

// repsFailed returns the first error of reps other than an interruption.
func repsFailed(reps []replication) error {
	for _, r := range reps {
		if r.err != nil && !errors.Is(r.err, context.Canceled) && !errors.Is(r.err, context.DeadlineExceeded) {
			return r.err
		}
	}
	return nil
}

// repMeans returns the mean response of each finished replication.
func repMeans(reps []replication) []float64 {
	var ms []float64
	for _, r := range reps {
		if r.c != nil && r.err == nil && r.c.departedMeasured > 0 {
			ms = append(ms, r.c.respSum/float64(r.c.departedMeasured))
		}
	}
	return ms
}

func newCluster(c *Config, rep int, timeScale float64) (*cluster, error) {
	pol, err := c.NewPolicy(rep)
	if err != nil {
		return nil, err
	}
	n := c.Servers
	cl := &cluster{
		n:        n,
		speed:    c.Speeds,
		srv:      make([]srv, n),
		pool:     newPool(),
		handoff:  -1,
		policy:   pol,
		arrivals: c.Arrival.Process(c.ArrivalRate(), timeScale, c.Source(rep, scenario.StreamArrivals)),
		sizes:    c.Service.Sampler(c.Source(rep, scenario.StreamSizes)),
		keySalt:  c.KeySalt(rep),
		warmup:   c.Warmup,
		jobs:     c.Jobs,
		total:    c.Warmup + c.Jobs,
		resp:     metrics.NewLatency(1e-6),
		batches:  make([]float64, c.Batches),
		batchN:   make([]int64, c.Batches),
		winStart: math.Inf(1),
		winEnd:   math.Inf(1),
		isPS:     c.Discipline == PS,
		// An unstable system never drains while arrivals go on: stop them
		// after the last measured job so the run ends.
		stopArrivalsAtTotal: c.Load >= 1,
		traceBuf:            make([]byte, 0, 128),
		perServer:           n <= perServerMax,
	}
	if cl.perServer {
		cl.busySince = make([]float64, n)
		cl.busyTime = make([]float64, n)
	}
	cl.setupMeasurement(c)
	cl.observer, _ = pol.(strategies.Observer)
	cl.view = cl
	if c.ViewDelay > 0 {
		cl.viewDelay = c.ViewDelay
		cl.returning = make([]int32, n)
		cl.view = lagView{cl}
	} else if useLoadIndex && strategies.UsesLoadIndex(pol) {
		cl.idx = newLoadIndex(cl.srv, &cl.bigLoad)
		cl.view = indexedView{cl, cl.idx}
	}
	setupFaults(cl, c)
	cl.native = nativePick(c, pol, cl.idx != nil)
	if cl.native != pickPolicy {
		// The policy's own stream: the policy itself is not asked.
		cl.prng = rand.New(c.Source(rep, scenario.StreamPolicy))
	}
	if cl.native == pickP2C {
		cl.drawP2C()
		cl.drawP2C()
	}
	cl.scheduleArrival()
	if cl.isPS {
		cl.ps = make([]psServer, n)
		cl.heap = newEventHeapFor(n, true)
		return cl, nil
	}
	// FIFO: the work at each server is kept for faults (which change
	// speeds), for lwl, and for a policy the engine asks that may read it.
	cl.trackWork = len(c.Faults) > 0 || cl.native == pickLWL ||
		cl.native == pickPolicy && strategies.ReadsWork(pol)
	if cl.trackWork {
		cl.work = make([]workState, n)
	}
	if cl.native == pickLWL {
		cl.fin = &finishIndex{} // built when first needed
	}
	if c.Trace != nil && rep == 0 {
		cl.svcStart = make([]float64, n)
	}
	if cl.observer != nil || len(c.Faults) > 0 {
		cl.svcSize = make([]float64, n)
	}
	if len(c.Faults) == 0 && n >= ladderMin && useLadder {
		cl.lad = newLadder(n, c.ArrivalRate(), min(c.Load, 1)*float64(n), ladderHorizon*c.Service.Mean()/minSpeed(c.Speeds))
	} else {
		cl.heap = newEventHeapFor(n, len(c.Faults) > 0)
		cl.svc = make([]inService, n)
	}
	return cl, nil
}

// ladderMin is the number of servers from which FIFO departures are kept
// in the ladder rather than the heap: below, the heap fits in the caches
// and costs less (measured, CPU time per event, p2c and jsq at ρ = 0.9: the
// heap 9% ahead at 1000 servers, even at 4096, 15-20% behind at 10^4 and
// 40-45% at 10^5). A variable for tests.
var ladderMin = 1 << 12

// ladderHorizon is how many mean service times (at the slowest speed) the
// ladder's wheel spans: a timer further out than that waits in its
// overflow, which is sifted every half turn. At 8, an exponential service
// time reaches the overflow once in 3000 (at 4 it was once in 55, and the
// overflow held more than the buckets' unfilled chunks cost).
const ladderHorizon = 8

// useLadder lets tests run large clusters on the heap, to compare.
var useLadder = true

// minSpeed returns the smallest speed (1 for none).
func minSpeed(speeds []float64) float64 {
	if len(speeds) == 0 {
		return 1
	}
	return slices.Min(speeds)
}

// useLoadIndex lets tests run jsq and sed without the load index, to check
// that it changes nothing.
var useLoadIndex = true

// finish closes the measurement window of a finished or interrupted run.
func (cl *cluster) finish() (window float64) {
	if math.IsInf(cl.winEnd, 1) {
		// Interrupted before the last measured arrival: the window ends now.
		cl.winEnd = cl.now
	}
	if math.IsInf(cl.winStart, 1) {
		return 0
	}
	if cl.perServer {
		for s := range cl.n {
			if cl.srv[s].load > 0 {
				cl.becomeIdle(s)
			}
		}
	}
	return cl.winEnd - cl.winStart
}

// release drops the state of a finished run that the record does not need
// (the jobs, the timers, the indexes), so that its memory serves the
// record's assembly.
func (cl *cluster) release() {
	cl.pool, cl.heap, cl.lad, cl.idx, cl.fin = pool{}, nil, nil, nil, nil
	cl.work, cl.svcStart, cl.ps, cl.view, cl.policy = nil, nil, nil, nil, nil
	cl.svc, cl.svcSize, cl.oldSvc = nil, nil, nil
}

// measuredJobs is the number of measured jobs whose response was recorded.
func (cl *cluster) measuredJobs() uint64 { return cl.departedMeasured }

// Validate reports the first problem of cfg without running it.
func Validate(cfg Config) error {
	_, err := cfg.withDefaults()
	return err
}
