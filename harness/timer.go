package harness

import (
	"sync/atomic"
	"time"
)

// timerLead is how early a deadline timer fires, in ns: an estimate of the
// mean delay between firing and the waiter running. Each waiter reports
// how late (or early) it ran, and the lead moves by 1/50 of that, clamped
// to ±100µs so that one stall of the machine cannot throw it far: an
// integral controller that drives the waiters' mean lateness to zero.
type timerLead struct{ ns atomic.Int64 }

// learntLead carries the lead from one timer of the process to the next,
// so that a new run starts from what the last one learnt.
var learntLead atomic.Int64

const (
	leadGain  = 50
	leadClamp = int64(100 * time.Microsecond)
	leadMax   = int64(time.Millisecond)
)

func (l *timerLead) get() int64 { return min(max(l.ns.Load(), 0), leadMax) }

func (l *timerLead) learn(late int64) {
	d := min(max(late, -leadClamp), leadClamp) / leadGain
	if v := l.ns.Add(d); v < 0 || v > leadMax {
		l.ns.Store(min(max(v, 0), leadMax))
	}
}

// deadline is a waiter of deadlineTimer: woken through ch at time at.
type deadline struct {
	at int64
	ch chan struct{}
}

// deadlineHeap is a binary min-heap of deadlines by time.
type deadlineHeap []deadline

func (h *deadlineHeap) push(d deadline) {
	*h = append(*h, d)
	s := *h
	i := len(s) - 1
	for i > 0 {
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
	s = s[:last]
	i := 0
	for {
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

// notify sends a token on ch without blocking.
func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
