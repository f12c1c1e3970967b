package sim

import (
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/sim/theory"
	"github.com/stratbench/stratbench/strategies"
)

// CaseName is the benchmark-style name of a simulation case: policy,
// servers and load always, then the non-default settings.
func CaseName(c *Config) string {
	if c.Discipline == PS {
		return c.Name("discipline", "ps")
	}
	return c.Name()
}

// Prediction returns the closed form of queueing theory that applies to the
// configuration, if any.
func Prediction(cfg *Config) (theory.Prediction, bool) {
	c, err := cfg.withDefaults()
	if err != nil {
		return theory.Prediction{}, false
	}
	return prediction(&c)
}

// prediction is Prediction of a configuration whose defaults are filled in.
func prediction(c *Config) (theory.Prediction, bool) {
	p, ok := theory.Predict(theory.Scenario{
		Policy:     c.Policy,
		Servers:    c.Servers,
		Load:       c.Load,
		Service:    c.Service.Kind(),
		ES:         c.Service.Mean(),
		ES2:        c.Service.SecondMoment(),
		Arrival:    c.Arrival.Kind(),
		Discipline: string(c.Discipline),
		Uniform:    strategies.UniformSpeeds(c.Speeds),
		D:          c.D,
	})
	if ok && c.ViewDelay > 0 && p.Kind != theory.LowerBound &&
		strategies.PolicyTheory(c.Policy, strategies.PolicyConfig{Servers: c.Servers, D: c.D}).Family != strategies.TheorySplit {
		// The theory's dispatcher sees every completion at once; a lower
		// bound still holds.
		return theory.Prediction{}, false
	}
	return p, ok
}

// assemble builds the result record from the replications that ran.
func assemble(c *Config, reps []replication, wall time.Duration) *metrics.Result {
	res := &metrics.Result{
		Engine:    metrics.EngineSim,
		Name:      CaseName(c),
		Params:    params(c),
		Metrics:   map[string]float64{},
		CI95:      map[string][2]float64{},
		PerServer: map[string][]float64{},
		Env:       metrics.CurrentEnv(c.Seed),
	}
	var (
		done                []*cluster
		means, queue, utils []float64
		waitSum             float64
		jobs, events        uint64
	)
	resp := metrics.NewLatency(1e-6)
	perServer := c.Servers <= perServerMax
	for _, r := range reps {
		if r.c != nil {
			r.c.release()
		}
	}
	if !perServer {
		// The jobs and timers of a large cluster are gone: let the
		// per-server figures below take their memory rather than add to it.
		runtime.GC()
	}
	dispatched := make([]float64, c.Servers)
	var busy []float64
	if perServer {
		busy = make([]float64, c.Servers)
	}
	interrupted := false
	for _, r := range reps {
		if r.c == nil {
			interrupted = true
			continue
		}
		if r.err != nil {
			interrupted = true
			if len(reps) > 1 {
				continue // only whole replications count
			}
		}
		cl := r.c
		window := cl.finish()
		n := cl.measuredJobs()
		events += cl.events
		if n == 0 {
			continue
		}
		done = append(done, cl)
		jobs += n
		resp.Merge(cl.resp)
		means = append(means, cl.respSum/float64(n))
		waitSum += cl.waitSum
		if window > 0 {
			queue = append(queue, cl.area/window)
			u := cl.busyArea / window
			if perServer {
				u = 0
				for s := range c.Servers {
					if c.Speeds == nil {
						u += cl.busyTime[s] / window
					} else {
						u += cl.busyTime[s] / window * c.Speeds[s]
					}
					busy[s] += cl.busyTime[s] / window
				}
			}
			utils = append(utils, u/c.Capacity())
		}
		for s := range c.Servers {
			dispatched[s] += float64(cl.dispatched(s))
		}
	}
	m := res.Metrics
	m["jobs"] = float64(jobs)
	m["events"] = float64(events)
	m["wall_sec"] = wall.Seconds()
	if w := wall.Seconds(); w > 0 {
		m["events_per_sec"] = float64(events) / w
	}
	want := c.Jobs * uint64(len(reps))
	if len(reps) == 1 && reps[0].c != nil {
		want = reps[0].c.jobs // a precision target may have extended the run
		res.Params["jobs"] = want
	}
	res.Params["replications"] = len(reps)
	if interrupted {
		res.Warnings = append(res.Warnings, fmt.Sprintf("interrupted: %d of %d measured jobs completed; figures describe what was measured", jobs, want))
	} else if jobs < want {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the arrival trace ran out: %d of %d jobs measured", jobs, want))
	}
	if len(done) == 0 {
		return res
	}
	resp.Summarize(m, "response")
	m["wait_mean"] = waitSum / float64(jobs)
	if len(queue) > 0 {
		m["queue_mean"] = mean(queue)
		m["utilization"] = mean(utils)
		if perServer {
			for s := range busy {
				busy[s] /= float64(len(queue))
			}
			res.PerServer["busy_fraction"] = busy
			if mb := mean(busy); mb > 0 {
				m["imbalance"] = slices.Max(busy) / mb
			}
		}
	}
	if perServer {
		res.PerServer["dispatched"] = dispatched
	} else {
		m["dispatched_min"] = slices.Min(dispatched)
		m["dispatched_max"] = slices.Max(dispatched)
		res.Params["per_server"] = fmt.Sprintf("not listed above %d servers: dispatched_min and dispatched_max summarize the jobs dispatched to each server, utilization their busy time", perServerMax)
	}
	res.CDF = resp.CDF(60)
	speeds := c.Speeds
	if speeds == nil {
		speeds = ones(c.Servers)
	}
	overloaded := metrics.OverloadWarning(c.Policy, c.Load, dispatched, res.PerServer["busy_fraction"], speeds)
	unstable := c.Load >= 1 || overloaded != ""
	if unstable {
		res.Params["unstable"] = true
	}

	// Confidence interval of the mean response.
	var mu, half float64
	if len(done) > 1 {
		mu, half = metrics.MeanCI(means)
		m["response_mean"] = mu
		res.Samples = map[string][]float64{"response_mean": means}
		params := res.Params
		params["ci_method"] = "replications"
	} else {
		mu, half = singleCI(done[0], res, m, unstable)
	}
	if !math.IsNaN(half) {
		res.CI95["response_mean"] = [2]float64{mu - half, mu + half}
	}
	res.Warnings = append(res.Warnings, steadyRecord(c, done, res)...)
	if c.Precision > 0 && !math.IsNaN(half) {
		if half > c.Precision*math.Abs(mu) {
			res.Warnings = append(res.Warnings, fmt.Sprintf("precision not reached: the 95%% interval of response_mean is ±%.2g%% of it after %d measured jobs (the cap), not ±%.2g%%", 100*half/math.Abs(mu), jobs, 100*c.Precision))
		}
		res.Params["precision"] = c.Precision
	}
	if p, ok := prediction(c); ok {
		m["theory_response_mean"] = p.Response
		res.Params["theory_model"] = p.Model
		res.Params["theory_kind"] = string(p.Kind)
	}
	if c.Load >= 1 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("offered load %g >= 1: the system is unstable; queues and response times grow with the run length, so these figures describe this run only", c.Load))
	} else if overloaded != "" {
		res.Warnings = append(res.Warnings, overloaded)
	}
	switch k := c.Service.FiniteMoments(); {
	case k <= 2:
		res.Warnings = append(res.Warnings, fmt.Sprintf("service %s has infinite variance: means converge slowly and confidence intervals understate the uncertainty", c.Service))
	case k <= 3 && c.Discipline == FIFO:
		res.Warnings = append(res.Warnings, fmt.Sprintf("service %s has an infinite third moment, so FIFO waiting times have infinite variance: the mean converges slowly and its interval understates the uncertainty", c.Service))
	}
	addNetworkDelay(res, c.NetworkDelay)
	return res
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func params(c *Config) map[string]any {
	p := map[string]any{
		"policy":       c.Policy,
		"servers":      c.Servers,
		"load":         c.Load,
		"jobs":         c.Jobs,
		"warmup":       c.Warmup,
		"service":      c.Service.String(),
		"arrival":      c.Arrival.String(),
		"discipline":   string(c.Discipline),
		"replications": c.Replications,
		"lambda":       c.ArrivalRate(),
		"seed":         c.Seed,
	}
	maps.Copy(p, c.Params())
	return p
}

// singleCI is the interval of the mean response of one replication by batch
// means; it fills the record's ci_method, samples and warnings, and returns
// the mean and the half-width.
func singleCI(cl *cluster, res *metrics.Result, m map[string]float64, unstable bool) (mu, half float64) {
	mu = m["response_mean"]
	est := metrics.BatchMeans(cl.fine.means())
	if est.OK && est.Negligible {
		// Nearly independent batch means are samples of the mean.
		res.Samples = map[string][]float64{"response_mean": est.Batches}
	}
	if cl.legacyBatches {
		var bm []float64
		for b := range cl.batches {
			if cl.batchN[b] > 0 {
				bm = append(bm, cl.batches[b]/float64(cl.batchN[b]))
			}
		}
		_, half = metrics.MeanCI(bm)
		res.Params["ci_method"] = fmt.Sprintf("batch means (%d batches)", len(bm))
		if len(bm) < 10 {
			res.Warnings = append(res.Warnings, fmt.Sprintf("only %d batches: the confidence interval is unreliable", len(bm)))
		}
		// Batch means must be nearly independent for the interval to hold.
		// When consecutive ones are correlated (the run is short against the
		// system's relaxation time), widen the interval by the AR(1)
		// variance factor (1+r)/(1-r) and say so.
		if r := metrics.Lag1(bm); r > 0.1 && !math.IsNaN(half) {
			rc := min(r, 0.9)
			half *= math.Sqrt((1 + rc) / (1 - rc))
			res.Params["ci_method"] = fmt.Sprintf("batch means (%d batches), widened for their lag-1 correlation %.2f", len(bm), r)
			if r > 0.3 && !unstable {
				res.Warnings = append(res.Warnings, fmt.Sprintf("batch means are correlated (lag-1 %.2f): the run is short for this load, and the mean may still carry the empty start; the interval was widened, but more jobs (and --warmup) would make it trustworthy", r))
			}
		}
		return mu, half
	}
	if !est.OK {
		res.Warnings = append(res.Warnings, "too few measured jobs for a confidence interval")
		return mu, math.NaN()
	}
	half = est.Half
	res.Params["ci_method"] = fmt.Sprintf("batch means (%d batches, lag-1 %.2f)", len(est.Batches), est.Lag1)
	if est.Lag1 > 0.1 {
		res.Params["ci_method"] = fmt.Sprintf("batch means (%d batches), widened for their lag-1 correlation %.2f", len(est.Batches), est.Lag1)
		if est.Lag1 > 0.3 && !unstable {
			res.Warnings = append(res.Warnings, fmt.Sprintf("batch means are correlated (lag-1 %.2f) even at %d batches: the run is short for this system's relaxation time; the interval was widened, but more jobs (or --replications) would make it trustworthy", est.Lag1, len(est.Batches)))
		}
	}
	return mu, half
}

// steadyRecord puts the warm-up detection of the replications in the
// record and returns the warnings about steady state.
func steadyRecord(c *Config, done []*cluster, res *metrics.Result) []string {
	if len(done) == 0 || !done[0].auto {
		return nil
	}
	var warnings []string
	steady := true
	for _, cl := range done {
		p := map[string]any{}
		w := cl.steadyParams(p)
		if len(done) == 1 {
			if t := cl.trendCheck(p); t != "" {
				w = append(w, t)
			}
			maps.Copy(res.Params, p)
		}
		steady = steady && p["steady_state"] == true
		if len(warnings) == 0 {
			warnings = w
		}
	}
	if len(done) > 1 {
		res.Params["warmup"] = done[0].warmup
		res.Params["warmup_method"] = fmt.Sprintf("MSER per replication on the pilot's batch means of %d jobs (warmup is replication 0's)", done[0].pilot.size)
		res.Params["steady_state"] = steady
	}
	return warnings
}
