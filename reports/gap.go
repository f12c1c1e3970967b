package reports

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/stratbench/stratbench/metrics"
)

// Gap splits a run's error of the mean against its model (the simulator
// with the measured round trip as its network delay), in units of the
// run's unit per request. Each request's response, from its intended
// arrival to the end of its response, is the sum of how late the load
// generator sent it, its transport (to the worker and back, through the
// balancer), its wait and service as the worker scheduled them, and how
// late the worker answered after the task was due; the model's is its
// wait, its service and the network delay. So
//
//	Error = SendLag + Transport + Wait + Service + Late + Rest
//
// where Transport is the transport beyond the idle round trip the model
// was given, Wait and Service the run's means less the model's (Wait: the
// queueing the placement of requests made, the balancer's view, the
// arrivals the generator bunched; Service: tasks longer than asked, and
// the run's jobs against the model's longer sample of the same stream),
// and Rest what the means' rounding leaves.
//
// When the run's jobs were replayed through the model (the simulator on
// the run's own requests: replay_wait_mean at the times they were due,
// replay_sent_wait_mean at the times they were sent), Wait splits further
// into
//
//	Wait = WaitJobs + WaitBunching + WaitPlacement
//
// WaitJobs, the model's queueing on the run's jobs against its queueing on
// its own longer sample (chance); WaitBunching, what sending the same jobs
// late, bunched by the generator's stalls, adds to the model's queueing;
// WaitPlacement, the run's queueing against the model's on the jobs as
// sent: what the balancer's placement (its view of the workers, its own
// delays, its policy against the model's) adds.
type Gap struct {
	// Measured and Model are the mean responses; Error is their
	// difference.
	Measured, Model, Error float64
	SendLag, Transport     float64
	Wait, Service, Late    float64
	Rest                   float64
	// LoadAvg is the machine's load average over the minute the run ended
	// in, StackCPU the CPU time its processes (load generator, balancer,
	// workers) spent on a request in µs, each NaN when unknown: what the
	// machine's other work and the stack's own left of its cores.
	LoadAvg, StackCPU float64
	// Replayed says whether the split of Wait is known.
	Replayed                              bool
	WaitJobs, WaitBunching, WaitPlacement float64
}

// ModelGap returns the split of run's error of the mean against model,
// and false when run lacks the figures (a run without the round trip or
// the workers' timings).
func ModelGap(run, model *metrics.Result) (Gap, bool) {
	m, s := run.Metrics, model.Metrics
	for _, k := range []string{"response_mean", "send_lag_mean_sec", "overhead_mean_sec", "wait_mean", "service_mean", "network_delay"} {
		if _, ok := m[k]; !ok {
			return Gap{}, false
		}
	}
	u, _ := run.Params["unit_sec"].(float64)
	sr, ok1 := s["response_mean"]
	sw, ok2 := s["wait_mean"]
	if !(u > 0) || !ok1 || !ok2 {
		return Gap{}, false
	}
	nd := m["network_delay"]
	g := Gap{
		Measured:  m["response_mean"],
		Model:     sr,
		SendLag:   m["send_lag_mean_sec"] / u,
		Transport: m["overhead_mean_sec"]/u - nd,
		Wait:      m["wait_mean"] - sw,
		Service:   m["service_mean"] - (sr - sw - nd),
		Late:      m["worker_late_mean"],
	}
	g.LoadAvg, g.StackCPU = math.NaN(), math.NaN()
	if l, ok := run.Params["loadavg_1m_end"].(float64); ok {
		g.LoadAvg = l
	}
	if c, ok := m["stack_cpu_ns_per_task"]; ok {
		g.StackCPU = c / 1e3
	}
	g.Error = g.Measured - g.Model
	g.Rest = g.Error - (g.SendLag + g.Transport + g.Wait + g.Service + g.Late)
	rw, ok1 := m["replay_wait_mean"]
	rs, ok2 := m["replay_sent_wait_mean"]
	if ok1 && ok2 {
		g.Replayed = true
		g.WaitJobs = rw - sw
		g.WaitBunching = rs - rw
		g.WaitPlacement = m["wait_mean"] - rs
	}
	return g, true
}

// Record puts the split in run's metrics: gap_mean (the error), and
// gap_send_lag, gap_transport, gap_wait, gap_service, gap_late, gap_rest,
// in units.
func (g Gap) Record(run *metrics.Result) {
	m := run.Metrics
	m["gap_mean"] = g.Error
	m["gap_send_lag"] = g.SendLag
	m["gap_transport"] = g.Transport
	m["gap_wait"] = g.Wait
	m["gap_service"] = g.Service
	m["gap_late"] = g.Late
	m["gap_rest"] = g.Rest
	if g.Replayed {
		m["gap_wait_jobs"] = g.WaitJobs
		m["gap_wait_bunching"] = g.WaitBunching
		m["gap_wait_placement"] = g.WaitPlacement
	}
}

// GapRow is one line of WriteGaps: a run's name and its gap.
type GapRow struct {
	Name string
	Gap  Gap
}

// WriteGaps writes the gaps as a table, one run a line.
func WriteGaps(w io.Writer, rows []GapRow) error {
	width := len("case")
	for _, r := range rows {
		width = max(width, len(r.Name))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Where the error of the mean comes from (units per request; error = lag + transport + wait + service + late + rest;\n")
	fmt.Fprintf(&b, "wait = jobs + bunching + placement: the model on the run's jobs against its own, the same jobs sent as late as they were, the balancer against the model;\n")
	fmt.Fprintf(&b, "load: the machine's load average as the run ended; cpu-µs: CPU time of the run's processes a request):\n")
	fmt.Fprintf(&b, "%*s %9s %9s %9s %8s %9s %9s %8s %9s %9s %8s %8s %7s %6s %7s\n", width, "case", "measured", "model", "error", "lag", "transport", "wait", "jobs", "bunching", "placement", "service", "late", "rest", "load", "cpu-µs")
	for _, r := range rows {
		g := r.Gap
		rel := math.NaN()
		if g.Model != 0 {
			rel = 100 * g.Error / g.Model
		}
		split := fmt.Sprintf("%8s %9s %9s", "-", "-", "-")
		if g.Replayed {
			split = fmt.Sprintf("%8.3f %9.3f %9.3f", g.WaitJobs, g.WaitBunching, g.WaitPlacement)
		}
		fmt.Fprintf(&b, "%*s %9.4g %9.4g %+8.1f%% %8.3f %9.3f %9.3f %s %8.3f %8.3f %7.3f %6.1f %7.0f\n",
			width, r.Name, g.Measured, g.Model, rel, g.SendLag, g.Transport, g.Wait, split, g.Service, g.Late, g.Rest, g.LoadAvg, g.StackCPU)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
