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
		"paired": func(w io.Writer) error { return WritePaired(w, "title", []Paired{{&real, &rs[1]}}) },
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
