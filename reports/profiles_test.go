package reports

import (
	"maps"
	"math"
	"testing"
)

// TestCategory pins the mapping of stacks (leaf first) to categories.
func TestCategory(t *testing.T) {
	cases := []struct {
		stack []string
		want  string
		why   string
	}{
		{[]string{"main.spin", "main.worker", "runtime.goexit"}, TaskCode, "the leaf is the task's code"},
		{[]string{"runtime.memmove", "bytes.(*Buffer).Write", "main.task"}, TaskCode, "a runtime helper called by the task is the task's time"},
		{[]string{"runtime.scanobject", "runtime.gcDrain", "runtime.gcBgMarkWorker"}, "GC", "background marking"},
		{[]string{"runtime.memclrNoHeapPointers", "runtime.mallocgc", "runtime.makeslice", "main.task"}, "allocation", "clearing new memory is allocation"},
		{[]string{"runtime.scanobject", "runtime.gcAssistAlloc", "runtime.mallocgc", "main.task"}, "GC", "an assist is GC even under mallocgc"},
		{[]string{"internal/runtime/syscall.Syscall6", "syscall.write", "os.(*File).Write", "main.task"}, "syscalls", "a write"},
		{[]string{"runtime.lock2", "runtime.chanrecv", "runtime.chanrecv2", "main.worker"}, "scheduling", "a channel receive"},
		{[]string{"runtime.futex", "runtime.notesleep", "runtime.stopm", "runtime.findRunnable", "runtime.schedule"}, "scheduling", "an idle P looking for work"},
		{[]string{"main.spin", "sync.(*WaitGroup).Go.func1", "runtime.goexit"}, TaskCode, "a WaitGroup frame above the task is not scheduling"},
		{[]string{"runtime.asyncPreempt", "main.spin"}, "scheduling", "the task was preempted"},
		{[]string{"runtime.typedmemmove", "reflect.Value.Set", "encoding/xml.(*Decoder).unmarshal"}, TaskCode, "reflection helpers work for the task (XML decoding)"},
		{[]string{"github.com/stratbench/stratbench/harness.ticks", "github.com/stratbench/stratbench/harness.(*batchRunner).task"}, "other", "the harness's bookkeeping"},
		{[]string{"runtime.nanotime", "runtime.sysmon", "runtime.mstart"}, "other", "the runtime's own work"},
	}
	for _, tc := range cases {
		if got := category(tc.stack); got != tc.want {
			t.Errorf("%s: category(%v) = %s, want %s", tc.why, tc.stack, got, tc.want)
		}
	}
}

// TestProfileSummary reads the fixture profile (two labelled strategies,
// see testdata/genprofile) and checks pprof's accounting: flat times add
// up to the total, cumulative time is at least flat time, the spinning
// pool is almost all task code, and the goroutine-per-task strategy pays for
// allocation and scheduling.
func TestProfileSummary(t *testing.T) {
	s, err := ReadProfile("testdata/cpu.pprof")
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string]ProfileGroup{}
	sum := 0.0
	for _, g := range s.Groups {
		groups[g.Strategy] = g
		sum += g.Total
		cat := 0.0
		for _, v := range g.ByCategory {
			cat += v
		}
		if math.Abs(cat-g.Total) > 1e-6 {
			t.Errorf("%s: categories add up to %v, total %v", g.Label(), cat, g.Total)
		}
		for _, f := range g.Top {
			if f.Cum < f.Flat {
				t.Errorf("%s: %s cum %v < flat %v", g.Label(), f.Name, f.Cum, f.Flat)
			}
		}
	}
	if math.Abs(sum-s.Total) > 1e-6 {
		t.Errorf("groups add up to %v, profile total %v", sum, s.Total)
	}
	pool, ok := groups["pool"]
	if !ok || pool.Workload != "spin" {
		t.Fatalf("no pool group with workload spin: %v", groups)
	}
	if share := pool.ByCategory[TaskCode] / pool.Total; share < 0.8 {
		t.Errorf("pool: task code share %.2f, want most of its time", share)
	}
	if pool.Top[0].Name != "main.spin" {
		t.Errorf("pool's top function is %s, want main.spin", pool.Top[0].Name)
	}
	g := groups["goroutine"]
	if over := (g.ByCategory["allocation"] + g.ByCategory["scheduling"] + g.ByCategory["GC"]) / g.Total; over < 0.5 {
		t.Errorf("goroutine: overhead share %.2f, want most of its time", over)
	}
	if _, ok := groups[Unlabeled]; !ok {
		t.Error("background work must show as (unlabeled)")
	}
}

// TestProfileGroupsKeepCasesApart checks that one strategy label found in
// the profiles of two cases makes two rows, named by case, while a label
// found in one case keeps its short name.
func TestProfileGroupsKeepCasesApart(t *testing.T) {
	g := func(strategy string, sec float64) ProfileGroup {
		return ProfileGroup{Strategy: strategy, Workload: "spin", Total: sec, Samples: 100, ByCategory: map[string]float64{TaskCode: sec}}
	}
	m := &model{profiles: []*ProfileSummary{
		{Path: "out/profiles/heavy-tail-072.pprof", Groups: []ProfileGroup{g("goroutine", 10), g("pool", 5)}},
		{Path: "out/profiles/tiny-tasks-073.pprof", Groups: []ProfileGroup{g("goroutine", 3)}},
	}}
	got := map[string]float64{}
	for _, pg := range m.profileGroups() {
		got[pg.Label()] = pg.Total
	}
	want := map[string]float64{"goroutine (spin, heavy-tail)": 10, "goroutine (spin, tiny-tasks)": 3, "pool (spin)": 5}
	if !maps.Equal(got, want) {
		t.Errorf("groups %v, want %v", got, want)
	}
	for path, want := range map[string]string{"a/heavy-tail-072.pprof": "heavy-tail", "kernel-twins-074-apply.item.pprof": "kernel-twins", "cpu.pprof": "cpu"} {
		if got := profileCase(path); got != want {
			t.Errorf("profileCase(%s) = %s, want %s", path, got, want)
		}
	}
}
