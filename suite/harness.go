package suite

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/stratbench/stratbench/harness"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/runs"
	"github.com/stratbench/stratbench/sim"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

func init() {
	registerRunner("queueing", "harness", Runner{Check: checkService, Run: runService})
	registerRunner("queueing", "both", Runner{Check: checkService, Run: runBoth})
	nan := math.NaN()
	registerType(Type{
		Name:    "batch",
		Help:    "a fixed set of tasks through executors and loop schedules on real goroutines (harness)",
		Engines: []string{"harness"},
		Params: []Param{
			{"workload", String, "batch workload (stratbench list workloads)", nan, false},
			{"executor", String, "executors compared in one interleaved run (stratbench list executors)", nan, true},
			{"schedule", String, "loop schedules compared in the same run (stratbench list schedules)", nan, true},
			{"policy", String, "policies placing tasks for the queues executor", nan, true},
			{"workers", Int, "worker counts (default: every core)", 1, true},
			{"tasks", Int, "number of tasks", 0, false},
			{"size", String, "task-size distribution (det, exp, pareto:alpha=1.5, ...)", nan, false},
			{"unit", Duration, "duration of one size unit (default 10us)", nan, false},
			{"args", String, "workload settings key=value,key=value", nan, false},
			{"batch", Int, "tasks per hand-over of the batch executor", 0, false},
			{"chunk", Int, "chunk of cyclic, dynamic and guided", 0, false},
			{"count", Int, "measured runs of each strategy (default 10)", 1, false},
			{"warmup", Int, "unmeasured rounds first (default 1)", 0, false},
			{"seed", Int, "seed of this case's runs", 0, false},
		},
	})
	registerRunner("batch", "harness", Runner{Check: checkBatch, Run: runBatch})
}

// serviceConfig builds the harness's service-mode configuration of a
// queueing run.
func serviceConfig(r *Run) (harness.ServiceConfig, error) {
	sc, err := scenarioOf(r, 0)
	if err != nil {
		return harness.ServiceConfig{}, err
	}
	return harness.ServiceConfig{
		Scenario: sc,
		Unit:     r.Duration("unit", time.Millisecond),
		Kind:     r.Str("kind", harness.ServiceSleep),
		Jobs:     uint64(r.Int("jobs", 2000)),
		Warmup:   uint64(r.Int("warmup", r.Int("jobs", 2000)/10)),
	}, nil
}

func checkService(r *Run) error {
	cfg, err := serviceConfig(r)
	if err != nil {
		return err
	}
	if err := harness.ValidateService(cfg); err != nil {
		return err
	}
	return sim.Validate(runs.ServiceTwin(cfg))
}

func runService(ctx context.Context, r *Run, _ *Env) ([]metrics.Result, error) {
	cfg, err := serviceConfig(r)
	if err != nil {
		return nil, err
	}
	res, err := harness.RunService(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return []metrics.Result{*res}, nil
}

// runBoth runs the simulator and then the harness on the same case and
// returns both records, the harness's carrying the prediction.
func runBoth(ctx context.Context, r *Run, env *Env) ([]metrics.Result, error) {
	cfg, err := serviceConfig(r)
	if err != nil {
		return nil, err
	}
	s, err := sim.Run(ctx, runs.ServiceTwin(cfg))
	if err != nil {
		return nil, err
	}
	h, err := harness.RunService(ctx, cfg)
	if err != nil {
		return nil, err
	}
	metrics.Pair(h, s)
	return []metrics.Result{*s, *h}, nil
}

// batchConfig builds the harness's batch configuration of a batch run.
func batchConfig(r *Run) (harness.BatchConfig, error) {
	size, err := workloads.ParseSize(r.Str("size", "det"))
	if err != nil {
		return harness.BatchConfig{}, err
	}
	args := map[string]string{}
	for kv := range strings.SplitSeq(r.Str("args", ""), ",") {
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return harness.BatchConfig{}, fmt.Errorf("args: want key=value, got %q", kv)
		}
		args[k] = v
	}
	return harness.BatchSpec{
		Workload:  r.Str("workload", "spin"),
		Tasks:     int(r.Int("tasks", 10_000)),
		Size:      size,
		Unit:      r.Duration("unit", 10*time.Microsecond),
		Args:      args,
		Executors: r.List("executor"),
		Schedules: r.List("schedule"),
		Policies:  r.List("policy"),
		Batch:     int(r.Int("batch", 0)),
		Chunk:     int(r.Int("chunk", 0)),
		Workers:   r.Ints("workers"),
		Count:     int(r.Int("count", 10)),
		Warmup:    int(r.Int("warmup", 1)),
		Seed:      r.Seed,
	}.Config()
}

func checkBatch(r *Run) error {
	if !r.Has("executor") && !r.Has("schedule") {
		return fmt.Errorf("a batch case needs executor or schedule (known executors: %s; schedules: %s)",
			strings.Join(strategies.ExecutorNames(), ", "), strings.Join(strategies.ScheduleNames(), ", "))
	}
	_, err := batchConfig(r)
	return err
}

// runBatch measures a batch run with a CPU profile whose samples carry the
// strategy and workload labels.
func runBatch(ctx context.Context, r *Run, env *Env) ([]metrics.Result, error) {
	cfg, err := batchConfig(r)
	if err != nil {
		return nil, err
	}
	file := profileName(r)
	stop, err := harness.StartProfiles(filepath.Join(env.ProfileDir, file), "")
	if err != nil {
		return nil, err
	}
	results, runErr := harness.RunBatch(ctx, cfg)
	if err := stop(); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		return nil, runErr
	}
	for i := range results {
		results[i].Profile = filepath.Join(ProfileDir, file)
	}
	return results, nil
}

// profileName names a run's profile file: the case, the run's index in the
// suite, and the run's tag (the kernel of a kernel run).
func profileName(r *Run) string {
	return strings.Map(func(c rune) rune {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.', c == '_':
			return c
		}
		return '_'
	}, fmt.Sprintf("%s-%03d%s", r.Case.Name, r.Index, r.Tag)) + ".pprof"
}
