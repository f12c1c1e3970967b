package metrics

import "strings"

// Better says which direction of a metric is an improvement.
type Better int

// Directions of improvement.
const (
	Lower  Better = -1 // smaller is better (times, latencies, allocations)
	Higher Better = +1 // larger is better (throughput, speedup)
	// Neutral metrics describe the run rather than judge it (how many
	// jobs, the offered rate, utilization, a theoretical prediction): a
	// change in them is never an improvement or a regression.
	Neutral Better = 0
)

func (b Better) String() string {
	switch b {
	case Higher:
		return "higher"
	case Lower:
		return "lower"
	}
	return "neither"
}

// Describe returns the unit of a metric, in the spelling of Go's benchmark
// format, and the direction in which it improves. The unit comes from the
// metric name's suffix; names without a unit suffix are simulator times
// (unitless, mean service time 1) or plain counts.
func Describe(metric string) (unit string, better Better) {
	switch {
	case metric == "arrival_rate_per_sec" || metric == "offered_rate_per_sec":
		return "jobs/s", Neutral
	case strings.HasPrefix(metric, "theory_"):
		unit, _ := Describe(strings.TrimPrefix(metric, "theory_"))
		return unit, Neutral
	case strings.HasSuffix(metric, "mb_per_sec"):
		return "MB/s", Higher
	case metric == "throughput_per_sec":
		return "ops/s", Higher
	case strings.HasSuffix(metric, "_per_sec"):
		return strings.TrimSuffix(metric, "_per_sec") + "/s", Higher
	}
	for _, r := range unitRules {
		if (r.suffix != "" && strings.HasSuffix(metric, r.suffix)) || metric == r.exact {
			return r.unit, r.better
		}
	}
	// Unitless simulator times: response_*, wait_*, queue_*.
	return "units", Lower
}

// unitRules maps metric name suffixes (or exact names) to units and
// directions. The first matching row wins, so longer suffixes come first.
var unitRules = []struct {
	suffix, exact string
	unit          string
	better        Better
}{
	{suffix: "_ns_per_task", unit: "ns/task", better: Lower},
	{suffix: "_ns", unit: "ns", better: Lower},
	{suffix: "_sec", unit: "sec", better: Lower},
	{suffix: "_bytes", unit: "B", better: Lower},
	{suffix: "allocs_per_task", unit: "allocs/task", better: Lower},
	{suffix: "_per_op", unit: "/op", better: Lower},
	{exact: "speedup", unit: "x", better: Higher},
	{exact: "efficiency", unit: "ratio", better: Higher},
	{exact: "imbalance", unit: "ratio", better: Lower},
	{exact: "utilization", unit: "ratio", better: Neutral},
	{exact: "jobs", unit: "jobs", better: Neutral},
	{exact: "sent", unit: "requests", better: Neutral},
	{exact: "succeeded", unit: "requests", better: Neutral},
	{exact: "killed_workers", unit: "workers", better: Neutral},
	{exact: "service_mean", unit: "units", better: Neutral},
	// A cluster run's mean size asked and its jobs replayed through the
	// model describe the run (reports.ModelGap), they do not judge it.
	{exact: "asked_mean", unit: "units", better: Neutral},
	{exact: "replay_wait_mean", unit: "units", better: Neutral},
	{exact: "replay_sent_wait_mean", unit: "units", better: Neutral},
	{exact: "failed", unit: "requests", better: Lower},
	{exact: "jobs_lost", unit: "jobs", better: Lower},
	{exact: "retries", unit: "requests", better: Lower},
	{exact: "retries_ok", unit: "requests", better: Higher},
	{exact: "events", unit: "events", better: Neutral},
	{suffix: "_count", unit: "count", better: Lower},
	{suffix: "_errors", unit: "count", better: Lower},
	{suffix: "_probes", unit: "probes", better: Neutral},
	{suffix: "_rel_err", unit: "ratio", better: Lower},
}
