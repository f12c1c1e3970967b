package strategies

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Prequal's parameters and their defaults, from Wydrowski et al., "Load is
// not what you should balance: Introducing Prequal", NSDI 2024
// (arXiv:2312.10172): three probes a query, a pool of 16, one removal a
// query, reuse slack δ = 1, hot above the 0.84 quantile of requests in
// flight (the figures as the prequal-rs reimplementation reads the paper;
// MaxAge is ours, see PrequalParams).
const (
	PrequalProbeRate   = 3.0
	PrequalPoolSize    = 16
	PrequalRemoveRate  = 1.0
	PrequalReuseDelta  = 1.0
	PrequalQRIF        = 0.84
	PrequalMaxAge      = 100.0
	prequalLatencyKeep = 16
)

// PrequalParams are prequal's settings (DefaultPrequalParams: the
// paper's).
type PrequalParams struct {
	// ProbeRate is the mean number of probes sent per query (r_probe);
	// fractional rates are spread over queries.
	ProbeRate float64
	// PoolSize is the most probes the pool holds (m), at most one per
	// server.
	PoolSize int
	// RemoveRate is the number of probes removed per query (r_remove),
	// alternately the oldest and the worst.
	RemoveRate float64
	// ReuseDelta is δ of the reuse budget 1 + δ/((1-m/n)·r_probe - r_remove).
	ReuseDelta float64
	// QRIF is the quantile of the pool's requests in flight above which a
	// probe is hot.
	QRIF float64
	// MaxAge is how long, in engine time units, a probe stays in the pool
	// and a latency sample counts toward a server's estimate. Our default,
	// 100 mean service times: the paper ages probes out after a time that
	// is many request latencies long but we found no one figure for it.
	MaxAge float64
}

// DefaultPrequalParams returns the paper's settings.
func DefaultPrequalParams() PrequalParams {
	return PrequalParams{
		ProbeRate: PrequalProbeRate, PoolSize: PrequalPoolSize, RemoveRate: PrequalRemoveRate,
		ReuseDelta: PrequalReuseDelta, QRIF: PrequalQRIF, MaxAge: PrequalMaxAge,
	}
}

// Validate reports the first out-of-range setting, naming it and its
// allowed range.
func (p PrequalParams) Validate() error {
	switch {
	case !(p.ProbeRate > 0 && p.ProbeRate <= 64):
		return fmt.Errorf("prequal probe rate must be in (0, 64], got %g", p.ProbeRate)
	case p.PoolSize < 1 || p.PoolSize > 1024:
		return fmt.Errorf("prequal pool size must be in [1, 1024], got %d", p.PoolSize)
	case !(p.RemoveRate >= 0 && p.RemoveRate <= 64):
		return fmt.Errorf("prequal remove rate must be in [0, 64], got %g", p.RemoveRate)
	case !(p.ReuseDelta >= 0 && p.ReuseDelta <= 1e6):
		return fmt.Errorf("prequal reuse delta must be in [0, 1e6], got %g", p.ReuseDelta)
	case !(p.QRIF > 0 && p.QRIF <= 1):
		return fmt.Errorf("prequal q_rif must be in (0, 1], got %g", p.QRIF)
	case !(p.MaxAge > 0) || math.IsInf(p.MaxAge, 0):
		return fmt.Errorf("prequal max age must be a positive number, got %g", p.MaxAge)
	}
	return nil
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
	p        PrequalParams
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
	lat     [][]latSample
	latPos  []int
	sorted  []float64
	rifSent map[uint64]int32 // requests in flight each outstanding job found at dispatch
}

// latSample is one completion: when, and its response time per request in
// flight it found at dispatch (itself included).
type latSample struct{ at, perRIF float64 }

func newPrequal(cfg PolicyConfig) (Policy, error) {
	p := DefaultPrequalParams()
	if cfg.Prequal != nil {
		p = *cfg.Prequal
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("policy prequal: %w", err)
	}
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
	p.sorted = p.sorted[:0]
	for _, x := range p.lat[s] {
		if now-x.at <= p.p.MaxAge {
			p.sorted = append(p.sorted, x.perRIF)
		}
	}
	if len(p.sorted) == 0 {
		return 0
	}
	slices.Sort(p.sorted)
	m := len(p.sorted)
	med := p.sorted[m/2]
	if m%2 == 0 {
		med = (p.sorted[m/2-1] + p.sorted[m/2]) / 2
	}
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
	x := latSample{v.Now(), latency / float64(k)}
	if len(p.lat[server]) < prequalLatencyKeep {
		p.lat[server] = append(p.lat[server], x)
		return
	}
	p.lat[server][p.latPos[server]] = x
	p.latPos[server] = (p.latPos[server] + 1) % prequalLatencyKeep
}

// prequalParams records prequal's settings when they are not the defaults.
func prequalParams(c PolicyConfig) (map[string]any, []any) {
	if c.Prequal == nil || *c.Prequal == DefaultPrequalParams() {
		return nil, nil
	}
	x := *c.Prequal
	return map[string]any{"prequal": map[string]any{"probe_rate": x.ProbeRate, "pool": x.PoolSize, "remove_rate": x.RemoveRate,
		"reuse_delta": x.ReuseDelta, "q_rif": x.QRIF, "max_age": x.MaxAge}}, nil
}
