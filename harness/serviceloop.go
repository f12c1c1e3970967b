package harness

import (
	"math"
	"time"

	"github.com/stratbench/stratbench/internal/ptimer"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

// The loop (TimingLoop, TimingSpin): a sleeping service in one goroutine.
//
// A sleeping server does nothing but let its job's service time pass, so
// it is kept as a deadline: its FIFO queue, the job in service and when
// that job is due (the FIFO recursion of the goroutine path: a job starts
// at its intended arrival or when the previous one was due to end,
// whichever is later). The loop waits on the clock for the earliest of the
// next arrival, the earliest job due and the next fault event, then
// handles every event due by then, in the order of their times: a job due
// ends (its response time runs to the clock read as the loop ends it; an
// observing policy learns it; the server starts its next job, from its
// queue or the central one), an arrival is placed by the policy, a fault
// is applied.
//
// So the policy decides on the servers' state as it is at the event's
// time, and sees that time as its now (View.Now, View.Work), however late
// the loop got to the event: the decisions are those of the simulator for
// every policy but those that learn from measured response times (which
// are real). What the clock decides is when each job really ended, hence
// its response time, and that is measured against the deadline
// (overrun_mean, loop_late_mean_sec): the run's error against the
// simulator is how late the loop ended jobs, and nothing else. The Go
// scheduler's wake-ups of a goroutine per server are not in it, by
// design: run timing goroutines to measure them.
//
// The loop allocates nothing per job. Its cost per job is its handling
// time between waits (harness_ns_per_job, dispatcher_busy_frac); how much
// of the run it spent spinning and sleeping is in loop_spin_frac and
// loop_sleep_frac.

// loopServer is what the loop keeps of a server besides svcServer's
// queue and counters.
type loopServer struct {
	busy    bool
	job     svcJob // the job in service, when busy
	begin   int64  // when it started on the schedule
	got     int64  // when the loop started it
	due     int64  // when it is due to end
	prevDue int64  // when the previous job was due to end
	prevEnd int64  // when it really ended
	seq     uint32 // counts the jobs started: a heap entry of another is stale
	onIdle  bool   // on the idle list
}

// dueEntry is a job due at a server: an entry of the loop's heap.
type dueEntry struct {
	due    int64
	server int32
	seq    uint32
}

// dueHeap is a binary min-heap of jobs by due time (then server, so that
// the order does not depend on the heap's history).
type dueHeap []dueEntry

func (h dueHeap) less(i, j int) bool {
	return h[i].due < h[j].due || h[i].due == h[j].due && h[i].server < h[j].server
}

func (h *dueHeap) push(e dueEntry) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *dueHeap) pop() dueEntry {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		l := 2*i + 1
		if l >= len(s) {
			break
		}
		m := l
		if r := l + 1; r < len(s) && s.less(r, l) {
			m = r
		}
		if !s.less(m, i) {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

// svcLoop is the loop's own state.
type svcLoop struct {
	srv  []loopServer
	due  dueHeap
	idle []int32 // servers with no job, for jobs held centrally (a stack)
	spin ptimer.Spinner
	// spinning: the waits spin on the clock to each event (TimingSpin),
	// else they sleep to lead before it and handle what is due within
	// lead of the clock.
	spinning bool
	lead     int64
	// busyNs is the time spent handling events, between waits.
	busyNs int64
	// lateSum sums how late events were handled (ns, negative when early)
	// and lateAbs its absolute value, over lateN events.
	lateSum, lateAbs float64
	lateN            int64
	// evNow is the time of the event being handled: the policy's now.
	evNow int64
	// The next arrival: at (monotonic ns), id and size; more says there is one.
	at   int64
	id   uint64
	size float64
	more bool
	t    float64 // its intended time in units
}

// loop is the loop's goroutine: it runs the whole service until every job
// generated has ended, or the run is stopped.
func (r *svcRun) loop(arrivals workloads.ArrivalProcess, sizes workloads.Sampler) {
	l := &r.lp
	defer func() {
		r.genDone.Store(true)
		r.drain.Do(func() { close(r.drained) })
	}()
	l.srv = make([]loopServer, r.n)
	l.due = make(dueHeap, 0, r.n)
	for i := r.n - 1; i >= 0; i-- {
		l.idle = append(l.idle, int32(i))
		l.srv[i].onIdle = true
	}
	r.nextArrival(arrivals, sizes)
	for !r.stop.Load() {
		t := int64(math.MaxInt64)
		if l.more {
			t = l.at
		}
		if len(l.due) > 0 {
			t = min(t, l.due[0].due)
		}
		// Faults matter while jobs may still come or are in the system (a
		// held job may wait for a server to come back up): a fault after
		// the run does not hold it up.
		if f := r.faults; f != nil && f.next < len(f.events) && (l.more || len(l.due) > 0 || r.central.n > 0) {
			t = min(t, r.start+int64(f.events[f.next].T*r.unitNs))
		}
		if t == math.MaxInt64 {
			return // nothing left to happen
		}
		var now int64
		switch {
		case r.virtual != nil:
			*r.virtual = max(*r.virtual, t)
			now = t
		case l.spinning:
			now = l.spin.Until(t, &r.stop)
		default:
			now = l.spin.Sleep(t-l.lead, &r.stop)
		}
		if r.stop.Load() {
			return
		}
		busy0 := now
		// Every event due by now, in time order: jobs due first, then
		// faults, then the arrival, at equal times.
	events:
		for {
			due := now + l.lead // what is handled now
			var ft int64 = math.MaxInt64
			if f := r.faults; f != nil && f.next < len(f.events) {
				ft = r.start + int64(f.events[f.next].T*r.unitNs)
			}
			switch {
			case len(l.due) > 0 && l.due[0].due <= due && l.due[0].due <= ft && (!l.more || l.due[0].due <= l.at):
				e := l.due.pop()
				if ls := &l.srv[e.server]; ls.busy && ls.seq == e.seq {
					l.evNow = e.due
					now = r.loopEnd(int(e.server))
					l.learn(now - e.due)
				}
			case ft <= due && (!l.more || ft <= l.at):
				f := r.faults
				e := f.events[f.next]
				f.next++
				l.evNow = ft
				r.loopFault(e)
				now = r.now()
			case l.more && l.at <= due:
				at := l.at
				l.evNow = at
				now = r.loopArrive()
				l.learn(now - at)
				r.nextArrival(arrivals, sizes)
			default:
				break events
			}
		}
		l.busyNs += now - busy0
	}
}

// Lead of a sleeping loop: it moves by 1/leadGain of each event's
// lateness, clamped to ±leadClamp, within [0, leadMax].
const (
	loopLeadGain  = 64
	loopLeadClamp = int64(100 * time.Microsecond)
	loopLeadMax   = int64(time.Millisecond)
)

// learn notes that an event was handled late ns late (early when
// negative) and, when the loop sleeps, moves its lead so that events are
// handled on their times on average.
func (l *svcLoop) learn(late int64) {
	l.lateSum += float64(late)
	l.lateAbs += math.Abs(float64(late))
	l.lateN++
	if l.spinning {
		return
	}
	l.lead += min(max(late, -loopLeadClamp), loopLeadClamp) / loopLeadGain
	l.lead = min(max(l.lead, 0), loopLeadMax)
}

// nextArrival draws the next arrival into r.lp, or clears more when the
// arrivals are over.
func (r *svcRun) nextArrival(arrivals workloads.ArrivalProcess, sizes workloads.Sampler) {
	l := &r.lp
	l.more = false
	if r.c.Jobs > 0 && l.id >= r.total {
		return
	}
	// As the simulator: each arrival comes one gap after the last (the
	// first one gap after the start), with the size drawn for it.
	gap, size := arrivals.Next()
	if math.IsInf(gap, 1) {
		return // a trace ran out: measure what arrived
	}
	l.t += gap
	at := r.start + int64(l.t*r.unitNs)
	if r.c.Jobs == 0 && time.Duration(at-r.start) >= r.c.Duration {
		return
	}
	if size < 0 {
		size = sizes.Sample()
	}
	l.at, l.size, l.more = at, size, true
}

// loopArrive places the arrival in r.lp with the policy, and returns the
// clock read when it was placed.
func (r *svcRun) loopArrive() int64 {
	l := &r.lp
	id := l.id
	l.id++
	j := svcJob{id: id, at: l.at, size: l.size}
	now := r.now()
	r.lag.Record(float64(now-j.at) / 1e9)
	if r.measured(id) {
		if r.measuredGen == 0 {
			r.firstDispatch = now
			r.firstAt = j.at
		}
		r.lastDispatch, r.lastAt = now, j.at
		r.measuredGen++
	}
	r.generated = id + 1
	r.pending.Add(1)
	jj := r.jobOf(j)
	s := r.pick(jj)
	switch {
	case s == noServer: // every server is down
		r.lose(j, -1)
	case s < 0 || s >= r.n: // held centrally
		r.central.push(j)
		r.centralN.Add(1)
		// The policy may hold a job while a server is idle: that one
		// takes it.
		r.loopTakeCentral(now)
	default:
		r.loopPlace(s, j, jj, now)
	}
	return now
}

// loopPlace queues job j (jj to the policy) at server s, starting it at
// once if s is idle.
func (r *svcRun) loopPlace(s int, j svcJob, jj strategies.Job, now int64) {
	sv := &r.servers[s]
	if r.measured(j.id) {
		sv.dispatched.Add(1)
	}
	sv.load.Add(1)
	sv.sentWork += j.size
	if r.obs != nil {
		r.obs.Dispatched(r, s, jj)
	}
	if ls := &r.lp.srv[s]; !ls.busy && !r.isDown(s) {
		r.loopStart(s, j, now)
		return
	}
	sv.q.push(j)
}

// loopStart puts job j in service at server s, which the loop got to at
// got.
func (r *svcRun) loopStart(s int, j svcJob, got int64) {
	ls := &r.lp.srv[s]
	sv := &r.servers[s]
	speed := r.c.Speeds[s]
	if r.faults != nil {
		speed = r.faults.speed[s].load()
	}
	begin := max(j.at, ls.prevDue)
	due := begin + int64(j.size/speed*r.unitNs)
	ls.busy, ls.job, ls.begin, ls.got, ls.due = true, j, begin, got, due
	ls.seq++
	sv.inStart.Store(begin)
	sv.inSize.store(j.size)
	r.lp.due.push(dueEntry{due: due, server: int32(s), seq: ls.seq})
}

// loopEnd ends the job in service at server s, starts its next one, and
// returns the clock read when it ended.
func (r *svcRun) loopEnd(s int) int64 {
	ls := &r.lp.srv[s]
	sv := &r.servers[s]
	end := r.now()
	j := ls.job
	resp := float64(end-j.at) / r.unitNs
	r.recordJob(s, j, ls.begin, ls.got, ls.due, end, ls.prevEnd, resp)
	ls.busy = false
	sv.inSize.store(0)
	sv.doneWork.store(sv.doneWork.load() + j.size)
	sv.load.Add(-1)
	if r.obs != nil {
		r.obs.Completed(r, s, r.jobOf(j), resp)
	}
	ls.prevDue, ls.prevEnd = ls.due, end
	r.finishOne()
	r.loopNext(s, end)
	return end
}

// loopNext starts server s's next job, from its queue, else from the
// central one; with none it goes on the idle list.
func (r *svcRun) loopNext(s int, now int64) {
	sv := &r.servers[s]
	if j, ok := sv.q.pop(); ok {
		r.loopStart(s, j, now)
		return
	}
	if r.centralN.Load() > 0 && !r.isDown(s) {
		j, _ := r.central.pop()
		r.centralN.Add(-1)
		if r.measured(j.id) {
			sv.dispatched.Add(1)
		}
		sv.load.Add(1)
		sv.gotWork.store(sv.gotWork.load() + j.size)
		if r.obs != nil {
			r.obs.Dispatched(r, s, r.jobOf(j))
		}
		r.loopStart(s, j, now)
		return
	}
	if ls := &r.lp.srv[s]; !ls.onIdle {
		ls.onIdle = true
		r.lp.idle = append(r.lp.idle, int32(s))
	}
}

// loopTakeCentral has idle servers in service take held jobs while there
// are both.
func (r *svcRun) loopTakeCentral(now int64) {
	l := &r.lp
	for r.centralN.Load() > 0 && len(l.idle) > 0 {
		s := int(l.idle[len(l.idle)-1])
		l.idle = l.idle[:len(l.idle)-1]
		ls := &l.srv[s]
		ls.onIdle = false
		if ls.busy || r.isDown(s) {
			continue // on the list from before it got work, or down: off it
		}
		r.loopNext(s, now)
	}
}

// loopFault applies fault event e on the loop.
func (r *svcRun) loopFault(e scenario.FaultEvent) {
	f := r.faults
	s := e.Server
	now := r.now()
	switch {
	case e.Up:
		f.upSince[s] = r.Now()
		f.down[s].Store(false)
		if ls := &r.lp.srv[s]; !ls.busy {
			r.loopNext(s, now) // held jobs, or its own queue kept while down
		}
	case e.Down:
		f.upSince[s] = -1
		f.down[s].Store(true)
		sv := &r.servers[s]
		ls := &r.lp.srv[s]
		var held []svcJob
		if ls.busy {
			// The job in service fails with its server: its heap entry
			// goes stale.
			held = append(held, ls.job)
			ls.busy = false
			ls.seq++
			ls.prevDue, ls.prevEnd = 0, now
			sv.inSize.store(0)
			sv.doneWork.store(sv.doneWork.load() + ls.job.size)
			sv.load.Add(-1)
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
		for _, j := range held {
			if r.obs != nil {
				r.obs.Completed(r, s, r.jobOf(j), float64(now-j.at)/r.unitNs) // as the balancer reports a failed request
			}
			if f.retry {
				if t := r.pick(r.jobOf(j)); t != noServer {
					if t < 0 || t >= r.n {
						r.central.push(j)
						r.centralN.Add(1)
						r.loopTakeCentral(now)
					} else {
						r.loopPlace(t, j, r.jobOf(j), now)
					}
					continue
				}
			}
			r.lose(j, s)
		}
	default:
		f.speed[s].store(e.Speed) // from the next job it starts: the one in service keeps its speed
	}
}
