package reports

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/metrics"
)

func TestLookupOutput(t *testing.T) {
	for _, name := range []string{"text", "json", "bench"} {
		if f, err := LookupOutput(name); err != nil || f.Name != name || f.Write == nil {
			t.Errorf("LookupOutput(%q) = %v, %v", name, f.Name, err)
		}
	}
	_, err := LookupOutput("xml")
	if err == nil || err.Error() != `want text, json or bench, got "xml"` || !errors.Is(err, ErrInput) {
		t.Fatalf("unknown format: %v", err)
	}
}

// failWriter fails after n bytes.
type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errors.New("disk full")
	}
	w.n -= len(p)
	return len(p), nil
}

func sampleRecords() []metrics.Result {
	mk := func(policy string, mean float64) metrics.Result {
		return metrics.Result{
			Engine: metrics.EngineSim, Name: "policy=" + policy + "/servers=2/load=0.5",
			Params:  map[string]any{"policy": policy, "servers": 2, "load": 0.5},
			Metrics: map[string]float64{"response_mean": mean, "response_p50": mean / 2, "response_p90": 2 * mean, "response_p99": 4 * mean},
		}
	}
	return []metrics.Result{mk("rr", 2), mk("jsq", 1.5)}
}

// Every writer returns the writer's error, at whatever point it happens.
func TestOutputWritersReportWriteErrors(t *testing.T) {
	rs := sampleRecords()
	real := rs[0]
	real.Engine = metrics.EngineHarness
	metrics.Pair(&real, &rs[1])
	writers := map[string]func(io.Writer) error{
		"paired":      func(w io.Writer) error { return WritePaired(w, "title", []Paired{{&real, &rs[1]}}) },
		"text paired": func(w io.Writer) error { return WriteText(w, []metrics.Result{rs[1], real}) },
		"text batch":  func(w io.Writer) error { return WriteText(w, batchRecords()) },
		"text xml":    func(w io.Writer) error { return WriteText(w, []metrics.Result{xmlRecord()}) },
	}
	for _, f := range OutputFormats {
		writers[f.Name] = func(w io.Writer) error { return f.Write(w, rs) }
	}
	for name, write := range writers {
		var full strings.Builder
		if err := write(&full); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, n := range []int{0, 1, full.Len() / 2, full.Len() - 1} {
			if err := write(&failWriter{n}); err == nil {
				t.Errorf("%s: a write failing after %d of %d bytes was not reported", name, n, full.Len())
			}
		}
	}
}

func TestWritePaired(t *testing.T) {
	rs := sampleRecords()
	real := rs[0]
	var b strings.Builder
	if err := WritePaired(&b, "Real against the simulator:", []Paired{{&real, &rs[1]}}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"Real against the simulator:", "measured", "simulated", "response_mean", "response_p90", "+33.3%"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func batchRecords() []metrics.Result {
	mk := func(strategy string, workers int, wall float64) metrics.Result {
		return metrics.Result{Engine: metrics.EngineHarness, Family: "Batch", Name: "workload=spin/executor=" + strategy,
			Params:   map[string]any{"workload": "spin", "tasks": 100, "size": "exp", "unit": "10us", "count": 3, "baseline_wall_sec": 0.002, "strategy": strategy, "workers": workers},
			Metrics:  map[string]float64{"wall_sec": wall, "speedup": 0.002 / wall},
			CI95:     map[string][2]float64{"wall_sec": {wall * 0.9, wall * 1.1}},
			Warnings: []string{"few runs"}}
	}
	rs := []metrics.Result{mk("sequential", 1, 0.002), mk("dynamic", 2, 0.0011)}
	rs[1].Params["schedule"] = "dynamic"
	return rs
}

func xmlRecord() metrics.Result {
	return metrics.Result{Engine: metrics.EngineHarness, Family: "XML", Name: "kernel=fast/workers=2",
		Params:  map[string]any{"kernel": "fast", "workers": 2, "mode": "chunks", "files": 1, "bytes": int64(2_500_000), "chunks": 8, "reruns": 0},
		Metrics: map[string]float64{"wall_sec": 0.01, "mb_per_sec": 250},
		Answers: map[string]any{"q1": "Kaivalya", "q5": int64(12), "q6": int64(217), "q17": int64(100), "q20": map[string]any{"preferred": int64(1), "standard": int64(2), "challenge": int64(3), "na": int64(4)}}}
}

// TestFamilyText: a family with its own table is written as that table,
// the same from the records in memory and read back from JSON (numbers
// then are float64).
func TestFamilyText(t *testing.T) {
	for name, tc := range map[string]struct {
		rs   []metrics.Result
		want []string
	}{
		"batch": {batchRecords(), []string{"run batch: workload spin, 100 tasks, size exp, unit 10us; median of 3 runs, baseline sequential 2ms",
			"schedule dynamic  2", "1.82x", "warning: few runs"}},
		"xml": {[]metrics.Result{xmlRecord()}, []string{"kernel fast, 1 document, 8 chunks, 2 worker(s)\n", `"Kaivalya"`,
			"q20  people by income                   preferred 1, standard 2, challenge 3, na 4", "2.5 MB in 0.010 s: 250.0 MB/s"}},
	} {
		var mem, back strings.Builder
		if err := WriteText(&mem, tc.rs); err != nil {
			t.Fatal(err)
		}
		var js strings.Builder
		WriteJSONL(&js, tc.rs)
		decoded, bad := metrics.ReadJSONL("x", strings.NewReader(js.String()))
		if err := WriteText(&back, decoded); err != nil || len(bad) > 0 {
			t.Fatal(err, bad)
		}
		if mem.String() != back.String() {
			t.Errorf("%s: from JSON\n%s\nin memory\n%s", name, back.String(), mem.String())
		}
		for _, w := range tc.want {
			if !strings.Contains(mem.String(), w) {
				t.Errorf("%s: lacks %q:\n%s", name, w, mem.String())
			}
		}
	}
}

// TestTextPaired: a record run beside the simulator is followed by one
// table of it against its twin; the twin is found by name among the
// simulator's records only.
func TestTextPaired(t *testing.T) {
	rs := sampleRecords()
	real := rs[0]
	real.Engine, real.Family = metrics.EngineHarness, "Service"
	real.Params = map[string]any{"kind": "sleep", "unit_sec": 0.0002}
	metrics.Pair(&real, &rs[0])
	var b strings.Builder
	if err := WriteText(&b, []metrics.Result{rs[0], real}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "Service against the simulator (same scenario and seed; kind sleep, times in units of 200us):") ||
		strings.Count(out, "policy=rr/servers=2/load=0.5  response_mean") != 1 {
		t.Errorf("paired text:\n%s", out)
	}
	b.Reset()
	WriteText(&b, rs)
	if strings.Contains(b.String(), "against the simulator") {
		t.Errorf("unpaired records got a table:\n%s", b.String())
	}
}
