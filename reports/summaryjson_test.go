package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
)

// TestSummaryRowJSON holds appendSummaryRowJSON to json.MarshalIndent on
// the rows of the fixtures' report and of the sweep fixture, and on
// random rows: empty and nil lists, strings encoding/json escapes, and
// values it refuses (which are left to it).
func TestSummaryRowJSON(t *testing.T) {
	var rows []SummaryRow
	for _, in := range [][]string{fixtures, {sweepFixture}, {"testdata/faults.jsonl"}} {
		s, err := Load(in, nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := build(context.Background(), s, false, false)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r.summaryRows(len(r.Rankings))...)
	}
	if len(rows) < 10 {
		t.Fatalf("only %d rows from the fixtures", len(rows))
	}
	rng := rand.New(rand.NewPCG(13, 2))
	strs := []string{"", "jsq", "a <b> & c", "1.56 ± 0.18×", "line\nbreak", `quote " and \`, "\u2028", "bad \xff utf-8", "\ufffd", "tab\t", "日本"}
	str := func() string { return strs[rng.IntN(len(strs))] }
	list := func() []string {
		switch rng.IntN(3) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		out := make([]string, 1+rng.IntN(3))
		for i := range out {
			out[i] = str()
		}
		return out
	}
	floats := []float64{0, -0.5, 1e-7, 3e21, 1.0000000000000002, 123456789, math.NaN(), math.Inf(1)}
	num := func() float64 {
		if rng.IntN(4) == 0 {
			return floats[rng.IntN(len(floats))]
		}
		return rng.NormFloat64() * math.Pow(10, float64(rng.IntN(20)-10))
	}
	ci := func() []float64 {
		switch rng.IntN(3) {
		case 0:
			return nil
		case 1:
			return []float64{}
		}
		return []float64{num(), num()}
	}
	for range 2000 {
		row := SummaryRow{Scenario: str(), Metric: str(), MetricText: str(), Better: str(), Best: list(), Winner: str(),
			Leader: str(), Value: str(), BestValue: num(), BestCI: ci(), RunnerUp: str(), Ratio: str(), Significance: str(),
			Worst: str(), WorstRatio: str(), Bound: str(), BoundValue: str(), BoundGap: str(), Unstable: list(),
			Caveats: list(), Warned: []int{1}, Lines: list()}
		if rng.IntN(4) > 0 {
			row.Ranks = []RankRow{}
			for range rng.IntN(4) {
				rr := RankRow{Name: str(), Value: num(), CI: ci(), Bound: rng.IntN(2) == 0}
				switch rng.IntN(3) {
				case 1:
					rr.Rank = []int{}
				case 2:
					rr.Rank = []int{1 + rng.IntN(3), 4 + rng.IntN(100)}
				}
				row.Ranks = append(row.Ranks, rr)
			}
		}
		rows = append(rows, row)
	}
	refused := 0
	for i := range rows {
		want, err := json.MarshalIndent(rows[i], "    ", "  ")
		got, ok := appendSummaryRowJSON([]byte("x"), &rows[i], "    ")
		if !ok {
			if err == nil {
				t.Fatalf("row %d: declined a row encoding/json encodes:\n%s", i, want)
			}
			refused++
			continue
		}
		if err != nil {
			t.Fatalf("row %d: encoded a row encoding/json refuses (%v): %s", i, err, got)
		}
		if !bytes.Equal(got[1:], want) {
			t.Fatalf("row %d:\n got %s\nwant %s\n%s", i, got[1:], want, firstDiff(string(want), string(got[1:])))
		}
	}
	if refused == 0 || refused == len(rows) {
		t.Errorf("%d of %d rows refused: the test does not reach both paths", refused, len(rows))
	}
}

// TestAppendJSONString holds appendJSONString to json.Marshal.
func TestAppendJSONString(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 3))
	pieces := []string{"a", "<", "&", ">", "\"", "\\", "\n", "\x00", "±", "×", "\u2028", "\u2029", "\xff", "\xe2\x80", "\ufffd", "😀", "é"}
	for range 5000 {
		var s string
		for range rng.IntN(6) {
			s += pieces[rng.IntN(len(pieces))]
		}
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	}
}
