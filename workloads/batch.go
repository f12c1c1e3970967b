package workloads

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Batch is a fixed set of independent tasks, the input of the harness's
// batch mode. Run may be called concurrently for distinct tasks, and each
// task exactly once per round; Reset prepares another round.
type Batch interface {
	// Len is the number of tasks.
	Len() int
	// Size is task i's expected cost in units of the batch's task unit
	// (known sizes let policies such as lwl place tasks).
	Size(i int) float64
	// Run runs task i.
	Run(i int)
	// Work is the total work of one round and its unit, for throughput in
	// work units ("elements", "bytes", "tasks").
	Work() (amount float64, unit string)
	// Check verifies the results of the last round (every task ran once,
	// outputs agree with a reference); nil when the batch cannot check.
	Check() error
	// Reset clears per-round state before the next round.
	Reset()
}

// BatchConfig holds what a batch workload needs to be built.
type BatchConfig struct {
	// Tasks is the number of tasks (>= 0).
	Tasks int
	// Size is the task-size distribution (nil: det, every task the mean).
	Size *SizeDist
	// Unit is the duration of one size unit for time-calibrated tasks.
	Unit time.Duration
	// Seed seeds task sizes and inputs.
	Seed uint64
	// Args are workload-specific key=value settings (kernel input size...).
	Args map[string]string
}

// BatchInfo is one row of the batch-workload catalog.
type BatchInfo struct {
	Name string
	Help string
	New  func(BatchConfig) (Batch, error)
	// TaskBytes is the memory one task takes (0: 32 bytes, a task's size
	// and bookkeeping), for the bound NewBatch checks before building.
	TaskBytes float64
}

var batches []BatchInfo

// RegisterBatch adds a batch workload to the catalog; each workload's file
// registers itself from init.
func RegisterBatch(b BatchInfo) { batches = append(batches, b) }

// Batches returns the batch-workload catalog sorted by name.
func Batches() []BatchInfo {
	out := slices.Clone(batches)
	slices.SortFunc(out, func(a, b BatchInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// NewBatch builds the named batch workload; an unknown name is an error that
// lists the known ones.
func NewBatch(name string, cfg BatchConfig) (Batch, error) {
	all := Batches()
	i := slices.IndexFunc(all, func(b BatchInfo) bool { return b.Name == name })
	if i < 0 {
		names := make([]string, len(all))
		for j, b := range all {
			names[j] = b.Name
		}
		return nil, fmt.Errorf("unknown workload %q (known: %s)", name, strings.Join(names, ", "))
	}
	if cfg.Tasks < 0 {
		return nil, fmt.Errorf("workload %s: tasks must be >= 0, got %d", name, cfg.Tasks)
	}
	per := all[i].TaskBytes
	if per == 0 {
		per = defaultTaskBytes
	}
	if err := CheckBytes(fmt.Sprintf("workload %s with %d tasks", name, cfg.Tasks), float64(cfg.Tasks)*per, "{tasks}"); err != nil {
		return nil, err
	}
	return all[i].New(cfg)
}
