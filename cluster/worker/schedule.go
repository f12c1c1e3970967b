package worker

import (
	"sync"
)

// schedule is the FIFO schedule of a worker serving a timed kind with
// capacity c: the recursion of the simulator's FIFO servers. A task that
// arrives at a is placed, in arrival order, on the slot that is free first
// (at f): it begins at max(a, f) and is due its service time d later, and
// that slot is next free when it is due. The worker then answers each task
// at its due time; a wake-up that comes late (the machine was busy) delays
// the answer of the task it touches and nothing else, whereas a worker
// that started each task when the one before it really ended would carry
// every such delay to all the tasks queued behind it, serving them more
// slowly than the model's server at the same load. Times are ns on any one
// clock.
type schedule struct {
	mu   sync.Mutex
	free []int64 // a min-heap of the times the slots are next free
}

func newSchedule(capacity int) *schedule {
	return &schedule{free: make([]int64, capacity)}
}

// place schedules a task that arrives at a and lasts d, and returns when
// it begins and when it is due.
func (s *schedule) place(a, d int64) (begin, due int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	begin = max(a, s.free[0])
	due = begin + d
	s.free[0] = due
	s.down(0)
	return begin, due
}

// reset frees every slot: the tasks scheduled were cut off (the worker went
// down), so a task that arrives later waits for none of them.
func (s *schedule) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.free)
}

func (s *schedule) down(i int) {
	h := s.free
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r] < h[l] {
			m = r
		}
		if h[i] <= h[m] {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
