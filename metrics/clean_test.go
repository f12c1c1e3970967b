package metrics

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// TestWriteJSONNonFinite: every place a non-finite number can sit in a
// record is cleaned with a warning, so that encoding never fails (sim
// --load 1e308 --format json failed with "unsupported value: +Inf").
func TestWriteJSONNonFinite(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	tests := []struct {
		name string
		set  func(r *Result)
		warn string
	}{
		{"metric", func(r *Result) { r.Metrics["x"] = nan }, "metric x was NaN"},
		{"param", func(r *Result) { r.Params["arrival_rate"] = inf }, "parameter arrival_rate was +Inf"},
		{"ci", func(r *Result) { r.CI95["y"] = [2]float64{0, inf} }, ""},
		{"samples", func(r *Result) { r.Samples["y"] = []float64{1, nan, 2} }, "1 samples of y were not finite"},
		{"all samples", func(r *Result) { r.Samples["y"] = []float64{inf} }, "1 samples of y"},
		{"cdf", func(r *Result) { r.CDF = [][2]float64{{1, 0.5}, {inf, 1}} }, "1 points of the response-time distribution"},
		{"per server", func(r *Result) { r.PerServer["busy"] = []float64{nan, 1, inf} }, "per_server busy: 2 values (the first at 0)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Result{Engine: "sim", Name: "n", Params: map[string]any{}, Metrics: map[string]float64{"y": 1},
				CI95: map[string][2]float64{}, Samples: map[string][]float64{}, PerServer: map[string][]float64{}}
			tt.set(&r)
			var buf bytes.Buffer
			if err := WriteJSON(&buf, &r); err != nil {
				t.Fatalf("WriteJSON: %v", err)
			}
			if tt.warn != "" && !strings.Contains(strings.Join(r.Warnings, "\n"), tt.warn) {
				t.Errorf("warnings %q, want one with %q", r.Warnings, tt.warn)
			}
			if _, err := DecodeLine(bytes.TrimSpace(buf.Bytes())); err != nil {
				t.Errorf("the written line does not read back: %v", err)
			}
		})
	}
}

// TestReadJSONLLongLine: a line over the limit is named by number and the
// lines after it are still read (a 67 MB record of 2^24 servers was
// "token too long" and stopped the reader).
func TestReadJSONLLongLine(t *testing.T) {
	good := `{"engine":"sim","name":"a","params":{},"metrics":{"x":1},"env":{"go_version":"","goos":"","goarch":"","num_cpu":0,"gomaxprocs":0,"seed":0}}`
	big := `{"engine":"sim","name":"big","params":{},"metrics":{"x":1},"warnings":["` + strings.Repeat("w", 70<<20) + `"],"env":{"go_version":"","goos":"","goarch":"","num_cpu":0,"gomaxprocs":0,"seed":0}}`
	rs, errs := ReadJSONL("f", strings.NewReader(good+"\n"+big+"\n"+good+"\n"))
	if len(errs) != 0 || len(rs) != 3 {
		t.Fatalf("a 70 MB line: %d results, errors %v", len(rs), errs)
	}
}
