package strategies

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// DefaultBatch is batch's number of tasks per hand-over when none is given:
// n/(128·workers), at least 1. It leaves about 128 hand-overs per worker:
// few enough that the channel costs nothing next to the tasks, many enough
// that the last batches even out the workers' finishing times.
func DefaultBatch(n, workers int) int {
	return max(1, n/(128*max(workers, 1)))
}

// ---- sequential ----

type sequential struct{ hooks WorkerHooks }

func newSequential(cfg ExecutorConfig) (Executor, error) { return sequential{cfg.Hooks}, nil }

// Run calls every task in index order on the calling goroutine (worker 0).
func (s sequential) Run(n int, task func(worker, i int)) {
	s.hooks.start(0)
	for i := range n {
		task(0, i)
	}
	s.hooks.stop(0)
}

// ---- goroutine ----

type goroutinePerTask struct{ workers int }

func newGoroutine(cfg ExecutorConfig) (Executor, error) { return goroutinePerTask{cfg.Workers}, nil }

// Run starts one goroutine per task and waits for all of them. The worker
// number is i mod Workers, a label only: tasks sharing it run at once.
func (g goroutinePerTask) Run(n int, task func(worker, i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { task(i%g.workers, i) })
	}
	wg.Wait()
}

func (goroutinePerTask) workersOverlap() bool { return true }

// ---- pool ----

type pool struct {
	workers int
	hooks   WorkerHooks
}

func newPool(cfg ExecutorConfig) (Executor, error) { return pool{cfg.Workers, cfg.Hooks}, nil }

// poolBuffer is the capacity of pool's channel per worker: enough that the
// feeder rarely blocks, small enough to stay in cache.
const poolBuffer = 64

// Run starts the workers, then feeds every task index into one buffered
// channel from the calling goroutine; each worker receives and runs indices
// until the channel is closed and drained.
func (p pool) Run(n int, task func(worker, i int)) {
	if n <= 0 {
		return
	}
	workers := min(p.workers, n)
	ch := make(chan int, min(n, poolBuffer*workers))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			p.hooks.start(w)
			for i := range ch {
				task(w, i)
			}
			p.hooks.stop(w)
		})
	}
	for i := range n {
		ch <- i
	}
	close(ch)
	wg.Wait()
}

// ---- batch ----

type batchPool struct {
	workers, batch int
	hooks          WorkerHooks
}

func newBatch(cfg ExecutorConfig) (Executor, error) {
	return batchPool{cfg.Workers, cfg.Batch, cfg.Hooks}, nil
}

type span struct{ lo, hi int }

// Run is pool with ranges of batch consecutive tasks in the channel instead
// of single indices: one hand-over per batch.
func (p batchPool) Run(n int, task func(worker, i int)) {
	if n <= 0 {
		return
	}
	k := p.batch
	if k == 0 {
		k = DefaultBatch(n, p.workers)
	}
	batches := (n-1)/k + 1
	workers := min(p.workers, batches)
	ch := make(chan span, min(batches, 256*workers))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			p.hooks.start(w)
			for s := range ch {
				for i := s.lo; i < s.hi; i++ {
					task(w, i)
				}
			}
			p.hooks.stop(w)
		})
	}
	for lo := 0; lo < n; lo += k {
		ch <- span{lo, min(lo+k, n)}
	}
	close(ch)
	wg.Wait()
}

// ---- queues ----

// queues places every task on a worker's queue with a dispatch policy before
// the run, then lets each worker run its own queue; tasks the policy holds
// (central) go to a shared queue that idle workers drain.
type queues struct {
	cfg ExecutorConfig

	mu     sync.Mutex // guards the buffers below: Runs are serialized
	owner  []int32    // owner[i]: worker of task i, -1 when held centrally
	order  []int32    // task indices grouped by worker, held tasks last
	start  []int      // start[w]..start[w+1]: worker w's slice of order
	cursor []int      // fill positions while sorting
	view   placementView
}

func newQueues(cfg ExecutorConfig) (Executor, error) {
	if cfg.Policy == "" {
		cfg.Policy = "rr"
	}
	q := &queues{cfg: cfg, start: make([]int, cfg.Workers+2), cursor: make([]int, cfg.Workers+1)}
	if _, err := q.policy(); err != nil {
		return nil, fmt.Errorf("executor queues: %w", err)
	}
	q.view = placementView{load: make([]int, cfg.Workers), work: make([]float64, cfg.Workers)}
	return q, nil
}

func (q *queues) policy() (Policy, error) {
	return NewPolicy(q.cfg.Policy, PolicyConfig{
		Servers: q.cfg.Workers,
		Rand:    rand.New(rand.NewPCG(q.cfg.Seed, 0x71756575657321)),
	})
}

// placementView is the View a policy sees while tasks are placed: loads
// are tasks placed so far, work the sum of their sizes, time stands still.
type placementView struct {
	load []int
	work []float64
}

func (v *placementView) Servers() int            { return len(v.load) }
func (v *placementView) Load(i int) int          { return v.load[i] }
func (v *placementView) Speed(int) float64       { return 1 }
func (v *placementView) Work(i int) float64      { return v.work[i] }
func (v *placementView) Now() float64            { return 0 }
func (v *placementView) reset()                  { clear(v.load); clear(v.work) }
func (v *placementView) add(s int, size float64) { v.load[s]++; v.work[s] += size }

// Run places the tasks (the same placement for the same seed on every Run),
// then runs each worker's queue on its own goroutine.
func (q *queues) Run(n int, task func(worker, i int)) {
	if n <= 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	workers := q.cfg.Workers
	pol, err := q.policy()
	if err != nil {
		panic(err) // cannot happen: newQueues built the same policy
	}
	obs, _ := pol.(Observer)
	if cap(q.owner) < n {
		q.owner = make([]int32, n)
		q.order = make([]int32, n)
	}
	owner, order := q.owner[:n], q.order[:n]
	v := &q.view
	v.reset()
	held := 0
	for i := range n {
		size := 1.0
		if q.cfg.Size != nil {
			size = q.cfg.Size(i)
		}
		j := Job{ID: uint64(i), Key: Mix64(uint64(i) ^ q.cfg.Seed), Size: size}
		s := pol.Pick(v, j)
		if s < 0 || s >= workers {
			owner[i] = -1 // Hold, or out of range: the shared queue
			held++
			continue
		}
		owner[i] = int32(s)
		v.add(s, size)
		if obs != nil {
			obs.Dispatched(v, s, j)
		}
	}
	// Counting sort of the tasks by worker; held tasks go last.
	start, cursor := q.start, q.cursor
	clear(start)
	for _, s := range owner {
		if s >= 0 {
			start[s+1]++
		}
	}
	for w := range workers {
		start[w+1] += start[w]
	}
	start[workers+1] = n
	copy(cursor, start[:workers+1])
	for i, s := range owner {
		if s < 0 {
			s = int32(workers)
		}
		order[cursor[s]] = int32(i)
		cursor[s]++
	}
	var shared atomic.Int64
	shared.Store(int64(start[workers]))
	spawn(workers, q.cfg.Hooks, func(w int) {
		for _, i := range order[start[w]:start[w+1]] {
			task(w, int(i))
		}
		if held == 0 {
			return
		}
		for {
			k := int(shared.Add(1)) - 1
			if k >= n {
				return
			}
			task(w, int(order[k]))
		}
	})
}

// ---- steal ----

type steal struct {
	workers int
	hooks   WorkerHooks
}

func newSteal(cfg ExecutorConfig) (Executor, error) { return steal{cfg.Workers, cfg.Hooks}, nil }

// Run seeds each worker's deque with an equal block of indices; a worker
// takes small chunks from the bottom of its own deque, and when it is empty
// steals the top half of another worker's remaining range.
func (s steal) Run(n int, task func(worker, i int)) {
	stealRun(n, s.workers, 1, s.hooks, func(w, lo, hi int) {
		for i := lo; i < hi; i++ {
			task(w, i)
		}
	})
}
