package strategies

// Executor runs a batch of independent tasks on workers: sequentially, a
// goroutine per task, a pool on a shared channel, a batched pool, per-worker
// queues fed by a policy, or work stealing.
type Executor interface {
	// Run calls task(worker, i) exactly once for every i in [0, n), from
	// worker goroutines numbered [0, Workers), and returns when every call
	// has returned.
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
}
