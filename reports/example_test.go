package reports_test

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/stratbench/stratbench/reports"
)

// Which dispatch policy wins at each load of a simulated cluster of ten
// servers, said as hyperfine says it.
func ExampleRank() {
	s, err := reports.Load([]string{"testdata/sim.jsonl"}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, rk := range reports.Rank(s.Results, "", s.Units)[2:] {
		fmt.Println(rk.Headline())
		for _, c := range rk.Comparisons {
			fmt.Println(" ", c)
		}
	}
	// Output:
	// Sim/servers=10/load=0.9: jsq is best on mean response time; bound central (the best any dispatcher could do): 1.59 [1.425, 1.754]
	//   jsq had 1.57 ± 0.20 times lower mean response time than p2c
	//   jsq had 2.91 ± 0.39 times lower mean response time than rr
	//   jsq had 5.24 ± 0.65 times lower mean response time than random
}

// A CI gate: the second batch run lost 10% throughput with the
// goroutine-per-task executor.
func ExampleCompare() {
	old, _ := reports.Load([]string{"testdata/batch.jsonl"}, nil)
	new, _ := reports.Load([]string{"testdata/batch-new.jsonl"}, nil)
	c := reports.Compare(old, new, 0.05)
	for _, r := range c.Regressions(5) {
		fmt.Printf("%s %s %+.1f%% (p=%.4f)\n", r.Bench, r.Metric, 100*r.Change, r.Cmp.P)
	}
	// Output:
	// Batch/workload=spin/tasks=10000/size=pareto:alpha=1.5/executor=goroutine/workers=1 throughput_per_sec -10.5% (p=0.0000)
	// Batch/workload=spin/tasks=10000/size=pareto:alpha=1.5/executor=goroutine/workers=2 throughput_per_sec -10.5% (p=0.0000)
}

// Where the CPU time of each labelled strategy went.
func ExampleReadProfile() {
	p, err := reports.ReadProfile("testdata/cpu.pprof")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, g := range p.Groups {
		fmt.Printf("%-17s %4.2fs CPU, %3.0f%% in task code, top: %s\n", g.Label(), g.Total,
			100*g.ByCategory[reports.TaskCode]/g.Total, g.Top[0].Name)
	}
	// Output:
	// goroutine (spin)  0.33s CPU,   3% in task code, top: runtime.memclrNoHeapPointers
	// pool (spin)       0.69s CPU,  96% in task code, top: main.spin
	// (unlabeled)       0.33s CPU,   0% in task code, top: runtime.lock2
}

// A report of the harness's service mode beside the simulator's runs of
// the same cases, in Markdown and CSV.
func ExampleRun() {
	dir, _ := os.MkdirTemp("", "report")
	defer os.RemoveAll(dir)
	cfg := reports.Config{Inputs: []string{"testdata/sim8.jsonl", "testdata/service.jsonl"}, Out: dir, Formats: []string{"md", "csv"}}
	if err := reports.Run(context.Background(), cfg, io.Discard, os.Stderr); err != nil {
		fmt.Println(err)
		return
	}
	files, _ := os.ReadDir(dir)
	for _, f := range files {
		fmt.Println(f.Name())
	}
	// Output:
	// report.md
	// results.csv
}
