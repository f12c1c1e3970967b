package worker

import (
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// naiveFIFO is the twin of schedule: c servers, each with the list of its
// tasks' due times; a task goes to the server free first (the lowest index
// among ties, which changes no time), and begins when it arrives or when
// that server is free, whichever is later.
func naiveFIFO(c int, arrivals, sizes []int64) (begins, dues []int64) {
	free := make([]int64, c)
	for i, a := range arrivals {
		s := 0
		for j := range free {
			if free[j] < free[s] {
				s = j
			}
		}
		b := max(a, free[s])
		free[s] = b + sizes[i]
		begins = append(begins, b)
		dues = append(dues, free[s])
	}
	return begins, dues
}

// TestScheduleMatchesNaive checks the schedule's heap against the naive
// FIFO recursion on random arrivals and sizes, for several capacities, and
// that a reset frees every slot.
func TestScheduleMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []int{1, 2, 3, 8} {
		for trial := range 50 {
			n := 1 + r.IntN(200)
			arrivals := make([]int64, n)
			sizes := make([]int64, n)
			at := int64(0)
			for i := range n {
				at += int64(r.ExpFloat64() * 1000 / float64(c) / 0.9) // load about 0.9
				arrivals[i] = at
				sizes[i] = int64(r.ExpFloat64() * 1000)
				if r.IntN(10) == 0 {
					sizes[i] = 0
				}
			}
			s := newSchedule(c)
			wantB, wantD := naiveFIFO(c, arrivals, sizes)
			for i := range n {
				b, d := s.place(arrivals[i], sizes[i])
				if b != wantB[i] || d != wantD[i] {
					t.Fatalf("capacity %d, trial %d, task %d: begin %d due %d, want %d %d", c, trial, i, b, d, wantB[i], wantD[i])
				}
			}
			s.reset()
			last := arrivals[n-1]
			if b, _ := s.place(last, 5); b != last {
				t.Fatalf("capacity %d: after a reset a task arriving at %d begins at %d", c, last, b)
			}
		}
	}
}

// TestTimedWorkerFIFO sends tasks at once to a sleep worker and checks
// what it reports against the FIFO recursion, exactly: the service is the
// size asked, and in order of arrival each task begins when it arrived or
// when the one before it was due, whichever is later (capacity 1), however
// late the machine let the worker answer.
func TestTimedWorkerFIFO(t *testing.T) {
	_, ss := startTestWorkers(t, 1, Config{Kind: "sleep", Capacity: 1})
	const n = 12
	type answer struct{ arrive, wait, service, late int64 }
	answers := make([]answer, n)
	sizes := make([]int64, n)
	var wg sync.WaitGroup
	for i := range n {
		sizes[i] = int64(1+i%4) * int64(3*time.Millisecond)
		wg.Go(func() {
			resp, err := http.Get(ss[0].URL + WorkPath + "?ns=" + strconv.FormatInt(sizes[i], 10))
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			num := func(h string) int64 {
				x, err := strconv.ParseInt(resp.Header.Get(h), 10, 64)
				if err != nil {
					t.Errorf("header %s: %v", h, err)
				}
				return x
			}
			answers[i] = answer{num(HeaderArrive), num(HeaderWait), num(HeaderService), num(HeaderLate)}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return int(answers[a].arrive - answers[b].arrive) })
	// The arrival header is on the wall clock and the schedule on the
	// monotonic one: the two differ by a constant, to within a
	// microsecond over a test.
	const tol = int64(time.Microsecond)
	prevDue := int64(0)
	for k, i := range order {
		a := answers[i]
		if a.service != sizes[i] {
			t.Errorf("task %d: service %d, want the size asked %d", i, a.service, sizes[i])
		}
		begin := a.arrive + a.wait
		if want := max(a.arrive, prevDue); k > 0 && (begin-want > tol || want-begin > tol) {
			t.Errorf("task %d (%d-th to arrive): begins %dns after its arrival, want %d (the one before was due %dns after this arrival)",
				i, k, a.wait, want-a.arrive, prevDue-a.arrive)
		}
		if a.wait < 0 {
			t.Errorf("task %d: negative wait %d", i, a.wait)
		}
		prevDue = begin + a.service
	}
}
