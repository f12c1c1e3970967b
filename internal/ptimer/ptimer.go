// Package ptimer sleeps until deadlines precisely: a waiter runs within a
// few tens of microseconds of its deadline on an idle machine. The
// harness's service mode (its arrivals and its sleeping servers) and the
// cluster's sleep tasks and load generator sleep through it.
//
// Go's timers are not enough here: they were measured 0.2 to 1ms late on
// the development machine (the runtime waits for its timers in epoll,
// whose timeout counts whole milliseconds), which would stretch a service
// of one millisecond by up to as much again and make arrivals late. A
// goroutine sleeping in nanosleep(2) itself would be precise, but it holds
// its P for the whole sleep, starving the other goroutines when many sleep
// at once (a worker of capacity 8 on 2 cores).
//
// So one goroutine per process keeps a heap of deadlines and waits for the
// earliest: on Linux in ppoll(2) on an eventfd, written when an earlier
// deadline comes in, with its thread's timer slack lowered from 50µs to
// 1ns; elsewhere on a Go timer. Every waiter waits on a channel of its
// own, holding nothing. Once the timer has woken waiters it yields, so
// that they run on its thread at once rather than wait for the runtime to
// wake another thread (a second trip through the OS scheduler, which costs
// milliseconds on a loaded machine). A woken waiter then runs about 5 to
// 30µs after the wake-up on an idle machine, more on a busy one; the timer
// fires early by the mean of that delay, its lead, which every wake-up
// moves by 1/50 of the waiter's lateness, so that waiters run on their
// deadlines on average. While the timer runs (it is not asleep in the OS)
// a new earliest deadline needs no poke: it is seen on the next round.
// The lead belongs to the process, so a run starts from what the last one
// learnt. A wait shorter than 2µs does not register at all: it yields
// until its deadline.
//
// There are two ways to wait. SleepUntil never returns before its deadline
// (it yields out what is left after an early wake-up): for a task that
// must last its size. SleepNear returns when it is woken, early about as
// often as late: for a run whose means must match the simulator's, which
// cutting the early wake-ups short would bias late.
//
// A goroutine that owns a stream of deadlines microseconds apart (the
// harness's service loop) cannot afford a trip through the timer per
// deadline: it waits with a Spinner of its own, which sleeps the thread in
// nanosleep(2) and either returns when the OS wakes it (Sleep: the caller
// aims early by what it learns the OS is late) or wakes a learnt margin
// early and spins on the clock to the deadline (Until: exact on an idle
// core, at the cost of the core).
//
// This package merges two copies of one design, the harness's and the
// cluster's. Where they differed it keeps the cluster's single timer for
// the process (the harness started one a run, a goroutine and an eventfd
// each time, and saved its lead in a global in between), the harness's
// yielding for short waits (cheaper, as above) and the harness's gain of
// 1/50 (a little smoother than 1/32, and still settled within a few
// hundred wake-ups). A cancelled wait now leaves the heap at once: the
// cluster's stayed there until its deadline (which is why it slept on a Go
// timer until 3ms before), the harness's until the run's timer closed.
// And where the eventfd cannot be made the timer falls back to a Go timer,
// where the harness failed the run and the cluster polled every
// millisecond.
package ptimer

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// SleepUntil blocks until deadline or until ctx is done, and returns
// ctx.Err(). It never returns before the deadline unless ctx is done.
func SleepUntil(ctx context.Context, deadline time.Time) error {
	at := int64(deadline.Sub(epoch))
	process().wait(ctx, at)
	for now() < at && ctx.Err() == nil {
		// Woken early by the lead: the rest is short.
		runtime.Gosched()
	}
	return ctx.Err()
}

// SleepNear blocks until about deadline or until ctx is done, and returns
// ctx.Err(). It returns when the timer wakes it, which may be before the
// deadline by up to the lead (a millisecond at most, tens of microseconds
// in practice), so that callers run on their deadlines on average.
func SleepNear(ctx context.Context, deadline time.Time) error {
	process().wait(ctx, int64(deadline.Sub(epoch)))
	return ctx.Err()
}

// Start starts the timer's goroutine, if it is not running yet, so that
// the first wait does not pay for starting it.
func Start() { process() }

// epoch anchors the package's clock.
var epoch = time.Now()

// now reads the monotonic clock in ns since epoch: the clock of the
// timer's deadlines.
func now() int64 { return int64(time.Since(epoch)) }

// spinWait is the wait below which a waiter yields in a loop rather than
// register with the timer: about the cost of the round trip through the
// timer. It is short on purpose: goroutines that yield in a loop keep the
// runtime's threads busy, and on a machine shared with other processes
// the OS then deschedules them for whole time slices (milliseconds),
// stalling every goroutine queued on them. A service of 100µs jobs at
// 112k jobs/s on two shared cores was measured with its servers 65 to
// 80µs late on average when waits under 30µs yielded and the timer
// yielded through waits under 25µs, and 6 to 9µs late when neither did.
const spinWait = int64(2 * time.Microsecond)

// timer wakes waiters at their deadlines, early by its lead.
type timer struct {
	lead lead
	s    sleeper
	mu   sync.Mutex
	heap waiterHeap
	// asleep is set under mu while the loop sleeps in s: only then does a
	// new earliest deadline need a poke (a system call) to be seen.
	asleep bool
}

// process is the process's timer, started on first use.
var process = sync.OnceValue(func() *timer { return newTimer(newSleeper()) })

// newTimer starts a timer that sleeps with s. Its goroutine runs for the
// rest of the process.
func newTimer(s sleeper) *timer {
	t := &timer{s: s}
	go t.loop()
	return t
}

// waiters recycles waiters: a wait allocates nothing in steady state.
var waiters = sync.Pool{New: func() any { return &waiter{ch: make(chan struct{}, 1), idx: -1} }}

// wait blocks until t wakes the caller for deadline at (ns since epoch),
// or until ctx is done.
func (t *timer) wait(ctx context.Context, at int64) {
	left := at - now()
	if left <= 0 {
		return
	}
	if left < spinWait {
		for now() < at && ctx.Err() == nil {
			runtime.Gosched()
		}
		return
	}
	w := waiters.Get().(*waiter)
	w.at = at
	t.add(w)
	select {
	case <-w.ch:
		t.lead.learn(now() - at)
	case <-ctx.Done():
		t.cancel(w)
	}
	waiters.Put(w)
}

// add registers w; its channel gets a token at w.at less the lead.
func (t *timer) add(w *waiter) {
	t.mu.Lock()
	t.heap.push(w)
	poke := t.heap[0] == w && t.asleep
	t.mu.Unlock()
	if poke {
		t.s.poke()
	}
}

// cancel withdraws w, which has not taken its token: out of the heap if it
// is still there, else the token sent meanwhile is drained, so that w can
// be used again.
func (t *timer) cancel(w *waiter) {
	t.mu.Lock()
	if w.idx >= 0 {
		t.heap.remove(w.idx)
	} else {
		<-w.ch // sent under mu when w left the heap
	}
	t.mu.Unlock()
}

// pending is the number of waiters in the heap.
func (t *timer) pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.heap)
}

func (t *timer) loop() {
	for {
		t.mu.Lock()
		t.asleep = false
		tnow, early := now(), t.lead.get()
		woke := false
		for len(t.heap) > 0 && t.heap[0].at-early <= tnow {
			t.heap.pop().ch <- struct{}{} // capacity 1, one token a wait
			woke = true
		}
		next := int64(-1)
		if len(t.heap) > 0 {
			next = t.heap[0].at - early - tnow
		}
		t.asleep = !woke
		t.mu.Unlock()
		if woke {
			// Let the woken goroutines run on this thread now, rather than
			// wait for the runtime to wake another one for them.
			runtime.Gosched()
			continue
		}
		t.s.sleep(next)
	}
}

// lead is how early the timer fires, in ns: an estimate of the mean delay
// between a wake-up and the waiter running. Each waiter reports how late
// (or early) it ran, and the lead moves by 1/50 of that, clamped to ±100µs
// so that one stall of the machine cannot throw it far: an integral
// controller that drives the waiters' mean lateness to zero. It stays in
// [0, 1ms].
type lead struct{ ns atomic.Int64 }

const (
	leadGain  = 50
	leadClamp = int64(100 * time.Microsecond)
	leadMax   = int64(time.Millisecond)
)

func (l *lead) get() int64 { return min(max(l.ns.Load(), 0), leadMax) }

func (l *lead) learn(late int64) {
	d := min(max(late, -leadClamp), leadClamp) / leadGain
	if v := l.ns.Add(d); v < 0 || v > leadMax {
		l.ns.Store(min(max(v, 0), leadMax))
	}
}

// sleeper is how the timer's goroutine waits between wake-ups.
type sleeper interface {
	// sleep returns after ns nanoseconds (never, if ns < 0), or sooner
	// after a poke, or spuriously.
	sleep(ns int64)
	// poke ends the current or the next sleep.
	poke()
}

// goSleeper sleeps on a Go timer: the fallback where ppoll is not to be
// had.
type goSleeper struct {
	t     *time.Timer
	poked chan struct{}
}

func newGoSleeper() *goSleeper {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &goSleeper{t: t, poked: make(chan struct{}, 1)}
}

func (s *goSleeper) sleep(ns int64) {
	if ns < 0 {
		<-s.poked
		return
	}
	s.t.Reset(time.Duration(ns))
	select {
	case <-s.t.C:
	case <-s.poked:
		s.t.Stop()
	}
}

func (s *goSleeper) poke() {
	select {
	case s.poked <- struct{}{}:
	default:
	}
}
