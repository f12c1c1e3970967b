package reports

import (
	"io"
	"maps"
	"slices"

	"golang.org/x/perf/benchfmt"

	"github.com/stratbench/stratbench/metrics"
)

// WriteBench writes results in Go's benchmark format, so that benchstat
// (benchstat -col /policy results.txt) and `stratbench compare` read them:
// file configuration lines (goos, goarch, cpu, pkg), one `Unit NAME
// better=higher|lower` line per metric, and benchmark lines named
// Benchmark<Family>/<key=value/...>. Each metric is its own unit, named as
// in the result record. A result with per-repetition samples gets one line
// per repetition, so that benchstat sees the distribution; metrics without
// samples appear once, on the first line.
func WriteBench(w io.Writer, results []metrics.Result) error {
	return WriteBenchUnits(w, results, Units{})
}

// WriteBenchUnits is WriteBench with the better-directions of units read
// from benchmark files.
func WriteBenchUnits(w io.Writer, results []metrics.Result, units Units) error {
	bw := benchfmt.NewWriter(w)
	seen := map[string]bool{}
	for _, r := range results {
		for k := range r.Metrics {
			seen[k] = true
		}
	}
	for _, u := range slices.Sorted(maps.Keys(seen)) {
		_, better := units.Describe(u)
		if better == metrics.Neutral {
			continue // no direction: benchstat makes no verdict on it
		}
		err := bw.Write(&benchfmt.UnitMetadata{
			UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: u, Key: "better"},
			OrigUnit:        u,
			Value:           better.String(),
		})
		if err != nil {
			return err
		}
	}
	for _, r := range results {
		cfg := benchConfigOf(benchConfig(&r))
		lines := 1
		for _, s := range r.Samples {
			lines = max(lines, len(s))
		}
		names := r.MetricNames()
		for i := range lines {
			res := benchLine(&r, names, i, cfg)
			if len(res.Values) == 0 {
				continue
			}
			if err := bw.Write(res); err != nil {
				return err
			}
		}
	}
	return nil
}

// benchLine is the i-th line of r: its samples' i-th values, and on the
// first line the metrics without samples.
func benchLine(r *metrics.Result, names []string, i int, cfg []benchfmt.Config) *benchfmt.Result {
	res := &benchfmt.Result{Config: cfg, Name: benchfmt.Name(FullName(r)), Iters: 1}
	for _, k := range names {
		if s, ok := r.Samples[k]; ok {
			if i < len(s) {
				res.Values = append(res.Values, benchfmt.Value{Value: s[i], Unit: k})
			}
		} else if i == 0 {
			res.Values = append(res.Values, benchfmt.Value{Value: r.Metrics[k], Unit: k})
		}
	}
	return res
}
