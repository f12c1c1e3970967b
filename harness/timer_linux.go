package harness

import (
	"encoding/binary"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// monoOffset maps Go's monotonic clock, read through the vDSO by
// time.Since, onto CLOCK_MONOTONIC: they are the same clock, so the offset
// is fixed.
var monoOffset = func() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return ts.Nano() - nowNs()
}()

// monoNow reads CLOCK_MONOTONIC in nanoseconds: the clock of the service
// mode's deadlines.
func monoNow() int64 { return nowNs() + monoOffset }

// spinWait is the wait below which a waiter yields in a loop rather than
// sleep: a sleep costs two trips through the OS scheduler (register with
// the timer's thread, be woken by it), which at tens of thousands of
// arrivals a second would cost more than it saves.
const spinWait = 30 * time.Microsecond

// deadlineTimer wakes goroutines at absolute deadlines, precisely.
//
// Go's timers can wake a millisecond late when every P is idle (the
// runtime's epoll wait counts milliseconds), and a goroutine that sleeps
// in a system call itself holds its P until the runtime takes it back,
// which starves the other goroutines when many sleep at once. So one
// goroutine, with its thread's timer slack lowered from 50µs to 1ns, keeps
// a heap of deadlines and waits in ppoll for the earliest (or for an
// eventfd write announcing an earlier one); every other goroutine waits on
// a channel, holding nothing. Once it has woken waiters it yields, so that
// they run on its thread at once instead of waiting for the runtime to
// wake another thread (a second trip through the OS scheduler, which
// costs milliseconds on a loaded machine). A waiter then runs about
// 5 to 30µs after its deadline on an idle machine, more on a busy one; the
// timer fires early by the mean of that delay, learnt as it runs (see
// timerLead), so that waiters run on their deadlines on average.
type deadlineTimer struct {
	lead   timerLead
	mu     sync.Mutex
	heap   deadlineHeap
	efd    int
	closed bool
	exited chan struct{}
}

func newDeadlineTimer() (*deadlineTimer, error) {
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	t := &deadlineTimer{efd: efd, exited: make(chan struct{})}
	t.lead.ns.Store(learntLead.Load())
	go t.loop()
	return t, nil
}

func (t *deadlineTimer) loop() {
	fds := []unix.PollFd{{Fd: int32(t.efd), Events: unix.POLLIN}}
	var buf [8]byte
	var ts unix.Timespec
	for {
		t.mu.Lock()
		if t.closed {
			for len(t.heap) > 0 {
				notify(t.heap.pop().ch)
			}
			t.mu.Unlock()
			unix.Close(t.efd)
			close(t.exited)
			return
		}
		now := monoNow()
		lead := t.lead.get()
		woke := false
		for len(t.heap) > 0 && t.heap[0].at-lead <= now {
			notify(t.heap.pop().ch)
			woke = true
		}
		timeout := (*unix.Timespec)(nil)
		if len(t.heap) > 0 {
			ts = unix.NsecToTimespec(t.heap[0].at - lead - now)
			timeout = &ts
		}
		t.mu.Unlock()
		if woke {
			// Let the woken goroutines run on this thread now, rather than
			// wait for the runtime to wake another one for them.
			runtime.Gosched()
			continue
		}
		// The timer slack is a property of the thread, and this goroutine
		// may move between threads: set it each time (a cheap syscall).
		_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
		_, _ = unix.Ppoll(fds, timeout, nil) // EINTR: loop
		_, _ = unix.Read(t.efd, buf[:])      // EAGAIN when the timeout fired
	}
}

// wait blocks until the monotonic clock reaches at (ns), then returns
// true; it returns false at once when halt is closed. ch is the caller's
// own channel of capacity 1, used for one wait at a time.
func (t *deadlineTimer) wait(at int64, ch chan struct{}, halt <-chan struct{}) bool {
	now := monoNow()
	if at <= now {
		return true
	}
	if at-now < int64(spinWait) {
		// Too close to be worth two trips through the OS: yield until it
		// comes (other goroutines run meanwhile).
		for monoNow() < at {
			runtime.Gosched()
		}
		return true
	}
	t.mu.Lock()
	t.heap.push(deadline{at, ch})
	earliest := t.heap[0].at == at
	t.mu.Unlock()
	if earliest {
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		_, _ = unix.Write(t.efd, one[:])
	}
	select {
	case <-ch:
		t.lead.learn(monoNow() - at)
		return true
	case <-halt:
		return false
	}
}

// close wakes every waiter and ends the timer's goroutine.
func (t *deadlineTimer) close() {
	learntLead.Store(t.lead.get())
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	_, _ = unix.Write(t.efd, one[:])
	select {
	case <-t.exited:
	case <-time.After(time.Second):
	}
}
