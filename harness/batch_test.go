package harness

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

// countBatch is a batch whose tasks count their runs, and can be told to
// block or to fail its check.
type countBatch struct {
	ran     []atomic.Int32
	onRun   func(i int)
	failing bool
}

func newCountBatch(n int) *countBatch { return &countBatch{ran: make([]atomic.Int32, n)} }

func (b *countBatch) Len() int                { return len(b.ran) }
func (b *countBatch) Size(i int) float64      { return float64(1 + i%3) }
func (b *countBatch) Work() (float64, string) { return float64(len(b.ran)) * 10, "elements" }
func (b *countBatch) Reset() {
	for i := range b.ran {
		b.ran[i].Store(0)
	}
}
func (b *countBatch) Run(i int) {
	b.ran[i].Add(1)
	if b.onRun != nil {
		b.onRun(i)
	}
}
func (b *countBatch) Check() error {
	if b.failing {
		return errors.New("wrong answer")
	}
	for i := range b.ran {
		if c := b.ran[i].Load(); c != 1 {
			return fmt.Errorf("task %d ran %d times", i, c)
		}
	}
	return nil
}

func allStrategies() []Strategy {
	var out []Strategy
	for _, e := range strategies.Executors {
		out = append(out, Strategy{Kind: KindExecutor, Name: e.Name})
	}
	out = append(out, Strategy{Kind: KindExecutor, Name: "queues", Policy: "lwl"})
	for _, s := range strategies.Schedules {
		out = append(out, Strategy{Kind: KindSchedule, Name: s.Name})
	}
	return out
}

// TestRunBatchRecords runs every executor and schedule at two worker
// counts and checks the records: one per case, every task run once in
// every run (Check), the promised metrics and per-worker arrays.
func TestRunBatchRecords(t *testing.T) {
	const n = 500
	b := newCountBatch(n)
	strats := allStrategies()
	res, err := RunBatch(context.Background(), BatchConfig{
		Workload: "count", Tasks: b, Case: []any{"tasks", n},
		Strategies: strats, Workers: []int{1, 3}, Count: 3, Warmup: 1, Seed: 7,
	})
	if err != nil {
		t.Fatal(err)
	}
	// sequential once (it ignores the worker count), the others twice.
	if want := 2*len(strats) - 1; len(res) != want {
		t.Fatalf("%d records, want %d", len(res), want)
	}
	names := map[string]bool{}
	for _, r := range res {
		if names[r.Name] {
			t.Errorf("duplicate name %s", r.Name)
		}
		names[r.Name] = true
		if !strings.HasPrefix(r.Name, "workload=count/tasks=500/") || r.Family != "Batch" || r.Engine != "harness" {
			t.Errorf("record %s: family %q engine %q", r.Name, r.Family, r.Engine)
		}
		for _, k := range []string{"throughput_per_sec", "wall_sec", "speedup", "efficiency", "allocs_per_task", "gc_count", "elements_per_sec"} {
			if _, ok := r.Metrics[k]; !ok {
				t.Errorf("%s: no metric %s", r.Name, k)
			}
		}
		if got := len(r.Samples["wall_sec"]); got != 3 {
			t.Errorf("%s: %d wall samples, want 3", r.Name, got)
		}
		workers := r.Params["workers"].(int)
		tasks := r.PerServer["tasks"]
		if len(tasks) != workers {
			t.Errorf("%s: %d per-worker task counts for %d workers", r.Name, len(tasks), workers)
		}
		sum := 0.0
		for _, x := range tasks {
			sum += x
		}
		if math.Abs(sum-n) > 1e-6 {
			t.Errorf("%s: workers ran %g tasks in all, want %d", r.Name, sum, n)
		}
		if r.Params["strategy"] == "goroutine" {
			if _, ok := r.Metrics["imbalance"]; ok {
				t.Errorf("%s: imbalance reported without worker hooks", r.Name)
			}
		} else if _, ok := r.Metrics["imbalance"]; !ok {
			t.Errorf("%s: no imbalance", r.Name)
		}
		if r.Params["strategy"] == "sequential" && r.Metrics["speedup"] != 1 {
			t.Errorf("sequential speedup %g, want exactly 1 (paired with itself)", r.Metrics["speedup"])
		}
	}
	for _, want := range []string{
		"workload=count/tasks=500/executor=sequential/workers=1",
		"workload=count/tasks=500/executor=queues/policy=lwl/workers=3",
		"workload=count/tasks=500/schedule=steal/workers=3",
	} {
		if !names[want] {
			t.Errorf("no record %s among %v", want, names)
		}
	}
}

// TestRunBatchBaselineHidden checks that sequential runs as the baseline
// without being reported when it was not asked for.
func TestRunBatchBaselineHidden(t *testing.T) {
	res, err := RunBatch(context.Background(), BatchConfig{
		Workload: "count", Tasks: newCountBatch(100),
		Strategies: []Strategy{{Kind: KindExecutor, Name: "pool"}}, Workers: []int{2}, Count: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Params["strategy"] != "pool" {
		t.Fatalf("records %v, want pool alone", res)
	}
	if _, ok := res[0].Params["baseline_wall_sec"]; !ok {
		t.Error("no baseline wall time")
	}
	if len(res[0].Samples["speedup"]) != 2 {
		t.Errorf("speedup samples %v, want 2 (paired by round)", res[0].Samples["speedup"])
	}
}

func TestRunBatchCheckFails(t *testing.T) {
	b := newCountBatch(10)
	b.failing = true
	_, err := RunBatch(context.Background(), BatchConfig{
		Workload: "count", Tasks: b, Strategies: []Strategy{{Kind: KindExecutor, Name: "pool"}}, Count: 1,
	})
	if err == nil || !strings.Contains(err.Error(), "wrong answer") || errors.Is(err, bad.ErrInput) {
		t.Fatalf("got %v, want the check's error (not bad input)", err)
	}
}

func TestRunBatchBadConfig(t *testing.T) {
	ok := []Strategy{{Kind: KindExecutor, Name: "pool"}}
	cases := []struct {
		cfg  BatchConfig
		want string
	}{
		{BatchConfig{Strategies: ok}, "no tasks"},
		{BatchConfig{Tasks: newCountBatch(1)}, "no executor"},
		{BatchConfig{Tasks: newCountBatch(1), Strategies: ok, Workers: []int{0}}, "workers must be > 0"},
		{BatchConfig{Tasks: newCountBatch(1), Strategies: []Strategy{{Kind: KindExecutor, Name: "nope"}}}, "unknown executor"},
		{BatchConfig{Tasks: newCountBatch(1), Strategies: []Strategy{{Kind: KindSchedule, Name: "nope"}}}, "unknown schedule"},
		{BatchConfig{Tasks: newCountBatch(1), Strategies: []Strategy{{Kind: KindExecutor, Name: "queues", Policy: "nope"}}}, "unknown policy"},
		{BatchConfig{Tasks: newCountBatch(1), Strategies: ok, Count: -1}, "count must be >= 1"},
	}
	for _, tc := range cases {
		_, err := RunBatch(context.Background(), tc.cfg)
		if err == nil || !errors.Is(err, bad.ErrInput) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want bad input containing %q", err, tc.want)
		}
	}
}

// TestRunBatchInterrupt cancels a run in the middle of a task: RunBatch
// must return at once with the records of the runs that finished.
func TestRunBatchInterrupt(t *testing.T) {
	const n = 2000
	b := newCountBatch(n)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var runs atomic.Int64
	b.onRun = func(i int) {
		// Cancel in the third round, a little into it.
		if runs.Add(1) == 2*2*n+n/2 {
			cancel()
		}
	}
	t0 := time.Now()
	res, err := RunBatch(ctx, BatchConfig{
		Workload: "count", Tasks: b, Strategies: []Strategy{{Kind: KindExecutor, Name: "pool"}},
		Workers: []int{2}, Count: 1000, Seed: 1,
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if el := time.Since(t0); el > 5*time.Second {
		t.Errorf("took %v to stop", el)
	}
	if len(res) != 1 || len(res[0].Samples["wall_sec"]) != 2 {
		t.Fatalf("records %+v, want pool with the 2 runs finished before the interruption", res)
	}
	if !slices.ContainsFunc(res[0].Warnings, func(w string) bool { return strings.Contains(w, "interrupted: 2 of 1000") }) {
		t.Errorf("warnings %v lack the interruption", res[0].Warnings)
	}
}

// TestProfileLabels checks that CPU samples of a batch run carry the
// strategy and workload labels, also on the worker goroutines.
func TestProfileLabels(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a second of CPU profile")
	}
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	stop, err := StartProfiles(cpu, mem)
	if err != nil {
		t.Fatal(err)
	}
	size, _ := workloads.ParseSize("det")
	tasks, err := workloads.NewBatch("spin", workloads.BatchConfig{Tasks: 2000, Size: size, Unit: 100 * time.Microsecond})
	if err != nil {
		t.Fatal(err)
	}
	_, runErr := RunBatch(context.Background(), BatchConfig{
		Workload: "spin", Tasks: tasks, Strategies: []Strategy{{Kind: KindExecutor, Name: "pool"}},
		Workers: []int{2}, Count: 2,
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if runErr != nil {
		t.Fatal(runErr)
	}
	f, err := os.Open(cpu)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	labelled := map[string]int{}
	for _, s := range p.Sample {
		if s.Label["workload"] != nil && s.Label["workload"][0] == "spin" {
			labelled[s.Label["strategy"][0]]++
		}
	}
	if labelled["pool"] == 0 || labelled["sequential"] == 0 {
		t.Fatalf("labelled samples by strategy %v of %d: want pool and sequential", labelled, len(p.Sample))
	}
	if fi, err := os.Stat(mem); err != nil || fi.Size() == 0 {
		t.Fatalf("memory profile: %v", err)
	}
}

func TestParseStrategies(t *testing.T) {
	got, err := ParseStrategies([]string{"pool", "queues"}, []string{"dynamic"}, []string{"rr", "p2c"}, 8, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []Strategy{
		{Kind: KindExecutor, Name: "pool", Batch: 8},
		{Kind: KindExecutor, Name: "queues", Policy: "rr"},
		{Kind: KindExecutor, Name: "queues", Policy: "p2c"},
		{Kind: KindSchedule, Name: "dynamic", Chunk: 4},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	all, err := ParseStrategies(nil, nil, nil, 0, 0)
	if err != nil || len(all) != len(strategies.Executors) {
		t.Errorf("no names: got %v, %v; want every executor", all, err)
	}
	for _, tc := range []struct {
		e, s, p []string
		want    string
	}{
		{[]string{"nope"}, nil, nil, `unknown executor "nope" (known: sequential`},
		{nil, []string{"nope"}, nil, `unknown schedule "nope" (known: static`},
		{[]string{"queues"}, nil, []string{"nope"}, `unknown policy "nope" (known: random`},
	} {
		if _, err := ParseStrategies(tc.e, tc.s, tc.p, 0, 0); err == nil || !errors.Is(err, bad.ErrInput) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want bad input containing %q", err, tc.want)
		}
	}
}
