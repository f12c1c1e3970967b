package reports

import (
	"strings"

	"github.com/stratbench/stratbench/metrics"
)

// Units says what a metric measures: its unit and which direction is an
// improvement. The zero value describes metrics by their names alone;
// Better holds the `Unit NAME better=higher|lower` lines read from
// benchmark files, which take precedence.
type Units struct {
	Better map[string]metrics.Better
}

// Describe returns the unit of metric and the direction in which it
// improves. Snake-case names of result records are described by
// metrics.Describe; units of Go's benchmark format ("ns/op", "B/op",
// "MB/s", "events/s") are their own unit, better lower unless they are a
// rate ("/s").
func (u Units) Describe(metric string) (unit string, better metrics.Better) {
	if isGoUnit(metric) {
		unit, better = metric, metrics.Lower
		if strings.HasSuffix(metric, "/s") {
			better = metrics.Higher
		}
	} else {
		unit, better = metrics.Describe(metric)
	}
	if b, ok := u.Better[metric]; ok {
		better = b
	}
	return unit, better
}

// isGoUnit reports whether metric is spelled as a unit of Go's benchmark
// format rather than as a snake-case metric name.
func isGoUnit(metric string) bool {
	return strings.ContainsAny(metric, "/") || (!strings.Contains(metric, "_") && strings.ToLower(metric) != metric)
}

// metricTitles are the words people use for the metrics reports show most.
var metricTitles = map[string]string{
	"response_mean":        "mean response time",
	"response_p50":         "median response time",
	"response_p90":         "p90 response time",
	"response_p95":         "p95 response time",
	"response_p99":         "p99 response time",
	"response_p999":        "p99.9 response time",
	"response_max":         "max response time",
	"theory_response_mean": "theory's mean response time",
	"wait_mean":            "mean waiting time",
	"queue_mean":           "mean jobs in system",
	"throughput_per_sec":   "throughput",
	"mb_per_sec":           "processing speed",
	"wall_sec":             "wall time",
	"cpu_sec":              "CPU time",
	"speedup":              "speedup",
	"efficiency":           "parallel efficiency",
	"imbalance":            "imbalance",
	"allocs_per_task":      "allocations per task",
	"utilization":          "utilization",
	"events_per_sec":       "simulated events per second",
	"ns/op":                "time per op",
	"sec/op":               "time per op",
	"B/op":                 "bytes allocated per op",
	"allocs/op":            "allocations per op",
	"MB/s":                 "speed",
}

// MetricTitle returns the plain words for a metric ("mean response time"
// for response_mean), or the metric's own name when there are none.
func MetricTitle(metric string) string {
	if t, ok := metricTitles[metric]; ok {
		return t
	}
	return strings.ReplaceAll(metric, "_", " ")
}

// isTime reports whether a metric is a duration, where lower is faster.
func isTime(metric, unit string) bool {
	switch unit {
	case "sec", "ns", "ns/op", "sec/op", "ns/task":
		return true
	}
	return strings.HasPrefix(metric, "response_") || strings.HasPrefix(metric, "wait_")
}

// isRate reports whether a metric is work per unit of time, where higher is
// faster.
func isRate(metric, unit string) bool {
	return strings.HasSuffix(unit, "/s") || strings.HasSuffix(metric, "_per_sec")
}

// timeUnits maps units of time to seconds per unit and what is left of
// the unit after the time ("/op").
var timeUnits = map[string]struct {
	sec  float64
	rest string
}{
	"ns": {1e-9, ""}, "ns/op": {1e-9, "/op"}, "ns/task": {1e-9, "/task"},
	"sec": {1, ""}, "sec/op": {1, "/op"}, "s": {1, ""},
}

// timeScale chooses how to show times of unit whose largest value is max:
// the factor to multiply values by and the unit to print ("ms/op"). ok is
// false for units that are not times.
func timeScale(unit string, max float64) (factor float64, shown string, ok bool) {
	t, ok := timeUnits[unit]
	if !ok {
		return 1, unit, false
	}
	sec := max * t.sec
	switch {
	case sec >= 1:
		return t.sec, "s" + t.rest, true
	case sec >= 1e-3:
		return t.sec * 1e3, "ms" + t.rest, true
	case sec >= 1e-6:
		return t.sec * 1e6, "µs" + t.rest, true
	}
	return t.sec * 1e9, "ns" + t.rest, true
}
