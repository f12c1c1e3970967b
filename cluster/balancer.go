package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

// BalancerConfig configures our reverse proxy.
type BalancerConfig struct {
	// Listen is the address to listen on; port 0 picks a free port.
	Listen string
	// Backends are the workers' host:port addresses.
	Backends []string
	// Policy is the dispatch policy (strategies.Policies).
	Policy string
	// D and Dispatchers are pod's and jiq's parameters (0: defaults).
	D, Dispatchers int
	// Seed seeds the policy's random source.
	Seed uint64
	// Unit is the policy's time unit: View.Now and the latencies given to
	// observers (the ewma policy's decay) are in multiples of it. Task sizes
	// (the ns parameter) are converted to it for View.Work. Default 1ms.
	Unit time.Duration
	// HealthInterval is the period of active health checks of each backend
	// (GET /healthz); default 200ms, negative disables them.
	HealthInterval time.Duration
	// HealthTimeout bounds one health check; default 1s.
	HealthTimeout time.Duration
	// DialTimeout bounds connecting to a backend; default 1s.
	DialTimeout time.Duration
	// BackendTimeout bounds the time from sending a request to a backend
	// to the end of its response; a request past it is answered 504 and
	// its connection closed (it is not retried: it may still be running).
	// Default 60s, as nginx's proxy_read_timeout; negative disables it.
	BackendTimeout time.Duration
}

func (c *BalancerConfig) withDefaults() (BalancerConfig, error) {
	b := *c
	if b.Listen == "" {
		b.Listen = "127.0.0.1:0"
	}
	if b.Unit == 0 {
		b.Unit = time.Millisecond
	}
	if b.HealthInterval == 0 {
		b.HealthInterval = 200 * time.Millisecond
	}
	if b.HealthTimeout == 0 {
		b.HealthTimeout = time.Second
	}
	if b.DialTimeout == 0 {
		b.DialTimeout = time.Second
	}
	if b.BackendTimeout == 0 {
		b.BackendTimeout = 60 * time.Second
	}
	switch {
	case len(b.Backends) == 0:
		return b, errors.New("balancer: no backends")
	case b.Unit < 0:
		return b, fmt.Errorf("balancer: unit must be > 0, got %v", b.Unit)
	}
	seen := map[string]bool{}
	for _, a := range b.Backends {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return b, fmt.Errorf("balancer: backend %q is not host:port", a)
		}
		if seen[a] {
			return b, fmt.Errorf("balancer: backend %s given twice", a)
		}
		seen[a] = true
	}
	return b, nil
}

// Validate checks c, policy included.
func (c *BalancerConfig) Validate() error {
	b, err := c.withDefaults()
	if err != nil {
		return err
	}
	_, err = strategies.NewPolicy(b.Policy, strategies.PolicyConfig{
		Servers: len(b.Backends), D: b.D, Dispatchers: b.Dispatchers, Rand: rand.New(rand.NewPCG(1, 2)),
	})
	return err
}

// Args returns the command-line flags of `stratbench balance` that give c.
func (c *BalancerConfig) Args() []string {
	b, _ := c.withDefaults()
	args := []string{"--listen", b.Listen, "--policy", b.Policy, "--seed", strconv.FormatUint(b.Seed, 10),
		"--unit", b.Unit.String(), "--health-interval", max(b.HealthInterval, 0).String(),
		"--backend-timeout", max(b.BackendTimeout, 0).String()}
	if b.D != 0 {
		args = append(args, "--d", strconv.Itoa(b.D))
	}
	if b.Dispatchers != 0 {
		args = append(args, "--dispatchers", strconv.Itoa(b.Dispatchers))
	}
	for _, a := range b.Backends {
		args = append(args, "--backends", a)
	}
	return args
}

// BackendStats are one backend's counters in BalancerStats.
type BackendStats struct {
	Addr       string `json:"addr"`
	Alive      bool   `json:"alive"`
	Dispatched int64  `json:"dispatched"`
	Completed  int64  `json:"completed"`
	Failed     int64  `json:"failed"`
	InFlight   int64  `json:"in_flight"`
}

// BalancerStats is what our balancer answers at StatsPath.
type BalancerStats struct {
	Policy   string         `json:"policy"`
	Backends []BackendStats `json:"backends"`
	// Retries counts requests sent a second time, to another backend,
	// after a transport error; RetriedOK counts those that then succeeded.
	Retries   int64 `json:"retries"`
	RetriedOK int64 `json:"retried_ok"`
	// AllDown counts requests placed while every backend was marked dead:
	// they are sent anyway (as nginx does), to whichever the policy picks,
	// so that a false alarm of the health checks cannot stop all traffic.
	AllDown int64 `json:"all_down"`
}

type backend struct {
	addr       string
	alive      atomic.Bool
	inflight   atomic.Int64
	dispatched atomic.Int64
	completed  atomic.Int64
	failed     atomic.Int64
	work       float64 // under Balancer.mu: sizes of the tasks in flight, in units
	healthOK   atomic.Int32
}

// waiter is a request held in the central queue (policy central).
type waiter struct {
	job     strategies.Job
	exclude int
	ch      chan int // the backend given, or -1 for none alive
}

// errNoBackend is returned when there is no other backend to retry on.
var errNoBackend = errors.New("no other backend")

// Balancer is a reverse proxy that places each request on a backend with a
// dispatch policy of package strategies, through a View backed by in-flight
// counters. It is also an http.RoundTripper, so a client can balance on its
// own side with it (no proxy hop).
//
// Load(i) is the number of requests in flight at backend i; Work(i) is the
// sum of their task sizes in Unit (from the ns query parameter, or an EWMA
// of the service times workers report when requests carry no size); Now is
// the time since start in Unit. A dead backend shows an enormous load and is
// never chosen: if a policy picks it anyway (round robin, hashing), the
// balancer asks again and finally takes the next live backend in order.
//
// A backend is marked dead at once when a request to it fails in transport
// (connection refused or reset), and by active health checks after two
// failures in a row; two successful checks in a row revive it. When every
// backend is marked dead, requests are placed among all of them anyway. A request
// that failed in transport is sent once more, to another backend, when it
// is idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE without a body, or
// any request with an Idempotency-Key header) and the client is still there.
type Balancer struct {
	cfg       BalancerConfig
	backends  []*backend
	transport *connTransport
	proxy     *httputil.ReverseProxy
	start     time.Time
	unitNs    float64

	mu       sync.Mutex // guards the policy, the view's work, nextID, waiters, meanSize
	policy   strategies.Policy
	observer strategies.Observer
	nextID   uint64
	waiters  []*waiter
	meanSize float64 // EWMA of reported service times, in units
	seed     maphash.Seed

	retries   atomic.Int64
	retriedOK atomic.Int64
	allDown   atomic.Int64
	panicking bool // under mu: every backend is marked dead, ignore the marks

	stopHealth context.CancelFunc
	healthWG   sync.WaitGroup
}

// NewBalancer returns a balancer for cfg and starts its health checks;
// Close stops them.
func NewBalancer(cfg BalancerConfig) (*Balancer, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	pol, err := strategies.NewPolicy(c.Policy, strategies.PolicyConfig{
		Servers:     len(c.Backends),
		D:           c.D,
		Dispatchers: c.Dispatchers,
		Rand:        rand.New(workloads.NewSource(c.Seed, uint64(scenario.StreamBalancer))),
	})
	if err != nil {
		return nil, err
	}
	b := &Balancer{
		cfg:      c,
		policy:   pol,
		start:    time.Now(),
		unitNs:   float64(c.Unit.Nanoseconds()),
		meanSize: 1,
		seed:     maphash.MakeSeed(),
	}
	b.observer, _ = pol.(strategies.Observer)
	for _, a := range c.Backends {
		be := &backend{addr: a}
		be.alive.Store(true)
		b.backends = append(b.backends, be)
	}
	b.transport = newConnTransport(c.DialTimeout, 1024, &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: c.DialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	})
	b.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = "backend" // replaced by RoundTrip
		},
		Transport:    b,
		BufferPool:   bufferPool{},
		ErrorHandler: proxyError,
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.stopHealth = cancel
	if c.HealthInterval > 0 {
		for i := range b.backends {
			b.healthWG.Go(func() { b.healthLoop(ctx, i) })
		}
	}
	if c.BackendTimeout > 0 {
		b.healthWG.Go(func() { b.transport.watch(ctx, c.BackendTimeout) })
	}
	return b, nil
}

// abortInFlight closes the backend connections of the requests in flight:
// they fail at once (the lean server calls it when its shutdown grace
// period is over).
func (b *Balancer) abortInFlight() { b.transport.closeBusy(math.MaxInt64) }

// Close stops the health checks and closes idle backend connections.
func (b *Balancer) Close() {
	b.stopHealth()
	b.healthWG.Wait()
	b.transport.CloseIdleConnections()
}

// Stats returns the balancer's counters.
func (b *Balancer) Stats() BalancerStats {
	s := BalancerStats{
		Policy:    b.cfg.Policy,
		Retries:   b.retries.Load(),
		RetriedOK: b.retriedOK.Load(),
		AllDown:   b.allDown.Load(),
	}
	for _, be := range b.backends {
		s.Backends = append(s.Backends, BackendStats{
			Addr:       be.addr,
			Alive:      be.alive.Load(),
			Dispatched: be.dispatched.Load(),
			Completed:  be.completed.Load(),
			Failed:     be.failed.Load(),
			InFlight:   be.inflight.Load(),
		})
	}
	return s
}

// ServeHTTP proxies every request to a backend, except StatsPath which it
// answers itself.
func (b *Balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == StatsPath {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(b.Stats())
		return
	}
	b.proxy.ServeHTTP(w, r)
}

func proxyError(w http.ResponseWriter, r *http.Request, err error) {
	http.Error(w, "stratbench balance: "+err.Error(), errorStatus(err))
}

// errorStatus is the status a failed request is answered with, on both
// paths: 503 with no backend to send it to, 504 past the backend timeout,
// else 502.
func errorStatus(err error) int {
	switch {
	case errors.Is(err, errNoBackend):
		return http.StatusServiceUnavailable
	case errors.Is(err, errBackendTimeout):
		return http.StatusGatewayTimeout
	}
	return http.StatusBadGateway
}

// bufferPool lends 32 KiB copy buffers to the reverse proxy.
type bufferPool struct{}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *copyBuffers.Get().(*[]byte) }
func (bufferPool) Put(b []byte) { copyBuffers.Put(&b) }

// ---- the view ----

// deadLoad is the load a dead backend shows to policies.
const deadLoad = 1 << 30

type view struct{ b *Balancer }

func (v view) Servers() int { return len(v.b.backends) }
func (v view) Load(i int) int {
	be := v.b.backends[i]
	if !be.alive.Load() && !v.b.panicking {
		return deadLoad
	}
	return int(be.inflight.Load())
}
func (view) Speed(int) float64 { return 1 }
func (v view) Work(i int) float64 {
	be := v.b.backends[i]
	if !be.alive.Load() && !v.b.panicking {
		return math.Inf(1)
	}
	return be.work
}
func (v view) Now() float64 { return float64(time.Since(v.b.start).Nanoseconds()) / v.b.unitNs }

// ---- placing requests ----

// jobOfLocked describes a request to the policy from its target (the
// request URI, path?query): its key (the key query parameter, else a hash
// of the target) and its size in units (the ns parameter, else the running
// mean of reported service times). Call with b.mu held.
func (b *Balancer) jobOfLocked(target string) strategies.Job {
	j := strategies.Job{ID: b.nextID}
	b.nextID++
	_, q, _ := strings.Cut(target, "?")
	if k := queryValue(q, "key"); k != "" {
		if x, err := strconv.ParseUint(k, 10, 64); err == nil {
			j.Key = x
		} else {
			j.Key = maphash.String(b.seed, k)
		}
	} else {
		j.Key = maphash.String(b.seed, target)
	}
	j.Size = b.meanSize
	if s := queryValue(q, "ns"); s != "" {
		if ns, err := strconv.ParseFloat(s, 64); err == nil && ns >= 0 && !math.IsInf(ns, 0) {
			j.Size = ns / b.unitNs
		}
	}
	return j
}

func (b *Balancer) usable(s, exclude int) bool {
	return s >= 0 && s < len(b.backends) && s != exclude && (b.panicking || b.backends[s].alive.Load())
}

// pickLocked asks the policy for a live backend other than exclude. When
// every backend is marked dead it picks among all of them (panic mode). It
// returns -1 and hold=true when the policy holds the job in the central
// queue, and -1, false when there is no backend but exclude.
func (b *Balancer) pickLocked(j strategies.Job, exclude int) (s int, hold bool) {
	n := len(b.backends)
	other, alive := false, false
	for i := range n {
		if i != exclude {
			other = true
			if b.backends[i].alive.Load() {
				alive = true
				break
			}
		}
	}
	if !other {
		return -1, false
	}
	if !alive {
		b.panicking = true
		b.allDown.Add(1)
		defer func() { b.panicking = false }()
	}
	v := view{b}
	last := 0
	for range n + 1 {
		s := b.policy.Pick(v, j)
		if s == strategies.Hold {
			return -1, true
		}
		if b.usable(s, exclude) {
			return s, false
		}
		if s >= 0 && s < n {
			last = s
		}
	}
	for k := 1; k <= n; k++ {
		if s := (last + k) % n; b.usable(s, exclude) {
			return s, false
		}
	}
	return -1, false
}

func (b *Balancer) dispatchLocked(s int, j strategies.Job) {
	be := b.backends[s]
	be.inflight.Add(1)
	be.dispatched.Add(1)
	be.work += j.Size
	if b.observer != nil {
		b.observer.Dispatched(view{b}, s, j)
	}
}

// acquire places job on a backend other than exclude, waiting in the
// central queue if the policy holds it. A job whose ID is math.MaxUint64 is
// first described from target (see jobOfLocked).
func (b *Balancer) acquire(ctx context.Context, target string, exclude int, job *strategies.Job) (int, error) {
	b.mu.Lock()
	if job.ID == math.MaxUint64 {
		*job = b.jobOfLocked(target)
	}
	if len(b.waiters) == 0 { // else queue behind them: the central queue is FIFO
		s, hold := b.pickLocked(*job, exclude)
		if s >= 0 {
			b.dispatchLocked(s, *job)
			b.mu.Unlock()
			return s, nil
		}
		if !hold {
			b.mu.Unlock()
			return -1, errNoBackend
		}
	}
	w := &waiter{job: *job, exclude: exclude, ch: make(chan int, 1)}
	b.waiters = append(b.waiters, w)
	b.mu.Unlock()
	select {
	case s := <-w.ch:
		if s < 0 {
			return -1, errNoBackend
		}
		return s, nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	for i, x := range b.waiters {
		if x == w {
			b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
			b.mu.Unlock()
			return -1, ctx.Err()
		}
	}
	b.mu.Unlock()
	if s := <-w.ch; s >= 0 { // given a backend as we gave up: hand it back
		b.release(s, *job, 0, -1, false)
	}
	return -1, ctx.Err()
}

// drainLocked gives held requests the backends that became free.
func (b *Balancer) drainLocked() {
	for len(b.waiters) > 0 {
		w := b.waiters[0]
		s, hold := b.pickLocked(w.job, w.exclude)
		if hold {
			return
		}
		b.waiters[0] = nil
		b.waiters = b.waiters[1:]
		if s >= 0 {
			b.dispatchLocked(s, w.job)
		}
		w.ch <- s
	}
}

// release records the end of a request at backend s after latency
// nanoseconds; ok is false for a failure. serviceNs is the service time
// the backend reported, or < 0.
func (b *Balancer) release(s int, j strategies.Job, latencyNs, serviceNs float64, ok bool) {
	be := b.backends[s]
	b.mu.Lock()
	if serviceNs >= 0 {
		b.meanSize += 0.05 * (serviceNs/b.unitNs - b.meanSize)
	}
	be.inflight.Add(-1)
	be.work -= j.Size
	if be.inflight.Load() == 0 {
		be.work = 0 // no drift from floating-point sums
	}
	if ok {
		be.completed.Add(1)
	} else {
		be.failed.Add(1)
	}
	if b.observer != nil {
		b.observer.Completed(view{b}, s, j, latencyNs/b.unitNs)
	}
	b.drainLocked()
	b.mu.Unlock()
}

// markDead takes backend s out of rotation.
func (b *Balancer) markDead(s int) {
	be := b.backends[s]
	be.healthOK.Store(0)
	if be.alive.CompareAndSwap(true, false) {
		b.mu.Lock()
		b.drainLocked()
		b.mu.Unlock()
	}
}

func (b *Balancer) markAlive(s int) {
	if b.backends[s].alive.CompareAndSwap(false, true) {
		b.mu.Lock()
		b.drainLocked()
		b.mu.Unlock()
	}
}

// RoundTrip sends req to a backend chosen by the policy, and once more to
// another backend if it failed in transport and may be replayed.
func (b *Balancer) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	job := strategies.Job{ID: math.MaxUint64}
	target := req.URL.RequestURI()
	s, err := b.acquire(ctx, target, -1, &job)
	if err != nil {
		return nil, err
	}
	resp, err := b.send(req, s, job)
	if err == nil || ctx.Err() != nil || !replayable(req) || errors.Is(err, errBackendTimeout) {
		return resp, err // a timed-out request is not sent elsewhere: it may be running still
	}
	b.retries.Add(1)
	s2, err2 := b.acquire(ctx, target, s, &job)
	if err2 != nil {
		return nil, fmt.Errorf("%w; no other backend to retry on: %v", err, err2)
	}
	resp, err = b.send(req, s2, job)
	if err == nil {
		b.retriedOK.Add(1)
	}
	return resp, err
}

func (b *Balancer) send(req *http.Request, s int, job strategies.Job) (*http.Response, error) {
	be := b.backends[s]
	out := req.WithContext(req.Context()) // a shallow copy
	u := *req.URL
	u.Scheme, u.Host = "http", be.addr
	out.URL = &u
	t0 := time.Now()
	resp, err := b.transport.RoundTrip(out)
	if err != nil {
		if req.Context().Err() == nil && !errors.Is(err, errBackendTimeout) {
			b.markDead(s) // a slow backend is not taken for dead: health checks judge it
		}
		b.release(s, job, float64(time.Since(t0).Nanoseconds()), -1, false)
		return nil, fmt.Errorf("backend %s: %w", be.addr, err)
	}
	svc := -1.0
	if v := resp.Header[HeaderService]; len(v) == 1 {
		if ns, err := strconv.ParseFloat(v[0], 64); err == nil && ns >= 0 {
			svc = ns
		}
	}
	resp.Body = &releaseBody{ReadCloser: resp.Body, b: b, s: s, job: job, t0: t0, svc: svc}
	return resp, nil
}

// releaseBody releases the backend when the proxy has copied the response.
type releaseBody struct {
	io.ReadCloser
	b    *Balancer
	s    int
	job  strategies.Job
	t0   time.Time
	svc  float64
	done bool
	ok   bool
}

func (r *releaseBody) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if err == io.EOF {
		r.ok = true
	}
	return n, err
}

func (r *releaseBody) Close() error {
	err := r.ReadCloser.Close()
	if !r.done {
		r.done = true
		r.b.release(r.s, r.job, float64(time.Since(r.t0).Nanoseconds()), r.svc, r.ok || err == nil)
	}
	return err
}

// replayable reports whether req may be sent again to another backend.
func replayable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody {
		return false
	}
	return req.Header.Get("Idempotency-Key") != "" || req.Header.Get("X-Idempotency-Key") != "" || idempotent(req.Method)
}

// idempotent reports whether a request method is idempotent ("" is GET).
func idempotent(method string) bool {
	switch method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// ---- health checks ----

func (b *Balancer) healthLoop(ctx context.Context, s int) {
	be := b.backends[s]
	client := &http.Client{
		Timeout: b.cfg.HealthTimeout,
		Transport: &http.Transport{
			DialContext:       (&net.Dialer{Timeout: b.cfg.HealthTimeout}).DialContext,
			DisableKeepAlives: false,
			MaxIdleConns:      1,
		},
	}
	defer client.CloseIdleConnections()
	url := "http://" + be.addr + HealthPath
	t := time.NewTicker(b.cfg.HealthInterval)
	defer t.Stop()
	fails := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := check(ctx, client, url)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			fails = 0
			if be.healthOK.Add(1) >= 2 {
				b.markAlive(s)
			}
			continue
		}
		be.healthOK.Store(0)
		fails++
		if fails >= 2 || errors.Is(err, syscall.ECONNREFUSED) {
			b.markDead(s)
		}
	}
}

func check(ctx context.Context, c *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health check: status %s", resp.Status)
	}
	return nil
}

// ServeBalancer runs our balancer on cfg.Listen until ctx is done. ready,
// if not nil, is called with the address it listens on.
func ServeBalancer(ctx context.Context, cfg BalancerConfig, ready func(addr string)) error {
	b, err := NewBalancer(cfg)
	if err != nil {
		return err
	}
	defer b.Close()
	ln, err := net.Listen("tcp", b.cfg.Listen)
	if err != nil {
		return fmt.Errorf("balancer: %w", err)
	}
	return serveLean(ctx, ln, b, ready)
}
