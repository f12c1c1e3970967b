package metrics

import (
	"fmt"
	"math"
	"slices"
)

// Timeline is the course of a run with faults over time, in buckets of
// equal width by the jobs' arrival times (time units): how many jobs each
// server got (the traffic share a chart draws, so that a reader sees the
// balancer move traffic away from a failing server and back), the 99th
// percentile of the response times of the jobs that completed, and the
// jobs lost.
type Timeline struct {
	// Width is the width of a bucket in time units; bucket b covers
	// arrivals in [b·Width, (b+1)·Width).
	Width float64 `json:"width"`
	// FaultStart and FaultEnd bound the faults (the earliest start, the
	// latest end); FaultEnd 0 means the last fault lasts to the end.
	FaultStart float64 `json:"fault_start"`
	FaultEnd   float64 `json:"fault_end,omitempty"`
	// Dispatched counts the jobs of each bucket by the server they went
	// to last: Dispatched[bucket][server].
	Dispatched [][]int64 `json:"dispatched"`
	// P99 is the 99th percentile response time of each bucket's completed
	// jobs (0 for a bucket with none).
	P99 []float64 `json:"p99"`
	// Lost counts each bucket's jobs lost or failed (nil when none was).
	Lost []int64 `json:"lost,omitempty"`
}

// Share returns server s's share of bucket b's jobs (0 for an empty
// bucket).
func (t *Timeline) Share(b, s int) float64 {
	var sum int64
	for _, x := range t.Dispatched[b] {
		sum += x
	}
	if sum == 0 {
		return 0
	}
	return float64(t.Dispatched[b][s]) / float64(sum)
}

// FaultRecorder builds the part of a record that shows a fault: response
// percentiles of the jobs that arrived before, during and after the faults,
// the time to recover, the jobs lost and the Timeline. Engines call Done
// for every measured job that completes and Lost for every one lost or
// failed, then Finish. It keeps every response time (8 bytes a job), so
// engines make one only for scenarios with faults.
type FaultRecorder struct {
	start, end float64
	width      float64
	servers    int
	phase      [3][]float64
	resp       [][]float64 // per bucket
	disp       [][]int64
	lost       []int64
	nLost      int64
}

// FaultBuckets is the number of buckets a FaultRecorder aims for over the
// expected length of a run.
const FaultBuckets = 60

// NewFaultRecorder returns a recorder for a run of servers servers whose
// faults span [start, end) (end +Inf: to the end), with buckets of width
// horizon/FaultBuckets for a run expected to last horizon time units (more
// buckets are added if it runs longer).
func NewFaultRecorder(servers int, start, end, horizon float64) *FaultRecorder {
	w := horizon / FaultBuckets
	if !(w > 0) || math.IsInf(w, 0) {
		w = 1
	}
	return &FaultRecorder{start: start, end: end, width: w, servers: servers}
}

func (r *FaultRecorder) bucket(arrival float64) int {
	b := max(int(arrival/r.width), 0)
	for len(r.disp) <= b {
		r.disp = append(r.disp, make([]int64, r.servers))
		r.resp = append(r.resp, nil)
		r.lost = append(r.lost, 0)
	}
	return b
}

func (r *FaultRecorder) phaseOf(arrival float64) int {
	switch {
	case arrival < r.start:
		return 0
	case arrival < r.end:
		return 1
	}
	return 2
}

// Done records a job that arrived at arrival, went to server and
// completed after response time units.
func (r *FaultRecorder) Done(arrival float64, server int, response float64) {
	b := r.bucket(arrival)
	if server >= 0 && server < r.servers {
		r.disp[b][server]++
	}
	r.resp[b] = append(r.resp[b], response)
	p := r.phaseOf(arrival)
	r.phase[p] = append(r.phase[p], response)
}

// Lost records a job that arrived at arrival and was lost or failed at
// server (-1: none).
func (r *FaultRecorder) Lost(arrival float64, server int) {
	b := r.bucket(arrival)
	if server >= 0 && server < r.servers {
		r.disp[b][server]++
	}
	r.lost[b]++
	r.nLost++
}

// quantile is the q-quantile of sorted xs (nearest rank).
func quantile(xs []float64, q float64) float64 {
	k := int(math.Ceil(q*float64(len(xs)))) - 1
	return xs[min(max(k, 0), len(xs)-1)]
}

// minRecoverySamples is the fewest completions a bucket needs for its p99
// to count toward recovery.
const minRecoverySamples = 100

// Finish writes the record's fault metrics and timeline into res:
// response_mean/_p50/_p99 with suffix _before, _during and _after (phases
// by arrival time; a phase with no completed job is left out), jobs_lost,
// and recovery_time: the time from the end of the faults to the end of the
// first later bucket whose p99 is within 10% of the p99 before the faults
// (left out, with a warning, when it never is; not defined without jobs
// before the faults or an end to them).
func (r *FaultRecorder) Finish(res *Result) {
	for i, name := range []string{"before", "during", "after"} {
		xs := r.phase[i]
		if len(xs) == 0 {
			continue
		}
		slices.Sort(xs)
		sum := 0.0
		for _, x := range xs {
			sum += x
		}
		res.Metrics["response_mean_"+name] = sum / float64(len(xs))
		res.Metrics["response_p50_"+name] = quantile(xs, 0.5)
		res.Metrics["response_p99_"+name] = quantile(xs, 0.99)
	}
	res.Metrics["jobs_lost"] = float64(r.nLost)
	tl := &Timeline{Width: r.width, FaultStart: r.start, Dispatched: r.disp, P99: make([]float64, len(r.resp))}
	if !math.IsInf(r.end, 1) {
		tl.FaultEnd = r.end
	}
	for b, xs := range r.resp {
		if len(xs) > 0 {
			slices.Sort(xs)
			tl.P99[b] = quantile(xs, 0.99)
		}
	}
	if r.nLost > 0 {
		tl.Lost = r.lost
	}
	res.Timeline = tl
	pre, ok := res.Metrics["response_p99_before"]
	if !ok || math.IsInf(r.end, 1) || len(r.phase[2]) == 0 {
		return
	}
	for b := int(r.end / r.width); b < len(r.resp); b++ {
		if float64(b)*r.width < r.end || len(r.resp[b]) < minRecoverySamples {
			continue
		}
		if tl.P99[b] <= 1.1*pre {
			res.Metrics["recovery_time"] = float64(b+1)*r.width - r.end
			return
		}
	}
	res.Warnings = append(res.Warnings, fmt.Sprintf("did not recover: no stretch of %.3g time units after the faults ended had its p99 within 10%% of the p99 before them (%.3g)", r.width, pre))
}

// LateDispatched sums the jobs each server got in the second half of the
// timeline's non-empty buckets: a policy's share once its start-up is over
// (a load-aware policy feeds a slowed server until its queue builds, then
// settles at what it can serve).
func (t *Timeline) LateDispatched() []float64 {
	first, last := -1, -1
	for b, d := range t.Dispatched {
		for _, x := range d {
			if x > 0 {
				if first < 0 {
					first = b
				}
				last = b
				break
			}
		}
	}
	if first < 0 {
		return nil
	}
	out := make([]float64, len(t.Dispatched[0]))
	for b := (first + last + 1) / 2; b <= last; b++ {
		for s, x := range t.Dispatched[b] {
			out[s] += float64(x)
		}
	}
	return out
}

// FaultOverloadWarning says whether the speeds the faults leave to the end
// of a run (final: 0 for a server down) overload it, or returns "": the
// total capacity left below the offered load, or a server whose share of
// the jobs (dispatched) at load (per unit of the nominal capacity) is more
// than 110% of what it can serve at its final speed. A load-aware policy
// settles a slow server's queue where its share just matches its capacity
// (about 100%, busy all the time, yet stable), so only a clear excess
// counts.
func FaultOverloadWarning(policy string, load float64, dispatched, nominal, final []float64) string {
	var nom, act, total float64
	for i := range nominal {
		nom += nominal[i]
		act += final[i]
	}
	if act == nom {
		return ""
	}
	if act == 0 || load*nom/act >= 1 {
		return "unstable: the faults that last to the end leave less capacity than the offered load; queues and response figures grow with the run length, so these figures describe this run only"
	}
	for _, x := range dispatched {
		total += x
	}
	worst, at := 0.0, -1
	for i, x := range dispatched {
		if final[i] == 0 || total == 0 {
			continue
		}
		if rho := x / total * load * nom / final[i]; rho > worst {
			worst, at = rho, i
		}
	}
	if worst <= 1.1 {
		return ""
	}
	return fmt.Sprintf("unstable: policy %s gives server %d more work than it can serve at the speed a fault leaves it (%.0f%% of its capacity); its queue and the response figures grow with the run length, so these figures describe this run only", policy, at, 100*worst)
}
