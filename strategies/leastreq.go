package strategies

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// LeastReqParams are leastreq's settings, named as Envoy's least request
// load balancer names them (envoy.load_balancing_policies.least_request:
// choice_count, active_request_bias, slow_start_config).
type LeastReqParams struct {
	// Choices is choice_count: how many random servers are compared when
	// every weight is equal (Envoy's default 2).
	Choices int
	// Bias is active_request_bias: with unequal weights a server's
	// effective weight is weight / (active + 1)^Bias (Envoy's default 1;
	// 0 is weighted round robin that ignores load).
	Bias float64
	// SlowStartWindow is slow_start_window in engine time units: a server
	// that comes back into service has its weight scaled by
	// max(MinWeightPercent/100, (t/window)^(1/Aggression)) for the first
	// window after it returns; 0 turns slow start off (Envoy's default:
	// none unless configured).
	SlowStartWindow float64
	// Aggression is slow start's aggression (Envoy's default 1: a linear
	// ramp).
	Aggression float64
	// MinWeightPercent is slow start's min_weight_percent (Envoy's default
	// 10).
	MinWeightPercent float64
}

// DefaultLeastReqParams returns Envoy's defaults, slow start off.
func DefaultLeastReqParams() LeastReqParams {
	return LeastReqParams{Choices: 2, Bias: 1, Aggression: 1, MinWeightPercent: 10}
}

// Validate reports the first out-of-range setting, naming it and its
// allowed range.
func (p LeastReqParams) Validate() error {
	switch {
	case p.Choices < 1 || p.Choices > 1<<20:
		return fmt.Errorf("leastreq choices must be in [1, %d], got %d", 1<<20, p.Choices)
	case !(p.Bias >= 0 && p.Bias <= 100):
		return fmt.Errorf("leastreq bias must be in [0, 100], got %g", p.Bias)
	case !(p.SlowStartWindow >= 0) || math.IsInf(p.SlowStartWindow, 0):
		return fmt.Errorf("leastreq slow start window must be a number >= 0, got %g", p.SlowStartWindow)
	case !(p.Aggression > 0 && p.Aggression <= 100):
		return fmt.Errorf("leastreq aggression must be in (0, 100], got %g", p.Aggression)
	case !(p.MinWeightPercent >= 0 && p.MinWeightPercent <= 100):
		return fmt.Errorf("leastreq min weight percent must be in [0, 100], got %g", p.MinWeightPercent)
	}
	return nil
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
	p       LeastReqParams
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
	p := DefaultLeastReqParams()
	if cfg.LeastReq != nil {
		p = *cfg.LeastReq
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("policy leastreq: %w", err)
	}
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

// leastReqParams records leastreq's settings when they are not the
// defaults.
func leastReqParams(c PolicyConfig) (map[string]any, []any) {
	if c.LeastReq == nil || *c.LeastReq == DefaultLeastReqParams() {
		return nil, nil
	}
	x := *c.LeastReq
	return map[string]any{"leastreq": map[string]any{"choices": x.Choices, "bias": x.Bias, "slow_start_window": x.SlowStartWindow,
		"aggression": x.Aggression, "min_weight_percent": x.MinWeightPercent}}, nil
}
