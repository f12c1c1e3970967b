package suite

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/stratbench/stratbench/harness"
	"github.com/stratbench/stratbench/metrics"
	// The kernel and XML batch workloads register themselves.
	_ "github.com/stratbench/stratbench/workloads/kernels"
	_ "github.com/stratbench/stratbench/workloads/xmark"
)

func init() {
	nan := math.NaN()
	registerType(Type{
		Name: "kernel",
		Help: "naive and optimized twins of one computation (and the XML kernel ladder), each run as a batch on the harness; " +
			"records are named kernel=NAME so that twins are ranked against each other",
		Engines: []string{"harness"},
		Params: []Param{
			{"kernel", String, "kernels compared (stratbench list kernels): sum.range, sum.acc8, ..., xml.fast", nan, true},
			{"executor", String, "how the tasks run (default sequential: one core, per-core figures)", nan, false},
			{"workers", Int, "worker counts (default 1 with sequential, else every core)", 1, true},
			{"tasks", Int, "tasks per run (XML: chunks of the document)", 1, false},
			{"args", String, "kernel settings key=value (n=65536; XML: scale=0.01)", nan, false},
			{"count", Int, "measured runs of each kernel (default 10)", 1, false},
			{"min_run", Duration, "shortest run worth timing: tasks are multiplied until a run lasts this long (default 50ms; not for xml.*)", nan, false},
			{"warmup", Int, "unmeasured rounds first (default 1)", 0, false},
			{"seed", Int, "seed of this case's runs", 0, false},
		},
	})
	registerRunner("kernel", "harness", Runner{Check: checkKernel, Run: runKernel})
}

// kernelWorkload maps a kernel name to its batch workload: xml.K runs the
// XML kernel K on a generated document cut into chunks, other kernels run
// on generated inputs.
func kernelWorkload(k string) (workload, family, variant string) {
	if x, ok := strings.CutPrefix(k, "xml."); ok {
		return "xml:" + x, "xml", x
	}
	fam, v, _ := strings.Cut(k, ".")
	return "kernel:" + k, fam, v
}

// kernelRun is the batch run of one kernel of a kernel run.
func kernelRun(r *Run, k string) *Run {
	return kernelRunTasks(r, k, r.Int("tasks", 64))
}

// kernelRunTasks is kernelRun with the given number of tasks.
func kernelRunTasks(r *Run, k string, tasks int64) *Run {
	workload, _, _ := kernelWorkload(k)
	params := map[string]any{
		"workload": workload,
		"executor": []any{r.Str("executor", "sequential")},
		"tasks":    tasks,
		"count":    r.Int("count", 10),
		"warmup":   r.Int("warmup", 1),
	}
	if r.Has("workers") {
		params["workers"] = r.Params["workers"]
	} else if r.Str("executor", "sequential") == "sequential" {
		params["workers"] = []any{int64(1)}
	}
	if r.Has("args") {
		params["args"] = r.Params["args"]
	}
	return &Run{ID: r.ID + "/kernel=" + k, Case: r.Case, Params: params, Seed: r.Seed, Index: r.Index, Tag: "-" + k}
}

func checkKernel(r *Run) error {
	ks := r.List("kernel")
	if len(ks) == 0 {
		return fmt.Errorf("a kernel case needs kernel: a list of kernels (stratbench list kernels)")
	}
	for _, k := range ks {
		if err := checkBatch(kernelRun(r, k)); err != nil {
			return fmt.Errorf("kernel %s: %w", k, err)
		}
	}
	return nil
}

// runKernel runs each kernel in turn and names the records
// Kernel/family=F/kernel=NAME/... (XML/kernel=NAME/... for XML), so that
// reports rank twins of one family against each other.
func runKernel(ctx context.Context, r *Run, env *Env) ([]metrics.Result, error) {
	var out []metrics.Result
	for _, k := range r.List("kernel") {
		kr, err := calibrate(ctx, r, k)
		if err != nil {
			return nil, fmt.Errorf("kernel %s: %w", k, err)
		}
		results, err := runBatch(ctx, kr, env)
		if err != nil {
			return nil, fmt.Errorf("kernel %s: %w", k, err)
		}
		_, fam, _ := kernelWorkload(k)
		for _, res := range results {
			kv := []any{}
			if fam == "xml" {
				res.Family = "XML"
			} else {
				res.Family = "Kernel"
				kv = append(kv, "family", fam)
			}
			kv = append(kv, "kernel", k)
			// Keep the workload's own settings (n, scale), the task count
			// and the workers; the executor and the unused size and unit
			// stay in params only.
			parts := strings.Split(res.Name, "/")
			for _, p := range parts[1:] {
				key, val, _ := strings.Cut(p, "=")
				switch key {
				case "executor", "size", "unit", "tasks":
					continue // in params: tasks may differ between twins (calibrated)
				}
				kv = append(kv, key, val)
			}
			res.Name = metrics.Name(kv...)
			res.Params["kernel"] = k
			res.Params["family"] = fam
			delete(res.Params, "strategy")
			out = append(out, res)
		}
	}
	return out, nil
}

// maxTaskFactor bounds how much calibrate multiplies the tasks of a run.
const maxTaskFactor = 256

// calibrate returns the batch run of kernel k with enough tasks that one
// run lasts at least min_run: a run of a fast kernel over a few tasks takes
// a millisecond or two, too short to time (two identical suites then
// differed by 40%). It times one unmeasured run and multiplies the tasks.
// XML kernels work on one document cut into tasks, so more tasks mean
// smaller chunks, not more work: they are left as they are (raise their
// scale instead).
func calibrate(ctx context.Context, r *Run, k string) (*Run, error) {
	kr := kernelRun(r, k)
	minRun := r.Duration("min_run", 50*time.Millisecond)
	if strings.HasPrefix(k, "xml.") || minRun <= 0 {
		return kr, nil
	}
	probe := kernelRun(r, k)
	probe.Params["count"], probe.Params["warmup"] = int64(1), int64(0)
	cfg, err := batchConfig(probe)
	if err != nil {
		return nil, err
	}
	results, err := harness.RunBatch(ctx, cfg)
	if err != nil || len(results) == 0 {
		return kr, err
	}
	wall := results[0].Metrics["wall_sec"]
	if wall <= 0 || wall >= minRun.Seconds() {
		return kr, nil
	}
	factor := min(math.Ceil(minRun.Seconds()/wall), maxTaskFactor)
	return kernelRunTasks(r, k, int64(factor)*r.Int("tasks", 64)), nil
}
