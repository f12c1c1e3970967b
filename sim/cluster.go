package sim

import (
	"bufio"
	"context"
	"math"
	"strconv"

	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

// job is a job in the system: 32 bytes, kept only while the job is present.
type job struct {
	id      uint64
	arrival float64
	size    float64
	start   float64
}

// ring is a growable FIFO of jobs (power-of-two capacity).
type ring struct {
	buf  []job
	head int
	n    int
}

func (r *ring) push(j job) {
	if r.n == len(r.buf) {
		nb := make([]job, max(4, 2*len(r.buf)))
		for i := range r.n {
			nb[i] = r.buf[(r.head+i)&(len(r.buf)-1)]
		}
		r.buf, r.head = nb, 0
	}
	r.buf[(r.head+r.n)&(len(r.buf)-1)] = j
	r.n++
}

func (r *ring) pop() job {
	j := r.buf[r.head]
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.n--
	return j
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

// cluster is one replication of the simulated cluster. It implements
// strategies.View.
type cluster struct {
	n       int
	speed   []float64
	load    []int32 // jobs present: waiting + in service
	queued  []float64
	queues  []ring
	inSvc   []job
	svcEnd  []float64
	ps      []psServer
	isPS    bool
	central ring
	heap    *eventHeap // departure timers, one slot per server (FIFO: without positions)
	handoff int32      // a FIFO server taking a job from the central queue as it departs, else -1
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
	resp      *metrics.Latency
	respSum   float64
	waitSum   float64
	batches   []float64
	batchN    []int64
	inSystem  int64
	winStart  float64 // arrival of the first measured job
	winEnd    float64 // arrival of the last measured job
	area      float64 // integral of jobs in system over the window
	busySince []float64
	busyTime  []float64
	dispatch  []int64
	lastT     float64
	events    uint64

	trace    *bufio.Writer
	traceBuf []byte

	// faults (nil: none) and the time of the next fault event (+Inf: none).
	faults    *faultState
	nextFault float64
}

// View implementation.

func (c *cluster) Servers() int        { return c.n }
func (c *cluster) Load(i int) int      { return int(c.load[i]) }
func (c *cluster) Speed(i int) float64 { return c.speed[i] }
func (c *cluster) Now() float64        { return c.now }

func (c *cluster) Work(i int) float64 {
	if c.isPS {
		p := &c.ps[i]
		if c.load[i] == 0 {
			return 0
		}
		a := p.a + (c.now-p.lastT)*c.speed[i]/float64(c.load[i])
		return max(p.sumTags-float64(c.load[i])*a, 0)
	}
	w := c.queued[i]
	if c.load[i] > 0 {
		w += max(c.svcEnd[i]-c.now, 0) * c.speed[i]
	}
	return w
}

func (c *cluster) measured(id uint64) bool { return id >= c.warmup && id < c.total }

// advance integrates time-weighted statistics up to t and moves the clock.
func (c *cluster) advance(t float64) {
	if t > c.winStart && c.lastT < c.winEnd {
		lo := max(c.lastT, c.winStart)
		hi := min(t, c.winEnd)
		if hi > lo {
			c.area += float64(c.inSystem) * (hi - lo)
		}
	}
	c.lastT = t
	c.now = t
}

func (c *cluster) becomeBusy(s int) { c.busySince[s] = c.now }

func (c *cluster) becomeIdle(s int) {
	lo := max(c.busySince[s], c.winStart)
	hi := min(c.now, c.winEnd)
	if hi > lo {
		c.busyTime[s] += hi - lo
	}
}

func (c *cluster) jobOf(j job) strategies.Job {
	return strategies.Job{ID: j.id, Key: strategies.Mix64(j.id ^ c.keySalt), Size: j.size}
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
	if j.id == c.warmup {
		c.winStart = c.now
	}
	if j.id == c.total-1 {
		c.winEnd = c.now
	}
	c.inSystem++
	s := c.pick(j)
	switch {
	case s == strategies.Hold:
		c.central.push(j)
	case s < 0:
		c.lose(j, -1) // every server is down
	default:
		c.dispatchTo(s, j)
	}
	if c.precision > 0 && c.nextID == c.total {
		c.checkPrecision()
	}
	if c.stopArrivalsAtTotal && c.nextID >= c.total {
		c.nextArrival = math.Inf(1)
		return
	}
	c.scheduleArrival()
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
	if c.measured(j.id) {
		c.dispatch[s]++
	}
	if c.isPS {
		c.psAdvance(s) // at the rate of the jobs present before this one
	}
	c.load[s]++
	if c.idx != nil {
		c.idx.moved(s, c.load[s]-1, c.load[s])
	}
	if c.load[s] == 1 {
		c.becomeBusy(s)
	}
	if c.observer != nil {
		c.observer.Dispatched(c, s, c.jobOf(j))
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
	if c.load[s] == 1 {
		c.startService(s, j, int32(s) == c.handoff)
		return
	}
	c.queued[s] += j.size
	c.queues[s].push(j)
}

// startService starts job j at FIFO server s, whose departure timer is the
// heap's top (atTop: s has just departed) or absent.
func (c *cluster) startService(s int, j job, atTop bool) {
	j.start = c.now
	c.inSvc[s] = j
	end := c.now + j.size/c.speed[s]
	c.svcEnd[s] = end
	if atTop {
		c.heap.replaceTopNoPos(end)
	} else {
		c.heap.pushNoPos(int32(s), end)
	}
	if c.measured(j.id) {
		c.waitSum += c.now - j.arrival
	}
}

// psAdvance moves server s's attained-service clock to now at the rate of
// the jobs present (callers advance before changing the load).
func (c *cluster) psAdvance(s int) {
	p := &c.ps[s]
	if n := c.load[s]; n > 0 && c.now > p.lastT {
		p.a += (c.now - p.lastT) * c.speed[s] / float64(n)
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
	d := max(p.jobs[0].tag-p.a, 0) * float64(c.load[s]) / c.speed[s]
	c.heap.set(int32(s), c.now+d)
}

// depart handles the departure event of server s.
func (c *cluster) depart(s int) {
	var j job
	if c.isPS {
		c.psAdvance(s)
		p := &c.ps[s]
		pj := p.pop()
		p.sumTags -= pj.tag
		j = pj.j
	} else {
		j = c.inSvc[s]
	}
	c.load[s]--
	if c.idx != nil {
		c.idx.moved(s, c.load[s]+1, c.load[s])
	}
	c.inSystem--
	resp := c.now - j.arrival
	if c.measured(j.id) {
		c.resp.Record(resp)
		c.respSum += resp
		if c.isPS {
			c.waitSum += max(resp-j.size/c.speed[s], 0)
		}
		if c.legacyBatches {
			b := (j.id - c.warmup) * uint64(len(c.batches)) / c.jobs
			c.batches[b] += resp
			c.batchN[b]++
		}
		c.fine.add(j.id, resp)
		c.departedMeasured++
		if c.faults != nil {
			c.faults.rec.Done(j.arrival, s, resp)
		}
	} else if c.pilot != nil && j.id < c.warmup {
		c.pilot.add(j.id, resp)
	}
	if c.trace != nil && j.id < c.total {
		c.writeTrace(j, s)
	}
	if c.observer != nil {
		c.observer.Completed(c, s, c.jobOf(j), resp)
	}
	if c.isPS {
		if c.load[s] == 0 {
			c.becomeIdle(s)
			if c.central.n > 0 {
				c.dispatchTo(s, c.central.pop())
				return
			}
		}
		c.psSchedule(s)
		return
	}
	switch {
	case c.queues[s].n > 0:
		nj := c.queues[s].pop()
		c.queued[s] -= nj.size
		if c.queues[s].n == 0 {
			c.queued[s] = 0 // no drift from float subtraction
		}
		c.startService(s, nj, true)
	case c.central.n > 0:
		c.becomeIdle(s) // close the busy period; dispatchTo opens the next at once
		c.handoff = int32(s)
		c.dispatchTo(s, c.central.pop())
		c.handoff = -1
	default:
		c.becomeIdle(s)
		c.heap.popTopNoPos()
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

// pending reports whether the run has events left to process: some
// measured job has not departed yet.
func (c *cluster) pending() bool {
	done := c.departedMeasured
	if c.faults != nil {
		done += c.faults.lost
	}
	return done < c.total-c.warmup && (c.heap.len() > 0 || !math.IsInf(c.nextArrival, 1))
}

// step processes the earliest event: the next arrival, or the earliest
// departure (an arrival first on a tie). There must be one (pending).
func (c *cluster) step() {
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
		c.depart(int(e.slot))
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
