package runs

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/stratbench/stratbench/harness"
	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/field"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/workloads"
)

// Batch is the run batch command: the tasks of a workload through
// executors and loop schedules at every worker count (harness.RunBatch).
type Batch struct {
	Spec harness.BatchSpec
	Output
}

// BatchFields are the settings of Batch (the flags of `stratbench run
// batch`).
func BatchFields() []field.Field[Batch] {
	list := func(name, usage, def string, p func(*harness.BatchSpec) *[]string) field.Field[Batch] {
		return field.Field[Batch]{Name: name, Kind: field.String, Usage: usage, Default: def,
			Set: func(b *Batch, v string) error { *p(&b.Spec) = field.Split(v); return nil }}
	}
	count := func(name, usage, def string, p func(*harness.BatchSpec) *int) field.Field[Batch] {
		return field.Count(name, usage, def, field.NoMin, func(b *Batch) *int { return p(&b.Spec) })
	}
	fs := []field.Field[Batch]{
		field.Text("workload", "batch workload (stratbench list workloads)", "spin", func(b *Batch) *string { return &b.Spec.Workload }),
		count("tasks", "number of tasks", "10000", func(s *harness.BatchSpec) *int { return &s.Tasks }),
		{Name: "size", Kind: field.String, Default: "exp", Usage: "task-size distribution, as sim's --service: exp, det, lognormal:sigma=S, pareto:alpha=A, ... (mean 1)",
			Set: func(b *Batch, v string) (err error) {
				if b.Spec.Size, err = workloads.ParseSize(v); err != nil {
					return bad.Field("size", ": %v", err)
				}
				return nil
			}},
		field.Time("unit", "duration of one size unit for time-calibrated tasks (spin)", "10us", time.Duration(field.NoMin), func(b *Batch) *time.Duration { return &b.Spec.Unit }),
		{Name: "args", Kind: field.String, Usage: "workload settings, comma-separated key=value",
			Set: func(b *Batch, v string) error {
				b.Spec.Args = map[string]string{}
				for _, kv := range field.Split(v) {
					k, v, ok := strings.Cut(kv, "=")
					if !ok || k == "" {
						return bad.Field("args", ": want key=value, got %q", kv)
					}
					b.Spec.Args[k] = v
				}
				return nil
			}},
		list("executor", "executors, comma-separated (stratbench list executors); default all unless --schedule is given", "", func(s *harness.BatchSpec) *[]string { return &s.Executors }),
		list("schedule", "loop schedules, comma-separated (stratbench list schedules)", "", func(s *harness.BatchSpec) *[]string { return &s.Schedules }),
		{Name: "workers", Kind: field.String, Usage: "worker counts, comma-separated; a case of W workers runs on W cores (GOMAXPROCS=W) (default GOMAXPROCS: every core)",
			Set: func(b *Batch, v string) (err error) { b.Spec.Workers, err = field.Ints("workers", v); return err }},
		count("batch", "tasks per hand-over of the batch executor", "", func(s *harness.BatchSpec) *int { return &s.Batch }),
		count("chunk", "chunk of cyclic and dynamic, minimum chunk of guided and steal (0: each one's default)", "", func(s *harness.BatchSpec) *int { return &s.Chunk }),
		list("policy", "dispatch policies of the queues executor, comma-separated (stratbench list policies)", "rr", func(s *harness.BatchSpec) *[]string { return &s.Policies }),
		count("count", "measured runs of each case", strconv.Itoa(harness.DefaultCount), func(s *harness.BatchSpec) *int { return &s.Count }),
		count("warmup", "unmeasured rounds first", "1", func(s *harness.BatchSpec) *int { return &s.Warmup }),
		field.Big("seed", "seed of task sizes, run order and placement policies", "1", func(b *Batch) *uint64 { return &b.Spec.Seed }),
	}
	fs[8].DefaultText = "tasks/(128·workers)"
	fs = append(fs, outputFields(func(b *Batch) *Output { return &b.Output })...)
	return append(fs, profileFields(func(b *Batch) *Output { return &b.Output })...)
}

// Run measures every case and writes the records.
func (b *Batch) Run(ctx context.Context, env Env) error {
	cfg, err := b.Spec.Config()
	if err != nil {
		return err
	}
	return execute(ctx, []kase{{"run batch", func(ctx context.Context, progress func(done, total uint64)) ([]metrics.Result, error) {
		if progress != nil {
			cfg.Progress = func(done, total int) { progress(uint64(done), uint64(total)) }
		}
		return harness.RunBatch(ctx, cfg)
	}}}, b.Output, env)
}
