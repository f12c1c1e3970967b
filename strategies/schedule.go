package strategies

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Schedule splits a parallel loop over the index range [0, n) among workers,
// as OpenMP's schedule clause and Cilk's work stealing do.
type Schedule interface {
	// Run calls body(worker, lo, hi) on disjoint ranges that together cover
	// [0, n) exactly once, from `workers` goroutines (worker in
	// [0, workers)), and returns when all calls have returned.
	Run(n, workers int, body func(worker, lo, hi int))
}

// ScheduleConfig holds a schedule's tuning.
type ScheduleConfig struct {
	// Chunk is the chunk size of cyclic, dynamic and the minimum chunk of
	// guided; 0 picks a default (see each schedule's help).
	Chunk int
	// Hooks are called as each worker starts and finishes a Run.
	Hooks WorkerHooks
}

// ScheduleInfo is one row of the schedule catalog.
type ScheduleInfo struct {
	Name string
	Help string
	New  func(ScheduleConfig) (Schedule, error)
}

// Schedules is the catalog of loop schedules, in the order `stratbench list
// schedules` shows them.
var Schedules = []ScheduleInfo{
	{"static", "equal contiguous blocks, one per worker (OpenMP schedule(static))", newStatic},
	{"cyclic", "chunks of --chunk (default 1) dealt round-robin to workers (OpenMP schedule(static,c))", newCyclic},
	{"dynamic", "workers take chunks of --chunk from a shared atomic counter (default n/(128·workers))", newDynamic},
	{"guided", "like dynamic with chunks shrinking as remaining/workers, never below --chunk (default 1)", newGuided},
	{"steal", "equal blocks to start; an idle worker steals half of another's remaining range (Cilk, TBB, rayon); chunks >= --chunk", newStealSchedule},
}

// ScheduleNames lists the catalog's names.
func ScheduleNames() []string {
	names := make([]string, len(Schedules))
	for i, s := range Schedules {
		names[i] = s.Name
	}
	return names
}

// NewSchedule builds the named schedule; an unknown name is an error that
// lists the known ones.
func NewSchedule(name string, cfg ScheduleConfig) (Schedule, error) {
	i := slices.IndexFunc(Schedules, func(s ScheduleInfo) bool { return s.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("unknown schedule %q (known: %s)", name, strings.Join(ScheduleNames(), ", "))
	}
	if cfg.Chunk < 0 {
		return nil, fmt.Errorf("schedule %s: chunk must be >= 0, got %d", name, cfg.Chunk)
	}
	return Schedules[i].New(cfg)
}

// spawn runs f(w) for w in [0, workers) on workers goroutines (the caller's
// goroutine is worker 0), between the hooks, and waits for all of them.
func spawn(workers int, hooks WorkerHooks, f func(w int)) {
	run := func(w int) {
		hooks.start(w)
		f(w)
		hooks.stop(w)
	}
	if workers <= 1 {
		run(0)
		return
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Go(func() { run(w) })
	}
	run(0)
	wg.Wait()
}

func clampWorkers(n, workers int) int {
	return max(1, min(workers, n))
}

// ---- static ----

type static struct{ hooks WorkerHooks }

func newStatic(cfg ScheduleConfig) (Schedule, error) { return static{cfg.Hooks}, nil }

// Run gives worker w the block [w·n/W, (w+1)·n/W).
func (s static) Run(n, workers int, body func(worker, lo, hi int)) {
	if n <= 0 {
		return
	}
	workers = clampWorkers(n, workers)
	spawn(workers, s.hooks, func(w int) {
		lo, hi := w*n/workers, (w+1)*n/workers
		if lo < hi {
			body(w, lo, hi)
		}
	})
}

// ---- cyclic ----

type cyclic struct {
	chunk int
	hooks WorkerHooks
}

func newCyclic(cfg ScheduleConfig) (Schedule, error) {
	return cyclic{max(cfg.Chunk, 1), cfg.Hooks}, nil
}

// Run gives worker w the chunks w, w+W, w+2W, ... of size chunk.
func (s cyclic) Run(n, workers int, body func(worker, lo, hi int)) {
	if n <= 0 {
		return
	}
	workers = clampWorkers((n+s.chunk-1)/s.chunk, workers)
	spawn(workers, s.hooks, func(w int) {
		for lo := w * s.chunk; lo < n; lo += workers * s.chunk {
			body(w, lo, min(lo+s.chunk, n))
		}
	})
}

// ---- dynamic ----

type dynamic struct {
	chunk int
	hooks WorkerHooks
}

func newDynamic(cfg ScheduleConfig) (Schedule, error) { return dynamic{cfg.Chunk, cfg.Hooks}, nil }

// DefaultChunk is dynamic's chunk when none is given: n/(128·workers), at
// least 1. About 128 chunks per worker touch the shared counter rarely
// enough to cost nothing next to the tasks, and keep the last chunks small
// enough that the workers finish close together.
func DefaultChunk(n, workers int) int {
	return max(1, n/(128*max(workers, 1)))
}

// Run lets each worker take the next chunk from a shared atomic counter.
func (s dynamic) Run(n, workers int, body func(worker, lo, hi int)) {
	if n <= 0 {
		return
	}
	chunk := s.chunk
	if chunk == 0 {
		chunk = DefaultChunk(n, workers)
	}
	workers = clampWorkers((n+chunk-1)/chunk, workers)
	var next atomic.Int64
	spawn(workers, s.hooks, func(w int) {
		for {
			lo := int(next.Add(int64(chunk))) - chunk
			if lo >= n {
				return
			}
			body(w, lo, min(lo+chunk, n))
		}
	})
}

// ---- guided ----

type guided struct {
	minChunk int
	hooks    WorkerHooks
}

func newGuided(cfg ScheduleConfig) (Schedule, error) {
	return guided{max(cfg.Chunk, 1), cfg.Hooks}, nil
}

// Run lets each worker claim ceil(remaining/workers) indices (never fewer
// than the minimum chunk) with a compare-and-swap on the shared counter.
func (s guided) Run(n, workers int, body func(worker, lo, hi int)) {
	if n <= 0 {
		return
	}
	workers = clampWorkers(n, workers)
	var next atomic.Int64
	spawn(workers, s.hooks, func(w int) {
		for {
			lo := int(next.Load())
			if lo >= n {
				return
			}
			size := max((n-lo+workers-1)/workers, s.minChunk)
			hi := min(lo+size, n)
			if next.CompareAndSwap(int64(lo), int64(hi)) {
				body(w, lo, hi)
			}
		}
	})
}

// ---- steal ----

type stealSchedule struct {
	minChunk int
	hooks    WorkerHooks
}

func newStealSchedule(cfg ScheduleConfig) (Schedule, error) {
	return stealSchedule{max(cfg.Chunk, 1), cfg.Hooks}, nil
}

// Run seeds each worker with an equal block; a worker takes chunks from the
// bottom of its own range and, once it is empty, steals the top half of
// another worker's remaining range.
func (s stealSchedule) Run(n, workers int, body func(worker, lo, hi int)) {
	if n <= 0 {
		return
	}
	stealRun(n, workers, s.minChunk, s.hooks, body)
}
