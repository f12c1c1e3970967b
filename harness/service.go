package harness

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"time"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/scenario"
)

// Service kinds: what a server does for a job of size s.
const (
	// ServiceSleep waits s units: each server is one unit of capacity
	// whatever the cores, so the run compares directly with the simulator.
	ServiceSleep = "sleep"
	// ServiceSpin burns the CPU for s units (calibrated spin): servers
	// compete for the cores.
	ServiceSpin = "spin"
)

// Timing paths: how a service run keeps time for its servers. The record
// says which one ran (params.timing).
const (
	// TimingLoop runs a sleeping service in one goroutine, the loop, that
	// generates the arrivals, owns the policy and holds each server's
	// deadline: a server is its FIFO queue and the time its job in
	// service is due, not a goroutine. The loop waits for the earliest
	// event (an arrival, a job due, a fault) on the clock with a
	// ptimer.Spinner (it sleeps, then spins for the last tens of
	// microseconds: it costs a core while it spins) and ends each job when
	// it reads the clock past its deadline. It is the default for sleep:
	// a sleep does no work, so nothing is lost by not giving it a thread,
	// and nothing but the loop's own handling stands between a deadline
	// and the job's end.
	TimingLoop = "loop"
	// TimingSpin is TimingLoop spinning: the loop sleeps until a margin
	// before each event and spins on the clock to it.
	TimingSpin = "spin-loop"
	// TimingGoroutines runs each server as a goroutine with its own queue,
	// fed by a dispatching goroutine: the only path for work that must
	// run (spin), and for sleep on request, where a server waits on
	// internal/ptimer's process timer and the Go scheduler wakes it.
	TimingGoroutines = "goroutines"
)

// ServiceTimings lists the timing paths with one line of help each.
var ServiceTimings = []struct{ Name, Help string }{
	{TimingLoop, "one goroutine generates arrivals, runs the policy and ends each sleeping server's job at its deadline, spinning on the clock for the last microseconds (sleep only; the default for sleep)"},
	{TimingGoroutines, "a dispatching goroutine and one goroutine per server, woken by the process timer (the only path for spin)"},
}

// ServiceKinds lists the service kinds with one line of help each.
var ServiceKinds = []struct{ Name, Help string }{
	{ServiceSleep, "each server waits the job's service time: a unit of capacity, comparable with the simulator whatever the cores"},
	{ServiceSpin, "each server burns the CPU for the job's service time: servers compete for the cores"},
}

// ServiceConfig describes a service-mode run: jobs arriving open-loop at
// rate λ = Load·Σspeeds/E[S] per unit of time, placed by a policy on
// Servers goroutines with their own FIFO queues.
type ServiceConfig struct {
	// Scenario is what runs: policy, servers, load, distributions (in time
	// units), seed. The seed gives the same streams as the simulator's
	// first replication, so that both see the same jobs at the same
	// intended times.
	scenario.Scenario
	// Unit is the real duration of one time unit (0: 1ms).
	Unit time.Duration
	// Kind is ServiceSleep (default) or ServiceSpin.
	Kind string
	// Timing is TimingLoop or TimingGoroutines; empty means the loop for
	// sleep and goroutines for spin.
	Timing string
	// Jobs is the number of measured jobs; 0 means arrivals go on for
	// Duration instead.
	Jobs uint64
	// Duration bounds the arrivals when Jobs is 0.
	Duration time.Duration
	// Warmup is the number of jobs run first and not measured.
	Warmup uint64
	// Progress, when set, is called now and then with the measured jobs
	// completed and the total expected.
	Progress func(done, total uint64)
}

func (c *ServiceConfig) withDefaults() (ServiceConfig, error) {
	x := *c
	if x.Unit == 0 {
		x.Unit = time.Millisecond
	}
	if x.Kind == "" {
		x.Kind = ServiceSleep
	}
	if x.Timing == "" {
		x.Timing = TimingGoroutines
		if x.Kind == ServiceSleep {
			x.Timing = TimingLoop
		}
	}
	x.Scenario = x.Scenario.WithDefaults()
	return x, x.validate()
}

// Validate reports the first problem of the configuration (marked as bad
// input), or nil.
func (c ServiceConfig) Validate() error {
	_, err := c.withDefaults()
	return bad.Input(err)
}

// maxServiceServers bounds the server goroutines of a service run.
const maxServiceServers = 1 << 20

func (c *ServiceConfig) validate() error {
	if err := c.ValidateUpTo(maxServiceServers); err != nil {
		return err
	}
	switch {
	case c.Unit < 0:
		return bad.Field("unit", "must be > 0, got %v", c.Unit)
	case c.NetworkDelay != 0:
		return errors.New("network delay: run service has no network between its dispatcher and servers; give the delay to sim, or measure it with run cluster")
	case c.ViewDelay != 0:
		return errors.New("view delay: run service's dispatcher sees its servers at once; give the delay to sim, or measure it with run cluster")
	case c.Kind != ServiceSleep && c.Kind != ServiceSpin:
		return fmt.Errorf("unknown service kind %q (known: sleep, spin)", c.Kind)
	case c.Timing != TimingLoop && c.Timing != TimingSpin && c.Timing != TimingGoroutines:
		return bad.Field("timing", "must be loop, spin-loop or goroutines, got %q", c.Timing)
	case c.Timing != TimingGoroutines && c.Kind != ServiceSleep:
		return bad.Field("timing", "%s serves sleep only: a %s server does work, which runs on a goroutine of its own (goroutines)", c.Timing, c.Kind)
	case c.Duration < 0:
		return bad.Field("duration", "must be >= 0, got %v", c.Duration)
	case c.Jobs > 0 && c.Duration > 0:
		return errors.New("give jobs or a duration, not both")
	case c.Jobs == 0 && c.Duration == 0:
		return errors.New("give a number of jobs or a duration > 0")
	case c.Jobs == 0 && c.Load >= 1:
		return bad.Field("load", "%g >= 1 is unstable: queues grow without end, so give a number of jobs, not a duration", c.Load)
	case c.Jobs > math.MaxUint64/2 || c.Warmup > math.MaxUint64/2:
		return errors.New("jobs and warmup must be below 2^63")
	}
	return nil
}

// Lambda is the arrival rate of cfg per unit of time: ρ·Σspeeds/E[S] (for a
// trace replayed as recorded, its own rate). Invalid configurations give 0.
func Lambda(cfg ServiceConfig) float64 {
	c, err := cfg.withDefaults()
	if err != nil {
		return 0
	}
	if tr := c.Arrival.Trace(); tr != nil && c.Load == 0 {
		return tr.Rate()
	}
	return c.ArrivalRate()
}

// serviceName names a case as the simulator does (policy, servers, load,
// then the non-default settings), with the service kind when it is not
// sleep.
func serviceName(c *ServiceConfig) string {
	kv := c.NameParts()
	if c.Kind != ServiceSleep {
		kv = append(kv, "kind", c.Kind)
	}
	return metrics.Name(kv...)
}

func serviceParams(c *ServiceConfig, lambda float64) map[string]any {
	p := map[string]any{
		"policy":         c.Policy,
		"servers":        c.Servers,
		"load":           c.Load,
		"warmup":         c.Warmup,
		"service":        c.Service.String(),
		"arrival":        c.Arrival.String(),
		"discipline":     "fifo",
		"kind":           c.Kind,
		"timing":         c.Timing,
		"unit":           FormatUnit(c.Unit),
		"unit_sec":       c.Unit.Seconds(),
		"lambda":         lambda,
		"lambda_per_sec": lambda / c.Unit.Seconds(),
		"seed":           c.Seed,
	}
	if c.Jobs > 0 {
		p["jobs"] = c.Jobs
	} else {
		p["duration_sec"] = c.Duration.Seconds()
	}
	maps.Copy(p, c.Params())
	return p
}
