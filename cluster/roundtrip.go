package cluster

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/stratbench/stratbench/cluster/loadgen"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/strategies"
)

// RoundTrip is the fixed cost of the transport: the round trip of an empty
// task (ns=0) from the load generator through the balancer to a worker and
// back, measured one request at a time on an otherwise idle stack.
type RoundTrip struct {
	// Mean, P50 and P99 are over the measured requests.
	Mean, P50, P99 time.Duration
	// N is the number of requests measured (after the warm-up ones).
	N int
}

// Round trips measured before a run: a few first to open the connections
// (client to balancer, balancer to workers), then the measured ones.
const (
	roundTripWarm = 20
	roundTripN    = 200
)

// MeasureRoundTrip sends warm then n empty tasks, one at a time, to target
// through transport (nil: the load generator's own client, as the load
// will be sent) with keys spread so that hashing policies reach every
// worker, and returns the round trips of the last n. Each request is
// bounded by timeout.
func MeasureRoundTrip(ctx context.Context, target string, transport http.RoundTripper, warm, n int, timeout time.Duration) (RoundTrip, error) {
	if n < 1 {
		return RoundTrip{}, fmt.Errorf("round trip: n must be >= 1, got %d", n)
	}
	rtts, err := roundTrips(ctx, target, transport, warm, n, timeout, nil)
	if err != nil {
		return RoundTrip{}, err
	}
	return summarize(rtts), nil
}

// MeasureWorkerRoundTrip measures the round trip between a balancer and
// its workers as the load generator's client sees it straight to each
// worker at addrs (host:port): warm then n/len(addrs) empty tasks a worker
// (at least one), one at a time, summarized together.
func MeasureWorkerRoundTrip(ctx context.Context, addrs []string, warm, n int, timeout time.Duration) (RoundTrip, error) {
	if len(addrs) == 0 || n < 1 {
		return RoundTrip{}, fmt.Errorf("worker round trip: want workers and n >= 1, got %d workers, n %d", len(addrs), n)
	}
	var rtts []time.Duration
	for _, a := range addrs {
		var err error
		rtts, err = roundTrips(ctx, "http://"+a, nil, warm, max(n/len(addrs), 1), timeout, rtts)
		if err != nil {
			return RoundTrip{}, fmt.Errorf("worker %s: %w", a, err)
		}
	}
	return summarize(rtts), nil
}

// roundTrips sends warm then n empty tasks one at a time to target and
// appends the round trips of the last n to rtts.
func roundTrips(ctx context.Context, target string, transport http.RoundTripper, warm, n int, timeout time.Duration, rtts []time.Duration) ([]time.Duration, error) {
	client, err := loadgen.NewClient(target, transport, timeout)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	for i := range warm + n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t0 := time.Now()
		status, err := client.Task(ctx, 0, strategies.Mix64(uint64(i)))
		el := time.Since(t0)
		if err != nil {
			return nil, fmt.Errorf("round trip of an empty task: %w", err)
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("round trip of an empty task: status %d", status)
		}
		if i >= warm {
			rtts = append(rtts, el)
		}
	}
	return rtts, nil
}

// summarize returns the mean and quantiles of rtts (not empty), sorting it.
func summarize(rtts []time.Duration) RoundTrip {
	var sum time.Duration
	for _, d := range rtts {
		sum += d
	}
	slices.Sort(rtts)
	q := func(p float64) time.Duration { return rtts[min(int(p*float64(len(rtts))), len(rtts)-1)] }
	return RoundTrip{Mean: sum / time.Duration(len(rtts)), P50: q(0.5), P99: q(0.99), N: len(rtts)}
}

// record puts the round trip in res: metrics rtt_empty_{mean,p50,p99}_sec
// and network_delay, the delay --compare-sim gives the model: the median
// in units of unit. The median, not the mean: the round trip is measured
// over a fraction of a second, in which one stall of a shared machine (a
// process not run for milliseconds) moves the mean of 200 round trips by
// tens of percent and the median not at all; the run's own transport beyond
// it, stalls included, is then named apart (transport_excess_mean).
func (rt RoundTrip) record(res *metrics.Result, unit time.Duration) {
	res.Metrics["rtt_empty_mean_sec"] = rt.Mean.Seconds()
	res.Metrics["rtt_empty_p50_sec"] = rt.P50.Seconds()
	res.Metrics["rtt_empty_p99_sec"] = rt.P99.Seconds()
	res.Metrics["network_delay"] = rt.P50.Seconds() / unit.Seconds()
	res.Params["rtt_method"] = fmt.Sprintf("%d empty tasks one at a time before the load (after %d to open connections; the balancer's own counters include them); network_delay is their median", rt.N, roundTripWarm)
}

// recordView puts the round trip between the dispatcher and the workers
// in res: metrics rtt_workers_{mean,p50,p99}_sec and view_delay, the delay
// --compare-sim gives the model's dispatcher (its median in units of
// unit): the time after a worker is done before the dispatcher has the
// answer and counts the request out. direct's dispatcher is the load
// generator itself, so its view delay is the round trip measured for the
// network delay (method says how it was measured).
func (rt RoundTrip) recordView(res *metrics.Result, unit time.Duration, method string) {
	res.Metrics["rtt_workers_mean_sec"] = rt.Mean.Seconds()
	res.Metrics["rtt_workers_p50_sec"] = rt.P50.Seconds()
	res.Metrics["rtt_workers_p99_sec"] = rt.P99.Seconds()
	res.Metrics["view_delay"] = rt.P50.Seconds() / unit.Seconds()
	res.Params["view_delay_method"] = method
}

// recordGap names what the model with the idle round trip does not cover,
// each in units: transport_excess_mean, the time requests spent in
// transport and the balancer beyond the idle round trip (the balancer's
// own queueing, connections opened under load); service_stretch_mean, how
// much longer tasks took than asked (CPU contention between workers,
// balancer and load generator; the mean size asked of the measured
// requests, asked_mean, when the run has it, else askedMean, the
// distribution's); worker_late_mean, how late a timed worker answered after
// its tasks were due (the machine woke it late); send_lag_mean, how late
// the load generator sent requests (response times count from the intended
// times, so it adds to them). A warning sums them up when they are not
// small.
func recordGap(res *metrics.Result, unit time.Duration, askedMean float64) {
	m := res.Metrics
	u := unit.Seconds()
	parts := []string{}
	if a, ok := m["asked_mean"]; ok {
		askedMean = a
	}
	if ov, ok := m["overhead_mean_sec"]; ok {
		if nd, ok := m["network_delay"]; ok {
			m["transport_excess_mean"] = ov/u - nd
			if x := m["transport_excess_mean"]; x > 0.02*askedMean {
				parts = append(parts, fmt.Sprintf("%.3g units more in transport and the balancer than an idle round trip (the balancer's queueing, connections opened under load)", x))
			}
		}
	}
	if sm, ok := m["service_mean"]; ok && askedMean > 0 {
		m["service_stretch_mean"] = sm - askedMean
		if x := m["service_stretch_mean"]; x > 0.02*askedMean {
			parts = append(parts, fmt.Sprintf("tasks took %.3g units longer than asked (CPU contention between workers, balancer and load generator; timer lateness)", x))
		}
	}
	if x, ok := m["worker_late_mean"]; ok && x > 0.02*askedMean {
		parts = append(parts, fmt.Sprintf("workers answered %.3g units after their tasks were due (the machine woke them late)", x))
	}
	if lag, ok := m["send_lag_mean_sec"]; ok {
		m["send_lag_mean"] = lag / u
		if x := m["send_lag_mean"]; x > 0.02*askedMean {
			parts = append(parts, fmt.Sprintf("the load generator sent requests %.3g units late on average", x))
		}
	}
	if len(parts) > 0 {
		res.Warnings = append(res.Warnings, "beyond the model (queueing plus the idle round trip): per request on average, "+strings.Join(parts, "; "))
	}
}
