package strategies

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// checkOnce runs run(n, task) and verifies that every index in [0, n) was
// passed exactly once, that worker numbers stay in [0, workers) and, unless
// overlap is allowed, that no two calls with the same worker number ran at
// the same time.
func checkOnce(t *testing.T, n, workers int, overlap bool, run func(task func(worker, i int))) {
	t.Helper()
	seen := make([]atomic.Int32, n)
	busy := make([]atomic.Int32, workers)
	var bad atomic.Value
	run(func(w, i int) {
		if w < 0 || w >= workers {
			bad.Store(fmt.Sprintf("worker %d out of [0, %d)", w, workers))
			return
		}
		if i < 0 || i >= n {
			bad.Store(fmt.Sprintf("index %d out of [0, %d)", i, n))
			return
		}
		if !overlap && busy[w].Add(1) != 1 {
			bad.Store(fmt.Sprintf("worker %d ran two tasks at once", w))
		}
		seen[i].Add(1)
		if i%17 == 0 {
			runtime.Gosched() // let other workers interleave
		}
		if !overlap {
			busy[w].Add(-1)
		}
	})
	if msg := bad.Load(); msg != nil {
		t.Fatal(msg)
	}
	for i := range seen {
		if c := seen[i].Load(); c != 1 {
			t.Fatalf("task %d ran %d times, want 1", i, c)
		}
	}
}

// taskCounts are the batch sizes every executor and schedule is checked on.
func taskCounts(workers int) []int {
	r := rand.New(rand.NewPCG(1, 2))
	counts := []int{
		0,           // nothing to do: Run returns at once
		1,           // a single task: one worker busy
		workers - 1, // fewer tasks than workers
		workers,     // exactly one each
		workers + 1, // one worker gets two
		1000,        // enough for every chunking rule to matter
	}
	for range 4 {
		counts = append(counts, r.IntN(3000))
	}
	return counts
}

func TestExecutorsRunEveryTaskOnce(t *testing.T) {
	workerCounts := []int{1, 2, 3, 8}
	for _, info := range Executors {
		for _, workers := range workerCounts {
			for _, batch := range []int{0, 1, 7} {
				if batch != 0 && info.Name != "batch" {
					continue
				}
				e, err := NewExecutor(info.Name, ExecutorConfig{Workers: workers, Batch: batch, Seed: 3})
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range taskCounts(workers) {
					if n < 0 {
						continue
					}
					name := fmt.Sprintf("%s/workers=%d/batch=%d/n=%d", info.Name, workers, batch, n)
					t.Run(name, func(t *testing.T) {
						checkOnce(t, n, workers, WorkersOverlap(e), func(task func(int, int)) { e.Run(n, task) })
					})
				}
			}
		}
	}
}

func TestQueuesEveryPolicy(t *testing.T) {
	sizes := func(i int) float64 { return float64(1 + i%13) }
	for _, p := range Policies {
		for _, workers := range []int{1, 3} {
			e, err := NewExecutor("queues", ExecutorConfig{Workers: workers, Policy: p.Name, Size: sizes, Seed: 9})
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range []int{0, 1, 2, 500} {
				t.Run(fmt.Sprintf("policy=%s/workers=%d/n=%d", p.Name, workers, n), func(t *testing.T) {
					checkOnce(t, n, workers, false, func(task func(int, int)) { e.Run(n, task) })
				})
			}
		}
	}
}

// TestQueuesPlacement checks that the policy decides the placement: rr
// deals tasks in turn, and the same seed gives the same placement.
func TestQueuesPlacement(t *testing.T) {
	placement := func(policy string, seed uint64) []int {
		e, err := NewExecutor("queues", ExecutorConfig{Workers: 3, Policy: policy, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		got := make([]int, 30)
		e.Run(30, func(w, i int) { got[i] = w })
		return got
	}
	rr := placement("rr", 1)
	for i, w := range rr {
		if w != i%3 {
			t.Fatalf("rr placed task %d on worker %d, want %d", i, w, i%3)
		}
	}
	a, b := placement("random", 5), placement("random", 5)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("random placement differs for one seed: %v vs %v", a, b)
	}
}

func TestNewExecutorErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  ExecutorConfig
		want string
	}{
		{"nope", ExecutorConfig{Workers: 1}, "known: sequential, goroutine"}, // lists the catalog
		{"pool", ExecutorConfig{Workers: 0}, "workers must be > 0"},
		{"batch", ExecutorConfig{Workers: 2, Batch: -1}, "batch must be >= 0"},
		{"queues", ExecutorConfig{Workers: 2, Policy: "bogus"}, `unknown policy "bogus"`},
	}
	for _, tc := range cases {
		_, err := NewExecutor(tc.name, tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewExecutor(%q): got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestSchedulesCoverEveryIndexOnce(t *testing.T) {
	for _, info := range Schedules {
		for _, chunk := range []int{0, 1, 5, 64} {
			s, err := NewSchedule(info.Name, ScheduleConfig{Chunk: chunk})
			if err != nil {
				t.Fatal(err)
			}
			for _, workers := range []int{1, 2, 3, 8} {
				for _, n := range taskCounts(workers) {
					if n < 0 {
						continue
					}
					t.Run(fmt.Sprintf("%s/chunk=%d/workers=%d/n=%d", info.Name, chunk, workers, n), func(t *testing.T) {
						checkOnce(t, n, workers, false, func(task func(int, int)) {
							s.Run(n, workers, func(w, lo, hi int) {
								if lo >= hi {
									task(-1, lo) // an empty chunk is a bug: report it as a bad worker
								}
								for i := lo; i < hi; i++ {
									task(w, i)
								}
							})
						})
					})
				}
			}
		}
	}
}

// TestStealBalances checks that stealing moves work: with every task in
// worker 0's block slow, the other workers still take part.
func TestStealBalances(t *testing.T) {
	const n, workers = 64, 4
	var ran [workers]atomic.Int32
	stealRun(n, workers, 1, WorkerHooks{}, func(w, lo, hi int) {
		for i := lo; i < hi; i++ {
			if i < n/workers {
				for range 20 {
					runtime.Gosched()
				}
			}
			ran[w].Add(1)
		}
	})
	helped := 0
	for w := 1; w < workers; w++ {
		if ran[w].Load() > n/workers {
			helped++
		}
	}
	if helped == 0 {
		t.Fatalf("no worker stole from worker 0: per-worker tasks %v", &ran)
	}
}

func TestPackRoundTrip(t *testing.T) {
	for _, c := range [][2]int{{0, 0}, {1, 2}, {stealSegment - 1, stealSegment}, {5, 1<<32 - 1}} {
		if lo, hi := unpack(pack(c[0], c[1])); lo != c[0] || hi != c[1] {
			t.Errorf("unpack(pack(%d, %d)) = %d, %d", c[0], c[1], lo, hi)
		}
	}
}

// TestWorkerHooks checks that every executor and schedule with workers
// calls Start before a worker's first task and Stop after its last, once
// each per worker that ran.
func TestWorkerHooks(t *testing.T) {
	const workers = 3
	type run func(h WorkerHooks, n int, task func(w, i int))
	var runs []struct {
		name string
		run  run
	}
	for _, info := range Executors {
		if info.Name == "goroutine" {
			continue // no workers, no hooks
		}
		runs = append(runs, struct {
			name string
			run  run
		}{"executor=" + info.Name, func(h WorkerHooks, n int, task func(w, i int)) {
			e, err := NewExecutor(info.Name, ExecutorConfig{Workers: workers, Hooks: h})
			if err != nil {
				t.Fatal(err)
			}
			e.Run(n, task)
		}})
	}
	for _, info := range Schedules {
		runs = append(runs, struct {
			name string
			run  run
		}{"schedule=" + info.Name, func(h WorkerHooks, n int, task func(w, i int)) {
			s, err := NewSchedule(info.Name, ScheduleConfig{Hooks: h})
			if err != nil {
				t.Fatal(err)
			}
			s.Run(n, workers, func(w, lo, hi int) {
				for i := lo; i < hi; i++ {
					task(w, i)
				}
			})
		}})
	}
	for _, r := range runs {
		for _, n := range []int{1, 100} {
			t.Run(fmt.Sprintf("%s/n=%d", r.name, n), func(t *testing.T) {
				// state[w]: 0 before Start, 1 started, 2 stopped.
				var state [workers]atomic.Int32
				var bad atomic.Value
				h := WorkerHooks{
					Start: func(w int) {
						if !state[w].CompareAndSwap(0, 1) {
							bad.Store(fmt.Sprintf("worker %d started twice", w))
						}
					},
					Stop: func(w int) {
						if !state[w].CompareAndSwap(1, 2) {
							bad.Store(fmt.Sprintf("worker %d stopped without a start, or twice", w))
						}
					},
				}
				r.run(h, n, func(w, i int) {
					if state[w].Load() != 1 {
						bad.Store(fmt.Sprintf("worker %d ran task %d outside Start..Stop", w, i))
					}
				})
				if msg := bad.Load(); msg != nil {
					t.Fatal(msg)
				}
				for w := range state {
					if s := state[w].Load(); s == 1 {
						t.Fatalf("worker %d never stopped", w)
					}
				}
			})
		}
	}
}
