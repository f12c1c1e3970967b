package sim

import (
	"math"
	"slices"
	"strings"

	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/strategies"
)

// faultState is what a replication with faults keeps: the scenario's
// fault events in time order, the servers' own speeds (what the policy is
// told), which servers are in service, and the recorder of what the
// faults did. The engine's hook is small: step processes the next fault
// event when it is due before the next arrival and departure, arrive asks
// pickUp instead of the policy, and depart tells the recorder.
type faultState struct {
	events  []scenario.FaultEvent
	next    int
	nominal []float64
	upSince []float64 // when each server came back (0: from the start), -1 while down
	retry   bool
	rec     *metrics.FaultRecorder
	lost    uint64 // measured jobs lost
}

// deadLoad is the load a server out of service shows to policies, as our
// balancer shows a dead backend.
const deadLoad = 1 << 30

// faultView is the cluster as policies see it during faults: the
// scenario's speeds (a slow server does not announce itself), a server out
// of service as unusable (Health, and a huge load for policies that do
// not ask), no load index.
type faultView struct{ c *cluster }

func (v faultView) Servers() int          { return v.c.n }
func (v faultView) Speed(i int) float64   { return v.c.faults.nominal[i] }
func (v faultView) Work(i int) float64    { return v.c.Work(i) }
func (v faultView) Now() float64          { return v.c.now }
func (v faultView) UpSince(i int) float64 { return v.c.faults.upSince[i] }
func (v faultView) Load(i int) int {
	if v.c.faults.upSince[i] < 0 {
		return deadLoad
	}
	return int(v.c.loadOf(i))
}

// setupFaults prepares cl for the scenario's faults (none: nothing).
func setupFaults(cl *cluster, c *Config) {
	cl.nextFault = math.Inf(1)
	if len(c.Faults) == 0 {
		return
	}
	f := &faultState{
		events:  c.FaultEvents(),
		nominal: c.Speeds,
		upSince: make([]float64, cl.n),
		retry:   c.Retry,
	}
	start, end, _ := scenario.FaultWindow(c.Faults)
	horizon := float64(c.Warmup+c.Jobs) / c.ArrivalRate()
	f.rec = metrics.NewFaultRecorder(cl.n, start, end, horizon)
	if f.nominal == nil {
		f.nominal = ones(cl.n)
	}
	cl.faults = f
	cl.speed = slices.Clone(f.nominal) // the servers' actual speeds change
	cl.view = faultView{cl}
	cl.idx = nil
	cl.nextFault = f.events[0].T
}

// applyFault processes the fault event due now.
func (c *cluster) applyFault() {
	f := c.faults
	e := f.events[f.next]
	f.next++
	c.nextFault = math.Inf(1)
	if f.next < len(f.events) {
		c.nextFault = f.events[f.next].T
	}
	s := e.Server
	switch {
	case e.Down:
		c.takeDown(s)
	case e.Up:
		f.upSince[s] = c.now // > 0: an end comes after its start
		if c.central.n > 0 && c.srv[s].load == 0 {
			c.dispatchTo(s, c.central.pop())
		}
	default:
		c.setSpeed(s, e.Speed)
	}
}

// setSpeed makes server s serve at speed x from now: the job in service
// (FIFO) finishes its remaining work at the new speed; processor sharing
// advances its clock at the old speed first.
func (c *cluster) setSpeed(s int, x float64) {
	if c.isPS {
		c.psAdvance(s)
		c.speed[s] = x
		if c.srv[s].load > 0 {
			c.psSchedule(s)
		}
		return
	}
	if c.srv[s].load > 0 {
		ws := &c.work[s]
		left := max(ws.end-c.now, 0) * c.speed[s]
		ws.end = c.now + left/x
		c.heap.set(int32(s), ws.end)
	}
	c.speed[s] = x
}

// takeDown puts server s out of service: every job it holds is lost, or
// dispatched again to a server in service when the scenario retries.
func (c *cluster) takeDown(s int) {
	f := c.faults
	f.upSince[s] = -1
	var held []job
	sv := &c.srv[s]
	if c.isPS {
		c.psAdvance(s)
		for _, pj := range c.ps[s].jobs {
			held = append(held, pj.j)
		}
		c.ps[s] = psServer{lastT: c.now}
	} else if sv.load > 0 {
		held = append(held, job{id: c.svcJobID(s, c.svc[s].idlo), arrival: c.svc[s].arr, size: c.svcSize[s]})
		for i, k := c.waiting(s); k > 0; k-- {
			r := c.pool.at(i)
			held = append(held, c.pool.job(i, r, c.nextID))
			next := r.next
			c.pool.release(i, r)
			i = next
		}
		c.work[s].queued = 0
	}
	if sv.load > 0 {
		c.becomeIdle(s)
	}
	c.heap.remove(int32(s))
	c.setLoad(s, 0)
	for _, j := range held {
		if c.observer != nil {
			c.observer.Completed(c, s, c.jobOf(j), c.now-j.arrival) // as the balancer reports a failed request
		}
		if f.retry {
			switch t := c.pickUp(j); {
			case t == strategies.Hold:
				c.central.push(j)
				continue
			case t >= 0:
				c.dispatchTo(t, j)
				continue
			}
		}
		c.lose(j, s)
	}
}

// lose counts job j, last at server s, as lost.
func (c *cluster) lose(j job, s int) {
	c.inSystem--
	if c.measured(j.id) {
		c.faults.lost++
		c.faults.rec.Lost(j.arrival, s)
	}
}

// noServer is what pickUp returns when every server is down.
const noServer = -2

// pick returns where job j goes: the engine's own choice for a policy it
// knows (nativePolicy), else the policy's, through pickUp with faults.
func (c *cluster) pick(j job) int {
	switch c.native {
	case pickP2C:
		return c.pickP2C()
	case pickMin:
		return pickMinLoaded(c.idx, c.prng)
	case pickLWL:
		return c.pickLWL(c.prng)
	}
	if c.faults == nil {
		return c.policy.Pick(c.view, c.jobOf(j))
	}
	return c.pickUp(j)
}

// pickUp asks the policy for a server in service for job j, as our
// balancer does: up to n+1 times, then the next server in service after
// the last one named; noServer when none is in service. Hold is returned
// as is.
func (c *cluster) pickUp(j job) int {
	up := c.faults.upSince
	last := 0
	for range c.n + 1 {
		s := c.policy.Pick(c.view, c.jobOf(j))
		if s == strategies.Hold || up[s] >= 0 {
			return s
		}
		last = s
	}
	for k := 1; k <= c.n; k++ {
		if s := (last + k) % c.n; up[s] >= 0 {
			return s
		}
	}
	return noServer
}

// finishFaults writes the fault metrics and timeline of replication 0
// into res, and checks stability at the speeds the faults leave to the
// end of the run: a slow fault that never ends can overload a server that
// the policy keeps feeding at its old share.
func finishFaults(c *Config, res *metrics.Result, reps []replication) {
	if len(reps) == 0 || reps[0].c == nil || reps[0].c.faults == nil {
		return
	}
	cl := reps[0].c
	cl.faults.rec.Finish(res)
	if c.Arrival.Trace() == nil {
		// Fewer jobs completed than asked because some were lost, not
		// because a trace ran out: jobs_lost says so.
		res.Warnings = slices.DeleteFunc(res.Warnings, func(w string) bool { return strings.HasPrefix(w, "the arrival trace ran out") })
	}
	if res.Params["unstable"] == true {
		return
	}
	final := make([]float64, cl.n) // the speeds the faults leave, 0 for a server down
	for i := range final {
		if cl.faults.upSince[i] >= 0 {
			final[i] = cl.speed[i]
		}
	}
	w := metrics.FaultOverloadWarning(c.Policy, c.Load, res.Timeline.LateDispatched(), cl.faults.nominal, final)
	if w != "" {
		res.Params["unstable"] = true
		res.Warnings = append(res.Warnings, w)
	}
}
