package stratbench_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/stratbench/stratbench/harness"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

// execCases are the task sets of the executor and schedule benchmarks: a
// million tiny tasks, where every per-task hand-off shows, and ten thousand
// tasks of 50µs, where balance matters more than hand-off cost.
var execCases = []struct {
	label string
	n     int
	ns    float64
}{
	{"100ns", 1_000_000, 100},
	{"50us", 10_000, 50_000},
}

// reportPerTask reports wall time and allocations per task for b.N rounds
// of n tasks that ran since t0 and m0.
func reportPerTask(b *testing.B, n int, t0 time.Time, m0 *runtime.MemStats) {
	el := time.Since(t0)
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	tasks := float64(b.N) * float64(n)
	b.ReportMetric(float64(el.Nanoseconds())/tasks, "ns/task")
	b.ReportMetric(tasks/el.Seconds(), "tasks/s")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/tasks, "allocs/task")
}

// BenchmarkExecutors measures every executor of the catalog on the tasks
// of execCases with GOMAXPROCS workers (the queues executor places tasks
// round robin). One op is one whole batch; ns/task is its wall time per
// task, so that sequential's ns/task is the task's own cost and any
// executor's speedup over it is the ratio of the two.
func BenchmarkExecutors(b *testing.B) {
	workloads.Calibrate()
	workers := runtime.GOMAXPROCS(0)
	for _, tc := range execCases {
		for _, info := range strategies.Executors {
			b.Run(benchName("executor", info.Name, "task", tc.label), func(b *testing.B) {
				e, err := strategies.NewExecutor(info.Name, strategies.ExecutorConfig{Workers: workers, Policy: "rr", Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				ns := tc.ns
				task := func(_, _ int) { workloads.Spin(ns) }
				e.Run(min(tc.n, 1000), task) // warm up: goroutines, buffers
				var m0 runtime.MemStats
				runtime.ReadMemStats(&m0)
				b.ResetTimer()
				t0 := time.Now()
				for range b.N {
					e.Run(tc.n, task)
				}
				b.StopTimer()
				reportPerTask(b, tc.n, t0, &m0)
			})
		}
	}
}

// BenchmarkSchedules measures every loop schedule of the catalog on the
// tasks of execCases with GOMAXPROCS workers and the default chunk; as in
// BenchmarkExecutors, one op is one whole loop.
func BenchmarkSchedules(b *testing.B) {
	workloads.Calibrate()
	workers := runtime.GOMAXPROCS(0)
	for _, tc := range execCases {
		for _, info := range strategies.Schedules {
			b.Run(benchName("schedule", info.Name, "task", tc.label), func(b *testing.B) {
				s, err := strategies.NewSchedule(info.Name, strategies.ScheduleConfig{})
				if err != nil {
					b.Fatal(err)
				}
				ns := tc.ns
				body := func(_, lo, hi int) {
					for range hi - lo {
						workloads.Spin(ns)
					}
				}
				s.Run(min(tc.n, 1000), workers, body)
				var m0 runtime.MemStats
				runtime.ReadMemStats(&m0)
				b.ResetTimer()
				t0 := time.Now()
				for range b.N {
					s.Run(tc.n, workers, body)
				}
				b.StopTimer()
				reportPerTask(b, tc.n, t0, &m0)
			})
		}
	}
}

// noopBatch is a batch of empty tasks: what is left to time is the cost of
// getting to them.
type noopBatch struct{ n int }

func (b noopBatch) Len() int                { return b.n }
func (b noopBatch) Size(int) float64        { return 1 }
func (b noopBatch) Run(int)                 {}
func (b noopBatch) Work() (float64, string) { return float64(b.n), "tasks" }
func (b noopBatch) Check() error            { return nil }
func (b noopBatch) Reset()                  {}

// BenchmarkHarness measures the batch harness's own cost per task: one op
// runs a million empty tasks with a plain sequential executor (raw-ns/task)
// and then once through harness.RunBatch, which times the same executor
// with its instrumentation (harness-ns/task, the record's
// wall_ns_per_task); overhead-ns/task is the difference: the stop check,
// the per-worker task count and one more indirect call. The target is
// under 50ns.
func BenchmarkHarness(b *testing.B) {
	const n = 1_000_000
	tasks := noopBatch{n}
	for _, s := range []harness.Strategy{
		{Kind: harness.KindExecutor, Name: "sequential"},
		{Kind: harness.KindSchedule, Name: "static"},
	} {
		b.Run(benchName(s.Kind, s.Name), func(b *testing.B) {
			raw, err := strategies.NewExecutor("sequential", strategies.ExecutorConfig{Workers: 1})
			if err != nil {
				b.Fatal(err)
			}
			var rawNs, harnessNs float64
			for range b.N {
				t0 := time.Now()
				raw.Run(n, func(_, i int) { tasks.Run(i) })
				rawNs += float64(time.Since(t0).Nanoseconds()) / n
				res, err := harness.RunBatch(context.Background(), harness.BatchConfig{
					Workload: "noop", Tasks: tasks, Strategies: []harness.Strategy{s}, Workers: []int{1}, Count: 1,
				})
				if err != nil {
					b.Fatal(err)
				}
				harnessNs += res[0].Metrics["wall_ns_per_task"]
			}
			b.ReportMetric(rawNs/float64(b.N), "raw-ns/task")
			b.ReportMetric(harnessNs/float64(b.N), "harness-ns/task")
			b.ReportMetric((harnessNs-rawNs)/float64(b.N), "overhead-ns/task")
		})
	}
}
