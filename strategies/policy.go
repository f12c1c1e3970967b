// Package strategies holds the interchangeable algorithms that stratbench
// compares: dispatch policies (where does the next job go?), schedules (how
// is a loop split across workers?) and executors (how does work reach the
// cores?). It is pure Go with no I/O and knows nothing of the engines that
// run it: the simulator and the real harness both drive the same code.
//
// # Policies
//
// A Policy sees the cluster only through a View: the number of servers, the
// jobs present at each server (waiting plus in service), each server's
// relative speed, the unfinished work at each server, and the current time.
// It draws randomness only from the seeded source it was built with. If it
// also implements Observer it is told of every dispatch and completion. The
// simulator and the harness both implement View; a policy cannot tell them
// apart.
//
// Load is defined precisely as jobs present at a server: waiting plus in
// service, counted from the moment of dispatch to the moment of completion.
//
// Policies are not safe for concurrent use: an engine with several
// goroutines serializes its calls to Pick, Dispatched and Completed.
package strategies

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
)

// View is what a policy may see of the cluster at the moment it decides.
type View interface {
	// Servers is the number of servers, numbered 0..Servers()-1.
	Servers() int
	// Load is the number of jobs present at server i: waiting + in service.
	Load(i int) int
	// Speed is server i's relative speed (capacity), 1 for a standard server.
	Speed(i int) float64
	// Work is the unfinished work at server i in service-time units at
	// speed 1 (exact in the simulator, the sum of known task sizes in the
	// harness).
	Work(i int) float64
	// Now is the current time in the engine's time units.
	Now() float64
}

// LoadIndex is an optional extension of View, for engines that keep their
// servers indexed by load: jsq (and sed when every speed is equal) then
// choose in O(log N) instead of reading every server's load, with the same
// result and the same random draws. Its answers must agree with Load.
// Engines keep an index only for policies that use it (UsesLoadIndex): it
// costs time at every dispatch and completion.
type LoadIndex interface {
	// MinLoad returns the smallest load of any server and the number of
	// servers that have it.
	MinLoad() (load, count int)
	// NthMinLoaded returns the k-th server, from 0 in index order, among
	// those whose load is the smallest.
	NthMinLoaded(k int) int
}

// IdleLeastWork is an optional extension of LoadIndex for lwl: an engine
// that knows when the servers with the least work left are exactly the
// idle ones (work 0) says so, and lwl then picks among the idle servers
// through the index instead of reading every server's work.
type IdleLeastWork interface {
	LoadIndex
	// IdleLeastWork reports whether the servers whose Work is smallest are
	// exactly those with Load 0: some server is idle and every busy one
	// has work left.
	IdleLeastWork() bool
}

// UsesLoadIndex reports whether p chooses faster given a View that
// implements LoadIndex.
func UsesLoadIndex(p Policy) bool {
	switch p.(type) {
	case *jsqPolicy, *sedPolicy, *lwlPolicy:
		return true
	}
	return false
}

// ReadsWork reports whether p may read View.Work, so that an engine can
// skip keeping each server's work for a policy that never asks: of the
// catalogue only lwl reads it, and a policy not listed here is assumed to.
func ReadsWork(p Policy) bool {
	switch p.(type) {
	case *randomPolicy, *rrPolicy, *wrrPolicy, *jsqPolicy, *podPolicy, *jiqPolicy, *sedPolicy,
		*ewmaPolicy, *centralPolicy, *hashPolicy, *maglevPolicy, *leastReqPolicy, *prequalPolicy:
		return false
	}
	return true
}

// Job is what a policy knows of the job it places.
type Job struct {
	// ID numbers jobs in arrival order from 0.
	ID uint64
	// Key is the job's affinity key (for consistent hashing); uniformly
	// random unless the workload says otherwise.
	Key uint64
	// Size is the job's service requirement at speed 1, when known.
	Size float64
}

// Hold is returned by Pick to put the job in the engine's shared FIFO queue,
// from which the next server to become idle takes it (the central-queue
// model: M/M/c, a worker pool on one channel).
const Hold = -1

// Policy decides where each job goes.
type Policy interface {
	// Pick returns the server in [0, v.Servers()) that receives job j, or
	// Hold to queue it centrally.
	Pick(v View, j Job) int
}

// Observer is implemented by policies that learn from the cluster's
// evolution. Engines call Dispatched right after the job is counted at its
// server, and Completed right after it leaves (the load already decremented),
// with its response time in engine time units.
type Observer interface {
	Dispatched(v View, server int, j Job)
	Completed(v View, server int, j Job, latency float64)
}

// PolicyConfig holds what a policy needs to be built.
type PolicyConfig struct {
	// Servers is the number of servers (> 0).
	Servers int
	// Speeds are the relative server speeds; nil means all 1.
	Speeds []float64
	// Weights override Speeds for weighted policies (wrr); nil means use Speeds.
	Weights []float64
	// D is the number of choices of pod (default 2).
	D int
	// Dispatchers is the number of dispatchers of jiq (default 1).
	Dispatchers int
	// VirtualNodes is the number of ring points per server for hash (default 100).
	VirtualNodes int
	// Options are the settings of the policy's declared parameters
	// (PolicyInfo.Params); nil or a parameter left out: its default.
	Options Options
	// Rand is the policy's seeded random source; required.
	Rand *rand.Rand
}

// PolicyInfo is one row of the policy catalog.
type PolicyInfo struct {
	// Name is the policy's name as every engine, flag and record writes it.
	Name string
	// Help is one line saying what the policy does.
	Help string
	// New builds the policy.
	New func(PolicyConfig) (Policy, error)
	// Bound marks a reference bound rather than a policy a balancer can
	// deploy: central (one shared queue, the M/M/c ideal) and lwl (it needs
	// each server's exact remaining work). Rankings and verdicts are among
	// deployable policies; a bound is shown beside them as the best any
	// dispatcher could do.
	Bound bool
	// Params declares the policy's parameters, each with its default, its
	// range and its source: the one place they are written. The policy
	// reads PolicyConfig.Options through them; flags (--policy-opt
	// POLICY.PARAM=VALUE), suite keys (POLICY.PARAM), records, names and
	// `stratbench list policies` take them from here.
	Params []Param
	// Record, when set, returns the policy's settings held outside
	// Options (pod's d, jiq's dispatchers): those a record carries (with
	// the defaults filled in, as the policy uses them) and those a case's
	// name carries (only the ones set to other than their default, as
	// key-value pairs).
	Record func(PolicyConfig) (record map[string]any, name []any)
	// Theory, when set, says which closed form of queueing theory predicts
	// the policy's mean response (package sim/theory computes it).
	Theory func(PolicyConfig) Theory
	// Nginx, HAProxy and Caddy, when set, say how open-source nginx,
	// HAProxy and Caddy come closest to the policy given pod's d; without
	// them the nearest is least connections, not an equivalent. Caddy's
	// Directive is the JSON of its reverse proxy's selection_policy.
	Nginx, HAProxy, Caddy func(d int) External
}

// Theory is the closed form of queueing theory that applies to a policy,
// for Poisson arrivals on servers of equal speed.
type Theory struct {
	Family TheoryFamily
	// D is the number of choices of TheoryPowerOfD.
	D int
}

// TheoryFamily names a family of closed forms (Theory).
type TheoryFamily string

// The families of closed forms.
const (
	// TheorySplit: each server sees an independent Poisson share of the
	// arrivals, an M/G/1 queue (FIFO or PS) of its own: exact.
	TheorySplit TheoryFamily = "split"
	// TheorySharedQueue: one FIFO queue shared by all servers, served in
	// FIFO order whatever the servers' discipline: M/M/c exactly for
	// exponential sizes.
	TheorySharedQueue TheoryFamily = "shared queue"
	// TheoryLikeSharedQueue: every job starts exactly when it would with
	// a shared FIFO queue: M/M/c exactly for exponential sizes, FIFO.
	TheoryLikeSharedQueue TheoryFamily = "like a shared queue"
	// TheoryPowerOfD: the mean-field limit of d choices, exponential sizes:
	// approximate.
	TheoryPowerOfD TheoryFamily = "power of d"
	// TheoryMMcBound: M/M/c is a lower bound of the mean response
	// (exponential sizes).
	TheoryMMcBound TheoryFamily = "M/M/c bound"
)

// theoryOf is a Theory func for a family without parameters.
func theoryOf(f TheoryFamily) func(PolicyConfig) Theory {
	return func(PolicyConfig) Theory { return Theory{Family: f} }
}

// PolicyTheory returns the closed form that applies to the named policy
// built from c; its Family is "" when there is none.
func PolicyTheory(name string, c PolicyConfig) Theory {
	if row, ok := LookupPolicy(name); ok && row.Theory != nil {
		return row.Theory(c)
	}
	return Theory{}
}

// External is how an external balancer comes closest to a policy.
type External struct {
	// Directive is the balancer's configuration line(s) for the policy.
	Directive string
	// Exact is false when the balancer has no equivalent and Directive is
	// the nearest family (for example least connections for ewma).
	Exact bool
	// Note explains an inexact mapping.
	Note string
}

// Deployable reports whether a real balancer can run the policy (it is
// not a reference bound).
func (p PolicyInfo) Deployable() bool { return !p.Bound }

// Policies is the catalog of dispatch policies, in the order `stratbench
// list policies` shows them.
var Policies = []PolicyInfo{
	{Name: "random", Help: "uniformly random server", New: newRandom,
		Theory: theoryOf(TheorySplit), Nginx: nginxRandom, HAProxy: haproxyRandom, Caddy: caddyRandom},
	{Name: "rr", Help: "round robin: servers in turn", New: newRR,
		Theory: theoryOf(TheoryMMcBound), Nginx: nginxRR, HAProxy: haproxyRR, Caddy: caddyRR},
	{Name: "wrr", Help: "smooth weighted round robin, nginx's algorithm (weights from --weights or the speeds)", New: newWRR,
		Theory: theoryOf(TheoryMMcBound), Nginx: nginxRR, HAProxy: haproxyRR, Caddy: caddyRR},
	{Name: "jsq", Help: "join the shortest queue = least connections: fewest jobs present, random tie-break", New: newJSQ,
		Theory: theoryOf(TheoryMMcBound), Nginx: nginxJSQ, HAProxy: haproxyJSQ, Caddy: caddyJSQ},
	{Name: "pod", Help: "power of d choices: sample d distinct servers (--d), pick the least loaded", New: newPoD,
		Record: podParams, Theory: podTheory, Nginx: nginxPoD, HAProxy: haproxyPoD, Caddy: caddyPoD},
	{Name: "p2c", Help: "power of two choices: pod with d=2", New: newP2C,
		Theory: p2cTheory, Nginx: nginxP2C, HAProxy: haproxyP2C, Caddy: caddyP2C},
	{Name: "jiq", Help: "join the idle queue: dispatchers (--dispatchers) keep idle lists; random server if none idle", New: newJIQ,
		Record: jiqParams, Theory: theoryOf(TheoryMMcBound)},
	{Name: "lwl", Help: "least work left: the server that will finish its current work first", New: newLWL, Bound: true,
		Theory: theoryOf(TheoryLikeSharedQueue)},
	{Name: "sed", Help: "shortest expected delay: least (jobs+1)/speed", New: newSED,
		Theory: theoryOf(TheoryMMcBound), Nginx: nginxSED, HAProxy: haproxySED, Caddy: caddySED},
	{Name: "ewma", Help: "peak-EWMA latency x (outstanding+1), as Finagle and Linkerd do", New: newEWMA,
		Theory: theoryOf(TheoryMMcBound)},
	{Name: "hash", Help: "consistent hashing of the job key on a ring with virtual nodes", New: newHash,
		Theory: theoryOf(TheoryMMcBound), Nginx: nginxHash(true), HAProxy: haproxyHash(true), Caddy: caddyHash},
	{Name: "maglev", Help: "consistent hashing of the job key with Google's Maglev lookup table", New: newMaglev,
		Theory: theoryOf(TheoryMMcBound), Nginx: nginxHash(false), HAProxy: haproxyHash(false), Caddy: caddyHash},
	{Name: "central", Help: "one shared FIFO for all servers: the M/M/c ideal, a worker pool on one channel", New: newCentral, Bound: true,
		Theory: theoryOf(TheorySharedQueue)},
	{Name: "leastreq", Help: "Envoy's least request: fewest active of 2 random; with unequal weights EDF on weight/(active+1)^bias; slow start for a server that returns", New: newLeastReq,
		Params: leastReqDecl},
	{Name: "prequal", Help: "Google's Prequal (NSDI 2024): asynchronous probes of random servers (3 a query), a reused and aged pool, hot-cold rule on requests in flight and latency; our balancer probes the workers' load endpoint", New: newPrequal,
		Params: prequalDecl},
}

// LookupPolicy returns the catalog row of the named policy.
func LookupPolicy(name string) (PolicyInfo, bool) {
	i := slices.IndexFunc(Policies, func(p PolicyInfo) bool { return p.Name == name })
	if i < 0 {
		return PolicyInfo{}, false
	}
	return Policies[i], true
}

// IsBound reports whether the named policy is a reference bound (see
// PolicyInfo.Bound); false for an unknown name.
func IsBound(name string) bool {
	p, ok := LookupPolicy(name)
	return ok && p.Bound
}

// PolicyNames lists the catalog's names.
func PolicyNames() []string {
	names := make([]string, len(Policies))
	for i, p := range Policies {
		names[i] = p.Name
	}
	return names
}

// NewPolicy builds the named policy. An unknown name is an error that lists
// the known ones.
func NewPolicy(name string, cfg PolicyConfig) (Policy, error) {
	row, ok := LookupPolicy(name)
	if !ok {
		return nil, ValidatePolicy(name)
	}
	if cfg.Servers <= 0 {
		return nil, fmt.Errorf("policy %s: servers must be > 0, got %d", name, cfg.Servers)
	}
	if cfg.Speeds != nil && len(cfg.Speeds) != cfg.Servers {
		return nil, fmt.Errorf("policy %s: %d speeds for %d servers", name, len(cfg.Speeds), cfg.Servers)
	}
	if cfg.Weights != nil && len(cfg.Weights) != cfg.Servers {
		return nil, fmt.Errorf("policy %s: %d weights for %d servers", name, len(cfg.Weights), cfg.Servers)
	}
	if cfg.Rand == nil {
		return nil, fmt.Errorf("policy %s: no random source", name)
	}
	if err := ValidateOptions(name, cfg.Options); err != nil {
		return nil, err
	}
	return row.New(cfg)
}

// ValidatePolicy reports an unknown policy name with the known ones, or
// returns nil.
func ValidatePolicy(name string) error {
	if slices.Contains(PolicyNames(), name) {
		return nil
	}
	return fmt.Errorf("unknown policy %q (known: %s)", name, strings.Join(PolicyNames(), ", "))
}

// ValidateSpeeds reports the first problem of the speeds and weights of a
// cluster of servers, or returns nil: an engine needs one speed a server,
// each a positive finite number, and weights, when given, one a server.
func ValidateSpeeds(servers int, speeds, weights []float64) error {
	switch {
	case len(speeds) != servers:
		return fmt.Errorf("%d speeds given for %d servers", len(speeds), servers)
	case weights != nil && len(weights) != servers:
		return fmt.Errorf("%d weights given for %d servers", len(weights), servers)
	}
	for i, s := range speeds {
		if !(s >= MinSpeed && s <= MaxSpeed) {
			return fmt.Errorf("speed of server %d must be a number in [%g, %g], got %g", i, MinSpeed, MaxSpeed, s)
		}
	}
	for i, w := range weights {
		if !(w >= MinWeight && w <= MaxWeight) {
			return fmt.Errorf("weight of server %d must be a number in [%g, %g], got %g", i, MinWeight, MaxWeight, w)
		}
	}
	return nil
}

// Bounds of relative server speeds: a wider spread would make the fastest
// server's events crowd out the slowest's by more than floating point and
// run time can follow.
const (
	MinSpeed = 1e-6
	MaxSpeed = 1e6
)

// Bounds of wrr weights: within them the sum of 2^24 weights stays finite
// and exact enough for smooth round robin (weights of 1e308 summed to +Inf
// and sent every job to server 0).
const (
	MinWeight = 1e-9
	MaxWeight = 1e9
)

// UniformSpeeds reports whether every speed is 1 (true for none).
func UniformSpeeds(speeds []float64) bool {
	for _, s := range speeds {
		if s != 1 {
			return false
		}
	}
	return true
}

// Params returns the settings of policy name built from c that a result
// records, so that every engine names them alike: the speeds unless all
// are 1, the weights when given, and the policy's own settings as it uses
// them (its row's Params).
func (c PolicyConfig) Params(name string) map[string]any {
	p := map[string]any{}
	if !UniformSpeeds(c.Speeds) {
		p["speeds"] = c.Speeds
	}
	if c.Weights != nil {
		p["weights"] = c.Weights
	}
	if row, ok := LookupPolicy(name); ok {
		if row.Record != nil {
			rec, _ := row.Record(c)
			maps.Copy(p, rec)
		}
		rec, _ := optionParams(&row, c)
		maps.Copy(p, rec)
	}
	return p
}

// NameParams returns the settings of policy name built from c that a
// case's name carries: those set to other than their default, as
// key-value pairs.
func (c PolicyConfig) NameParams(name string) []any {
	row, ok := LookupPolicy(name)
	if !ok {
		return nil
	}
	var kv []any
	if row.Record != nil {
		_, kv = row.Record(c)
	}
	_, opts := optionParams(&row, c)
	return append(kv, opts...)
}
