package cluster

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Go's timers can wake a millisecond late (the runtime's epoll wait counts
// milliseconds), which would add half a unit to every sleep task of 1ms and
// make the load generator late. A goroutine sleeping in nanosleep(2)
// instead would hold its P for the whole sleep, starving the others when
// many sleep at once (a worker of capacity 8 on 2 cores). So one goroutine
// per process keeps a heap of deadlines and sleeps precisely for the
// earliest (timer_linux.go: ppoll on an eventfd, with the thread's timer
// slack lowered); every other waiter waits on a channel, holding nothing.
// It wakes waiters early by their mean lateness, learnt as it runs, so that
// they run on their deadlines on average. The harness's service mode has
// the same design (harness/timer_linux.go): the two could share a package.

// preciseTimer is the process's deadline timer, started on first use.
var preciseTimer = sync.OnceValue(func() *deadlineTimer { return newDeadlineTimer() })

type deadline struct {
	at int64 // monotonic ns (monoNow)
	ch chan struct{}
}

// deadlineHeap is a binary min-heap of deadlines.
type deadlineHeap []deadline

func (h *deadlineHeap) push(d deadline) {
	*h = append(*h, d)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if s[p].at <= s[i].at {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *deadlineHeap) pop() deadline {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s[last] = deadline{}
	s = s[:last]
	for i := 0; ; {
		l := 2*i + 1
		if l >= last {
			break
		}
		m := l
		if r := l + 1; r < last && s[r].at < s[l].at {
			m = r
		}
		if s[i].at <= s[m].at {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

// epoch anchors monoNow.
var epoch = time.Now()

// monoNow is the monotonic clock in ns since the process's epoch.
func monoNow() int64 { return int64(time.Since(epoch)) }

// lead is how early the timer fires, in ns: the mean lateness of waiters,
// learnt with gain 1/32 and clamped to [0, 1ms].
type lead struct{ ns atomic.Int64 }

func (l *lead) get() int64 { return min(max(l.ns.Load(), 0), int64(time.Millisecond)) }

func (l *lead) learn(late int64) {
	d := min(max(late, -100_000), 100_000) / 32
	if v := l.ns.Add(d); v < 0 || v > int64(time.Millisecond) {
		l.ns.Store(min(max(v, 0), int64(time.Millisecond)))
	}
}

var chanPool = sync.Pool{New: func() any { return make(chan struct{}, 1) }}

// sleepUntil waits until deadline or until ctx is done, and returns ctx's
// error in that case. Waits longer than a few milliseconds sleep on a
// runtime timer first (cheap, and cancellable), then on the precise timer.
// tm is the caller's reusable runtime timer (may point to nil).
func sleepUntil(ctx context.Context, deadline time.Time, tm **time.Timer) error {
	if d := time.Until(deadline) - 3*time.Millisecond; d > 0 {
		if *tm == nil {
			*tm = time.NewTimer(d)
		} else {
			(*tm).Reset(d)
		}
		select {
		case <-(*tm).C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	at := int64(deadline.Sub(epoch))
	if at <= monoNow() {
		return ctx.Err()
	}
	ch := chanPool.Get().(chan struct{})
	t := preciseTimer()
	t.add(at, ch)
	select {
	case <-ch:
		t.lead.learn(monoNow() - at)
		chanPool.Put(ch)
		// Woken early by the learnt lead: never return before the
		// deadline (a task must last its size); the rest is short.
		for monoNow() < at {
			runtime.Gosched()
		}
		return ctx.Err()
	case <-ctx.Done():
		// The timer still holds ch and will signal it: not pooled again.
		return ctx.Err()
	}
}
