package strategies

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// speedsOf returns cfg's speeds, or all ones.
func speedsOf(cfg PolicyConfig) []float64 {
	if cfg.Speeds != nil {
		return cfg.Speeds
	}
	s := make([]float64, cfg.Servers)
	for i := range s {
		s[i] = 1
	}
	return s
}

// ---- random ----

type randomPolicy struct{ r *rand.Rand }

func newRandom(cfg PolicyConfig) (Policy, error) { return &randomPolicy{cfg.Rand}, nil }

func (p *randomPolicy) Pick(v View, _ Job) int { return p.r.IntN(v.Servers()) }

// ---- rr ----

type rrPolicy struct{ next int }

func newRR(PolicyConfig) (Policy, error) { return &rrPolicy{}, nil }

func (p *rrPolicy) Pick(v View, _ Job) int {
	i := p.next % v.Servers()
	p.next = i + 1
	return i
}

// ---- wrr: smooth weighted round robin (nginx) ----

type wrrPolicy struct {
	weights []float64
	current []float64
	total   float64
}

func newWRR(cfg PolicyConfig) (Policy, error) {
	w := cfg.Weights
	if w == nil {
		w = speedsOf(cfg)
	}
	p := &wrrPolicy{weights: w, current: make([]float64, len(w))}
	for i, x := range w {
		if !(x >= MinWeight && x <= MaxWeight) {
			return nil, fmt.Errorf("policy wrr: weight of server %d must be a number in [%g, %g], got %g", i, MinWeight, MaxWeight, x)
		}
		p.total += x
	}
	return p, nil
}

// Pick adds each server's weight to its current value, picks the largest
// current value (the first on ties) and subtracts the total from it: over
// any window of sum(weights) picks each server is chosen weight times, and
// picks of heavy servers are spread out rather than bunched.
func (p *wrrPolicy) Pick(View, Job) int {
	best := 0
	for i, w := range p.weights {
		p.current[i] += w
		if p.current[i] > p.current[best] {
			best = i
		}
	}
	p.current[best] -= p.total
	return best
}

// ---- helpers for argmin with uniformly random tie-break ----

// scores is a scratch buffer of one score per server. A policy reads the
// view once per server into it, so that its two passes (find the minimum,
// then pick among ties) see the same values even when the view changes as
// it is read (the harness's work left shrinks with the clock, the
// balancer's counters move under other requests).
type scores []float64

// fill reads score(i) for every server of v into the buffer.
func (s *scores) fill(v View, score func(i int) float64) []float64 {
	n := v.Servers()
	if cap(*s) < n {
		*s = make([]float64, n)
	}
	*s = (*s)[:n]
	for i := range n {
		(*s)[i] = score(i)
	}
	return *s
}

// argmin returns the index of the smallest score, chosen uniformly among
// ties with a single random draw (none when there is no tie).
func argmin(xs []float64, r *rand.Rand) int {
	best := math.Inf(1)
	first, ties := 0, 0
	for i, x := range xs {
		switch {
		case x < best:
			best, first, ties = x, i, 1
		case x == best:
			ties++
		}
	}
	if ties <= 1 {
		return first
	}
	k := r.IntN(ties)
	for i := first; i < len(xs); i++ {
		if xs[i] == best {
			if k == 0 {
				return i
			}
			k--
		}
	}
	return first
}

// ---- jsq ----

type jsqPolicy struct {
	r   *rand.Rand
	buf scores
}

func newJSQ(cfg PolicyConfig) (Policy, error) { return &jsqPolicy{r: cfg.Rand}, nil }

func (p *jsqPolicy) Pick(v View, _ Job) int {
	if x, ok := v.(LoadIndex); ok {
		return pickMinLoaded(x, p.r)
	}
	return argmin(p.buf.fill(v, func(i int) float64 { return float64(v.Load(i)) }), p.r)
}

// pickMinLoaded is argmin over the loads, answered by a LoadIndex: the
// same server for the same random source, and the same draws.
func pickMinLoaded(x LoadIndex, r *rand.Rand) int {
	_, ties := x.MinLoad()
	if ties <= 1 {
		return x.NthMinLoaded(0)
	}
	return x.NthMinLoaded(r.IntN(ties))
}

// ---- pod / p2c ----

type podPolicy struct {
	r      *rand.Rand
	d      int
	sample []int
}

func newPoD(cfg PolicyConfig) (Policy, error) {
	d := cfg.D
	if d == 0 {
		d = 2
	}
	if d < 1 {
		return nil, fmt.Errorf("policy pod: d must be >= 1, got %d", d)
	}
	if cfg.D > cfg.Servers && cfg.Servers > 0 {
		// It would sample every server: jsq under another name.
		return nil, fmt.Errorf("policy pod: d must be at most the number of servers (%d), got %d (d = servers is jsq)", cfg.Servers, cfg.D)
	}
	return podOf(cfg, d), nil
}

func podOf(cfg PolicyConfig, d int) *podPolicy {
	return &podPolicy{r: cfg.Rand, d: d, sample: make([]int, 0, min(d, cfg.Servers))}
}

func newP2C(cfg PolicyConfig) (Policy, error) { return podOf(cfg, 2), nil }

// SampleDistinct fills dst with k distinct servers drawn uniformly from
// [0, n) (all of them when k >= n) using Floyd's algorithm: exactly
// min(k, n) random draws, no allocation when dst has capacity.
func SampleDistinct(r *rand.Rand, n, k int, dst []int) []int {
	dst = dst[:0]
	if k >= n {
		for i := range n {
			dst = append(dst, i)
		}
		return dst
	}
	if k == 2 {
		a := r.IntN(n)
		b := r.IntN(n - 1)
		if b >= a {
			b++
		}
		return append(dst, a, b)
	}
	for j := n - k; j < n; j++ {
		t := r.IntN(j + 1)
		seen := false
		for _, x := range dst {
			if x == t {
				seen = true
				break
			}
		}
		if seen {
			dst = append(dst, j)
		} else {
			dst = append(dst, t)
		}
	}
	return dst
}

// Pick samples d distinct servers and returns the least loaded; the sample
// order is random, so taking the first minimum is a random tie-break.
func (p *podPolicy) Pick(v View, _ Job) int {
	p.sample = SampleDistinct(p.r, v.Servers(), p.d, p.sample)
	best, bl := p.sample[0], v.Load(p.sample[0])
	for _, s := range p.sample[1:] {
		if l := v.Load(s); l < bl {
			best, bl = s, l
		}
	}
	return best
}

// ---- jiq ----

type jiqPolicy struct {
	r          *rand.Rand
	idle       [][]int // per dispatcher: idle servers registered with it (LIFO)
	registered []bool
	init       bool
}

func newJIQ(cfg PolicyConfig) (Policy, error) {
	m := cfg.Dispatchers
	if m == 0 {
		m = 1
	}
	if m < 1 || m > 1<<20 {
		return nil, fmt.Errorf("policy jiq: dispatchers must be in [1, %d], got %d", 1<<20, m)
	}
	return &jiqPolicy{r: cfg.Rand, idle: make([][]int, m), registered: make([]bool, cfg.Servers)}, nil
}

func (p *jiqPolicy) register(i int) {
	if p.registered[i] {
		return
	}
	p.registered[i] = true
	d := p.r.IntN(len(p.idle))
	p.idle[d] = append(p.idle[d], i)
}

// Pick sends the job to a random dispatcher; it uses a server from its idle
// list if it has one, else a random server. A server stays on an idle list
// until a job is sent to it through that list, even if a random job reached
// it meanwhile (the lists are stale by design, as in the JIQ paper).
func (p *jiqPolicy) Pick(v View, _ Job) int {
	if !p.init {
		p.init = true
		for i := range v.Servers() {
			if v.Load(i) == 0 {
				p.register(i)
			}
		}
	}
	d := 0
	if len(p.idle) > 1 {
		d = p.r.IntN(len(p.idle))
	}
	if l := p.idle[d]; len(l) > 0 {
		s := l[len(l)-1]
		p.idle[d] = l[:len(l)-1]
		p.registered[s] = false
		return s
	}
	return p.r.IntN(v.Servers())
}

func (p *jiqPolicy) Dispatched(View, int, Job) {}

// Completed registers a server that became idle with one random dispatcher.
func (p *jiqPolicy) Completed(v View, server int, _ Job, _ float64) {
	if v.Load(server) == 0 {
		p.register(server)
	}
}

// ---- lwl ----

type lwlPolicy struct {
	r   *rand.Rand
	buf scores
}

func newLWL(cfg PolicyConfig) (Policy, error) { return &lwlPolicy{r: cfg.Rand}, nil }

func (p *lwlPolicy) Pick(v View, _ Job) int {
	if x, ok := v.(IdleLeastWork); ok && x.IdleLeastWork() {
		// The least work is 0, at exactly the idle servers: the same
		// choice and draw as the scan below.
		return pickMinLoaded(x, p.r)
	}
	return argmin(p.buf.fill(v, func(i int) float64 { return v.Work(i) / v.Speed(i) }), p.r)
}

// ---- sed ----

type sedPolicy struct {
	r       *rand.Rand
	buf     scores
	uniform int8 // every server of the view has the same speed: 1 yes, -1 no, 0 not known yet
}

func newSED(cfg PolicyConfig) (Policy, error) { return &sedPolicy{r: cfg.Rand}, nil }

func (p *sedPolicy) Pick(v View, _ Job) int {
	if x, ok := v.(LoadIndex); ok {
		if p.uniform == 0 {
			p.uniform = 1
			for i := 1; i < v.Servers(); i++ {
				if v.Speed(i) != v.Speed(0) {
					p.uniform = -1
				}
			}
		}
		if p.uniform > 0 {
			// (load+1)/speed with one speed orders and ties like the load.
			return pickMinLoaded(x, p.r)
		}
	}
	return argmin(p.buf.fill(v, func(i int) float64 { return float64(v.Load(i)+1) / v.Speed(i) }), p.r)
}

// ---- ewma: peak EWMA with power of two choices ----

// EWMATau is the decay time constant of the ewma policy's latency estimate,
// in engine time units (mean service times in the simulator).
const EWMATau = 10.0

// ewmaPenalty is the cost of a server with requests outstanding but no
// latency observed yet (Finagle's Penalty): large, so that unknown servers
// are tried only when idle.
const ewmaPenalty = 1e9

type ewmaPolicy struct {
	r      *rand.Rand
	cost   []float64
	stamp  []float64
	sample []int
}

func newEWMA(cfg PolicyConfig) (Policy, error) {
	return &ewmaPolicy{
		r:      cfg.Rand,
		cost:   make([]float64, cfg.Servers),
		stamp:  make([]float64, cfg.Servers),
		sample: make([]int, 0, 2),
	}, nil
}

// observe folds one latency sample into server i's peak EWMA at time now: a
// sample above the estimate replaces it at once (peak), a lower one is
// averaged in with weight decaying over EWMATau.
func (p *ewmaPolicy) observe(i int, now, rtt float64) {
	td := max(now-p.stamp[i], 0)
	w := math.Exp(-td / EWMATau)
	if rtt > p.cost[i] {
		p.cost[i] = rtt
	} else {
		p.cost[i] = p.cost[i]*w + rtt*(1-w)
	}
	p.stamp[i] = now
}

func (p *ewmaPolicy) score(v View, i int) float64 {
	p.observe(i, v.Now(), 0) // reading decays the estimate, as in Finagle
	out := v.Load(i)
	if p.cost[i] == 0 && out != 0 {
		return ewmaPenalty + float64(out)
	}
	return p.cost[i] * float64(out+1)
}

// Pick samples two distinct servers and returns the one with the lower
// latency estimate × (outstanding + 1).
func (p *ewmaPolicy) Pick(v View, _ Job) int {
	p.sample = SampleDistinct(p.r, v.Servers(), 2, p.sample)
	best := p.sample[0]
	if len(p.sample) > 1 && p.score(v, p.sample[1]) < p.score(v, best) {
		best = p.sample[1]
	}
	return best
}

func (p *ewmaPolicy) Dispatched(View, int, Job) {}

func (p *ewmaPolicy) Completed(v View, server int, _ Job, latency float64) {
	p.observe(server, v.Now(), latency)
}

// ---- central ----

// centralPolicy tracks idle servers when all speeds are equal (a set with
// O(1) insert, delete and uniform random pick), and scans for the fastest
// idle server otherwise.
type centralPolicy struct {
	r       *rand.Rand
	buf     scores
	uniform bool
	init    bool
	idle    []int // idle servers (uniform speeds only)
	idx     []int // position of each server in idle, or -1
}

func newCentral(cfg PolicyConfig) (Policy, error) {
	p := &centralPolicy{r: cfg.Rand, uniform: true}
	for _, s := range cfg.Speeds {
		if s != cfg.Speeds[0] {
			p.uniform = false
		}
	}
	return p, nil
}

func (p *centralPolicy) setIdle(i int, idle bool) {
	switch {
	case idle && p.idx[i] < 0:
		p.idx[i] = len(p.idle)
		p.idle = append(p.idle, i)
	case !idle && p.idx[i] >= 0:
		k := p.idx[i]
		last := p.idle[len(p.idle)-1]
		p.idle[k], p.idx[last] = last, k
		p.idle = p.idle[:len(p.idle)-1]
		p.idx[i] = -1
	}
}

// Pick returns the fastest idle server (random among equals) or Hold when
// every server is busy.
func (p *centralPolicy) Pick(v View, _ Job) int {
	if !p.uniform {
		return p.fastestIdle(v)
	}
	if !p.init {
		p.init = true
		p.idx = make([]int, v.Servers())
		for i := range p.idx {
			p.idx[i] = -1
			if v.Load(i) == 0 {
				p.setIdle(i, true)
			}
		}
	}
	if len(p.idle) == 0 {
		return Hold
	}
	return p.idle[p.r.IntN(len(p.idle))]
}

// Dispatched removes a server that just received a job from the idle set.
func (p *centralPolicy) Dispatched(v View, server int, _ Job) {
	if p.init {
		p.setIdle(server, v.Load(server) == 0)
	}
}

// Completed adds a server that became idle to the idle set.
func (p *centralPolicy) Completed(v View, server int, _ Job, _ float64) {
	if p.init {
		p.setIdle(server, v.Load(server) == 0)
	}
}

// fastestIdle returns the fastest idle server (random among equals), or
// Hold when none is idle: the argmin of -speed over idle servers, busy
// ones scoring +Inf.
func (p *centralPolicy) fastestIdle(v View) int {
	xs := p.buf.fill(v, func(i int) float64 {
		if v.Load(i) != 0 {
			return math.Inf(1)
		}
		return -v.Speed(i)
	})
	i := argmin(xs, p.r)
	if math.IsInf(xs[i], 1) {
		return Hold
	}
	return i
}

// The settings, closed forms and external equivalents of the policies of
// this file (their catalogue rows point here).

func podParams(c PolicyConfig) (map[string]any, []any) {
	d := c.D
	if d == 0 {
		d = 2
	}
	var name []any
	if c.D != 0 {
		name = []any{"d", c.D}
	}
	return map[string]any{"d": d}, name
}

func podTheory(c PolicyConfig) Theory {
	d := c.D
	if d == 0 {
		d = 2
	}
	return Theory{Family: TheoryPowerOfD, D: d}
}

func p2cTheory(PolicyConfig) Theory { return Theory{Family: TheoryPowerOfD, D: 2} }

func jiqParams(c PolicyConfig) (map[string]any, []any) {
	var name []any
	if c.Dispatchers > 1 {
		name = []any{"dispatchers", c.Dispatchers}
	}
	return map[string]any{"dispatchers": max(c.Dispatchers, 1)}, name
}

func nginxRandom(int) External { return External{"random;", true, ""} }
func nginxRR(int) External {
	return External{"# round robin (the default): smooth weighted round robin, all weights 1", true, ""}
}
func nginxP2C(int) External { return External{"random two least_conn;", true, ""} }
func nginxPoD(d int) External {
	if d == 0 || d == 2 {
		return External{"random two least_conn;", true, ""}
	}
	return External{"random two least_conn;", false, fmt.Sprintf("nginx samples two servers, not %d", d)}
}
func nginxJSQ(int) External {
	return External{"least_conn;", true, "ties go round robin, not at random"}
}
func nginxSED(int) External {
	return External{"least_conn;", true, "with equal speeds, shortest expected delay is least connections"}
}

func haproxyRandom(int) External { return External{"balance random(1)", true, ""} }
func haproxyRR(int) External     { return External{"balance roundrobin", true, ""} }
func haproxyP2C(int) External    { return haproxyPoD(2) }

// haproxyPoD is HAProxy's random(d): the least served of d draws, each an
// independent random point on its consistent-hash ring (get_server_rnd in
// its lb_chash.c), so a server can be drawn twice and its share of the
// draws is its share of the ring, where pod draws d distinct servers
// uniformly: the same family, not the same policy.
func haproxyPoD(d int) External {
	if d == 0 {
		d = 2
	}
	return External{fmt.Sprintf("balance random(%d)", d), false,
		fmt.Sprintf("HAProxy's random(%d) takes the least served of %d independent draws on its consistent-hash ring, so a server can be drawn twice and each server's share of the draws is its share of the ring; the policy draws %d distinct servers uniformly", d, d, d)}
}
func haproxyJSQ(int) External { return External{"balance leastconn", true, ""} }
func haproxySED(int) External {
	return External{"balance leastconn", true, "with equal speeds, shortest expected delay is least connections"}
}
