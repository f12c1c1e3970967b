package reports

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/metrics"
)

// TestFrameKind pins the kind, and so the color, of frames: the task's
// code (workloads, the libraries they call) apart from the harness around
// it and from the runtime's scheduling, GC and allocation.
func TestFrameKind(t *testing.T) {
	for name, want := range map[string]string{
		"github.com/stratbench/stratbench/workloads.spinLoop":             TaskCode,
		"github.com/stratbench/stratbench/workloads/kernels.sumAcc8":      TaskCode,
		"encoding/xml.(*Decoder).Token":                                   TaskCode,
		"github.com/stratbench/stratbench/harness.(*batchRunner).runOnce": "other",
		"github.com/stratbench/stratbench/suite.Execute":                  "other",
		"main.main": "other",
		"github.com/urfave/cli/v2.(*App).RunContext": "other",
		"runtime.main":           "other",
		"runtime.gcBgMarkWorker": "GC",
		"runtime.scanobject":     "GC",
		"runtime.mallocgc":       "allocation",
		"runtime.schedule":       "scheduling",
		"sync.(*Mutex).Lock":     "scheduling",
		"syscall.write":          "syscalls",
	} {
		if got := frameKind(name); got != want {
			t.Errorf("frameKind(%s) = %s, want %s", name, got, want)
		}
	}
}

// profiledPair is two batch results of one scenario that name the
// fixture profile (strategies pool and goroutine, workload spin; see
// testdata/genprofile), pool the faster.
func profiledPair() []metrics.Result {
	var rs []metrics.Result
	for _, s := range []struct {
		name string
		tput float64
	}{{"pool", 2000}, {"goroutine", 1000}} {
		var samples []float64
		for i := range 8 {
			samples = append(samples, s.tput*(1+0.001*float64(i)))
		}
		rs = append(rs, metrics.Result{Engine: "harness", Family: "Batch", Name: "workload=spin/tasks=100/executor=" + s.name + "/workers=2",
			Params:  map[string]any{"workload": "spin", "executor": s.name, "strategy": s.name, "workers": 2.0},
			Metrics: map[string]float64{"throughput_per_sec": s.tput},
			Samples: map[string][]float64{"throughput_per_sec": samples},
			Profile: "testdata/cpu.pprof"})
	}
	return rs
}

// TestFlameDiffs checks that a scenario whose winner and runner-up were
// profiled gets a differential flame graph of the runner-up against the
// winner, and that the page shows it and each strategy's own graph.
func TestFlameDiffs(t *testing.T) {
	rs := profiledPair()
	ps, err := ReadProfile("testdata/cpu.pprof")
	if err != nil {
		t.Fatal(err)
	}
	r := &Report{Set: &Set{Results: rs}, Rankings: Rank(rs, "", Units{}), Profiles: []*ProfileSummary{ps}}
	ds := r.flameDiffs()
	if len(ds) != 1 {
		t.Fatalf("%d differential graphs, want 1", len(ds))
	}
	d := ds[0]
	if d.Leader != "pool" || d.Runner != "goroutine" || d.Tie {
		t.Errorf("diff of %s against %s (tie %v), want goroutine against the winner pool", d.Runner, d.Leader, d.Tie)
	}
	if n := countFlameFrames(t, []byte(d.SVG)); n < 5 {
		t.Errorf("%d frames", n)
	}
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	graphs := 0
	for i := range ps.Groups {
		if ps.Groups[i].Samples >= minProfileSamples {
			graphs++
		}
	}
	if got := strings.Count(page, `<svg class="flame"`); got != graphs+1 {
		t.Errorf("%d flame graphs on the page, want %d (one a strategy, one differential)", got, graphs+1)
	}
	for _, want := range []string{"Where the runner-up loses time", "<b>goroutine</b> (runner-up) against <b>pool</b> (the winner)", "Flame graph and top functions: pool (spin)"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// A result whose profile is missing, or whose strategy has no group,
	// gets no graph.
	rs[1].Profile = "testdata/other.pprof"
	r.Rankings = Rank(rs, "", Units{})
	if ds := r.flameDiffs(); len(ds) != 0 {
		t.Errorf("%d differential graphs without the runner-up's profile", len(ds))
	}
}

// countFlameFrames parses a flame graph strictly and counts its frames,
// each with a hover title.
func countFlameFrames(t *testing.T, svg []byte) int {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	frames, titles := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the flame graph is not well-formed XML: %v", err)
		}
		if x, ok := tok.(xml.StartElement); ok {
			switch x.Name.Local {
			case "g":
				frames++
			case "title":
				titles++
			}
		}
	}
	if titles != frames {
		t.Errorf("%d frames, %d hover titles", frames, titles)
	}
	return frames
}
