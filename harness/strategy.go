package harness

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

// ParseStrategies turns lists of executor and schedule names into the
// strategies of a batch run, checking every name against the catalogs. The
// queues executor appears once per policy (rr when none is given); batch
// is the batch executor's hand-over size and chunk the schedules' chunk (0:
// their defaults). With no executor and no schedule it returns every
// executor. Unknown names are bad input whose message lists the known ones.
func ParseStrategies(executors, schedules, policies []string, batch, chunk int) ([]Strategy, error) {
	if batch < 0 {
		return nil, bad.Inputf("batch must be >= 0, got %d", batch)
	}
	if chunk < 0 {
		return nil, bad.Inputf("chunk must be >= 0, got %d", chunk)
	}
	if len(executors) == 0 && len(schedules) == 0 {
		executors = strategies.ExecutorNames()
	}
	if len(policies) == 0 {
		policies = []string{"rr"}
	}
	var out []Strategy
	for _, e := range executors {
		if !slices.Contains(strategies.ExecutorNames(), e) {
			return nil, bad.Inputf("unknown executor %q (known: %s)", e, strings.Join(strategies.ExecutorNames(), ", "))
		}
		if e != "queues" {
			out = append(out, Strategy{Kind: KindExecutor, Name: e, Batch: batch})
			continue
		}
		for _, p := range policies {
			if err := strategies.ValidatePolicy(p); err != nil {
				return nil, bad.Input(err)
			}
			out = append(out, Strategy{Kind: KindExecutor, Name: e, Policy: p})
		}
	}
	for _, s := range schedules {
		if !slices.Contains(strategies.ScheduleNames(), s) {
			return nil, bad.Inputf("unknown schedule %q (known: %s)", s, strings.Join(strategies.ScheduleNames(), ", "))
		}
		out = append(out, Strategy{Kind: KindSchedule, Name: s, Chunk: chunk})
	}
	return out, nil
}

// ValidateService reports the first problem of cfg (marked as bad input),
// or nil: what RunService would refuse, without running anything.
func ValidateService(cfg ServiceConfig) error { return cfg.Validate() }

// BatchSpec describes a batch measurement by names and numbers, as the
// command line and suite files give it.
type BatchSpec struct {
	// Workload names the batch workload (workloads.Batches).
	Workload string
	// Tasks is the number of tasks, Size their size distribution (nil:
	// det), Unit the duration of one size unit, Args the workload's own
	// settings.
	Tasks int
	Size  *workloads.SizeDist
	Unit  time.Duration
	Args  map[string]string
	// Executors, Schedules and Policies (of the queues executor) name the
	// strategies; none at all means every executor.
	Executors, Schedules, Policies []string
	// Batch and Chunk tune the batch executor and the schedules (0: their
	// defaults).
	Batch, Chunk int
	// Workers, Count, Warmup and Seed are as in BatchConfig.
	Workers       []int
	Count, Warmup int
	Seed          uint64
}

// Config checks the spec, builds its workload and strategies, and names
// the case: workload=NAME/tasks=N/size=DIST/unit=D/args.... Every error is
// bad input.
func (s BatchSpec) Config() (BatchConfig, error) {
	switch {
	case s.Tasks < 0:
		return BatchConfig{}, bad.Field("tasks", "must be >= 0, got %d", s.Tasks)
	case s.Unit <= 0:
		return BatchConfig{}, bad.Field("unit", "must be > 0, got %v", s.Unit)
	case s.Count < 1:
		return BatchConfig{}, bad.Field("count", "must be >= 1, got %d", s.Count)
	case s.Warmup < 0:
		return BatchConfig{}, bad.Field("warmup", "must be >= 0, got %d", s.Warmup)
	case s.Batch < 0:
		return BatchConfig{}, bad.Field("batch", "must be >= 0, got %d", s.Batch)
	case s.Chunk < 0:
		return BatchConfig{}, bad.Field("chunk", "must be >= 0, got %d", s.Chunk)
	}
	for _, w := range s.Workers {
		if w <= 0 {
			return BatchConfig{}, bad.Field("workers", "must be > 0, got %d", w)
		}
	}
	strats, err := ParseStrategies(s.Executors, s.Schedules, s.Policies, s.Batch, s.Chunk)
	if err != nil {
		return BatchConfig{}, err
	}
	size := s.Size
	if size == nil {
		size, _ = workloads.ParseSize("det")
	}
	tasks, err := workloads.NewBatch(s.Workload, workloads.BatchConfig{
		Tasks: s.Tasks, Size: size, Unit: s.Unit, Seed: s.Seed, Args: s.Args,
	})
	if err != nil {
		return BatchConfig{}, bad.Input(err)
	}
	kv := []any{"tasks", s.Tasks, "size", size.String(), "unit", FormatUnit(s.Unit)}
	for _, k := range slices.Sorted(maps.Keys(s.Args)) {
		kv = append(kv, k, s.Args[k])
	}
	return BatchConfig{
		Workload:   s.Workload,
		Tasks:      tasks,
		Case:       kv,
		Strategies: strats,
		Workers:    s.Workers,
		Count:      s.Count,
		Warmup:     s.Warmup,
		Seed:       s.Seed,
	}, nil
}

// FormatUnit writes a duration as in record names: 10us, not 10µs.
func FormatUnit(d time.Duration) string {
	return strings.ReplaceAll(d.String(), "µ", "u")
}
