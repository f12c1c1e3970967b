package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/metrics"
)

// longCSV is results.csv as it was until the wide layout: one row per
// result and metric, its unit and direction on every row, every
// parameter on every row. The wide layout must say the same.
func longCSV(results []metrics.Result, units Units) [][]string {
	keys := map[string]bool{}
	for _, r := range results {
		for k := range r.Params {
			keys[k] = true
		}
	}
	params := slices.Sorted(maps.Keys(keys))
	num := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	var out [][]string
	for i := range results {
		r := &results[i]
		_, strat := StrategyOf(r)
		fam, _, _ := cutFamily(FullName(r))
		for _, m := range r.MetricNames() {
			unit, better := units.Describe(m)
			row := []string{r.Engine, fam, r.Name, strat, ScenarioOf(r), m, unit, better.String(), num(r.Metrics[m]), "", "", ""}
			if ci, ok := r.CI95[m]; ok {
				row[9], row[10] = num(ci[0]), num(ci[1])
			}
			if s := r.Samples[m]; len(s) > 0 {
				row[11] = strconv.Itoa(len(s))
			}
			for _, k := range params {
				v := ""
				if x, ok := r.Params[k]; ok {
					v = metrics.FormatValue(x)
				}
				row = append(row, v)
			}
			out = append(out, row)
		}
	}
	return out
}

// wideToLong reads the wide results.csv back into the long form's rows,
// with the units of summary.json's metrics.
func wideToLong(t *testing.T, data []byte, units map[string]metricUnit) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("results.csv is not CSV: %v", err)
	}
	head := rows[0]
	col := map[string]int{}
	for i, h := range head {
		if _, dup := col[h]; dup {
			t.Fatalf("column %q twice", h)
		}
		col[h] = i
	}
	var params, metricCols []string
	for _, h := range head[len(csvFixed):] {
		switch {
		case strings.HasPrefix(h, "param."):
			params = append(params, h)
		case strings.HasSuffix(h, ".ci95_lo") || strings.HasSuffix(h, ".ci95_hi") || strings.HasSuffix(h, ".samples"):
		default:
			metricCols = append(metricCols, h)
		}
	}
	var out [][]string
	for _, row := range rows[1:] {
		for _, mc := range metricCols {
			if row[col[mc]] == "" {
				continue
			}
			m := mc
			if _, ok := units[m]; !ok {
				m = strings.TrimPrefix(m, "metric.")
			}
			u, ok := units[m]
			if !ok {
				t.Fatalf("summary.json has no unit of %s", m)
			}
			cell := func(c string) string {
				if i, ok := col[c]; ok {
					return row[i]
				}
				return ""
			}
			l := append(slices.Clone(row[:len(csvFixed)]), m, u.Unit, u.Better, row[col[mc]], cell(mc+".ci95_lo"), cell(mc+".ci95_hi"), cell(mc+".samples"))
			for _, p := range params {
				l = append(l, row[col[p]])
			}
			out = append(out, l)
		}
	}
	return out
}

// TestCSVLossless holds the wide results.csv, with summary.json's units,
// to the long form it replaced: the same values, intervals, sample
// counts, units and parameters of every result and metric.
func TestCSVLossless(t *testing.T) {
	s, err := Load(append(slices.Clone(fixtures), "testdata/faults.jsonl"), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := build(context.Background(), s, false, false)
	if err != nil {
		t.Fatal(err)
	}
	var wide, sum bytes.Buffer
	if err := WriteCSV(&wide, s.Results, s.Units); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteSummaryJSON(&sum); err != nil {
		t.Fatal(err)
	}
	var sj struct {
		Metrics map[string]metricUnit `json:"metrics"`
	}
	if err := json.Unmarshal(sum.Bytes(), &sj); err != nil {
		t.Fatal(err)
	}
	got, want := wideToLong(t, wide.Bytes(), sj.Metrics), longCSV(s.Results, s.Units)
	if len(got) != len(want) {
		t.Fatalf("%d long rows from the wide CSV, want %d", len(got), len(want))
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("row %d:\n got %q\nwant %q", i, got[i], want[i])
		}
	}
}

// TestCSVRelayout streams records whose parameters, metrics, intervals
// and samples change from one to the next (names and values with commas,
// quotes and newlines), so that results.csv is laid out again at the end:
// it must be what WriteCSV writes of them all.
func TestCSVRelayout(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	awkward := []string{"a,b", `say "hi"`, "two\nlines", " lead", "plain", "", "x\r\ny"}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	var lines []byte
	for i := range 300 {
		r := metrics.Result{Engine: metrics.EngineSim, Name: fmt.Sprintf("policy=p%d/load=0.%d", rng.IntN(4), 1+rng.IntN(9)),
			Params: map[string]any{}, Metrics: map[string]float64{}, Env: metrics.Env{GoVersion: "go1.26", GOOS: "linux", GOARCH: "amd64"}}
		if rng.IntN(5) == 0 {
			r.Name += "/tag=" + awkward[rng.IntN(len(awkward))]
		}
		for k := range 1 + min(i/40, 6) {
			if rng.IntN(3) > 0 {
				r.Params[fmt.Sprintf("k%d", rng.IntN(k+1))] = []any{1.5, "s", awkward[rng.IntN(len(awkward))], true, []any{2.0, "a,b"}}[rng.IntN(5)]
			}
		}
		for k := range 1 + rng.IntN(1+i/30) {
			m := []string{"response_mean", "name", "param.x", "metric.y", "wall_sec", "ops_per_sec", "z"}[k%7]
			r.Metrics[m] = rng.NormFloat64()
			if rng.IntN(4) == 0 {
				r.CI95 = map[string][2]float64{m: {-1, 1}}
			}
			if rng.IntN(5) == 0 {
				r.Samples = map[string][]float64{m: {1, 2, 3}}
			}
		}
		if err := metrics.WriteJSON(bytesWriter{&lines}, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(in, lines, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := Run(context.Background(), Config{Inputs: []string{in}, Out: out, Formats: []string{"csv"}}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	s, err := Load([]string{in}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := WriteCSV(&want, s.Results, s.Units); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(out, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("the streamed results.csv differs from WriteCSV's\n%s", firstDiff(want.String(), string(got)))
	}
	rows, err := csv.NewReader(bytes.NewReader(got)).ReadAll()
	if err != nil || len(rows) != 301 {
		t.Fatalf("%d rows (%v), want 301", len(rows), err)
	}
}

type bytesWriter struct{ b *[]byte }

func (w bytesWriter) Write(p []byte) (int, error) {
	*w.b = append(*w.b, p...)
	return len(p), nil
}

// TestAppendCSVParamList holds the fast path of list parameters to
// metrics.FormatValue (fmt.Sprint) and encoding/csv's quoting.
func TestAppendCSVParamList(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 4))
	elems := []any{0.0, math.Copysign(0, -1), 1.0, 2.0, 0.5, 1e21, 1e-7, 123456789.0, 1.0000000000000002, math.NaN(), math.Inf(-1),
		"a", "", "a b", "x,y", `q"q`, " lead", true, false, nil, []any{1.0}, map[string]any{}, int64(3)}
	for range 3000 {
		xs := []any{}
		for range rng.IntN(5) {
			if rng.IntN(3) == 0 {
				xs = append(xs, rng.NormFloat64()*math.Pow(10, float64(rng.IntN(30)-15)))
			} else {
				xs = append(xs, elems[rng.IntN(len(elems))])
			}
		}
		var want bytes.Buffer
		w := csv.NewWriter(&want)
		w.Write([]string{metrics.FormatValue(xs)})
		w.Flush()
		got := append(appendCSVParam(nil, xs), '\n')
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("%#v: got %q, want %q", xs, got, want.Bytes())
		}
	}
}
