package sim

import (
	"bufio"
	"context"
	"math"
	"math/rand/v2"
	"strconv"
	"unsafe"

	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

// job is a job with its whole identity: how the central queue, processor
// sharing, a server taken down, policies and the trace see it. At FIFO
// servers jobs live in the pool instead (pool.go), in 24 bytes.
type job struct {
	id      uint64
	arrival float64
	size    float64
	start   float64
}

// ring is a growable FIFO (power-of-two capacity): the central queue's
// jobs, the completions on their way back to the dispatcher.
type ring[T any] struct {
	buf  []T
	head int
	n    int
}

func (r *ring[T]) push(x T) {
	if r.n == len(r.buf) {
		nb := make([]T, max(4, 2*len(r.buf)))
		for i := range r.n {
			nb[i] = r.buf[(r.head+i)&(len(r.buf)-1)]
		}
		r.buf, r.head = nb, 0
	}
	r.buf[(r.head+r.n)&(len(r.buf)-1)] = x
	r.n++
}

// front returns the oldest element (n > 0).
func (r *ring[T]) front() *T { return &r.buf[r.head] }

func (r *ring[T]) pop() T {
	x := r.buf[r.head]
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.n--
	return x
}

// psJob is a job at a processor-sharing server, keyed by its finish tag on
// the server's attained-service clock.
type psJob struct {
	tag float64
	j   job
}

// psServer is the state of a processor-sharing server: each of its n jobs
// is served at rate speed/n. The attained-service clock a advances at that
// rate; a job finishes when a reaches its tag (a at arrival + size).
type psServer struct {
	a       float64
	lastT   float64
	sumTags float64
	jobs    []psJob // min-heap by tag
}

// srv is a server's state that every event touches, in 8 bytes (eight to
// a cache line, so that a policy's look at a server brings in the rest).
// The jobs waiting at a FIFO server are a circular list through their pool
// records: the last one's next is the first.
type srv struct {
	// load is the number of jobs present (waiting + in service) up to
	// loadCap; a server with more holds loadCap here and its load in
	// cluster.bigLoad (see loadOf).
	load uint16
	disp uint16 // measured jobs dispatched, modulo 2^16 (dispHi counts the wraps)
	tail uint32 // FIFO: the pool record of the last job waiting (load > 1)
}

// loadCap is the largest load a server's state holds itself. A variable
// for tests, at least 3: a comparison of the state's load with 0, 1 or 2
// is then right whatever the load.
var loadCap uint16 = 1<<16 - 1

// loadAt returns the load of server i of servers, whose loads from loadCap
// on are in big.
func loadAt(servers []srv, big map[int32]int32, i int) int32 {
	if l := servers[i].load; l < loadCap {
		return int32(l)
	}
	return big[int32(i)]
}

// loadOf returns server s's load.
func (c *cluster) loadOf(s int) int32 { return loadAt(c.srv, c.bigLoad, s) }

// addLoad adds d to server s's load and returns the new load. Callers add
// or take one job themselves when the load stays below loadCap (the
// common case, inlined) and call addLoad otherwise.
//
//go:noinline
func (c *cluster) addLoad(s int, d int32) int32 { return c.setLoad(s, c.loadOf(s)+d) }

// setLoad sets server s's load to l and returns it.
func (c *cluster) setLoad(s int, l int32) int32 {
	if l < int32(loadCap) {
		if c.srv[s].load == loadCap {
			delete(c.bigLoad, int32(s))
		}
		c.srv[s].load = uint16(l)
		return l
	}
	if c.bigLoad == nil {
		c.bigLoad = map[int32]int32{}
	}
	c.bigLoad[int32(s)] = l
	c.srv[s].load = loadCap
	return l
}

// cluster is one replication of the simulated cluster. It implements
// strategies.View.
type cluster struct {
	n     int
	speed []float64 // nil: every speed is 1
	srv   []srv
	// bigLoad holds the loads of the servers with loadCap jobs or more.
	bigLoad map[int32]int32
	dispHi  map[int32]uint64
	pool    pool
	// trackWork: the work of each FIFO server is kept, for policies that
	// may read Work and for faults, which change speeds.
	trackWork bool
	work      []workState
	svcStart  []float64 // FIFO, with a trace: start of the job in service
	// The job in service at a FIFO server is in no pool record: its
	// arrival and id (modulo idWrap) ride with its departure timer in the
	// ladder, or without the ladder are kept here by server; its size only
	// when something will ask for it (an observer, faults).
	svc     []inService
	svcSize []float64
	// oldSvc holds the full ids of jobs in service that have stayed
	// idWrap/2 arrivals or more, by server (see pool).
	oldSvc  map[int32]uint64
	ps      []psServer
	isPS    bool
	central ring[job]
	// Departure timers, one a busy server: the heap (FIFO: without
	// positions), or for a large FIFO cluster without faults the ladder.
	heap    *eventHeap
	lad     *ladder
	handoff int32 // a FIFO server taking a job from the central queue as it departs, else -1
	// nextArrival is the time of the next arrival (+Inf when arrivals have
	// stopped); kept out of the heap because it changes at every arrival.
	nextArrival float64
	nextSize    float64 // size of the next arrival when the process carries sizes, else < 0
	now         float64
	policy      strategies.Policy
	observer    strategies.Observer
	// view is what the policy sees: the cluster, with a load index when
	// the policy uses one (idx, else nil).
	view strategies.View
	idx  *loadIndex

	// native is how the engine picks servers itself for a policy it knows
	// (nativePolicy), with the policy's own random stream prng and the
	// same draws; cand are p2c's candidates for the next two arrivals,
	// drawn ahead to fetch their state early.
	native pickKind
	prng   *rand.Rand
	cand   [2][2]int32
	fin    *finishIndex // lwl's finish times (native lwl)
	cands  []int32
	vals   []float64

	arrivals workloads.ArrivalProcess
	sizes    workloads.Sampler
	keySalt  uint64

	warmup, jobs, total uint64 // measured ids are [warmup, total)
	nextID              uint64 // next arrival's id
	departedMeasured    uint64
	stopArrivalsAtTotal bool

	// Steady-state detection (auto: Config.Warmup was 0): a pilot phase
	// whose jobs feed pilot until pilotCheck starts the measurement; see
	// steady.go.
	auto, inPilot       bool
	pilot               *batchSeries
	pilotNext, pilotCap uint64
	steady              bool
	mserJobs            uint64
	mserBatches         int
	legacyBatches       bool // batches below are used (Warmup given, no precision target)
	fine                *batchSeries
	precision           float64
	jobsCap             uint64
	precisionCapped     bool

	// measurement
	resp     *metrics.Latency
	respSum  float64
	waitSum  float64
	batches  []float64
	batchN   []int64
	inSystem int64
	winStart float64 // arrival of the first measured job
	winEnd   float64 // arrival of the last measured job
	area     float64 // integral of jobs in system over the window
	// Busy time by server (perServer: up to perServerMax servers), else
	// only the capacity busy now and its integral over the window.
	perServer bool
	busySince []float64
	busyTime  []float64
	busyCap   float64
	busyArea  float64
	lastT     float64
	events    uint64

	trace    *bufio.Writer
	traceBuf []byte

	// faults (nil: none) and the time of the next fault event (+Inf: none).
	faults    *faultState
	nextFault float64

	// viewDelay (> 0: the scenario's ViewDelay) is how long after a
	// departure the policy learns of it: returning counts by server the
	// jobs departed but not yet seen, back holds them in departure order
	// (so in the order they are seen: the delay is the same for all).
	viewDelay float64
	returning []int32
	back      ring[returned]
}

// lagView is the cluster as its policy sees it when completions reach the
// dispatcher late: a job counts at its server until viewDelay after it
// departed.
type lagView struct{ *cluster }

func (v lagView) Load(i int) int { return v.cluster.Load(i) + int(v.returning[i]) }

// goingBack records that job j, done at server s now, reaches the
// dispatcher viewDelay later.
func (c *cluster) goingBack(s int, j job) {
	c.returning[s]++
	c.back.push(returned{t: c.now + c.viewDelay, s: int32(s), j: j})
}

// seeReturns lets the policy see every completion that has reached the
// dispatcher by now, in order, telling an observer at the time each
// arrived (the clock is moved back to it for the call and then restored).
func (c *cluster) seeReturns() {
	now := c.now
	for c.back.n > 0 && c.back.front().t <= now {
		r := c.back.pop()
		c.returning[r.s]--
		if c.observer != nil {
			c.now = r.t
			c.observer.Completed(c.view, int(r.s), c.jobOf(r.j), r.t-r.j.arrival)
		}
	}
	c.now = now
}

// returned is a completion on its way back to the dispatcher, seen at t.
type returned struct {
	t float64
	s int32
	j job
}

// inService is the job in service at a FIFO server without the ladder: its
// arrival and its id modulo idWrap.
type inService struct {
	arr  float64
	idlo uint32
}

// workState is what a FIFO server's work is made of: the work waiting
// (sizes at speed 1; reset to 0 when none waits, so that it does not drift)
// and the end of the job in service.
type workState struct {
	queued float64
	end    float64
}

// perServerMax is the most servers whose busy times the record gives one
// by one; beyond, it gives the utilization and the spread of the jobs
// dispatched (a result of a million servers carries no arrays of a
// million figures).
const perServerMax = 1 << 14

// View implementation.

func (c *cluster) Servers() int   { return c.n }
func (c *cluster) Load(i int) int { return int(c.loadOf(i)) }
func (c *cluster) Now() float64   { return c.now }

func (c *cluster) Speed(i int) float64 {
	if c.speed == nil {
		return 1
	}
	return c.speed[i]
}

func (c *cluster) Work(i int) float64 {
	load := c.loadOf(i)
	if c.isPS {
		p := &c.ps[i]
		if load == 0 {
			return 0
		}
		a := p.a + (c.now-p.lastT)*c.Speed(i)/float64(load)
		return max(p.sumTags-float64(load)*a, 0)
	}
	ws := &c.work[i]
	w := ws.queued
	if load > 0 {
		w += max(ws.end-c.now, 0) * c.Speed(i)
	}
	return w
}

func (c *cluster) measured(id uint64) bool { return id >= c.warmup && id < c.total }

// advance integrates time-weighted statistics up to t and moves the clock.
func (c *cluster) advance(t float64) {
	if c.lastT >= c.winStart && t <= c.winEnd {
		// Inside the window, the common case: the general case below with
		// lo = lastT and hi = t (adding 0 when t = lastT changes nothing).
		d := t - c.lastT
		c.area += float64(c.inSystem) * d
		if !c.perServer {
			c.busyArea += c.busyCap * d
		}
		c.lastT, c.now = t, t
		return
	}
	if t > c.winStart && c.lastT < c.winEnd {
		lo := max(c.lastT, c.winStart)
		hi := min(t, c.winEnd)
		if hi > lo {
			c.area += float64(c.inSystem) * (hi - lo)
			if !c.perServer {
				c.busyArea += c.busyCap * (hi - lo)
			}
		}
	}
	c.lastT = t
	c.now = t
}

func (c *cluster) becomeBusy(s int) {
	if c.perServer {
		c.busySince[s] = c.now
		return
	}
	c.busyCap += c.Speed(s)
}

func (c *cluster) becomeIdle(s int) {
	if !c.perServer {
		c.busyCap -= c.Speed(s)
		return
	}
	lo := max(c.busySince[s], c.winStart)
	hi := min(c.now, c.winEnd)
	if hi > lo {
		c.busyTime[s] += hi - lo
	}
}

func (c *cluster) jobOf(j job) strategies.Job {
	return strategies.Job{ID: j.id, Key: strategies.Mix64(j.id ^ c.keySalt), Size: j.size}
}

// dispatched returns the number of measured jobs dispatched to server s.
func (c *cluster) dispatched(s int) uint64 {
	return c.dispHi[int32(s)]<<16 | uint64(c.srv[s].disp)
}

// arrive handles the arrival event.
func (c *cluster) arrive() {
	size := c.nextSize
	if size < 0 {
		size = c.sizes.Sample()
	}
	j := job{id: c.nextID, arrival: c.now, size: size}
	if c.inPilot && j.id == c.pilotNext {
		c.pilotCheck(j.id)
	}
	c.nextID++
	if c.nextID&(idWrap/2-1) == 0 && !c.isPS {
		c.sweepOldIDs()
	}
	if j.id == c.warmup {
		c.winStart = c.now
	}
	if j.id == c.total-1 {
		c.winEnd = c.now
	}
	c.inSystem++
	if c.viewDelay > 0 {
		c.seeReturns()
	}
	s := c.pick(j)
	if s >= 0 && c.lad != nil {
		prefetch(unsafe.Pointer(&c.srv[s]))
		if c.work != nil {
			prefetch(unsafe.Pointer(&c.work[s]))
		}
	}
	// What follows does not depend on where the job goes: done before the
	// job is placed, it overlaps the fetch of the server's state.
	if c.precision > 0 && c.nextID == c.total {
		c.checkPrecision()
	}
	if c.stopArrivalsAtTotal && c.nextID >= c.total {
		c.nextArrival = math.Inf(1)
	} else {
		c.scheduleArrival()
	}
	switch {
	case s == strategies.Hold:
		c.central.push(j)
	case s < 0:
		c.lose(j, -1) // every server is down
	default:
		c.dispatchTo(s, j)
	}
}

// scheduleArrival draws the next arrival's time and (for traces) size. When
// a trace runs out, arrivals stop and the measurement ends with the last
// job that arrived.
func (c *cluster) scheduleArrival() {
	gap, size := c.arrivals.Next()
	if math.IsInf(gap, 1) {
		c.nextArrival = math.Inf(1)
		if c.nextID < c.total {
			c.total = max(c.nextID, c.warmup)
			c.winEnd = c.now
		}
		return
	}
	c.nextArrival = c.now + gap
	c.nextSize = size
}

// dispatchTo puts job j at server s.
func (c *cluster) dispatchTo(s int, j job) {
	sv := &c.srv[s]
	if c.measured(j.id) {
		sv.disp++
		if sv.disp == 0 {
			c.dispWrapped(s)
		}
	}
	if c.isPS {
		c.psAdvance(s) // at the rate of the jobs present before this one
	}
	var load int32
	if l := sv.load; l < loadCap-1 {
		sv.load = l + 1
		load = int32(l + 1)
	} else {
		load = c.addLoad(s, 1)
	}
	if c.idx != nil {
		c.idx.moved(s, load-1, load)
	}
	if load == 1 {
		c.becomeBusy(s)
	}
	if c.observer != nil {
		c.observer.Dispatched(c.view, s, c.jobOf(j))
	}
	if c.isPS {
		p := &c.ps[s]
		j.start = c.now
		tag := p.a + j.size
		p.sumTags += tag
		p.push(psJob{tag, j})
		c.psSchedule(s)
		return
	}
	if load == 1 {
		c.startService(s, j.arrival, j.size, j.id, int32(s) == c.handoff)
		return
	}
	i := c.pool.alloc()
	r := c.pool.put(i, j, c.nextID)
	if load == 2 {
		r.next = i
	} else {
		t := c.pool.at(sv.tail)
		r.next = t.next
		t.next = i
	}
	sv.tail = i
	if c.trackWork {
		c.work[s].queued += j.size
		c.finishChanged(s)
	}
}

func (c *cluster) dispWrapped(s int) {
	if c.dispHi == nil {
		c.dispHi = map[int32]uint64{}
	}
	c.dispHi[int32(s)]++
}

// startService starts the job id (arrived at arr, of the given size) at
// FIFO server s, whose departure timer is the earliest (atTop: s has just
// departed) or absent.
func (c *cluster) startService(s int, arr, size float64, id uint64, atTop bool) {
	if c.svcStart != nil {
		c.svcStart[s] = c.now
	}
	if c.svcSize != nil {
		c.svcSize[s] = size
	}
	var end float64
	if c.speed == nil {
		end = c.now + size // size/1 exactly
	} else {
		end = c.now + size/c.speed[s]
	}
	if c.trackWork {
		c.work[s].end = end
		c.finishChanged(s)
	}
	idlo := uint32(id & (idWrap - 1))
	if c.nextID-id >= idWrap/2 {
		c.keepOldSvc(s, id)
	}
	switch {
	case c.lad == nil:
		c.svc[s] = inService{arr, idlo}
		if atTop {
			c.heap.replaceTopNoPos(end)
		} else {
			c.heap.pushNoPos(int32(s), end)
		}
	default:
		if atTop {
			c.lad.pop()
		}
		c.lad.add(timer{key: math.Float64bits(end), slot: int32(s), idlo: idlo, arr: arr})
	}
	if c.measured(id) {
		c.waitSum += c.now - arr
	}
}

func (c *cluster) keepOldSvc(s int, id uint64) {
	if c.oldSvc == nil {
		c.oldSvc = map[int32]uint64{}
	}
	c.oldSvc[int32(s)] = id
}

// svcJobID returns the full id of the job in service at server s, whose id
// modulo idWrap is idlo, and forgets it: the job is leaving.
func (c *cluster) svcJobID(s int, idlo uint32) uint64 {
	if len(c.oldSvc) > 0 {
		if id, ok := c.oldSvc[int32(s)]; ok {
			delete(c.oldSvc, int32(s))
			return id
		}
	}
	return c.nextID - (c.nextID-uint64(idlo))&(idWrap-1)
}

// psAdvance moves server s's attained-service clock to now at the rate of
// the jobs present (callers advance before changing the load).
func (c *cluster) psAdvance(s int) {
	p := &c.ps[s]
	if n := c.loadOf(s); n > 0 && c.now > p.lastT {
		p.a += (c.now - p.lastT) * c.Speed(s) / float64(n)
	}
	p.lastT = c.now
}

// psSchedule sets server s's departure timer to when its job with the
// smallest tag finishes, at the current sharing rate.
func (c *cluster) psSchedule(s int) {
	p := &c.ps[s]
	if len(p.jobs) == 0 {
		c.heap.remove(int32(s))
		return
	}
	d := max(p.jobs[0].tag-p.a, 0) * float64(c.loadOf(s)) / c.Speed(s)
	c.heap.set(int32(s), c.now+d)
}

// depart handles the departure event of FIFO server s, whose job in
// service arrived at arr and has the id idlo modulo idWrap.
func (c *cluster) depart(s int, arr float64, idlo uint32) {
	if c.lad != nil {
		c.prefetchDepartures()
	}
	sv := &c.srv[s]
	var load int32
	if l := sv.load; l < loadCap {
		sv.load = l - 1
		load = int32(l - 1)
	} else {
		load = c.addLoad(s, -1)
	}
	if c.idx != nil {
		c.idx.moved(s, load+1, load)
	}
	c.inSystem--
	id := c.svcJobID(s, idlo)
	c.departed(s, id, arr)
	if c.trace != nil || c.observer != nil || c.viewDelay > 0 {
		j := job{id: id, arrival: arr}
		if c.svcSize != nil {
			j.size = c.svcSize[s]
		}
		if c.svcStart != nil {
			j.start = c.svcStart[s]
		}
		if c.viewDelay > 0 {
			c.goingBack(s, j)
		}
		c.tell(s, j)
	}
	switch {
	case load > 0:
		t := c.pool.at(sv.tail)
		h := t.next
		r := c.pool.at(h)
		nj := c.pool.job(h, r, c.nextID)
		if load > 1 {
			t.next = r.next
		}
		c.pool.release(h, r)
		if c.trackWork {
			if load == 1 {
				c.work[s].queued = 0 // no drift from float subtraction
			} else {
				c.work[s].queued -= nj.size
			}
		}
		c.startService(s, nj.arrival, nj.size, nj.id, true)
	case c.central.n > 0:
		c.becomeIdle(s) // close the busy period; dispatchTo opens the next at once
		c.handoff = int32(s)
		c.dispatchTo(s, c.central.pop())
		c.handoff = -1
	default:
		c.becomeIdle(s)
		c.finishChanged(s)
		if c.lad != nil {
			c.lad.pop()
		} else {
			c.heap.popTopNoPos()
		}
	}
}

// departPS handles the departure event of processor-sharing server s.
func (c *cluster) departPS(s int) {
	c.psAdvance(s)
	p := &c.ps[s]
	pj := p.pop()
	p.sumTags -= pj.tag
	j := pj.j
	load := c.addLoad(s, -1)
	if c.idx != nil {
		c.idx.moved(s, load+1, load)
	}
	c.inSystem--
	resp := c.departed(s, j.id, j.arrival)
	if c.viewDelay > 0 {
		c.goingBack(s, j)
	}
	if c.measured(j.id) {
		c.waitSum += max(resp-j.size/c.Speed(s), 0)
	}
	c.tell(s, j)
	if c.srv[s].load == 0 {
		c.becomeIdle(s)
		if c.central.n > 0 {
			c.dispatchTo(s, c.central.pop())
			return
		}
	}
	c.psSchedule(s)
}

// departed records the response of job id, arrived at arrival, leaving
// server s now, and returns it.
func (c *cluster) departed(s int, id uint64, arrival float64) float64 {
	resp := c.now - arrival
	if c.measured(id) {
		c.resp.Record(resp)
		c.respSum += resp
		if c.legacyBatches {
			b := (id - c.warmup) * uint64(len(c.batches)) / c.jobs
			c.batches[b] += resp
			c.batchN[b]++
		}
		c.fine.add(id, resp)
		c.departedMeasured++
		if c.faults != nil {
			c.faults.rec.Done(arrival, s, resp)
		}
	} else if c.pilot != nil && id < c.warmup {
		c.pilot.add(id, resp)
	}
	return resp
}

// tell writes departing job j to the trace and tells the observer.
func (c *cluster) tell(s int, j job) {
	if c.trace != nil && j.id < c.total {
		c.writeTrace(j, s)
	}
	if c.observer != nil && c.viewDelay == 0 {
		c.observer.Completed(c.view, s, c.jobOf(j), c.now-j.arrival)
	}
}

// prefetchDepartures asks the memory for what the next departures will
// read, a few departures ahead (the ladder knows them): the server of the
// fifth one, the job in service of the third (its server was asked for two
// departures ago), and the job that will start after the second. At a
// million servers these are cache misses that would otherwise come one
// after the other.
func (c *cluster) prefetchDepartures() {
	if s := c.lad.ahead(5); s >= 0 {
		prefetch(unsafe.Pointer(&c.srv[s]))
	}
	if s := c.lad.ahead(4); s >= 0 && c.srv[s].load > 1 {
		prefetch(unsafe.Pointer(c.pool.at(c.srv[s].tail)))
	}
	if s := c.lad.ahead(2); s >= 0 && c.srv[s].load > 1 {
		prefetch(unsafe.Pointer(c.pool.at(c.pool.at(c.srv[s].tail).next)))
	}
}

// waiting returns the pool record of the first job waiting at FIFO server
// s and the number of jobs waiting (the records follow through next).
func (c *cluster) waiting(s int) (first uint32, n int) {
	sv := &c.srv[s]
	if sv.load < 2 {
		return nilJob, 0
	}
	return c.pool.at(sv.tail).next, int(c.loadOf(s)) - 1
}

// sweepOldIDs keeps aside the full ids of the jobs at FIFO servers that
// arrived idWrap/2 or more arrivals ago (see pool).
func (c *cluster) sweepOldIDs() {
	keepIfOld := func(slot int32, idlo uint32) {
		if _, ok := c.oldSvc[slot]; ok {
			return
		}
		if id := c.nextID - (c.nextID-uint64(idlo))&(idWrap-1); c.nextID-id >= idWrap/2 {
			c.keepOldSvc(int(slot), id)
		}
	}
	if c.lad != nil {
		c.lad.each(keepIfOld)
	}
	for s := range c.srv {
		if c.srv[s].load == 0 {
			continue
		}
		if c.lad == nil {
			keepIfOld(int32(s), c.svc[s].idlo)
		}
		for i, k := c.waiting(s); k > 0; k-- {
			r := c.pool.at(i)
			if id := c.pool.id(i, r, c.nextID); c.nextID-id >= idWrap/2 {
				c.pool.keepOld(i, id)
			}
			i = r.next
		}
	}
}

func (c *cluster) writeTrace(j job, s int) {
	b := c.traceBuf[:0]
	b = strconv.AppendUint(b, j.id, 10)
	b = append(b, ',')
	b = strconv.AppendFloat(b, j.arrival, 'g', -1, 64)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(s), 10)
	b = append(b, ',')
	b = strconv.AppendFloat(b, j.start, 'g', -1, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, c.now, 'g', -1, 64)
	b = append(b, '\n')
	c.traceBuf = b
	c.trace.Write(b)
}

// run simulates until every measured job has departed, ctx is done, or a
// trace runs out. It checks ctx and reports progress every 2^18 events.
func (c *cluster) run(ctx context.Context, progress func(done uint64)) error {
	const every = 1 << 18
	for c.pending() {
		c.step()
		if c.events%every == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if progress != nil {
				progress(c.departedMeasured)
			}
		}
	}
	return nil
}

// timers is the number of departure timers set.
func (c *cluster) timers() int {
	if c.lad != nil {
		return c.lad.len()
	}
	return c.heap.len()
}

// nextDeparture returns the time of the earliest departure timer, if any.
func (c *cluster) nextDeparture() (float64, bool) {
	if c.lad != nil {
		e, ok := c.lad.top()
		if !ok {
			return 0, false
		}
		return e.t(), true
	}
	if len(c.heap.items) == 0 {
		return 0, false
	}
	return c.heap.items[0].t(), true
}

// idleLeastWork reports whether the servers with the least work are
// exactly the idle ones (see indexedView.IdleLeastWork).
func (c *cluster) idleLeastWork() bool {
	if c.idx.min != 0 || c.isPS {
		return false
	}
	t, ok := c.nextDeparture()
	return !ok || t > c.now
}

// pending reports whether the run has events left to process: some
// measured job has not departed yet.
func (c *cluster) pending() bool {
	done := c.departedMeasured
	if c.faults != nil {
		done += c.faults.lost
	}
	return done < c.total-c.warmup && (c.nextArrival < math.Inf(1) || c.timers() > 0)
}

// step processes the earliest event: the next arrival, or the earliest
// departure (an arrival first on a tie). There must be one (pending).
func (c *cluster) step() {
	if c.lad != nil {
		// A large FIFO cluster without faults.
		if e, ok := c.lad.top(); ok && e.t() < c.nextArrival {
			c.advance(e.t())
			c.depart(int(e.slot), e.arr, e.idlo)
		} else {
			c.advance(c.nextArrival)
			c.arrive()
		}
		c.events++
		return
	}
	if c.nextFault <= c.nextArrival && (c.heap.len() == 0 || c.nextFault <= c.heap.top().t()) {
		c.advance(c.nextFault)
		c.applyFault()
		return
	}
	if c.heap.len() == 0 || c.nextArrival <= c.heap.top().t() {
		c.advance(c.nextArrival)
		c.arrive()
	} else {
		e := c.heap.top()
		c.advance(e.t())
		if s := int(e.slot); c.isPS {
			c.departPS(s)
		} else {
			in := &c.svc[s]
			c.depart(s, in.arr, in.idlo)
		}
	}
	c.events++
}

// PS heap helpers.

func (p *psServer) push(x psJob) {
	p.jobs = append(p.jobs, x)
	i := len(p.jobs) - 1
	for i > 0 {
		q := (i - 1) / 2
		if p.jobs[q].tag <= p.jobs[i].tag {
			break
		}
		p.jobs[q], p.jobs[i] = p.jobs[i], p.jobs[q]
		i = q
	}
}

func (p *psServer) pop() psJob {
	top := p.jobs[0]
	last := len(p.jobs) - 1
	p.jobs[0] = p.jobs[last]
	p.jobs = p.jobs[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= last {
			break
		}
		m := l
		if r := l + 1; r < last && p.jobs[r].tag < p.jobs[l].tag {
			m = r
		}
		if p.jobs[i].tag <= p.jobs[m].tag {
			break
		}
		p.jobs[i], p.jobs[m] = p.jobs[m], p.jobs[i]
		i = m
	}
	return top
}
