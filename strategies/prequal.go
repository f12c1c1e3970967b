package strategies

import (
	"math"
	"math/rand/v2"
	"slices"
)

// prequalDecl declares prequal's parameters (its catalogue row's), with
// the defaults of Wydrowski et al., "Load is not what you should balance:
// Introducing Prequal", NSDI 2024 (arXiv:2312.10172), from the design
// section's description of probing, the probe pool and the hot-cold
// lexicographic rule: r_probe = 3 probes a query, a pool of m = 16, r_remove
// = 1 removal a query, reuse slack δ = 1 in the budget
// b_reuse = 1 + δ/((1-m/n)·r_probe - r_remove), Q_RIF = 0.84. These are
// the paper's figures as the prequal-rs reimplementation reads them
// (crates/prequal-core/src/config.rs: "defaults follow the paper"; it
// lowers q_rif to 0.6 for its own simulations, we keep the paper's). The
// paper ages probes out after a time many request latencies long but
// gives no one figure: max_age is ours, 100 mean service times (prequal-rs
// takes 1s).
var prequalDecl = []Param{
	{Name: "probe_rate", Help: "r_probe: probes sent per query, to distinct random servers (fractional rates are spread over queries)",
		Default: 3, Min: 0, MinOpen: true, Max: 64, Source: "Prequal NSDI 2024: r_probe"},
	{Name: "pool", Help: "m: most probes the pool holds, one per server (the oldest leaves when full)",
		Default: 16, Min: 1, Max: 1024, Int: true, Source: "Prequal NSDI 2024: m"},
	{Name: "remove_rate", Help: "r_remove: probes removed per query, alternately the oldest and the worst",
		Default: 1, Min: 0, Max: 64, Source: "Prequal NSDI 2024: r_remove"},
	{Name: "reuse_delta", Help: "δ of the reuse budget 1 + δ/((1-m/n)·r_probe - r_remove): how many queries one probe may place",
		Default: 1, Min: 0, Max: 1e6, Source: "Prequal NSDI 2024: δ"},
	{Name: "q_rif", Help: "Q_RIF: a probe is hot when its requests in flight exceed this quantile of the pool's; 1: none hot (pure latency), 0: pure requests in flight",
		Default: 0.84, Min: 0, Max: 1, Source: "Prequal NSDI 2024: Q_RIF"},
	{Name: "max_age", Help: "probes and in-process latency samples older than this many time units are dropped",
		Default: 100, Min: 0, MinOpen: true, Max: 1e12, Source: "ours: the Prequal paper gives no figure"},
}

// prequalLatencyKeep is how many completions per server the in-process
// latency estimate keeps.
const prequalLatencyKeep = 16

// prequalParams are prequal's settings, read from its options
// (prequalDecl).
type prequalParams struct {
	ProbeRate  float64 // r_probe
	PoolSize   int     // m
	RemoveRate float64 // r_remove
	ReuseDelta float64 // δ
	QRIF       float64 // Q_RIF
	MaxAge     float64 // in engine time units
}

// prequalSettings reads prequal's settings from o (defaults for those not
// set).
func prequalSettings(o Options) prequalParams {
	g := func(name string) float64 { return o.Get(prequalDecl, name) }
	return prequalParams{
		ProbeRate: g("probe_rate"), PoolSize: int(g("pool")), RemoveRate: g("remove_rate"),
		ReuseDelta: g("reuse_delta"), QRIF: g("q_rif"), MaxAge: g("max_age"),
	}
}

// Prober is an optional extension of View for engines that can answer a
// probe as a Prequal server does: server i's requests in flight and its
// own estimate of the latency of a request sent to it now, in engine time
// units (latency < 0: no estimate). The prequal policy uses it when the
// view has it; otherwise it takes the requests in flight from Load and
// estimates latency itself from the completions it is told of (Observer):
// like the paper's server, the latency of a request at the server's current
// requests in flight r, as (r+1) times the median over the server's last 16
// completions not older than MaxAge of response time / (requests in flight
// at dispatch + 1). With one balancer, as in every engine here, the two
// agree on the requests in flight; the in-process latency is the
// balancer's view of the server, not the server's own.
type Prober interface {
	Probe(i int) (rif int, latency float64)
}

// AsyncProber is an optional extension of View for engines whose probes
// travel: a real balancer asks a server over the network. SendProbe asks
// server i for its requests in flight and latency estimate without
// waiting; the answer, if one comes in time, reaches the policy later
// through ProbeReceiver.ProbeAnswered, under the engine's usual
// serialization of policy calls. The engine bounds the probes' cost (a
// size limit and a timeout) and may drop a probe (one already in flight to
// the same server); a probe never delays a query and its failure never
// counts against the server. A policy that probes prefers AsyncProber to
// Prober when the view has both.
type AsyncProber interface {
	SendProbe(i int)
}

// ProbeReceiver is implemented by policies that send probes through an
// AsyncProber: ProbeAnswered hands them one answer, server's requests in
// flight and its latency estimate in engine time units (< 0: the server
// has none).
type ProbeReceiver interface {
	ProbeAnswered(v View, server, rif int, latency float64)
}

// UsesProbes reports whether p sends probes through an AsyncProber view.
func UsesProbes(p Policy) bool {
	_, ok := p.(ProbeReceiver)
	return ok
}

// probe is one probe response in the pool.
type probe struct {
	server  int
	at      float64 // when the response arrived
	rif     int     // requests in flight it reported, plus local uses
	latency float64 // latency estimate it reported
	uses    int     // reuses left
}

// prequalPolicy implements Prequal (NSDI 2024, see PrequalParams):
//   - each query triggers ProbeRate probes of distinct random servers,
//     sent after the query is placed, so that the query never waits for
//     them (asynchronous probing: a probe serves later queries);
//   - responses go into a pool of at most PoolSize probes, one per
//     server (a newer one replaces the older), the oldest leaving when
//     the pool is full; a probe ages out after MaxAge and is used at
//     most its reuse budget times (each use adds one to its requests in
//     flight, as the paper compensates for the query it just sent);
//   - each query removes RemoveRate probes, alternately the oldest and
//     the worst (the hot probe with most requests in flight, else the
//     slowest);
//   - the hot-cold lexicographic rule picks: a probe is hot when its
//     requests in flight exceed the QRIF quantile of the pool's; among
//     cold probes the lowest latency wins (then fewer requests in
//     flight), and if every probe is hot the fewest requests in flight
//     win (then lower latency);
//   - with fewer than two probes in the pool the query goes to a
//     uniformly random server.
type prequalPolicy struct {
	r        *rand.Rand
	p        prequalParams
	n        int
	capacity int
	budget   float64 // mean reuse budget
	pool     []probe
	probeAcc float64
	rmAcc    float64
	rmOldest bool
	targets  []int
	rifs     []int
	// in-process latency samples per server: a ring of the last
	// prequalLatencyKeep (time, latency) pairs
	lat    [][]latSample
	latPos []int
	sorted []float64
	// The median per server of the last call of latency, kept while the
	// samples it was taken over are the ones that count: no completion
	// since (medOK) and its oldest sample not yet too old (medOldest).
	// Time only moves forward, so a sample too old stays too old and the
	// median is the same as recomputed, bit for bit (naive: recompute
	// every time, for the test of the two).
	med       []float64
	medOldest []float64
	medOK     []bool
	naive     bool
	rifSent   map[uint64]int32 // requests in flight each outstanding job found at dispatch
}

// latSample is one completion: when, and its response time per request in
// flight it found at dispatch (itself included).
type latSample struct{ at, perRIF float64 }

func newPrequal(cfg PolicyConfig) (Policy, error) {
	if err := checkOptions("prequal", prequalDecl, cfg.Options); err != nil {
		return nil, err
	}
	p := prequalSettings(cfg.Options)
	capacity := min(p.PoolSize, cfg.Servers)
	// The paper's reuse budget, 1 + δ/((1-m/n)·r_probe - r_remove): the
	// number of uses that keeps the pool's inflow of probes equal to its
	// outflow. A denominator <= 0 (the pool holds every server, or removal
	// outpaces probing) leaves it undefined; we then allow PoolSize uses,
	// our bound.
	budget := float64(p.PoolSize)
	if den := (1-float64(capacity)/float64(cfg.Servers))*p.ProbeRate - p.RemoveRate; den > 0 {
		budget = min(max(1+p.ReuseDelta/den, 1), float64(p.PoolSize))
	}
	return &prequalPolicy{
		r: cfg.Rand, p: p, n: cfg.Servers, capacity: capacity, budget: budget,
		pool: make([]probe, 0, capacity+1), rmOldest: true,
		lat: make([][]latSample, cfg.Servers), latPos: make([]int, cfg.Servers),
		med: make([]float64, cfg.Servers), medOldest: make([]float64, cfg.Servers), medOK: make([]bool, cfg.Servers),
		rifSent: map[uint64]int32{},
	}, nil
}

// Pick places the query by the hot-cold rule over the pool, then removes
// probes and sends this query's probes.
func (p *prequalPolicy) Pick(v View, _ Job) int {
	now := v.Now()
	p.expire(now)
	h, hasHealth := v.(Health)
	if hasHealth {
		p.pool = slices.DeleteFunc(p.pool, func(e probe) bool { return h.UpSince(e.server) < 0 })
	}
	hot := p.threshold()
	var s int
	if i := p.selectProbe(hot); i >= 0 && len(p.pool) >= 2 {
		s = p.consume(i)
	} else {
		s = p.randomServer(v, h)
	}
	p.rmAcc += p.p.RemoveRate
	for ; p.rmAcc >= 1; p.rmAcc-- {
		if p.rmOldest {
			p.removeOldest()
		} else {
			p.removeWorst(hot)
		}
		p.rmOldest = !p.rmOldest
	}
	p.sendProbes(v, now)
	return s
}

// threshold returns the QRIF quantile of the pool's requests in flight
// (linear between order statistics), or +Inf for an empty pool: a probe is
// hot when its requests in flight exceed it.
func (p *prequalPolicy) threshold() float64 {
	if len(p.pool) == 0 {
		return math.Inf(1)
	}
	p.rifs = p.rifs[:0]
	for _, e := range p.pool {
		p.rifs = append(p.rifs, e.rif)
	}
	slices.Sort(p.rifs)
	pos := p.p.QRIF * float64(len(p.rifs)-1)
	k := int(pos)
	if k+1 >= len(p.rifs) {
		return float64(p.rifs[len(p.rifs)-1])
	}
	return float64(p.rifs[k]) + (pos-float64(k))*float64(p.rifs[k+1]-p.rifs[k])
}

// selectProbe applies the hot-cold lexicographic rule; -1 for an empty
// pool.
func (p *prequalPolicy) selectProbe(hot float64) int {
	cold, any := -1, -1
	for i, e := range p.pool {
		if float64(e.rif) <= hot {
			if cold < 0 || e.latency < p.pool[cold].latency ||
				(e.latency == p.pool[cold].latency && e.rif < p.pool[cold].rif) {
				cold = i
			}
		}
		if any < 0 || e.rif < p.pool[any].rif ||
			(e.rif == p.pool[any].rif && e.latency < p.pool[any].latency) {
			any = i
		}
	}
	if cold >= 0 {
		return cold
	}
	return any
}

// consume uses probe i once and returns its server.
func (p *prequalPolicy) consume(i int) int {
	e := &p.pool[i]
	// The query just sent will queue behind the ones the probe counted:
	// its latency estimate grows in proportion, as the in-process estimate
	// models it ((rif+1) × latency per request in flight). Without this a
	// low-latency probe would keep its lead over all its reuses and the
	// pool would herd onto one server until it turned hot.
	e.latency *= float64(e.rif+2) / float64(e.rif+1)
	e.rif++
	e.uses--
	s := e.server
	if e.uses <= 0 {
		p.remove(i)
	}
	return s
}

// remove deletes probe i, keeping the pool in arrival order.
func (p *prequalPolicy) remove(i int) { p.pool = slices.Delete(p.pool, i, i+1) }

func (p *prequalPolicy) removeOldest() {
	if len(p.pool) > 0 {
		p.remove(0)
	}
}

// removeWorst removes the hot probe with most requests in flight, or, if
// none is hot, the one with the highest latency.
func (p *prequalPolicy) removeWorst(hot float64) {
	worst := -1
	for i, e := range p.pool {
		if float64(e.rif) > hot && (worst < 0 || e.rif > p.pool[worst].rif) {
			worst = i
		}
	}
	if worst < 0 {
		for i, e := range p.pool {
			if worst < 0 || e.latency > p.pool[worst].latency {
				worst = i
			}
		}
	}
	if worst >= 0 {
		p.remove(worst)
	}
}

// expire removes the probes older than MaxAge (the pool is in arrival
// order).
func (p *prequalPolicy) expire(now float64) {
	k := 0
	for k < len(p.pool) && now-p.pool[k].at > p.p.MaxAge {
		k++
	}
	if k > 0 {
		p.pool = slices.Delete(p.pool, 0, k)
	}
}

// sendProbes probes ProbeRate distinct random servers (on average) and
// pools their answers.
func (p *prequalPolicy) sendProbes(v View, now float64) {
	p.probeAcc += p.p.ProbeRate
	k := int(p.probeAcc)
	p.probeAcc -= float64(k)
	if k == 0 {
		return
	}
	p.targets = SampleDistinct(p.r, v.Servers(), k, p.targets)
	if ap, ok := v.(AsyncProber); ok {
		for _, s := range p.targets {
			ap.SendProbe(s) // answered later, through ProbeAnswered
		}
		return
	}
	pr, hasProber := v.(Prober)
	h, hasHealth := v.(Health)
	for _, s := range p.targets {
		if hasHealth && h.UpSince(s) < 0 {
			continue // the probe fails: no answer
		}
		var rif int
		lat := -1.0
		if hasProber {
			rif, lat = pr.Probe(s)
		} else {
			rif = v.Load(s)
		}
		if lat < 0 {
			lat = p.latency(s, rif, now)
		}
		p.insert(probe{server: s, at: now, rif: rif, latency: lat, uses: p.reuses()})
	}
}

// ProbeAnswered pools the answer to a probe sent through an AsyncProber
// view: server's requests in flight and its latency estimate in engine
// time units (< 0: none, and the in-process estimate stands in), as of
// now.
func (p *prequalPolicy) ProbeAnswered(v View, server, rif int, latency float64) {
	if server < 0 || server >= p.n || rif < 0 {
		return
	}
	now := v.Now()
	if !(latency >= 0) || math.IsInf(latency, 0) {
		latency = p.latency(server, rif, now)
	}
	p.insert(probe{server: server, at: now, rif: rif, latency: latency, uses: p.reuses()})
}

// randomServer returns a uniformly random server, in service when the
// engine says which are (any server when none is).
func (p *prequalPolicy) randomServer(v View, h Health) int {
	n := v.Servers()
	if h == nil {
		return p.r.IntN(n)
	}
	up := 0
	for i := range n {
		if h.UpSince(i) >= 0 {
			up++
		}
	}
	if up == 0 {
		return p.r.IntN(n)
	}
	k := p.r.IntN(up)
	for i := range n {
		if h.UpSince(i) >= 0 {
			if k == 0 {
				return i
			}
			k--
		}
	}
	return p.r.IntN(n)
}

// reuses draws a probe's reuse budget: the mean budget rounded up or down
// at random so that its mean is kept.
func (p *prequalPolicy) reuses() int {
	whole := math.Floor(p.budget)
	n := int(whole)
	if frac := p.budget - whole; frac > 0 && p.r.Float64() < frac {
		n++
	}
	return max(n, 1)
}

// insert pools e, replacing an older probe of the same server and
// dropping the oldest when the pool is full.
func (p *prequalPolicy) insert(e probe) {
	if i := slices.IndexFunc(p.pool, func(x probe) bool { return x.server == e.server }); i >= 0 {
		p.remove(i)
	}
	p.pool = append(p.pool, e)
	if len(p.pool) > p.capacity {
		p.remove(0)
	}
}

// latency is the in-process estimate of the latency of a request sent to
// server s with rif requests in flight: (rif+1) times the median response
// time per request in flight of its recent completions not older than
// MaxAge; 0 (optimistic, so that the server is tried again) when there are
// none.
func (p *prequalPolicy) latency(s, rif int, now float64) float64 {
	if p.medOK[s] && !p.naive && now-p.medOldest[s] <= p.p.MaxAge {
		return float64(rif+1) * p.med[s]
	}
	p.sorted = p.sorted[:0]
	oldest := math.Inf(1)
	for _, x := range p.lat[s] {
		if now-x.at <= p.p.MaxAge {
			p.sorted = append(p.sorted, x.perRIF)
			oldest = min(oldest, x.at)
		}
	}
	med := 0.0 // none: optimistic, so that the server is tried again
	if m := len(p.sorted); m > 0 {
		slices.Sort(p.sorted)
		med = p.sorted[m/2]
		if m%2 == 0 {
			med = (p.sorted[m/2-1] + p.sorted[m/2]) / 2
		}
	}
	// With no sample the cache holds until the next completion (oldest
	// +Inf: now - Inf <= MaxAge always).
	p.med[s], p.medOldest[s], p.medOK[s] = med, oldest, true
	return float64(rif+1) * med
}

// Dispatched notes the requests in flight the job found (itself
// included).
func (p *prequalPolicy) Dispatched(v View, server int, j Job) {
	p.rifSent[j.ID] = int32(max(v.Load(server), 1))
}

// Completed records the response time per request in flight for the
// in-process latency estimate.
func (p *prequalPolicy) Completed(v View, server int, j Job, latency float64) {
	k, ok := p.rifSent[j.ID]
	if !ok {
		k = 1
	}
	delete(p.rifSent, j.ID)
	p.medOK[server] = false
	x := latSample{v.Now(), latency / float64(k)}
	if len(p.lat[server]) < prequalLatencyKeep {
		p.lat[server] = append(p.lat[server], x)
		return
	}
	p.lat[server][p.latPos[server]] = x
	p.latPos[server] = (p.latPos[server] + 1) % prequalLatencyKeep
}
