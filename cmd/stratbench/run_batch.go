package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/harness"
	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/reports"
	"github.com/stratbench/stratbench/workloads"
)

func runBatchCommand() *cli.Command {
	return &cli.Command{
		Name:      "batch",
		Usage:     "run a fixed set of tasks through executors and loop schedules; measure speedup, imbalance, allocations",
		UsageText: "stratbench run batch [--workload NAME] [--tasks N --size DIST --unit D] [--executor LIST] [--schedule LIST] [--workers LIST] [options]",
		Description: `Runs the tasks of a workload (default spin: CPU work calibrated in time, sizes drawn
from --size) with every executor and schedule asked for, at every worker count.
The sequential executor always runs too, as the baseline of the speedups. Every
case runs --count times after --warmup rounds; each round runs all cases in a
new shuffled order, so that drift of the machine hits all alike. Records keep
every sample and give medians with 95% intervals.

Without --executor or --schedule, every executor runs.

Examples:
  stratbench run batch --tasks 10000 --size pareto:alpha=1.5 --unit 10us
  stratbench run batch --executor sequential,pool,batch --schedule static,dynamic --workers 1,2
  stratbench run batch --tasks 1000000 --size det --unit 100ns --executor pool,batch,steal
  stratbench run batch --executor queues --policy rr,random,p2c,lwl --size lognormal:sigma=2
  stratbench run batch --cpuprofile cpu.pprof && go tool pprof -tagfocus strategy=pool cpu.pprof`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "workload", Value: "spin", Usage: "batch workload (stratbench list workloads)"},
			&cli.IntFlag{Name: "tasks", Value: 10000, Usage: "number of tasks"},
			&cli.StringFlag{Name: "size", Value: "exp", Usage: "task-size distribution, as sim's --service: exp, det, lognormal:sigma=S, pareto:alpha=A, ... (mean 1)"},
			&cli.DurationFlag{Name: "unit", Value: 10_000, Usage: "duration of one size unit for time-calibrated tasks (spin)"},
			&cli.StringFlag{Name: "args", Usage: "workload settings, comma-separated key=value"},
			&cli.StringFlag{Name: "executor", Usage: "executors, comma-separated (stratbench list executors); default all unless --schedule is given"},
			&cli.StringFlag{Name: "schedule", Usage: "loop schedules, comma-separated (stratbench list schedules)"},
			&cli.StringFlag{Name: "workers", Usage: "worker counts, comma-separated; a case of W workers runs on W cores (GOMAXPROCS=W) (default GOMAXPROCS: every core)"},
			&cli.IntFlag{Name: "batch", Usage: "tasks per hand-over of the batch executor", DefaultText: "tasks/(128·workers)"},
			&cli.IntFlag{Name: "chunk", Usage: "chunk of cyclic and dynamic, minimum chunk of guided and steal (0: each one's default)"},
			&cli.StringFlag{Name: "policy", Value: "rr", Usage: "dispatch policies of the queues executor, comma-separated (stratbench list policies)"},
			&cli.IntFlag{Name: "count", Value: harness.DefaultCount, Usage: "measured runs of each case"},
			&cli.IntFlag{Name: "warmup", Value: 1, Usage: "unmeasured rounds first"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of task sizes, run order and placement policies"},
			runFormatFlag, runOutFlag, cpuProfFlag, memProfFlag, quietFlag,
		},
		OnUsageError: onUsageError,
		Action:       runBatchAction,
	}
}

func runBatchAction(c *cli.Context) error {
	format, err := begin(c)
	if err != nil {
		return err
	}
	cfg, err := batchConfig(c)
	if err != nil {
		return err
	}
	stop, err := profiles(c)
	if err != nil {
		return err
	}
	if showProgress(c) {
		update, clear := progressLine(c.App.ErrWriter, "run batch")
		defer clear()
		cfg.Progress = func(done, total int) { update(uint64(done), uint64(total)) }
	}
	results, runErr := harness.RunBatch(c.Context, cfg)
	if cfg.Progress != nil {
		cfg.Progress = nil
	}
	return finishRun(c, results, runErr, stop, func(w io.Writer) error {
		if format == "text" {
			return writeBatchText(w, results)
		}
		return writeResults(w, results, format)
	})
}

// batchConfig builds the harness configuration from run batch's flags.
func batchConfig(c *cli.Context) (harness.BatchConfig, error) {
	for _, f := range []string{"count", "warmup", "batch", "chunk", "tasks"} {
		if c.Int(f) < 0 {
			return harness.BatchConfig{}, bad.Inputf("--%s must be >= 0, got %d", f, c.Int(f))
		}
	}
	if c.Int("count") == 0 {
		return harness.BatchConfig{}, bad.Inputf("--count must be >= 1, got 0")
	}
	size, err := workloads.ParseSize(c.String("size"))
	if err != nil {
		return harness.BatchConfig{}, bad.Input(fmt.Errorf("--size: %w", err))
	}
	args := map[string]string{}
	for _, kv := range splitList(c.String("args")) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return harness.BatchConfig{}, bad.Inputf("--args: want key=value, got %q", kv)
		}
		args[k] = v
	}
	workers, err := parseInts("workers", c.String("workers"))
	if err != nil {
		return harness.BatchConfig{}, err
	}
	return harness.BatchSpec{
		Workload:  c.String("workload"),
		Tasks:     c.Int("tasks"),
		Size:      size,
		Unit:      c.Duration("unit"),
		Args:      args,
		Executors: splitList(c.String("executor")),
		Schedules: splitList(c.String("schedule")),
		Policies:  splitList(c.String("policy")),
		Batch:     c.Int("batch"),
		Chunk:     c.Int("chunk"),
		Workers:   workers,
		Count:     c.Int("count"),
		Warmup:    c.Int("warmup"),
		Seed:      c.Uint64("seed"),
	}.Config()
}

// writeBatchText writes one line per case: the median wall time with its
// 95% interval, speedup, efficiency, imbalance, allocations per task and
// cost per task, then the warnings.
func writeBatchText(w io.Writer, results []metrics.Result) error {
	if len(results) == 0 {
		return nil
	}
	r0 := &results[0]
	fmt.Fprintf(w, "run batch: workload %v, %v tasks, size %v, unit %v; median of %v runs, baseline sequential %s\n",
		r0.Params["workload"], r0.Params["tasks"], r0.Params["size"], r0.Params["unit"], r0.Params["count"],
		fmtSec(r0.Params["baseline_wall_sec"]))
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "strategy\tworkers\twall\t95% CI\tspeedup\tefficiency\timbalance\tallocs/task\tns/task")
	for i := range results {
		r := &results[i]
		m := r.Metrics
		ci := ""
		if x, ok := r.CI95["wall_sec"]; ok {
			ci = fmtSec(x[0]) + " .. " + fmtSec(x[1])
		}
		label := fmt.Sprint(r.Params["strategy"])
		if _, ok := r.Params["schedule"]; ok {
			label = "schedule " + label
		}
		fmt.Fprintf(tw, "%s\t%v\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", label, r.Params["workers"],
			fmtSec(m["wall_sec"]), ci, opt(m, "speedup", "%.2fx"), opt(m, "efficiency", "%.2f"),
			opt(m, "imbalance", "%.3f"), opt(m, "allocs_per_task", "%.3g"), opt(m, "wall_ns_per_task", "%.4g"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// A warning that every case shares is printed once.
	cases := map[string][]string{}
	var order []string
	for i := range results {
		for _, warn := range results[i].Warnings {
			if cases[warn] == nil {
				order = append(order, warn)
			}
			cases[warn] = append(cases[warn], fmt.Sprint(results[i].Params["strategy"], "/workers=", results[i].Params["workers"]))
		}
	}
	for _, warn := range order {
		if len(cases[warn]) == len(results) {
			fmt.Fprintf(w, "warning: %s\n", warn)
		} else {
			fmt.Fprintf(w, "warning: %s: %s\n", strings.Join(cases[warn], ", "), warn)
		}
	}
	if p := runtime.GOMAXPROCS(0); p < 2 {
		fmt.Fprintf(w, "note: GOMAXPROCS=%d: no parallel speedup is possible\n", p)
	}
	return nil
}

func opt(m map[string]float64, k, format string) string {
	v, ok := m[k]
	if !ok {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

// fmtSec prints seconds with a readable unit.
func fmtSec(v any) string {
	x, ok := v.(float64)
	if !ok {
		return "?"
	}
	switch {
	case x >= 1:
		return reports.FormatNumber(x) + "s"
	case x >= 1e-3:
		return reports.FormatNumber(x*1e3) + "ms"
	default:
		return reports.FormatNumber(x*1e6) + "us"
	}
}
