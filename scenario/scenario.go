// Package scenario holds the one thing every engine runs: a scenario. A
// Scenario is a value (the dispatch policy and its parameters, the servers
// and their speeds, the offered load, the service and arrival
// distributions, the seed) that the simulator (sim.Config), the service
// harness (harness.ServiceConfig) and the cluster (cluster.Config) embed,
// each adding only what is its own: run length, replications, time units,
// processes. The same Scenario with the same Seed gives the same jobs at
// the same intended times in every engine, because every engine draws them
// from the same named streams (Stream).
//
// It is a leaf: it knows strategies (to build the policy), workloads (the
// distributions and seeded sources) and metrics (to name a case), and
// nothing of the engines.
//
// # Room for timed events and transport
//
// Later fields belong here, once, for all engines, with a zero value that
// means "none" so that existing records do not change:
//
//   - Faults []Fault: timed events, each a server I that from time At (for
//     For, or to the end) serves at speed Speed ("slow") or stops ("down").
//     At and For are in the scenario's time units (the simulator's units;
//     the real engines multiply by their Unit), so one fault list means the
//     same in every engine. Validate checks each (server in range, At >= 0,
//     For >= 0, speed within strategies' bounds) and Name adds them.
//   - NetworkDelay float64 (in place): see the field.
//   - ViewDelay float64 (in place): see the field.
//
// A new field is added to Scenario, to Validate, to Name (when non-zero)
// and to Params (when non-zero); engines read it from their embedded
// Scenario.
package scenario

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

// Scenario is one balancing scenario: what arrives, how big it is, where
// it may go and who decides.
type Scenario struct {
	// Policy is the dispatch policy's name (strategies.Policies).
	Policy string
	// D is pod's number of choices (0: 2).
	D int
	// Dispatchers is jiq's number of dispatchers (0: 1).
	Dispatchers int
	// PolicyOpts set the policy's declared parameters
	// (strategies.PolicyInfo.Params; nil: every default).
	PolicyOpts strategies.Options
	// Servers is the number of servers (> 0).
	Servers int
	// Speeds are the relative server speeds (nil: all 1); a server of
	// speed 2 serves a job of size s in s/2 units.
	Speeds []float64
	// Weights are wrr's weights (nil: the speeds).
	Weights []float64
	// Load is the offered load ρ per unit of capacity (> 0): jobs arrive
	// at λ = ρ·Σspeeds/E[S]. For a trace, a Load > 0 rescales the trace's
	// time axis to that load, and 0 replays it as recorded.
	Load float64
	// Service is the service-time (size) distribution in time units (nil:
	// exp, mean 1).
	Service *workloads.SizeDist
	// Arrival is the arrival process (nil: poisson).
	Arrival *workloads.ArrivalSpec
	// Seed seeds every random stream (Stream).
	Seed uint64
	// Faults are timed events: servers that slow down or go down (nil:
	// none).
	Faults []Fault
	// Retry says that the balancer sends again the jobs a server held
	// when it went down; without it they are lost and counted.
	Retry bool
	// NetworkDelay is a fixed transport time in time units that every job
	// spends outside any queue (to its server and back), added to its
	// response time (0: none). Policies count a job at its server from
	// dispatch to completion, so a constant delay shifts every response by
	// the same amount and leaves the queueing as it was: this is how the
	// simulator models the round trip a real cluster measures (run cluster
	// records the round trip of an empty task through its balancer and
	// --compare-sim passes it here), separating transport from queueing.
	NetworkDelay float64
	// ViewDelay is how long after a server completes a job the dispatcher
	// learns of it, in time units (0: at once): the round trip between
	// the dispatcher and its servers. A real balancer counts a request in
	// flight from the moment it forwards it to the moment it has the
	// answer, so the loads it sees stay high for that long after a server
	// is done; policies that read Load (jsq, p2c, sed, least connections)
	// then decide on slightly stale counts. With ViewDelay > 0 a policy's
	// View counts a job at its server from dispatch until ViewDelay after
	// its completion, and an Observer is told of the completion then. The
	// shared queue of a policy that holds jobs centrally still hands a job
	// to a server the moment it is free. run cluster measures it (the
	// round trip of an empty task from the load generator straight to a
	// worker) and --compare-sim passes it here.
	ViewDelay float64
}

// Stream numbers one of a scenario's independent random streams. Engines
// draw from Source(rep, stream) so that the same seed gives the same draws
// in every engine.
type Stream uint64

// The streams of a scenario.
const (
	// StreamArrivals draws the inter-arrival times.
	StreamArrivals Stream = 1
	// StreamSizes draws the job sizes.
	StreamSizes Stream = 2
	// StreamPolicy is the policy's own random source.
	StreamPolicy Stream = 3
	// StreamKeys draws the salt of the jobs' affinity keys.
	StreamKeys Stream = 4
	// StreamBalancer is the random source of a policy run inside a real
	// balancer process (cluster), which sees its own request order.
	StreamBalancer Stream = 0xba1
)

// MaxServers is the largest number of servers a scenario may have; an
// engine may allow fewer (ValidateUpTo).
const MaxServers = 1 << 24

// Source returns the seeded source of stream k for replication rep (the
// real engines run replication 0). Replications' streams are independent.
func (s *Scenario) Source(rep int, k Stream) *rand.PCG {
	return workloads.NewSource(s.Seed, uint64(rep)<<8|uint64(k))
}

// KeySalt is the salt that makes the jobs' affinity keys of replication
// rep (a job's key is a hash of its id and the salt).
func (s *Scenario) KeySalt(rep int) uint64 { return s.Source(rep, StreamKeys).Uint64() }

// WithDefaults returns s with the defaults filled in: exp service,
// poisson arrivals, every speed 1 (when the number of servers is valid).
func (s Scenario) WithDefaults() Scenario {
	if s.Service == nil {
		s.Service, _ = workloads.ParseSize("exp")
	}
	if s.Arrival == nil {
		s.Arrival, _ = workloads.ParseArrival("poisson")
	}
	if s.Speeds == nil && s.Servers > 0 && s.Servers <= MaxServers {
		s.Speeds = make([]float64, s.Servers)
		for i := range s.Speeds {
			s.Speeds[i] = 1
		}
	}
	return s
}

// Validate reports the first problem of s (defaults filled in), naming the
// field, or returns nil.
func (s *Scenario) Validate() error { return s.ValidateUpTo(MaxServers) }

// ValidateUpTo is Validate for an engine that runs at most maxServers
// servers.
func (s *Scenario) ValidateUpTo(maxServers int) error {
	if err := strategies.ValidatePolicy(s.Policy); err != nil {
		return err
	}
	if err := strategies.ValidateOptions(s.Policy, s.PolicyOpts); err != nil {
		return bad.Field("policy_opt", ": %v", err)
	}
	trace := s.Arrival != nil && s.Arrival.Trace() != nil
	switch {
	case s.Servers <= 0:
		return bad.Field("servers", "must be > 0, got %d", s.Servers)
	case s.Servers > maxServers:
		return bad.Field("servers", "must be <= %d, got %d", maxServers, s.Servers)
	case math.IsNaN(s.Load) || math.IsInf(s.Load, 0) || s.Load < 0 || (s.Load == 0 && !trace):
		return bad.Field("load", "must be a number > 0, got %g", s.Load)
	case !(s.NetworkDelay >= 0) || math.IsInf(s.NetworkDelay, 0):
		return bad.Field("network_delay", "must be a number of time units >= 0, got %g", s.NetworkDelay)
	case !(s.ViewDelay >= 0) || math.IsInf(s.ViewDelay, 0):
		return bad.Field("view_delay", "must be a number of time units >= 0, got %g", s.ViewDelay)
	}
	speeds := s.Speeds
	if speeds == nil {
		speeds = s.WithDefaults().Speeds
	}
	if err := strategies.ValidateSpeeds(s.Servers, speeds, s.Weights); err != nil {
		return err
	}
	if !trace {
		// λ·E[S] = ρ·Σspeeds jobs per mean service time.
		c := Scenario{Servers: s.Servers, Speeds: speeds}
		if err := workloads.CheckRate(s.Load, c.Capacity()); err != nil {
			return err
		}
	}
	return validateFaults(s.Faults, s.Servers)
}

// Capacity is Σ speeds (the number of servers when no speeds are given).
func (s *Scenario) Capacity() float64 {
	if s.Speeds == nil {
		return float64(s.Servers)
	}
	c := 0.0
	for _, x := range s.Speeds {
		c += x
	}
	return c
}

// ArrivalRate is the arrival rate λ the scenario offers, in jobs per time
// unit: ρ·Σspeeds/E[S].
func (s *Scenario) ArrivalRate() float64 {
	mean := 1.0
	if s.Service != nil {
		mean = s.Service.Mean()
	}
	return s.Load * s.Capacity() / mean
}

// ResolveTrace settles the load of a trace-driven scenario: with Load 0 it
// sets Load to the trace's own load and returns a time scale of 1; with a
// Load > 0 it returns the factor that stretches the trace's time axis to
// that load. Without a trace it returns 1 and changes nothing.
func (s *Scenario) ResolveTrace() (timeScale float64) {
	if s.Arrival == nil || s.Arrival.Trace() == nil {
		return 1
	}
	tr := s.Arrival.Trace()
	traceLoad := tr.Rate() * tr.MeanSize() / s.Capacity()
	if s.Load > 0 {
		return traceLoad / s.Load
	}
	s.Load = traceLoad
	return 1
}

// PolicyConfig is what the policy is built from, without its random
// source.
func (s *Scenario) PolicyConfig() strategies.PolicyConfig {
	return strategies.PolicyConfig{
		Servers:     s.Servers,
		Speeds:      s.Speeds,
		Weights:     s.Weights,
		D:           s.D,
		Dispatchers: s.Dispatchers,
		Options:     s.PolicyOpts,
	}
}

// NewPolicy builds the scenario's policy for replication rep, drawing from
// its StreamPolicy.
func (s *Scenario) NewPolicy(rep int) (strategies.Policy, error) {
	pc := s.PolicyConfig()
	pc.Rand = rand.New(s.Source(rep, StreamPolicy))
	return strategies.NewPolicy(s.Policy, pc)
}

// Params returns the policy's settings a record carries (strategies'
// PolicyConfig.Params): the speeds unless all 1, the weights when given,
// the policy's own parameters with defaults filled in.
func (s *Scenario) Params() map[string]any {
	p := s.PolicyConfig().Params(s.Policy)
	s.AddFaultParams(p)
	if s.NetworkDelay != 0 {
		p["network_delay"] = s.NetworkDelay
	}
	if s.ViewDelay != 0 {
		p["view_delay"] = s.ViewDelay
	}
	return p
}

// NameParts returns the key-value pairs of the scenario's benchmark-style
// name: policy, servers and load always; then the service and arrival
// when not the defaults; then engine (an engine's own settings, such as the
// simulator's discipline, as key-value pairs); then the policy's
// parameters when set and the speeds unless all 1; then the faults, the
// network delay and the view delay (to 3 significant digits) when set.
func (s *Scenario) NameParts(engine ...any) []any {
	kv := []any{"policy", s.Policy, "servers", s.Servers, "load", s.Load}
	if s.Service != nil && s.Service.String() != "exp" {
		kv = append(kv, "service", s.Service.String())
	}
	if s.Arrival != nil && s.Arrival.String() != "poisson" {
		kv = append(kv, "arrival", s.Arrival.String())
	}
	kv = append(kv, engine...)
	kv = append(kv, s.PolicyConfig().NameParams(s.Policy)...)
	if !strategies.UniformSpeeds(s.Speeds) {
		kv = append(kv, "speeds", s.Speeds)
	}
	if len(s.Faults) > 0 {
		kv = append(kv, "faults", FaultsName(s.Faults))
	}
	if s.NetworkDelay != 0 {
		// A measured delay (a cluster run's round trip) has noise digits:
		// the name carries 3 significant ones, the params the exact value.
		kv = append(kv, "netdelay", strconv.FormatFloat(s.NetworkDelay, 'g', 3, 64))
	}
	if s.ViewDelay != 0 {
		kv = append(kv, "viewdelay", strconv.FormatFloat(s.ViewDelay, 'g', 3, 64))
	}
	return kv
}

// Name is the scenario's benchmark-style name (NameParts joined by
// metrics.Name).
func (s *Scenario) Name(engine ...any) string { return metrics.Name(s.NameParts(engine...)...) }
