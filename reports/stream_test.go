package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/perf/benchmath"

	"github.com/stratbench/stratbench/metrics"
)

// TestUTestPMemo holds the remembered U test to benchmath's on random
// samples: sizes 2 to 60, with and without ties, twice each (the second
// time from the memo).
func TestUTestPMemo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 4000 {
		n1, n2 := 2+rng.IntN(59), 2+rng.IntN(59)
		if i%2 == 0 {
			n1, n2 = 2+rng.IntN(12), 2+rng.IntN(30)
		}
		gen := func(n int, shift float64) []float64 {
			xs := make([]float64, n)
			for k := range xs {
				xs[k] = rng.NormFloat64() + shift
				if i%5 == 0 {
					xs[k] = math.Round(xs[k] * 2) // ties
				}
			}
			return xs
		}
		a, b := gen(n1, 0), gen(n2, rng.Float64())
		s1 := benchmath.NewSample(slices.Clone(a), &benchmath.Thresholds{CompareAlpha: Alpha})
		s2 := benchmath.NewSample(slices.Clone(b), &benchmath.Thresholds{CompareAlpha: Alpha})
		want := benchmath.AssumeNothing.Compare(s1, s2).P
		for range 2 {
			if got := uTestP(a, b); got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Fatalf("n=%d,%d: p = %v, benchmath gives %v", n1, n2, got, want)
			}
		}
	}
}

// memoryReport writes the report of paths the way it was written before
// reports streamed: every record loaded (Load), built (Build) and written
// from memory by the format writers (WriteJSON, WriteBenchUnits,
// WriteCSV).
func memoryReport(t *testing.T, paths []string, stdin []byte, dir string, formats []Format) {
	t.Helper()
	s, err := Load(paths, bytes.NewReader(stdin))
	if err != nil {
		t.Fatal(err)
	}
	charts := slices.ContainsFunc(formats, func(f Format) bool { return f.Name == "png" })
	r, err := Build(context.Background(), s, charts)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Write(context.Background(), dir, formats); err != nil {
		t.Fatal(err)
	}
}

// dupSweep writes a sweep of n records as a suite writes them (each with
// its suite_run), then the first dups of them again.
func dupSweep(t *testing.T, path string, n, dups int) {
	t.Helper()
	tmp := path + ".plain"
	writeSweep(t, tmp, n)
	data, err := os.ReadFile(tmp)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	ls := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	for i, l := range append(ls, ls[:dups]...) {
		r, err := metrics.DecodeLine(l)
		if err != nil {
			t.Fatal(err)
		}
		r.Params["suite_run"] = fmt.Sprintf("r%d", i%n)
		out, _ = appendRecord(out, &r)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestStreamMatchesMemory holds the streaming report (Run) to the report
// built from every record in memory: every file the same, byte for byte,
// for inputs of every kind, with bad lines, duplicated records and
// standard input.
func TestStreamMatchesMemory(t *testing.T) {
	tmp := t.TempDir()
	sweep := filepath.Join(tmp, "sweep.jsonl")
	n := 600
	if raceEnabled {
		n = 120 // the race detector slows drawing the charts tenfold
	}
	dupSweep(t, sweep, n, 25)
	all := append(slices.Clone(fixtures), "testdata/faults.jsonl", "testdata/cpu.pprof")
	if raceEnabled {
		all = []string{"testdata/batch.jsonl", "testdata/service.jsonl", "testdata/sim8.jsonl", "testdata/gobench.txt"}
	}
	stdin, err := os.ReadFile("testdata/xml.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		inputs []string
	}{
		{"fixtures", all},
		{"bad lines", []string{"testdata/malformed.jsonl", "testdata/sim8.jsonl", "testdata/malformed.txt"}},
		{"sweep with duplicates", []string{sweep, "testdata/service.jsonl"}},
		{"stdin", []string{"testdata/sim8.jsonl", "-"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := filepath.Join(tmp, tc.name, "memory"), filepath.Join(tmp, tc.name, "stream")
			formats, names := Formats, []string(nil)
			if raceEnabled {
				// The concurrent reading is what the race detector is
				// for; drawing the charts under it is slow.
				names = []string{"json", "bench", "csv", "md"}
				formats, _ = selectFormats(names)
			}
			memoryReport(t, tc.inputs, stdin, a, formats)
			var out, errs bytes.Buffer
			if err := Run(context.Background(), Config{Inputs: tc.inputs, Out: b, Stdin: bytes.NewReader(stdin), Formats: names}, &out, &errs); err != nil {
				t.Fatal(err)
			}
			sameFiles(t, a, b, nil)
		})
	}
}

// TestStreamHoldsFew runs the streaming report with a small holdAll, so
// that it holds only some of the results: the files of every result and
// the summary must still be those of the report built from all of them.
func TestStreamHoldsFew(t *testing.T) {
	defer func(n int) { holdAll = n }(holdAll)
	holdAll = 50
	tmp := t.TempDir()
	sweep := filepath.Join(tmp, "sweep.jsonl")
	n := 3000
	if raceEnabled {
		n = 2100 // still more than the page lists
	}
	dupSweep(t, sweep, n, 40)
	inputs := []string{sweep, "testdata/service.jsonl", "testdata/sim8.jsonl", "testdata/xml.jsonl"}
	a, b := filepath.Join(tmp, "memory"), filepath.Join(tmp, "stream")
	// Without charts: drawing thousands of them from memory is slow.
	formats, _ := selectFormats([]string{"json", "bench", "csv", "md"})
	memoryReport(t, inputs, nil, a, formats)
	if err := Run(context.Background(), Config{Inputs: inputs, Out: b, Formats: []string{"json", "bench", "csv", "md"}}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	// The Markdown lists fewer scenarios; everything else must be the
	// same.
	sameFiles(t, a, b, func(name string) bool {
		return name != "summary.json"
	})
	var ja, jb map[string]json.RawMessage
	for _, x := range []struct {
		dir string
		m   *map[string]json.RawMessage
	}{{a, &ja}, {b, &jb}} {
		data, err := os.ReadFile(filepath.Join(x.dir, "summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, x.m); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"inputs", "problems", "ranking_method", "summary", "model_vs_real", "answer_mismatches"} {
		if !bytes.Equal(ja[k], jb[k]) {
			t.Errorf("summary.json: %s differs", k)
		}
	}
	if len(jb["model_vs_real"]) == 0 {
		t.Error("the model checks of the service records are missing")
	}
}

// sameFiles compares the files of two report directories (those for which
// only returns true, when given).
func sameFiles(t *testing.T, a, b string, only func(string) bool) {
	t.Helper()
	names := func(dir string) []string {
		var out []string
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(dir, p)
				if only == nil || only(rel) {
					out = append(out, rel)
				}
			}
			return nil
		})
		return out
	}
	na, nb := names(a), names(b)
	if !slices.Equal(na, nb) {
		t.Fatalf("files differ:\nmemory %v\nstream %v", na, nb)
	}
	for _, n := range na {
		x, _ := os.ReadFile(filepath.Join(a, n))
		y, _ := os.ReadFile(filepath.Join(b, n))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs\n%s", n, firstDiff(string(x), string(y)))
		}
	}
}

// TestFieldFormats holds the streamed formats' field writers to those of
// encoding/csv, fmt and metrics on awkward values.
func TestFieldFormats(t *testing.T) {
	strs := []string{"", " ", " a", "a ", `\.`, `\`, "a,b", `a"b`, "a\nb", "a\rb", "\u00a0x", "\tx", "ρ=0.9", "x\x00"}
	for _, s := range strs {
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.Write([]string{s, "z"})
		w.Flush()
		got := string(appendCSVField(nil, s)) + ",z\n"
		if got != b.String() {
			t.Errorf("appendCSVField(%q) = %q, encoding/csv writes %q", s, got, b.String())
		}
	}
	vals := []any{"s", "a,b", " x", 1.5, -0.0, math.Copysign(0, -1), 1e21, 1e-7, math.NaN(), true, false, nil, []any{1.0, "a"}, []any{"a,b"}, map[string]any{"a": 1.0}, []float64{1, 2}, 3}
	for _, v := range vals {
		if got, want := string(appendCSVParam(nil, v)), string(appendCSVField(nil, metrics.FormatValue(v))); got != want {
			t.Errorf("appendCSVParam(%#v) = %q, want %q", v, got, want)
		}
	}
	for _, f := range []float64{0, math.Copysign(0, -1), 1, 1e6, 1e21, 1.5e-7, 123456789.123, math.MaxFloat64, math.SmallestNonzeroFloat64, math.Inf(1), math.Inf(-1), math.NaN()} {
		if got, want := string(appendFmtV(nil, f)), fmt.Sprintf("%v", f); got != want {
			t.Errorf("appendFmtV(%v) = %q, fmt gives %q", f, got, want)
		}
	}
}
