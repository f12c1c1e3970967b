package ptimer

// waiter is one wait: woken through ch at at.
type waiter struct {
	at  int64         // deadline, ns since epoch
	ch  chan struct{} // capacity 1: the timer's token
	idx int           // index in the heap, -1 when out of it
}

// waiterHeap is a binary min-heap of waiters by deadline that keeps each
// waiter's index, so that a cancelled one can be removed.
type waiterHeap []*waiter

func (h *waiterHeap) push(w *waiter) {
	w.idx = len(*h)
	*h = append(*h, w)
	h.up(w.idx)
}

// pop removes and returns the earliest waiter.
func (h *waiterHeap) pop() *waiter { return h.remove(0) }

// remove removes and returns the waiter at index i.
func (h *waiterHeap) remove(i int) *waiter {
	s := *h
	w := s[i]
	last := len(s) - 1
	if i != last {
		s[i] = s[last]
		s[i].idx = i
	}
	s[last] = nil
	*h = s[:last]
	if i != last {
		if !h.down(i) {
			h.up(i)
		}
	}
	w.idx = -1
	return w
}

func (h waiterHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p].at <= h[i].at {
			return
		}
		h.swap(p, i)
		i = p
	}
}

// down moves the waiter at i down to its place and reports whether it
// moved.
func (h waiterHeap) down(i int) bool {
	i0 := i
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && h[r].at < h[l].at {
			m = r
		}
		if h[i].at <= h[m].at {
			break
		}
		h.swap(i, m)
		i = m
	}
	return i > i0
}

func (h waiterHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx = i
	h[j].idx = j
}
