package reports

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"

	"github.com/stratbench/stratbench/reports/internal/flame"
)

// TaskCode is the category of the task's own work: its code, the
// libraries it calls and the runtime helpers they call for it. (Not the
// operating system's kernel, nor a kernel of the kernel twins: those are
// tasks like any other.)
const TaskCode = "task code"

// Categories are the kinds of work "where the time went" charts split a
// strategy's CPU time into, in the order they are drawn.
var Categories = []string{TaskCode, "scheduling", "GC", "allocation", "syscalls", "other"}

// categoryHelp says what each category holds, for legends and the page.
var categoryHelp = map[string]string{
	TaskCode:     "the task's own code and the libraries it calls",
	"scheduling": "goroutine scheduling, channels, locks, parking and waking",
	"GC":         "garbage collection: marking, sweeping, assists",
	"allocation": "allocating memory (mallocgc and below, outside GC)",
	"syscalls":   "system calls",
	"other":      "everything else: the harness's own bookkeeping, timers, the profiler",
}

// The mapping of a CPU sample to a category looks at the system frames at
// the leaf end of its stack: the frames, from the leaf up, in the runtime,
// package sync, internal packages, syscall and golang.org/x/sys/unix, up to
// the first frame of other code. The first rule that matches wins:
//
//  1. GC: one of them is a garbage collector function (gcRoots), such as
//     runtime.gcBgMarkWorker or runtime.gcAssistAlloc. Background GC runs
//     on goroutines without labels, so most of it is found under
//     "(unlabeled)"; assists are charged to the goroutine that allocated.
//  2. allocation: one of them allocates (allocRoots), such as
//     runtime.mallocgc.
//  3. syscalls: one of them is a system call (syscallPrefixes).
//  4. scheduling: one of them schedules, parks, wakes or synchronizes
//     goroutines (schedRoots): runtime.schedule, runtime.chansend,
//     runtime.gopark, sync.(*Mutex).Lock, ...
//  5. other: the leaf is stratbench's own harness or strategies, time
//     keeping or the profiler (ownPrefixes), or the stack is system frames
//     only (the runtime's own work: sysmon, timers, idle).
//  6. task code: everything else: the task's code, the libraries it calls,
//     and the runtime helpers they call for their own work (memmove,
//     memclr, map access, interface conversions).
var (
	gcRoots = []string{
		"runtime.gcBgMarkWorker", "runtime.gcAssistAlloc", "runtime.gcDrain", "runtime.markroot",
		"runtime.scanobject", "runtime.scanObject", "runtime.scanblock", "runtime.bgsweep", "runtime.bgscavenge", "runtime.gcStart",
		"runtime.gcMarkDone", "runtime.gcMarkTermination", "runtime.sweepone", "runtime.wbBufFlush",
		"runtime.gcWriteBarrier",
	}
	allocRoots = []string{
		"runtime.mallocgc", "runtime.newobject", "runtime.makeslice", "runtime.growslice",
		"runtime.makemap", "runtime.newarray", "runtime.rawstring", "runtime.rawbyteslice",
		"runtime.concatstrings", "runtime.slicebytetostring", "runtime.stringtoslicebyte",
	}
	syscallPrefixes = []string{"syscall.", "internal/runtime/syscall.", "golang.org/x/sys/unix.",
		"internal/syscall/", "runtime.entersyscall", "runtime.exitsyscall"}
	schedRoots = []string{
		"runtime.schedule", "runtime.findRunnable", "runtime.park_m", "runtime.gopark",
		"runtime.goready", "runtime.ready", "runtime.mcall", "runtime.goexit0", "runtime.newproc",
		"runtime.wakep", "runtime.startm", "runtime.stopm", "runtime.runqsteal", "runtime.runqgrab",
		"runtime.chansend", "runtime.chanrecv", "runtime.selectgo", "runtime.closechan",
		"runtime.semacquire", "runtime.semrelease", "runtime.lock2", "runtime.unlock2",
		"runtime.notesleep", "runtime.notewakeup", "runtime.futex", "runtime.usleep", "runtime.osyield",
		"runtime.Gosched", "runtime.gosched_m", "runtime.goschedImpl", "runtime.preemptPark",
		"runtime.asyncPreempt",
		"sync.(*Mutex)", "sync.(*RWMutex)", "sync.(*WaitGroup)", "sync.(*Cond)",
		"sync.runtime_Sem", "internal/sync.",
	}
	ownPrefixes = []string{
		"github.com/stratbench/stratbench/harness.", "github.com/stratbench/stratbench/strategies.",
		"runtime/pprof.", "time.", "runtime.nanotime", "runtime/metrics.",
	}
)

func hasPrefixAny(s string, ps []string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// systemPrefixes are the packages whose frames count as system frames.
var systemPrefixes = []string{"runtime.", "internal/", "sync.", "sync/atomic.", "syscall.", "golang.org/x/sys/unix.", "os.", "runtime/pprof."}

// category maps the stack of one sample, leaf first, to a Category.
func category(stack []string) string {
	n := 0 // the leaf-side run of system frames is stack[:n]
	for n < len(stack) && hasPrefixAny(stack[n], systemPrefixes) {
		n++
	}
	sys := stack[:n]
	in := func(ps []string) bool {
		for _, f := range sys {
			if hasPrefixAny(f, ps) {
				return true
			}
		}
		return false
	}
	leaf := ""
	if len(stack) > 0 {
		leaf = stack[0]
	}
	switch {
	case in(gcRoots):
		return "GC"
	case in(allocRoots):
		return "allocation"
	case in(syscallPrefixes):
		return "syscalls"
	case in(schedRoots):
		return "scheduling"
	case hasPrefixAny(leaf, ownPrefixes):
		return "other"
	case n == len(stack):
		return "other" // the runtime's own work: no task code on the stack
	}
	// The task's code, or runtime helpers it called for its own work
	// (copying, clearing, hashing, maps, interface conversions).
	return TaskCode
}

// FuncTime is the CPU time of one function: flat (as the leaf of a
// stack) and cumulative (anywhere in a stack, counted once per stack), as
// pprof's top reports them.
type FuncTime struct {
	Name string  `json:"name"`
	Flat float64 `json:"flat_sec"`
	Cum  float64 `json:"cum_sec"`
}

// ProfileGroup is the CPU time of the samples with one strategy label
// (and workload label, when there is one).
type ProfileGroup struct {
	Strategy string `json:"strategy"`
	Workload string `json:"workload,omitempty"`
	// Case names the profile the group comes from when groups of the same
	// strategy and workload come from profiles of different cases (the
	// report keeps those apart rather than adding them up).
	Case string `json:"case,omitempty"`
	// Total is the CPU time of the group, in seconds.
	Total float64 `json:"cpu_sec"`
	// Samples is the number of CPU samples (one per 10 ms at pprof's
	// default rate): fewer than a handful say little.
	Samples int `json:"samples"`
	// ByCategory is the CPU time of each of Categories, in seconds.
	ByCategory map[string]float64 `json:"by_category_sec"`
	// Top are the functions with the most flat time, then cumulative.
	Top []FuncTime `json:"top"`
}

// Label is the group's name in tables and charts: "pool" or "pool (xml)".
func (g *ProfileGroup) Label() string {
	var in []string
	for _, x := range []string{g.Workload, g.Case} {
		if x != "" {
			in = append(in, x)
		}
	}
	if len(in) == 0 {
		return g.Strategy
	}
	return g.Strategy + " (" + strings.Join(in, ", ") + ")"
}

// profileCase is the case a profile file belongs to, from its name: a
// suite writes CASE-NNN.pprof or CASE-NNN-VARIANT.pprof.
func profileCase(path string) string {
	name := strings.TrimSuffix(filepath.Base(path), ".pprof")
	parts := strings.Split(name, "-")
	for i := len(parts) - 1; i > 0; i-- {
		if _, err := strconv.Atoi(parts[i]); err == nil {
			return strings.Join(parts[:i], "-")
		}
	}
	return name
}

// ProfileSummary is the summary of one CPU profile, by strategy label.
type ProfileSummary struct {
	// Path is the profile's file.
	Path string
	// Link is the profile's path relative to the report's directory, once
	// the report has copied it there.
	Link string
	// Total is the profile's CPU time in seconds.
	Total float64
	// Groups are the label groups, largest first; samples without a
	// strategy label form the group "(unlabeled)".
	Groups []ProfileGroup
	// flames are the groups' flame graphs, by strategy and workload.
	flames map[[2]string]*flame.Tree
}

// flame is the flame graph of group g of s, or nil.
func (s *ProfileSummary) flame(g *ProfileGroup) *flame.Tree {
	return s.flames[[2]string{g.Strategy, g.Workload}]
}

// Unlabeled names the samples without a strategy label.
const Unlabeled = "(unlabeled)"

// TopFunctions is how many functions a ProfileGroup keeps.
const TopFunctions = 10

// ReadProfile reads a CPU profile and summarizes it by `strategy` and
// `workload` labels.
func ReadProfile(path string) (*ProfileSummary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s := SummarizeProfile(p)
	s.Path = path
	return s, nil
}

// SummarizeProfile summarizes p by `strategy` and `workload` labels: flat
// time goes to each sample's leaf function, cumulative time once to every
// distinct function of its stack (inlined frames included), as pprof
// counts them; the category of each sample is decided by category.
func SummarizeProfile(p *profile.Profile) *ProfileSummary {
	vi, scale := flame.CPUValue(p)
	type agg struct {
		g         ProfileGroup
		flat, cum map[string]float64
		tree      *flame.Tree
	}
	groups := map[[2]string]*agg{}
	s := &ProfileSummary{}
	var stack []string
	seen := map[string]bool{}
	for _, smp := range p.Sample {
		if vi >= len(smp.Value) {
			continue
		}
		v := float64(smp.Value[vi]) * scale
		if v == 0 {
			continue
		}
		key := [2]string{Unlabeled, ""}
		if l := smp.Label["strategy"]; len(l) > 0 {
			key[0] = l[0]
		}
		if l := smp.Label["workload"]; len(l) > 0 {
			key[1] = l[0]
		}
		a := groups[key]
		if a == nil {
			a = &agg{g: ProfileGroup{Strategy: key[0], Workload: key[1], ByCategory: map[string]float64{}},
				flat: map[string]float64{}, cum: map[string]float64{}, tree: flame.New()}
			groups[key] = a
		}
		stack = stack[:0]
		for _, loc := range smp.Location {
			for _, ln := range loc.Line {
				name := "?"
				if ln.Function != nil {
					name = ln.Function.Name
				}
				stack = append(stack, name)
			}
		}
		if len(stack) == 0 {
			stack = append(stack, "?")
		}
		a.flat[stack[0]] += v
		clear(seen)
		for _, fn := range stack {
			if !seen[fn] {
				seen[fn] = true
				a.cum[fn] += v
			}
		}
		a.g.Total += v
		n := sampleCount(p, smp)
		a.g.Samples += n
		a.tree.Add(stack, v, int64(n))
		a.g.ByCategory[category(stack)] += v
		s.Total += v
	}
	round := func(v float64) float64 { return math.Round(v*1e9) / 1e9 }
	s.Total = round(s.Total)
	s.flames = map[[2]string]*flame.Tree{}
	for key, a := range groups {
		s.flames[key] = a.tree
		a.g.Total = round(a.g.Total)
		for k, v := range a.g.ByCategory {
			a.g.ByCategory[k] = round(v)
		}
		var fs []FuncTime
		for fn, fl := range a.flat {
			fs = append(fs, FuncTime{Name: fn, Flat: round(fl), Cum: round(a.cum[fn])})
		}
		slices.SortFunc(fs, func(x, y FuncTime) int {
			if c := cmp.Compare(y.Flat, x.Flat); c != 0 {
				return c
			}
			if c := cmp.Compare(y.Cum, x.Cum); c != 0 {
				return c
			}
			return strings.Compare(x.Name, y.Name)
		})
		a.g.Top = fs[:min(len(fs), TopFunctions)]
		s.Groups = append(s.Groups, a.g)
	}
	slices.SortFunc(s.Groups, func(x, y ProfileGroup) int {
		// Labeled groups first, by label, so that charts are stable.
		if (x.Strategy == Unlabeled) != (y.Strategy == Unlabeled) {
			if x.Strategy == Unlabeled {
				return 1
			}
			return -1
		}
		if c := strings.Compare(x.Strategy, y.Strategy); c != 0 {
			return c
		}
		return strings.Compare(x.Workload, y.Workload)
	})
	return s
}

// sampleCount is how many profiler ticks smp stands for: its "samples"
// value in Go's CPU profiles, else 1.
func sampleCount(p *profile.Profile, smp *profile.Sample) int {
	for i, st := range p.SampleType {
		if st.Type == "samples" && i < len(smp.Value) {
			return int(smp.Value[i])
		}
	}
	return 1
}
