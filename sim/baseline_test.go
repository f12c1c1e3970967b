package sim_test

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
)

// handLoop is the smallest simulator of the supermarket model one would
// write by hand: p2c over n FIFO servers, Poisson arrivals, exponential
// sizes, the next departure of each busy server in a binary heap, the
// waiting jobs' arrival times in a ring per server. It is the yardstick of
// the engine's cost per event (BenchmarkVsHandLoop).
type handLoop struct {
	r       *rand.Rand
	lambda  float64
	now     float64
	next    float64 // next arrival
	load    []int32
	q       [][]float64 // arrival times of the jobs present, FIFO (ring)
	qh      []int
	heapT   []float64
	heapS   []int32
	pos     []int32
	sum     float64
	departs int
}

func newHandLoop(n int, rho float64, seed uint64) *handLoop {
	h := &handLoop{r: rand.New(rand.NewPCG(seed, 1)), lambda: rho * float64(n), load: make([]int32, n),
		q: make([][]float64, n), qh: make([]int, n), pos: make([]int32, n)}
	for i := range h.q {
		h.q[i] = make([]float64, 64)
		h.pos[i] = -1
	}
	h.next = h.r.ExpFloat64() / h.lambda
	return h
}

func (h *handLoop) swap(i, j int) {
	h.heapT[i], h.heapT[j] = h.heapT[j], h.heapT[i]
	h.heapS[i], h.heapS[j] = h.heapS[j], h.heapS[i]
	h.pos[h.heapS[i]], h.pos[h.heapS[j]] = int32(i), int32(j)
}

func (h *handLoop) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h.heapT[p] <= h.heapT[i] {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h *handLoop) down(i int) {
	n := len(h.heapT)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if l+1 < n && h.heapT[l+1] < h.heapT[l] {
			m = l + 1
		}
		if h.heapT[i] <= h.heapT[m] {
			return
		}
		h.swap(i, m)
		i = m
	}
}

func (h *handLoop) step() {
	if len(h.heapT) == 0 || h.next <= h.heapT[0] {
		h.now = h.next
		n := len(h.load)
		a := h.r.IntN(n)
		b := h.r.IntN(n - 1)
		if b >= a {
			b++
		}
		s := a
		if h.load[b] < h.load[a] {
			s = b
		}
		q := h.q[s]
		q[(h.qh[s]+int(h.load[s]))&(len(q)-1)] = h.now
		h.load[s]++
		if h.load[s] == 1 {
			h.heapT = append(h.heapT, h.now+h.r.ExpFloat64())
			h.heapS = append(h.heapS, int32(s))
			h.pos[s] = int32(len(h.heapT) - 1)
			h.up(len(h.heapT) - 1)
		} else if int(h.load[s]) == len(q) {
			panic("queue full")
		}
		h.next = h.now + h.r.ExpFloat64()/h.lambda
		return
	}
	s := int(h.heapS[0])
	h.now = h.heapT[0]
	q := h.q[s]
	h.sum += h.now - q[h.qh[s]]
	h.departs++
	h.qh[s] = (h.qh[s] + 1) & (len(q) - 1)
	h.load[s]--
	if h.load[s] > 0 {
		h.heapT[0] = h.now + h.r.ExpFloat64()
		h.down(0)
		return
	}
	last := len(h.heapT) - 1
	h.swap(0, last)
	h.heapT, h.heapS = h.heapT[:last], h.heapS[:last]
	h.pos[s] = -1
	h.down(0)
}

// TestHandLoopIsTheModel checks that the yardstick simulates the model
// the engine does: its mean response agrees with the mean field to the
// finite-N gap at 100 servers (about 1%).
func TestHandLoopIsTheModel(t *testing.T) {
	h := newHandLoop(100, 0.9, 1)
	for range 2_000_000 {
		h.step()
	}
	if m := h.sum / float64(h.departs); math.Abs(m-2.64) > 0.1 {
		t.Errorf("hand loop mean response %.3f, want about 2.64", m)
	}
}

// BenchmarkVsHandLoop measures the engine's cost per event against the
// hand-written loop on the same model (p2c, 100 servers, ρ = 0.9),
// interleaved in rounds of 100,000 events so that both see the same
// machine: ratio is engine time / hand-loop time (the target is <= 1.1),
// in CPU time of the thread that ran them (a machine shared with other
// work stretches wall time far more than CPU time; where the thread's CPU
// time is not known, wall time), and wall-ratio the same in wall time.
func BenchmarkVsHandLoop(b *testing.B) {
	e, err := sim.NewEngine(sim.Config{Scenario: scenario.Scenario{Policy: "p2c", Servers: 100, Load: 0.9, Seed: 1}, Jobs: 1 << 62, Warmup: 1})
	if err != nil {
		b.Fatal(err)
	}
	h := newHandLoop(100, 0.9, 1)
	e.Step(500_000)
	for range 500_000 {
		h.step()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const round = 100_000
	var te, th, ce, ch time.Duration
	b.ResetTimer()
	for done := 0; done < b.N; done += round {
		k := min(round, b.N-done)
		t0, c0 := time.Now(), threadCPU()
		e.Step(k)
		t1, c1 := time.Now(), threadCPU()
		for range k {
			h.step()
		}
		t2, c2 := time.Now(), threadCPU()
		te += t1.Sub(t0)
		th += t2.Sub(t1)
		ce += c1 - c0
		ch += c2 - c1
	}
	if ce <= 0 || ch <= 0 {
		ce, ch = te, th
	}
	b.ReportMetric(float64(ce.Nanoseconds())/float64(b.N), "engine-ns/event")
	b.ReportMetric(float64(ch.Nanoseconds())/float64(b.N), "hand-ns/event")
	b.ReportMetric(ce.Seconds()/ch.Seconds(), "ratio")
	b.ReportMetric(te.Seconds()/th.Seconds(), "wall-ratio")
}
