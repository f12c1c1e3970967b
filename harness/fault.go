package harness

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratbench/stratbench/internal/ptimer"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/strategies"
)

// svcFaults is what a service run with faults keeps. The dispatcher
// applies the fault events at their times (it sleeps until the next event
// when one is due before the next arrival), so that only it calls the
// policy, as always: the servers read their speed and epoch atomically.
type svcFaults struct {
	events []scenario.FaultEvent
	next   int
	speed  []atomicFloat  // each server's actual speed (policies are told the scenario's)
	epoch  []atomic.Int64 // incremented when a server goes down
	down   []atomic.Bool
	// The dispatcher's own.
	upSince []float64 // units; 0 from the start, -1 while down
	retry   bool
	// inJob is the job each server has in service, guarded by the
	// server's mu (busy says whether there is one).
	inJob []svcJob
	busy  []bool

	recMu sync.Mutex
	rec   *metrics.FaultRecorder
}

// deadLoad is the load a server out of service shows to policies, as our
// balancer shows a dead backend.
const deadLoad = 1 << 30

// noServer is what pick returns when every server is down.
const noServer = -2

// svcFaultView is the run as policies see it during faults: the
// scenario's speeds, a server out of service as unusable.
type svcFaultView struct{ r *svcRun }

func (v svcFaultView) Servers() int          { return v.r.n }
func (v svcFaultView) Speed(i int) float64   { return v.r.c.Speeds[i] }
func (v svcFaultView) Work(i int) float64    { return v.r.Work(i) }
func (v svcFaultView) Now() float64          { return v.r.Now() }
func (v svcFaultView) UpSince(i int) float64 { return v.r.faults.upSince[i] }
func (v svcFaultView) Load(i int) int {
	if v.r.faults.upSince[i] < 0 {
		return deadLoad
	}
	return v.r.Load(i)
}

// setupFaults prepares r for the scenario's faults (none: nothing), for
// a run expected to last horizon units.
func (r *svcRun) setupFaults(horizon float64) {
	c := &r.c
	if len(c.Faults) == 0 {
		return
	}
	start, end, _ := scenario.FaultWindow(c.Faults)
	f := &svcFaults{
		events:  c.FaultEvents(),
		speed:   make([]atomicFloat, r.n),
		epoch:   make([]atomic.Int64, r.n),
		down:    make([]atomic.Bool, r.n),
		upSince: make([]float64, r.n),
		retry:   c.Retry,
		inJob:   make([]svcJob, r.n),
		busy:    make([]bool, r.n),
		rec:     metrics.NewFaultRecorder(r.n, start, end, horizon),
	}
	for i := range f.speed {
		f.speed[i].store(c.Speeds[i])
	}
	r.faults = f
}

// faultsUntil applies, on the dispatcher, every fault event due before
// the arrival at at (monotonic ns), sleeping until each one's time.
func (r *svcRun) faultsUntil(ctx context.Context, at int64) error {
	f := r.faults
	for f.next < len(f.events) {
		e := f.events[f.next]
		t := r.start + int64(e.T*r.unitNs)
		if t > at {
			return nil
		}
		if err := ptimer.SleepNear(ctx, epoch.Add(time.Duration(t))); err != nil {
			return err
		}
		f.next++
		r.applyFault(e)
	}
	return nil
}

func (r *svcRun) applyFault(e scenario.FaultEvent) {
	f := r.faults
	s := e.Server
	switch {
	case e.Up:
		f.upSince[s] = r.Now()
		f.down[s].Store(false)
		r.unpark(s)
	case e.Down:
		f.upSince[s] = -1
		f.down[s].Store(true)
		sv := &r.servers[s]
		sv.mu.Lock()
		f.epoch[s].Add(1) // its goroutine drops the job in service when its time is up
		var held []svcJob
		if f.busy[s] {
			held = append(held, f.inJob[s])
			f.busy[s] = false
		}
		for {
			j, ok := sv.q.pop()
			if !ok {
				break
			}
			sv.load.Add(-1)
			sv.sentWork -= j.size
			held = append(held, j)
		}
		sv.mu.Unlock()
		for _, j := range held {
			if r.obs != nil {
				r.obs.Completed(r, s, r.jobOf(j), float64(r.now()-j.at)/r.unitNs) // as the balancer reports a failed request
			}
			if f.retry {
				switch t := r.pick(r.jobOf(j)); {
				case t == noServer:
				case t < 0 || t >= r.n: // held: the central queue
					r.hold(j)
					continue
				default:
					r.place(t, j, r.jobOf(j))
					continue
				}
			}
			r.lose(j, s)
		}
	default:
		f.speed[s].store(e.Speed) // from the next job it starts: the one in service keeps its speed
	}
}

// pick asks the policy where job jj goes; with faults, for a server in
// service as our balancer does (up to n+1 times, then the next one in
// service), noServer when none is. Hold is returned as is.
func (r *svcRun) pick(jj strategies.Job) int {
	if r.faults == nil {
		return r.pol.Pick(r, jj)
	}
	up := r.faults.upSince
	v := svcFaultView{r}
	last := 0
	for range r.n + 1 {
		s := r.pol.Pick(v, jj)
		if s < 0 || s >= r.n || up[s] >= 0 {
			return s
		}
		last = s
	}
	for k := 1; k <= r.n; k++ {
		if s := (last + k) % r.n; up[s] >= 0 {
			return s
		}
	}
	return noServer
}

// lose counts job j, last at server s (-1: none), as lost.
func (r *svcRun) lose(j svcJob, s int) {
	if r.measured(j.id) {
		f := r.faults
		f.recMu.Lock()
		f.rec.Lost(float64(j.at-r.start)/r.unitNs, s)
		f.recMu.Unlock()
	}
	r.finishOne()
}

// faultStart is called by server i as it starts job j: it returns the
// speed to serve it at and the server's epoch.
func (r *svcRun) faultStart(i int, j svcJob) (speed float64, ep int64) {
	if r.faults == nil {
		return r.c.Speeds[i], 0
	}
	f := r.faults
	sv := &r.servers[i]
	sv.mu.Lock()
	f.inJob[i], f.busy[i] = j, true
	ep = f.epoch[i].Load()
	sv.mu.Unlock()
	return f.speed[i].load(), ep
}

// faultEnd is called by server i as it ends the job it started in epoch
// ep: it reports whether the job was taken from it when it went down (and
// is counted already).
func (r *svcRun) faultEnd(i int, ep int64) (taken bool) {
	if r.faults == nil {
		return false
	}
	f := r.faults
	sv := &r.servers[i]
	sv.mu.Lock()
	taken = f.epoch[i].Load() != ep
	if !taken {
		f.busy[i] = false
	}
	sv.mu.Unlock()
	return taken
}

// isDown reports whether server i is out of service (it takes no held
// job then).
func (r *svcRun) isDown(i int) bool { return r.faults != nil && r.faults.down[i].Load() }

// finishFaults writes the fault metrics and timeline into res.
func (r *svcRun) finishFaults(res *metrics.Result) {
	if r.faults == nil {
		return
	}
	f := r.faults
	f.recMu.Lock()
	f.rec.Finish(res)
	f.recMu.Unlock()
	if res.Params["unstable"] == true {
		return
	}
	final := make([]float64, r.n) // the speeds the faults leave, 0 for a server down
	for i := range final {
		if !f.down[i].Load() {
			final[i] = f.speed[i].load()
		}
	}
	if w := metrics.FaultOverloadWarning(r.c.Policy, r.c.Load, res.Timeline.LateDispatched(), r.c.Speeds, final); w != "" {
		res.Params["unstable"] = true
		res.Warnings = append(res.Warnings, w)
	}
}
