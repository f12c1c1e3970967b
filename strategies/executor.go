package strategies

import (
	"fmt"
	"slices"
	"strings"
)

// Executor runs a batch of independent tasks on workers: sequentially, a
// goroutine per task, a pool on a shared channel, a batched pool, per-worker
// queues fed by a policy, or work stealing.
//
// Worker goroutines are started by Run itself, so they inherit the caller's
// profiler labels (runtime/pprof.Do).
type Executor interface {
	// Run calls task(worker, i) exactly once for every i in [0, n), from
	// worker goroutines numbered [0, Workers), and returns when every call
	// has returned. Calls that share a worker number never overlap in time,
	// except in executors for which WorkersOverlap is true (goroutine),
	// where the number is only a label.
	Run(n int, task func(worker, i int))
}

// ExecutorConfig holds what an executor needs to be built.
type ExecutorConfig struct {
	// Workers is the number of worker goroutines (> 0).
	Workers int
	// Batch is the number of tasks handed over at a time by batch (0: a default).
	Batch int
	// Policy names the policy that places tasks on per-worker queues (queues).
	Policy string
	// Size returns task i's expected cost, for policies that use work (lwl);
	// nil means all tasks cost the same.
	Size func(i int) float64
	// Seed seeds the policy's random source.
	Seed uint64
	// Hooks are called as each worker starts and finishes a Run.
	Hooks WorkerHooks
}

// WorkerHooks let a caller observe the workers of executors and schedules
// without a cost per task: Start(w) runs on worker w's goroutine before it
// takes its first task, and Stop(w) after it found no more work, before Run
// returns. Every executor and schedule calls them except goroutine, which
// has no workers. Either may be nil.
type WorkerHooks struct {
	Start func(worker int)
	Stop  func(worker int)
}

func (h WorkerHooks) start(w int) {
	if h.Start != nil {
		h.Start(w)
	}
}

func (h WorkerHooks) stop(w int) {
	if h.Stop != nil {
		h.Stop(w)
	}
}

// ExecutorInfo is one row of the executor catalog.
type ExecutorInfo struct {
	Name string
	Help string
	New  func(ExecutorConfig) (Executor, error)
}

// Executors is the catalog of executors, in the order `stratbench list
// executors` shows them.
var Executors = []ExecutorInfo{
	{"sequential", "a plain loop on the calling goroutine: the baseline every speedup is measured against", newSequential},
	{"goroutine", "one goroutine per task and a WaitGroup: the thread-per-item pattern", newGoroutine},
	{"pool", "--workers goroutines receiving task indices from one shared channel: the Pool.map pattern", newPool},
	{"batch", "a pool that hands over --batch tasks at a time (default n/(128·workers))", newBatch},
	{"queues", "one queue per worker, filled before the run by a dispatch --policy (rr, random, p2c, jsq, lwl, ...); no stealing", newQueues},
	{"steal", "per-worker deques seeded with equal blocks; an idle worker steals half of another's remaining range", newSteal},
}

// ExecutorNames lists the catalog's names.
func ExecutorNames() []string {
	names := make([]string, len(Executors))
	for i, e := range Executors {
		names[i] = e.Name
	}
	return names
}

// NewExecutor builds the named executor; an unknown name is an error that
// lists the known ones.
func NewExecutor(name string, cfg ExecutorConfig) (Executor, error) {
	i := slices.IndexFunc(Executors, func(e ExecutorInfo) bool { return e.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("unknown executor %q (known: %s)", name, strings.Join(ExecutorNames(), ", "))
	}
	if cfg.Workers <= 0 {
		return nil, fmt.Errorf("executor %s: workers must be > 0, got %d", name, cfg.Workers)
	}
	if cfg.Batch < 0 {
		return nil, fmt.Errorf("executor %s: batch must be >= 0, got %d", name, cfg.Batch)
	}
	return Executors[i].New(cfg)
}

// overlapper is implemented by executors whose calls with the same worker
// number may run at the same time.
type overlapper interface{ workersOverlap() bool }

// WorkersOverlap reports whether e may run two tasks with the same worker
// number at once (goroutine: the number is a label, i mod Workers), so that
// per-worker state must be updated atomically.
func WorkersOverlap(e Executor) bool {
	o, ok := e.(overlapper)
	return ok && o.workersOverlap()
}
