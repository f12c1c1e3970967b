package strategies

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// leastReqDecl declares leastreq's parameters (its catalogue row's), named
// and defaulted as Envoy's least request load balancer
// (envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest:
// choice_count default 2, active_request_bias default 1.0; its
// slow_start_config, envoy.config.cluster.v3.Cluster.SlowStartConfig:
// slow_start_window, no default (slow start off unless set), aggression
// default 1.0, min_weight_percent default 10).
var leastReqDecl = []Param{
	{Name: "choices", Help: "choice_count: random servers compared when every weight is equal",
		Default: 2, Min: 1, Max: 1 << 20, Int: true, Source: "Envoy choice_count"},
	{Name: "bias", Help: "active_request_bias: with unequal weights, effective weight = weight/(active+1)^bias (0: weighted round robin)",
		Default: 1, Min: 0, Max: 100, Source: "Envoy active_request_bias"},
	{Name: "slow_start_window", Help: "slow_start_window in time units: a server back in service ramps its weight up over it (0: no slow start)",
		Default: 0, Min: 0, Max: 1e12, Source: "Envoy slow_start_window, off unless set"},
	{Name: "aggression", Help: "slow start's aggression: weight scaled by (t/window)^(1/aggression) (1: linear)",
		Default: 1, Min: 0, MinOpen: true, Max: 100, Source: "Envoy aggression"},
	{Name: "min_weight_percent", Help: "slow start's min_weight_percent: the least a returning server's weight is scaled to",
		Default: 10, Min: 0, Max: 100, Source: "Envoy min_weight_percent"},
}

// leastReqParams are leastreq's settings, read from its options
// (leastReqDecl).
type leastReqParams struct {
	Choices          int     // choice_count
	Bias             float64 // active_request_bias
	SlowStartWindow  float64 // in engine time units, 0: off
	Aggression       float64
	MinWeightPercent float64
}

// leastReqSettings reads leastreq's settings from o (defaults for those
// not set).
func leastReqSettings(o Options) leastReqParams {
	g := func(name string) float64 { return o.Get(leastReqDecl, name) }
	return leastReqParams{
		Choices: int(g("choices")), Bias: g("bias"), SlowStartWindow: g("slow_start_window"),
		Aggression: g("aggression"), MinWeightPercent: g("min_weight_percent"),
	}
}

// Health is an optional extension of View for engines whose servers can
// be out of service (a down fault), as a balancer's health checks see
// them. Policies that know it (leastreq, prequal) send nothing to a server
// out of service; the others do not ask, and what they send there is lost
// or refused as the engine says.
type Health interface {
	// UpSince returns the time server i last came back into service, 0
	// for a server in service since the start, or a negative number while
	// it is out of service.
	UpSince(i int) float64
}

// leastReqPolicy is Envoy's least request load balancer
// (https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers
// and .../slow_start):
//   - when every server's weight is equal, it samples Choices distinct
//     servers and picks the one with the fewest active requests (Load);
//     the sample order is random, so the first minimum is a random
//     tie-break;
//   - when weights differ (the weights given, else the speeds; or a server
//     in slow start), it schedules by earliest deadline first over the
//     servers in service, a server's deadline advancing by 1/effective
//     weight each time it is picked, with effective weight
//     weight·slowstart / (active + 1)^Bias computed at the pick, as Envoy
//     recomputes a host's weight when it re-enters the schedule;
//   - slow start scales the weight of a server that came back into service
//     (Health) within the last SlowStartWindow.
type leastReqPolicy struct {
	r       *rand.Rand
	p       leastReqParams
	weight  []float64
	equal   bool
	sample  []int
	cur     float64   // EDF's current time
	dl      []float64 // EDF deadline per server
	since   []float64 // UpSince seen at the last pick, to notice a return
	inSched []bool
	up      []int
}

func newLeastReq(cfg PolicyConfig) (Policy, error) {
	if err := checkOptions("leastreq", leastReqDecl, cfg.Options); err != nil {
		return nil, err
	}
	p := leastReqSettings(cfg.Options)
	w := cfg.Weights
	if w == nil {
		w = speedsOf(cfg)
	}
	equal := true
	for i, x := range w {
		if !(x > 0) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("policy leastreq: weight of server %d must be a positive number, got %g", i, x)
		}
		if x != w[0] {
			equal = false
		}
	}
	return &leastReqPolicy{
		r: cfg.Rand, p: p, weight: w, equal: equal,
		sample: make([]int, 0, min(p.Choices, cfg.Servers)),
		dl:     make([]float64, cfg.Servers), since: make([]float64, cfg.Servers),
		inSched: make([]bool, cfg.Servers),
	}, nil
}

// slowStart returns server i's slow-start factor at now given the time it
// came back (0: from the start, no slow start).
func (p *leastReqPolicy) slowStart(upSince, now float64) float64 {
	if p.p.SlowStartWindow == 0 || upSince <= 0 || now-upSince >= p.p.SlowStartWindow {
		return 1
	}
	t := max(now-upSince, math.SmallestNonzeroFloat64) / p.p.SlowStartWindow
	return max(p.p.MinWeightPercent/100, math.Pow(t, 1/p.p.Aggression))
}

func (p *leastReqPolicy) Pick(v View, _ Job) int {
	h, hasHealth := v.(Health)
	if !hasHealth {
		if p.equal {
			return p.leastOfSample(v, nil)
		}
		return p.edf(v, nil)
	}
	now := v.Now()
	slow := false
	for i := range v.Servers() {
		u := h.UpSince(i)
		if u != p.since[i] {
			p.since[i] = u
			p.inSched[i] = false // back (or gone): re-enter the schedule at now
		}
		if u > 0 && p.slowStart(u, now) < 1 {
			slow = true
		}
	}
	if p.equal && !slow {
		return p.leastOfSample(v, h)
	}
	return p.edf(v, h)
}

// leastOfSample samples Choices distinct servers in service and returns
// the one with the fewest active requests. With health known, down
// servers are left out of the sample by drawing among the servers in
// service; if none is, it falls back to any server.
func (p *leastReqPolicy) leastOfSample(v View, h Health) int {
	n := v.Servers()
	if h != nil {
		up := p.upServers(v, h)
		if len(up) == 0 {
			return p.r.IntN(n)
		}
		p.sample = SampleDistinct(p.r, len(up), p.p.Choices, p.sample)
		for k, j := range p.sample {
			p.sample[k] = up[j]
		}
	} else {
		p.sample = SampleDistinct(p.r, n, p.p.Choices, p.sample)
	}
	best, bl := p.sample[0], v.Load(p.sample[0])
	for _, s := range p.sample[1:] {
		if l := v.Load(s); l < bl {
			best, bl = s, l
		}
	}
	return best
}

// upServers lists the servers in service (a scratch slice).
func (p *leastReqPolicy) upServers(v View, h Health) []int {
	p.up = p.up[:0]
	for i := range v.Servers() {
		if h.UpSince(i) >= 0 {
			p.up = append(p.up, i)
		}
	}
	return p.up
}

// edf picks the server in service with the earliest deadline (the lowest
// index on ties) and advances its deadline by 1/effective weight.
func (p *leastReqPolicy) edf(v View, h Health) int {
	now := v.Now()
	best := -1
	for i := range v.Servers() {
		up := 0.0
		if h != nil {
			if up = h.UpSince(i); up < 0 {
				continue
			}
		}
		if !p.inSched[i] {
			p.inSched[i] = true
			p.dl[i] = p.cur + 1/p.effWeight(v, i, up, now)
		}
		if best < 0 || p.dl[i] < p.dl[best] {
			best = i
		}
	}
	if best < 0 {
		return p.r.IntN(v.Servers())
	}
	p.cur = p.dl[best]
	p.dl[best] = p.cur + 1/p.effWeight(v, best, up(h, best), now)
	return best
}

func up(h Health, i int) float64 {
	if h == nil {
		return 0
	}
	return h.UpSince(i)
}

// effWeight is weight·slowstart / (active + 1)^Bias.
func (p *leastReqPolicy) effWeight(v View, i int, upSince, now float64) float64 {
	w := p.weight[i] * p.slowStart(upSince, now)
	if p.p.Bias != 0 {
		w /= math.Pow(float64(v.Load(i)+1), p.p.Bias)
	}
	return w
}
