package workloads

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// spinSink keeps the spin loop's result alive so the compiler cannot drop
// it. It is written only when a result is 0, which the xorshift chain never
// yields from a non-zero seed: concurrent spins share no written memory (no
// data race, no cache-line ping-pong between cores).
var spinSink atomic.Uint64

// keep stores x in spinSink in the (impossible) case that it is 0.
func keep(x uint64) {
	if x == 0 {
		spinSink.Store(x)
	}
}

// spinLoop runs n iterations of a dependent xorshift chain: a fixed amount of
// pure CPU work (no memory traffic, no allocation) per iteration.
//
//go:noinline
func spinLoop(n int64, x uint64) uint64 {
	for ; n > 0; n-- {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

// Calibration is the measured speed of the spin loop on this machine.
type Calibration struct {
	// ItersPerNs is the fastest round's loop iterations per nanosecond:
	// other work on the machine can only slow a round down, so the fastest
	// is the closest to the loop's own speed.
	ItersPerNs float64
	// Spread is (max-min)/max over the calibration rounds: how much the
	// machine's other work disturbed the rounds, and so how exact a spin of
	// a given length is likely to be right now.
	Spread float64
	// Rounds is the number of timed rounds.
	Rounds int
}

func (c Calibration) String() string {
	return fmt.Sprintf("spin: %.3f iterations/ns (spread %.1f%% over %d rounds)", c.ItersPerNs, 100*c.Spread, c.Rounds)
}

var calibration = sync.OnceValue(func() Calibration {
	const rounds = 7
	const iters = 1 << 21 // about 1-2 ms a round
	spinLoop(iters, 1)    // warm up the CPU frequency and caches
	rates := make([]float64, rounds)
	for i := range rates {
		t0 := time.Now()
		keep(spinLoop(iters, uint64(i)+1))
		rates[i] = float64(iters) / float64(time.Since(t0).Nanoseconds())
	}
	slices.Sort(rates)
	best := rates[rounds-1]
	return Calibration{ItersPerNs: best, Spread: (best - rates[0]) / best, Rounds: rounds}
})

// Calibrate measures (once per process) how fast the spin loop runs.
func Calibrate() Calibration { return calibration() }

// Spin burns the CPU for about ns nanoseconds, by the start-up calibration.
func Spin(ns float64) {
	if ns <= 0 {
		return
	}
	keep(spinLoop(int64(ns*calibration().ItersPerNs+0.5), uint64(ns)|1))
}

// spinBatch is a batch of CPU-bound tasks whose lengths follow a size
// distribution: task i spins for size_i × unit.
type spinBatch struct {
	sizes  []float64
	unitNs float64
	ran    []uint8
	stop   *atomic.Bool
}

func init() {
	RegisterBatch(BatchInfo{
		Name: "spin",
		Help: "CPU-bound tasks calibrated in time: task i spins for size_i × --unit, sizes from --size",
		New:  newSpinBatch,
	})
}

// SizesFor draws n task sizes from d (nil: all 1) with a stream of seed.
func SizesFor(d *SizeDist, n int, seed uint64) []float64 {
	sizes := make([]float64, n)
	if d == nil {
		for i := range sizes {
			sizes[i] = 1
		}
		return sizes
	}
	s := d.Sampler(NewSource(seed, 0x5123))
	for i := range sizes {
		sizes[i] = s.Sample()
	}
	return sizes
}

func newSpinBatch(cfg BatchConfig) (Batch, error) {
	if cfg.Unit <= 0 {
		return nil, fmt.Errorf("workload spin: unit must be > 0, got %v", cfg.Unit)
	}
	Calibrate()
	return &spinBatch{
		sizes:  SizesFor(cfg.Size, cfg.Tasks, cfg.Seed),
		unitNs: float64(cfg.Unit.Nanoseconds()),
		ran:    make([]uint8, cfg.Tasks),
	}, nil
}

func (b *spinBatch) Len() int                  { return len(b.sizes) }
func (b *spinBatch) Size(i int) float64        { return b.sizes[i] }
func (b *spinBatch) SetStop(stop *atomic.Bool) { b.stop = stop }
func (b *spinBatch) Run(i int) {
	SpinStop(b.sizes[i]*b.unitNs, b.stop)
	b.ran[i]++
}
func (b *spinBatch) Work() (float64, string) { return float64(len(b.sizes)), "tasks" }
func (b *spinBatch) Reset()                  { clear(b.ran) }

func (b *spinBatch) Check() error { return CheckRanOnce(b.ran) }

// CheckRanOnce verifies that every task's counter is exactly 1.
func CheckRanOnce(ran []uint8) error {
	for i, n := range ran {
		if n != 1 {
			return fmt.Errorf("task %d ran %d times, want exactly once", i, n)
		}
	}
	return nil
}
