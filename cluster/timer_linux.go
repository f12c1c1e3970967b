package cluster

import (
	"encoding/binary"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// deadlineTimer wakes goroutines at absolute deadlines (see timer.go).
type deadlineTimer struct {
	lead lead
	mu   sync.Mutex
	heap deadlineHeap
	efd  int
}

func newDeadlineTimer() *deadlineTimer {
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		efd = -1 // ppoll with no descriptor: wake-ups by timeout only
	}
	t := &deadlineTimer{efd: efd}
	go t.loop()
	return t
}

// add registers a deadline: ch gets a token at (or just before) at.
func (t *deadlineTimer) add(at int64, ch chan struct{}) {
	t.mu.Lock()
	t.heap.push(deadline{at, ch})
	earliest := t.heap[0].ch == ch
	t.mu.Unlock()
	if earliest && t.efd >= 0 {
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		unix.Write(t.efd, one[:])
	}
}

func (t *deadlineTimer) loop() {
	var fds []unix.PollFd
	if t.efd >= 0 {
		fds = []unix.PollFd{{Fd: int32(t.efd), Events: unix.POLLIN}}
	}
	var buf [8]byte
	var ts unix.Timespec
	for {
		t.mu.Lock()
		now, early := monoNow(), t.lead.get()
		woke := false
		for len(t.heap) > 0 && t.heap[0].at-early <= now {
			select {
			case t.heap.pop().ch <- struct{}{}:
			default:
			}
			woke = true
		}
		var timeout *unix.Timespec
		if len(t.heap) > 0 {
			ts = unix.NsecToTimespec(t.heap[0].at - early - now)
			timeout = &ts
		} else if t.efd < 0 {
			ts = unix.NsecToTimespec(1_000_000)
			timeout = &ts
		}
		t.mu.Unlock()
		if woke {
			// Let the woken goroutines run on this thread now rather than
			// wait for the runtime to wake another thread for them.
			runtime.Gosched()
			continue
		}
		// Timer slack is per thread and this goroutine may move: set it
		// each time (a cheap system call).
		unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
		unix.Ppoll(fds, timeout, nil) // EINTR: loop
		if t.efd >= 0 {
			unix.Read(t.efd, buf[:]) // EAGAIN when the timeout fired
		}
	}
}
