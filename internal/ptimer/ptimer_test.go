package ptimer

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// The machine is shared and has two cores: tests assert order and "not
// before the deadline" exactly, and lateness only with loose bounds.

// goTimer is a timer on the fallback sleeper, so that the fallback is
// tested on Linux too. Its goroutine runs to the end of the tests.
var goTimer = sync.OnceValue(func() *timer { return newTimer(newGoSleeper()) })

// timers are the timers the internal tests run on.
func timers() []struct {
	name string
	t    *timer
} {
	return []struct {
		name string
		t    *timer
	}{{"process", process()}, {"go", goTimer()}}
}

func TestSleepUntilNeverEarly(t *testing.T) {
	for _, d := range []time.Duration{-time.Second, 0, time.Microsecond, 20 * time.Microsecond, 100 * time.Microsecond, time.Millisecond, 5 * time.Millisecond} {
		for range 5 {
			deadline := time.Now().Add(d)
			if err := SleepUntil(context.Background(), deadline); err != nil {
				t.Fatal(err)
			}
			if early := time.Until(deadline); early > 0 {
				t.Fatalf("SleepUntil(%v from now) returned %v before the deadline", d, early)
			}
		}
	}
}

func TestSleepNearEarlyByLeadAtMost(t *testing.T) {
	for _, d := range []time.Duration{0, 50 * time.Microsecond, time.Millisecond, 3 * time.Millisecond} {
		for range 5 {
			deadline := time.Now().Add(d)
			if err := SleepNear(context.Background(), deadline); err != nil {
				t.Fatal(err)
			}
			// The timer fires early by its lead, a millisecond at most.
			if early := time.Until(deadline); early > time.Duration(leadMax) {
				t.Fatalf("SleepNear(%v from now) returned %v before the deadline", d, early)
			}
		}
	}
}

// TestLateness checks that waits are not a millisecond late, as Go's
// timers can be: the median lateness of 1ms sleeps is under 2ms, or at
// least no worse than time.Sleep's on this machine now (the two are
// interleaved, so a busy machine hits both alike).
func TestLateness(t *testing.T) {
	const n = 31
	ours := make([]time.Duration, n)
	goes := make([]time.Duration, n)
	for i := range n {
		deadline := time.Now().Add(time.Millisecond)
		SleepUntil(context.Background(), deadline)
		ours[i] = time.Since(deadline)
		t0 := time.Now()
		time.Sleep(time.Millisecond)
		goes[i] = time.Since(t0) - time.Millisecond
	}
	slices.Sort(ours)
	slices.Sort(goes)
	if med, rt := ours[n/2], goes[n/2]; med > max(2*time.Millisecond, rt) {
		t.Errorf("1ms sleeps are %v late (median); time.Sleep's are %v late", med, rt)
	}
}

// TestOrder checks that a timer wakes its waiters in the order of their
// deadlines, whatever the order they came in.
//
// The property holds for waiters that are all in the heap when the first
// of them falls due: one added after a later deadline was woken is woken
// after it, rightly (a real wait that late does not register at all). So
// the deadlines are set far enough ahead that the adds end before the
// earliest is due even with the largest lead; if the machine stalled the
// adds past that, the waiters are withdrawn and the round is run again
// with twice the margin, rather than checked on a premise that failed.
func TestOrder(t *testing.T) {
	for _, tt := range timers() {
		t.Run(tt.name, func(t *testing.T) {
			const n = 200
			r := rand.New(rand.NewPCG(1, 2))
			var ws []*waiter // by deadline
			for margin := 5 * time.Millisecond; ; margin *= 2 {
				if margin > 5*time.Second {
					t.Fatalf("the machine stalled every attempt to add %d waiters before the first deadline", n)
				}
				ws = addInOrder(tt.t, r.Perm(n), margin)
				if ws != nil {
					break
				}
				t.Logf("the adds took longer than %v less the largest lead: again with twice the margin", margin)
			}
			// Tokens are sent in heap order and stay until taken. Looking
			// from the latest deadline down, a waiter seen woken means that
			// every earlier one was woken before it, so must be seen too.
			woken := make([]bool, n)
			timeout := time.After(30 * time.Second)
			for done := 0; done < n; {
				seen := -1 // the latest deadline seen woken
				for i := n - 1; i >= 0; i-- {
					if !woken[i] {
						select {
						case <-ws[i].ch:
							woken[i] = true
							done++
						default:
						}
					}
					if seen >= 0 && !woken[i] {
						t.Fatalf("waiter %d was woken before waiter %d, whose deadline is earlier", seen, i)
					}
					if seen < 0 && woken[i] {
						seen = i
					}
				}
				select {
				case <-timeout:
					t.Fatalf("only %d of %d waiters woken after 30s", done, n)
				default:
					runtime.Gosched()
				}
			}
			if p := tt.t.pending(); p != 0 {
				t.Errorf("%d waiters left in the heap", p)
			}
		})
	}
}

// addInOrder adds len(perm) waiters to tm in the order perm gives, the
// earliest due margin from now and the others 20µs apart, and returns them
// by deadline. If the adds ended so late that the timer may have woken one
// before the last was in (a round reads the clock, then wakes deadlines
// up to its lead, at most leadMax, past it), it withdraws them all and
// returns nil.
func addInOrder(tm *timer, perm []int, margin time.Duration) []*waiter {
	base := now() + int64(margin)
	ws := make([]*waiter, len(perm))
	for i := range ws {
		ws[i] = &waiter{at: base + int64(i)*int64(20*time.Microsecond), ch: make(chan struct{}, 1), idx: -1}
	}
	for _, i := range perm {
		tm.add(ws[i])
	}
	if now()+leadMax < base {
		return ws
	}
	for _, w := range ws {
		tm.cancel(w) // out of the heap, or its token drained
	}
	return nil
}

func TestCancel(t *testing.T) {
	for _, tt := range timers() {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			t0 := time.Now()
			tt.t.wait(ctx, now()+int64(time.Hour))
			if el := time.Since(t0); el > 5*time.Second {
				t.Errorf("a wait cancelled after 20ms took %v", el)
			}
			if p := tt.t.pending(); p != 0 {
				t.Errorf("a cancelled wait left %d waiters in the heap", p)
			}
		})
	}
	// Through the API, already cancelled, and in the short wait that yields.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, d := range []time.Duration{time.Hour, 10 * time.Microsecond} {
		t0 := time.Now()
		if err := SleepUntil(ctx, time.Now().Add(d)); !errors.Is(err, context.Canceled) {
			t.Errorf("SleepUntil(%v) with a cancelled context: %v, want context.Canceled", d, err)
		}
		if err := SleepNear(ctx, time.Now().Add(d)); !errors.Is(err, context.Canceled) {
			t.Errorf("SleepNear(%v) with a cancelled context: %v, want context.Canceled", d, err)
		}
		if el := time.Since(t0); el > 5*time.Second {
			t.Errorf("cancelled waits of %v took %v", d, el)
		}
	}
}

// TestCancelAfterWake cancels a wait whose token was sent but not taken
// (its context ended as the timer woke it): the token must be drained, or
// the next wait on the recycled waiter would return at once.
func TestCancelAfterWake(t *testing.T) {
	for _, tt := range timers() {
		t.Run(tt.name, func(t *testing.T) {
			w := &waiter{at: now() + int64(100*time.Microsecond), ch: make(chan struct{}, 1), idx: -1}
			tt.t.add(w)
			for t0 := time.Now(); len(w.ch) == 0; runtime.Gosched() {
				if time.Since(t0) > 30*time.Second {
					t.Fatal("not woken after 30s")
				}
			}
			tt.t.cancel(w)
			if len(w.ch) != 0 || w.idx != -1 {
				t.Errorf("a waiter cancelled after its wake-up holds %d tokens at index %d", len(w.ch), w.idx)
			}
			// And before it: out of the heap.
			w.at = now() + int64(time.Hour)
			tt.t.add(w)
			tt.t.cancel(w)
			if len(w.ch) != 0 || w.idx != -1 || tt.t.pending() != 0 {
				t.Errorf("a waiter cancelled before its wake-up holds %d tokens at index %d; %d in the heap", len(w.ch), w.idx, tt.t.pending())
			}
		})
	}
}

// TestManyWaiters runs a thousand concurrent waits, a third of them
// cancelled: every uncancelled one returns, none before its deadline, and
// the heap ends empty.
func TestManyWaiters(t *testing.T) {
	const n = 1000
	r := rand.New(rand.NewPCG(3, 4))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := time.Now()
	for i := range n {
		deadline := start.Add(time.Duration(r.Int64N(int64(50 * time.Millisecond))))
		wctx := context.Background()
		if i%3 == 0 {
			deadline = deadline.Add(time.Hour)
			wctx = ctx
		}
		wg.Go(func() {
			err := SleepUntil(wctx, deadline)
			switch {
			case wctx == ctx && !errors.Is(err, context.Canceled):
				errs <- errors.New("a cancelled wait returned no error")
			case wctx != ctx && err != nil:
				errs <- err
			case wctx != ctx && time.Until(deadline) > 0:
				errs <- errors.New("a wait returned before its deadline")
			}
		})
	}
	time.AfterFunc(60*time.Millisecond, cancel)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("waits still running after 30s")
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if p := process().pending(); p != 0 {
		t.Errorf("%d waiters left in the heap", p)
	}
}

// TestNoGoroutineLeak checks that waits, cancelled or not, leave no
// goroutine behind: the timer's own is the only one, started once.
func TestNoGoroutineLeak(t *testing.T) {
	Start()
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	for i := range 200 {
		c := context.Background()
		if i%2 == 0 {
			c = ctx
		}
		SleepNear(c, time.Now().Add(time.Duration(i%50)*time.Microsecond))
		SleepUntil(c, time.Now().Add(time.Duration(i%50)*time.Microsecond))
	}
	cancel()
	SleepUntil(ctx, time.Now().Add(time.Hour))
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%d goroutines after the waits, %d before", runtime.NumGoroutine(), before)
}

func TestHeap(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var h waiterHeap
	in := map[*waiter]bool{}
	check := func() {
		for i, w := range h {
			if w.idx != i {
				t.Fatalf("waiter at %d says it is at %d", i, w.idx)
			}
			if p := (i - 1) / 2; i > 0 && h[p].at > w.at {
				t.Fatalf("heap order broken at %d", i)
			}
		}
	}
	for range 5000 {
		switch op := r.IntN(3); {
		case op == 0 || len(h) == 0:
			w := &waiter{at: r.Int64N(100)}
			h.push(w)
			in[w] = true
		case op == 1:
			lo := slices.MinFunc(h, func(a, b *waiter) int { return int(a.at - b.at) }).at
			w := h.pop()
			if w.at != lo || w.idx != -1 || !in[w] {
				t.Fatalf("popped deadline %d at index %d, want %d at -1", w.at, w.idx, lo)
			}
			delete(in, w)
		default:
			w := h[r.IntN(len(h))]
			if got := h.remove(w.idx); got != w || w.idx != -1 {
				t.Fatal("removed the wrong waiter")
			}
			delete(in, w)
		}
		check()
		if len(h) != len(in) {
			t.Fatalf("%d in the heap, want %d", len(h), len(in))
		}
	}
}

func TestLead(t *testing.T) {
	var l lead
	// One stall counts for at most leadClamp/leadGain.
	l.learn(int64(time.Second))
	if got := l.get(); got != leadClamp/leadGain {
		t.Errorf("lead %d after a 1s stall, want %d", got, leadClamp/leadGain)
	}
	// Early wake-ups cannot take it below 0, late ones above leadMax.
	for range 1000 {
		l.learn(-int64(time.Second))
	}
	if got := l.get(); got != 0 {
		t.Errorf("lead %d after early wake-ups, want 0", got)
	}
	for range 10000 {
		l.learn(int64(time.Second))
	}
	if got := l.get(); got != leadMax {
		t.Errorf("lead %d after late wake-ups, want %d", got, leadMax)
	}
	// It settles where waiters run on time: here, a constant delay.
	l.ns.Store(0)
	const delay = 20_000
	for range 2000 {
		l.learn(delay - l.get())
	}
	if got := l.get(); got < delay-leadGain || got > delay+leadGain {
		t.Errorf("lead %d after waiters 20µs late, want about %d", got, delay)
	}
}

// TestEarlierDeadlineWhileAsleep adds a near deadline while the timer
// sleeps towards a far one: the poke must wake it, or the near waiter
// would wait for the far deadline.
func TestEarlierDeadlineWhileAsleep(t *testing.T) {
	for _, tt := range timers() {
		t.Run(tt.name, func(t *testing.T) {
			far := &waiter{at: now() + int64(time.Hour), ch: make(chan struct{}, 1), idx: -1}
			tt.t.add(far)
			defer tt.t.cancel(far)
			for range 20 {
				time.Sleep(2 * time.Millisecond) // let the timer go to sleep
				t0 := time.Now()
				tt.t.wait(context.Background(), now()+int64(time.Millisecond))
				if el := time.Since(t0); el > 5*time.Second {
					t.Fatalf("a 1ms wait added while the timer slept towards an hour took %v", el)
				}
			}
		})
	}
}
