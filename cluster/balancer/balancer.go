package balancer

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/field"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

// StatsPath is where the balancer answers its counters (Stats) in JSON.
const StatsPath = "/_stratbench/stats"

// Config configures our reverse proxy.
type Config struct {
	// Listen is the address to listen on; port 0 picks a free port.
	Listen string
	// Backends are the workers' host:port addresses.
	Backends []string
	// Policy is the dispatch policy (strategies.Policies).
	Policy string
	// D and Dispatchers are pod's and jiq's parameters (0: defaults).
	D, Dispatchers int
	// Options set the policy's declared parameters (nil: defaults).
	Options strategies.Options
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

	// Limits is what clients and backends may send, and how long they may
	// take; its zero fields take the defaults of DefaultLimits.
	Limits Limits
}

// Limits bound every input of the balancer in size and in time. A client
// past a limit is answered with the status given (and its connection
// closed); a backend past one is answered 502 (504 for a timeout) and its
// connection closed.
type Limits struct {
	// MaxHeaderBytes bounds a request head, request line included: 431.
	MaxHeaderBytes int
	// MaxHeaders bounds the number of header fields in a request: 431.
	MaxHeaders int
	// MaxRequestLine bounds the request line's target: 414.
	MaxRequestLine int
	// MaxBodyBytes bounds a request body: 413. Bodies are read whole before
	// a backend is chosen (as nginx's proxy_request_buffering), so a slow
	// upload never holds a backend.
	MaxBodyBytes int
	// MaxBufferedBodyBytes bounds the memory the request bodies read or
	// waiting for a backend hold, all requests together (a body holds
	// about its size, 4 KiB and less for nothing): 503 beyond, counted. It
	// must be more than MaxBodyBytes.
	MaxBufferedBodyBytes int
	// HeaderTimeout bounds reading a request head, from its first byte
	// (from the accept on a new connection): 408.
	HeaderTimeout time.Duration
	// BodyIdleTimeout bounds the pause between two reads of a request
	// body, BodyTimeout the whole body: 408.
	BodyIdleTimeout, BodyTimeout time.Duration
	// IdleTimeout closes a client connection that waits this long for its
	// next request; WriteTimeout bounds writing a response to a client.
	IdleTimeout, WriteTimeout time.Duration
	// MaxConns bounds the client connections served at once; one more is
	// answered 503 and closed.
	MaxConns int
	// MaxResponseHeaderBytes and MaxResponseBodyBytes bound a backend's
	// response head and body: 502.
	MaxResponseHeaderBytes, MaxResponseBodyBytes int
	// MaxBufferedResponseBytes bounds the memory the response bodies read
	// from backends and not yet written to their clients hold, all
	// responses together (a client that does not read holds its answer up
	// to WriteTimeout). A body is reserved before it is read when its
	// length is declared (after, for a chunked or close-delimited one) and
	// given back when fasthttp has written it or dropped it; bodies of
	// 4 KiB and less are not counted. A response past it is answered 503,
	// its backend connection closed, counted (Stats.ResponseMemoryFull),
	// never against the backend. It must be more than MaxResponseBodyBytes.
	MaxBufferedResponseBytes int
	// FirstByteTimeout bounds the wait from sending a request to the first
	// byte of its response (504, not retried; capped by the backend
	// timeout); BackendIdleTimeout closes a pooled backend connection
	// unused for this long.
	FirstByteTimeout, BackendIdleTimeout time.Duration
	// QueueMax bounds the requests waiting in the central queue (policy
	// central) and QueueTimeout their wait: 503 beyond either, counted.
	QueueMax     int
	QueueTimeout time.Duration
	// ProbeTimeout bounds a probe of a worker's load (policy prequal) and
	// MaxProbeBytes its answer; a probe past either is dropped and
	// counted (ProbeStats), never against the backend.
	ProbeTimeout  time.Duration
	MaxProbeBytes int
}

// DefaultLimits are the limits of a zero Limits field, chosen as nginx's
// (large_client_header_buffers, client_max_body_size, client_body_timeout,
// proxy_buffer_size) and Go's net/http defaults where nginx has none.
var DefaultLimits = Limits{
	MaxHeaderBytes:           16 << 10,
	MaxHeaders:               100,
	MaxRequestLine:           8 << 10,
	MaxBodyBytes:             1 << 20,
	MaxBufferedBodyBytes:     256 << 20,
	HeaderTimeout:            10 * time.Second,
	BodyIdleTimeout:          10 * time.Second,
	BodyTimeout:              60 * time.Second,
	IdleTimeout:              120 * time.Second,
	WriteTimeout:             60 * time.Second,
	MaxConns:                 10000,
	MaxResponseHeaderBytes:   32 << 10,
	MaxResponseBodyBytes:     64 << 20,
	MaxBufferedResponseBytes: 256 << 20,
	FirstByteTimeout:         60 * time.Second,
	BackendIdleTimeout:       60 * time.Second,
	QueueMax:                 1024,
	QueueTimeout:             10 * time.Second,
	ProbeTimeout:             100 * time.Millisecond,
	MaxProbeBytes:            4 * worker.MaxLoadBytes,
}

// withDefaults fills the zero fields of l from DefaultLimits and checks
// the others.
func (l Limits) withDefaults() (Limits, error) {
	d := DefaultLimits
	ints := []struct {
		name string
		v    *int
		def  int
		min  int
	}{
		{"max_header_bytes", &l.MaxHeaderBytes, d.MaxHeaderBytes, 1 << 10},
		{"max_headers", &l.MaxHeaders, d.MaxHeaders, 1},
		{"max_request_line", &l.MaxRequestLine, d.MaxRequestLine, 64},
		{"max_body_bytes", &l.MaxBodyBytes, d.MaxBodyBytes, 1},
		{"max_buffered_body_bytes", &l.MaxBufferedBodyBytes, d.MaxBufferedBodyBytes, 2},
		{"max_conns", &l.MaxConns, d.MaxConns, 1},
		{"max_response_header_bytes", &l.MaxResponseHeaderBytes, d.MaxResponseHeaderBytes, 1 << 10},
		{"max_response_body_bytes", &l.MaxResponseBodyBytes, d.MaxResponseBodyBytes, 1},
		{"max_buffered_response_bytes", &l.MaxBufferedResponseBytes, d.MaxBufferedResponseBytes, 2},
		{"queue_max", &l.QueueMax, d.QueueMax, 1},
		{"max_probe_bytes", &l.MaxProbeBytes, d.MaxProbeBytes, 64},
	}
	for _, f := range ints {
		if *f.v == 0 {
			*f.v = f.def
		}
		if *f.v < f.min {
			return l, bad.Field(f.name, "must be >= %d, got %d", f.min, *f.v)
		}
	}
	if l.MaxBufferedBodyBytes <= l.MaxBodyBytes {
		return l, bad.Field("max_buffered_body_bytes", "must be more than {max_body_bytes} (%d), got %d", l.MaxBodyBytes, l.MaxBufferedBodyBytes)
	}
	if l.MaxBufferedResponseBytes <= l.MaxResponseBodyBytes {
		return l, bad.Field("max_buffered_response_bytes", "must be more than {max_response_body_bytes} (%d), got %d", l.MaxResponseBodyBytes, l.MaxBufferedResponseBytes)
	}
	durs := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"header_timeout", &l.HeaderTimeout, d.HeaderTimeout},
		{"body_idle_timeout", &l.BodyIdleTimeout, d.BodyIdleTimeout},
		{"body_timeout", &l.BodyTimeout, d.BodyTimeout},
		{"idle_timeout", &l.IdleTimeout, d.IdleTimeout},
		{"write_timeout", &l.WriteTimeout, d.WriteTimeout},
		{"first_byte_timeout", &l.FirstByteTimeout, d.FirstByteTimeout},
		{"backend_idle_timeout", &l.BackendIdleTimeout, d.BackendIdleTimeout},
		{"queue_timeout", &l.QueueTimeout, d.QueueTimeout},
		{"probe_timeout", &l.ProbeTimeout, d.ProbeTimeout},
	}
	for _, f := range durs {
		if *f.v == 0 {
			*f.v = f.def
		}
		if *f.v < 0 {
			return l, bad.Field(f.name, "must be > 0, got %v", *f.v)
		}
	}
	return l, nil
}

func (c *Config) withDefaults() (Config, error) {
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
	var err error
	if b.Limits, err = b.Limits.withDefaults(); err != nil {
		return b, err
	}
	switch {
	case len(b.Backends) == 0:
		return b, bad.Field("backends", ": give at least one host:port")
	case b.Unit < 0:
		return b, bad.Field("unit", "must be > 0, got %v", b.Unit)
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
func (c *Config) Validate() error {
	b, err := c.withDefaults()
	if err != nil {
		return err
	}
	_, err = strategies.NewPolicy(b.Policy, strategies.PolicyConfig{
		Servers: len(b.Backends), D: b.D, Dispatchers: b.Dispatchers, Options: b.Options, Rand: rand.New(rand.NewPCG(1, 2)),
	})
	return err
}

// Fields are the settings of a Config as a field table (the flags of
// `stratbench balance`), with the defaults of a zero Config written out:
// listen address, backends, policy and its settings, time unit, health
// checks, and every limit and timeout (DefaultLimits).
func Fields() []field.Field[Config] {
	fs := []field.Field[Config]{
		field.Text("listen", "address to listen on (port 0: any free port)", "127.0.0.1:0", func(c *Config) *string { return &c.Listen }),
		{Name: "backends", Kind: field.List, Usage: "backend host:port addresses, comma-separated or repeated",
			Set: func(c *Config, v string) error { c.Backends = append(c.Backends, field.Split(v)...); return nil }},
		field.Text("policy", "dispatch policy (stratbench list policies)", "jsq", func(c *Config) *string { return &c.Policy }),
	}
	fs = append(fs, scenario.ChoiceFields(func(c *Config) *int { return &c.D }, func(c *Config) *int { return &c.Dispatchers })...)
	fs = append(fs,
		scenario.OptsField(func(c *Config) []string { return []string{c.Policy} },
			func(c *Config, po strategies.PolicyOptions) { c.Options = po[c.Policy] }),
		field.Big("seed", "seed of the policy's random choices", "1", func(c *Config) *uint64 { return &c.Seed }),
		field.Time("unit", "the policy's time unit (the ewma policy's clock and latencies)", "1ms", time.Nanosecond, func(c *Config) *time.Duration { return &c.Unit }),
		offOrTime("health_interval", "period of the health checks of each backend; 0 disables them", "200ms", func(c *Config) *time.Duration { return &c.HealthInterval }),
		offOrTime("backend_timeout", "longest wait for a backend's response to end, after which the request gets a 504; 0 disables it", "60s", func(c *Config) *time.Duration { return &c.BackendTimeout }),
	)
	d := Config{Limits: DefaultLimits, DialTimeout: time.Second}
	for _, l := range limits {
		if l.dur != nil {
			fs = append(fs, field.Field[Config]{Name: l.name, Kind: field.String, Usage: l.usage, Default: l.dur(&d).String(),
				Set: func(c *Config, v string) (err error) {
					*l.dur(c), err = field.ParseDuration(l.name, v, time.Duration(field.NoMin))
					return err
				}})
			continue
		}
		fs = append(fs, field.Field[Config]{Name: l.name, Kind: field.String, Usage: l.usage, Default: strconv.Itoa(*l.int(&d)),
			Set: func(c *Config, v string) (err error) {
				*l.int(c), err = field.ParseInt(l.name, v, field.NoMin)
				return err
			}})
	}
	return fs
}

// offOrTime is a duration field >= 0 whose 0 turns it off (a negative
// value in the Config).
func offOrTime(name, usage, def string, p func(*Config) *time.Duration) field.Field[Config] {
	return field.Field[Config]{Name: name, Kind: field.Duration, Usage: usage, Default: def,
		Set: func(c *Config, v string) (err error) {
			if *p(c), err = field.ParseDuration(name, v, 0); err == nil && *p(c) == 0 {
				*p(c) = -1
			}
			return err
		}}
}

// limits are the fields of Config's limits and timeouts (each 0: the
// default).
var limits = []struct {
	name, usage string
	int         func(*Config) *int // one of int and dur is nil
	dur         func(*Config) *time.Duration
}{
	{name: "max_header_bytes", usage: "largest request head, request line included (431 beyond)", int: func(c *Config) *int { return &c.Limits.MaxHeaderBytes }},
	{name: "max_headers", usage: "most header fields in a request (431 beyond)", int: func(c *Config) *int { return &c.Limits.MaxHeaders }},
	{name: "max_request_line", usage: "longest request target (414 beyond)", int: func(c *Config) *int { return &c.Limits.MaxRequestLine }},
	{name: "max_body_bytes", usage: "largest request body, read whole before a backend is chosen (413 beyond)", int: func(c *Config) *int { return &c.Limits.MaxBodyBytes }},
	{name: "max_buffered_body_bytes", usage: "most memory the request bodies held at once take, all together (503 beyond; more than max_body_bytes)", int: func(c *Config) *int { return &c.Limits.MaxBufferedBodyBytes }},
	{name: "header_timeout", usage: "longest time to read a request head (408 beyond)", dur: func(c *Config) *time.Duration { return &c.Limits.HeaderTimeout }},
	{name: "body_idle_timeout", usage: "longest pause between two reads of a request body (408 beyond)", dur: func(c *Config) *time.Duration { return &c.Limits.BodyIdleTimeout }},
	{name: "body_timeout", usage: "longest time to read a whole request body (408 beyond)", dur: func(c *Config) *time.Duration { return &c.Limits.BodyTimeout }},
	{name: "idle_timeout", usage: "closes a client connection idle this long between requests", dur: func(c *Config) *time.Duration { return &c.Limits.IdleTimeout }},
	{name: "write_timeout", usage: "longest time to write a response to a client", dur: func(c *Config) *time.Duration { return &c.Limits.WriteTimeout }},
	{name: "max_conns", usage: "most client connections served at once", int: func(c *Config) *int { return &c.Limits.MaxConns }},
	{name: "max_response_header_bytes", usage: "largest backend response head (502 beyond)", int: func(c *Config) *int { return &c.Limits.MaxResponseHeaderBytes }},
	{name: "max_response_body_bytes", usage: "largest backend response body (502 beyond)", int: func(c *Config) *int { return &c.Limits.MaxResponseBodyBytes }},
	{name: "max_buffered_response_bytes", usage: "most memory the response bodies held for their clients take, all together (503 beyond, not against the backend; more than max_response_body_bytes)", int: func(c *Config) *int { return &c.Limits.MaxBufferedResponseBytes }},
	{name: "connect_timeout", usage: "longest time to connect to a backend", dur: func(c *Config) *time.Duration { return &c.DialTimeout }},
	{name: "first_byte_timeout", usage: "longest wait for the first byte of a backend's response (504 beyond)", dur: func(c *Config) *time.Duration { return &c.Limits.FirstByteTimeout }},
	{name: "backend_idle_timeout", usage: "closes a pooled backend connection unused this long", dur: func(c *Config) *time.Duration { return &c.Limits.BackendIdleTimeout }},
	{name: "queue_max", usage: "most requests waiting in the central queue (503 beyond)", int: func(c *Config) *int { return &c.Limits.QueueMax }},
	{name: "queue_timeout", usage: "longest wait in the central queue (503 beyond)", dur: func(c *Config) *time.Duration { return &c.Limits.QueueTimeout }},
	{name: "probe_timeout", usage: "longest wait for a worker's answer to a probe of its load (policy prequal; dropped and counted beyond)", dur: func(c *Config) *time.Duration { return &c.Limits.ProbeTimeout }},
	{name: "max_probe_bytes", usage: "largest answer to a probe of a worker's load (dropped and counted beyond)", int: func(c *Config) *int { return &c.Limits.MaxProbeBytes }},
}

// BackendStats are one backend's counters in Stats.
type BackendStats struct {
	Addr       string `json:"addr"`
	Alive      bool   `json:"alive"`
	Dispatched int64  `json:"dispatched"`
	Completed  int64  `json:"completed"`
	// Failed counts requests that failed on the backend's side (connection
	// refused or reset, timeout, malformed or oversized response); a
	// client's fault is never counted here (see ClientErrors).
	Failed   int64 `json:"failed"`
	InFlight int64 `json:"in_flight"`
	// LastError is the last backend-side failure seen, by a request or a
	// health check ("" for none).
	LastError string `json:"last_error,omitempty"`
	// Probes counts the probes of its load sent to it (policy prequal):
	// they are not requests, and not in Dispatched.
	Probes int64 `json:"probes,omitempty"`
}

// ClientErrors count requests that failed by their client's fault, by
// kind; none counts against a backend.
type ClientErrors struct {
	// Malformed: a request head or chunked body the balancer refuses (400,
	// 505); TooLarge: past a size limit (413, 414, 431); Timeout: a head or
	// body too slow (408); Aborted: the client went away mid-request or
	// mid-response.
	Malformed int64 `json:"malformed"`
	TooLarge  int64 `json:"too_large"`
	Timeout   int64 `json:"timeout"`
	Aborted   int64 `json:"aborted"`
}

// Stats is what our balancer answers at StatsPath.
type Stats struct {
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
	// Unsolicited counts backend connections closed because they held
	// bytes after a complete response (nothing of them reaches a client).
	Unsolicited int64 `json:"unsolicited"`
	// QueueFull and QueueTimeouts count requests answered 503 because the
	// central queue was full, or their wait in it too long.
	QueueFull     int64 `json:"queue_full"`
	QueueTimeouts int64 `json:"queue_timeouts"`
	// BodyMemoryFull counts requests answered 503 because the request
	// bodies held in memory had reached Limits.MaxBufferedBodyBytes.
	BodyMemoryFull int64 `json:"body_memory_full"`
	// ResponseMemoryFull counts responses answered 503 because the
	// response bodies held in memory had reached
	// Limits.MaxBufferedResponseBytes (their backends are not blamed);
	// ResponseBytesHeld is the bytes those held take now.
	ResponseMemoryFull int64 `json:"response_memory_full"`
	ResponseBytesHeld  int64 `json:"response_bytes_held"`
	// ClientErrors count the clients' faults.
	ClientErrors ClientErrors `json:"client_errors"`
	// Probes counts the probes of the workers' load, for a policy that
	// probes (nil for the others).
	Probes *ProbeStats `json:"probes,omitempty"`
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
	upSince    atomic.Uint64 // math.Float64bits of when it was last marked alive again, in units (0: from the start)
	lastErr    atomic.Pointer[string]
	pool       connPool
}

// fail records a backend-side failure of backend s.
func (b *Balancer) fail(s int, err error) {
	msg := err.Error()
	b.backends[s].lastErr.Store(&msg)
}

// waiter is a request held in the central queue (policy central).
type waiter struct {
	job     strategies.Job
	exclude int
	ch      chan int // the backend given, or -1 for none alive
}

var (
	// ErrNoBackend is a request with no backend to send it to (none, or
	// none left to retry on).
	ErrNoBackend = errors.New("no other backend")
	// errQueueFull and errQueueTimeout: the central queue had no room, or
	// a request waited in it too long.
	errQueueFull    = errors.New("the central queue is full")
	errQueueTimeout = errors.New("waited too long in the central queue")
)

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
// backend is marked dead, requests are placed among all of them anyway. The
// one retry rule: a request that failed before any byte of a response came
// back (connection refused, reset or closed) is sent once more, to another
// backend, when it has no body and is idempotent (GET, HEAD, OPTIONS,
// TRACE, PUT, DELETE, or any request with an Idempotency-Key header); a
// timed-out request is never sent again (it may be running still). With
// the central policy, held requests wait in a queue bounded by
// Limits.QueueMax and Limits.QueueTimeout (503 beyond).
type Balancer struct {
	cfg      Config
	backends []*backend
	dialer   net.Dialer
	start    time.Time
	unitNs   float64

	mu       sync.Mutex // guards the policy, the view's work, nextID, waiters, meanSize
	policy   strategies.Policy
	observer strategies.Observer
	nextID   uint64
	waiters  []*waiter
	meanSize float64 // EWMA of reported service times, in units
	seed     maphash.Seed

	retries     atomic.Int64
	retriedOK   atomic.Int64
	allDown     atomic.Int64
	unsolicited atomic.Int64
	queueFull   atomic.Int64
	queueLate   atomic.Int64
	bodyMem     atomic.Int64 // bytes reserved by request bodies (readBody)
	bodyMemFull atomic.Int64
	respMem     atomic.Int64 // bytes reserved by response bodies (heldBody)
	respMemFull atomic.Int64
	clientErrs  struct{ malformed, tooLarge, timeout, aborted atomic.Int64 }
	panicking   bool // under mu: every backend is marked dead, ignore the marks

	stopHealth context.CancelFunc
	healthWG   sync.WaitGroup
	prober     *prober // nil unless the policy probes
}

// New returns a balancer for cfg and starts its health checks;
// Close stops them.
func New(cfg Config) (*Balancer, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	pol, err := strategies.NewPolicy(c.Policy, strategies.PolicyConfig{
		Servers:     len(c.Backends),
		D:           c.D,
		Dispatchers: c.Dispatchers,
		Options:     c.Options,
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
	b.dialer = net.Dialer{Timeout: c.DialTimeout, KeepAlive: 30 * time.Second}
	if recv, ok := pol.(strategies.ProbeReceiver); ok {
		b.prober = newProber(b, recv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.stopHealth = cancel
	if c.HealthInterval > 0 {
		for i := range b.backends {
			b.healthWG.Go(func() { b.healthLoop(ctx, i) })
		}
	}
	b.healthWG.Go(func() { b.reapIdle(ctx) })
	return b, nil
}

// abortInFlight closes the backend connections of the requests in flight:
// they fail at once (the server calls it when its shutdown grace period is
// over).
func (b *Balancer) abortInFlight() {
	for _, be := range b.backends {
		be.pool.closeAll(true)
	}
}

// reapIdle closes the pooled backend connections idle longer than
// Limits.BackendIdleTimeout, every half of it (at most every second),
// until ctx is done: a connection below the top of a pool's stack is not
// taken again while traffic is lower than the burst that opened it.
func (b *Balancer) reapIdle(ctx context.Context) {
	t := time.NewTicker(min(max(b.cfg.Limits.BackendIdleTimeout/2, time.Millisecond), time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, be := range b.backends {
				be.pool.closeIdle(now.Add(-b.cfg.Limits.BackendIdleTimeout))
			}
		}
	}
}

// Close stops the health checks and the probes and closes idle backend
// connections.
func (b *Balancer) Close() {
	b.stopHealth()
	b.healthWG.Wait()
	if b.prober != nil {
		b.prober.close()
	}
	for _, be := range b.backends {
		be.pool.closeAll(false)
	}
}

// Stats returns the balancer's counters.
func (b *Balancer) Stats() Stats {
	s := Stats{
		Policy:    b.cfg.Policy,
		Retries:   b.retries.Load(),
		RetriedOK: b.retriedOK.Load(),
		AllDown:   b.allDown.Load(),

		Unsolicited:        b.unsolicited.Load(),
		QueueFull:          b.queueFull.Load(),
		QueueTimeouts:      b.queueLate.Load(),
		BodyMemoryFull:     b.bodyMemFull.Load(),
		ResponseMemoryFull: b.respMemFull.Load(),
		ResponseBytesHeld:  b.respMem.Load(),
		ClientErrors: ClientErrors{
			Malformed: b.clientErrs.malformed.Load(),
			TooLarge:  b.clientErrs.tooLarge.Load(),
			Timeout:   b.clientErrs.timeout.Load(),
			Aborted:   b.clientErrs.aborted.Load(),
		},
	}
	for _, be := range b.backends {
		bs := BackendStats{
			Addr:       be.addr,
			Alive:      be.alive.Load(),
			Dispatched: be.dispatched.Load(),
			Completed:  be.completed.Load(),
			Failed:     be.failed.Load(),
			InFlight:   be.inflight.Load(),
		}
		if p := be.lastErr.Load(); p != nil {
			bs.LastError = *p
		}
		s.Backends = append(s.Backends, bs)
	}
	if b.prober != nil {
		ps := b.prober.stats()
		s.Probes = &ps
		for i := range s.Backends {
			s.Backends[i].Probes = b.prober.perBackend[i].Load()
		}
	}
	return s
}

// errorStatus is the status a request that failed at the backends is
// answered with: 503 with no backend to send it to (or no room or time in
// the central queue, or the balancer short of descriptors or memory to
// reach one), 504 past a backend timeout, else 502.
func errorStatus(err error) int {
	switch {
	case errors.Is(err, ErrNoBackend), errors.Is(err, errQueueFull), errors.Is(err, errQueueTimeout), localShortage(err):
		return http.StatusServiceUnavailable
	case errors.Is(err, errBackendTimeout):
		return http.StatusGatewayTimeout
	}
	return http.StatusBadGateway
}

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

// UpSince implements strategies.Health, as the health checks and failed
// requests see the backends: -1 while backend i is marked dead (unless
// every backend is: then none is out of service), else when it was last
// marked alive again (0: alive since the start). Policies that know it
// (prequal, leastreq) pick among the live backends and give one that
// returns leastreq's slow start.
func (v view) UpSince(i int) float64 {
	be := v.b.backends[i]
	if !be.alive.Load() && !v.b.panicking {
		return -1
	}
	return math.Float64frombits(be.upSince.Load())
}

// ---- placing requests ----

// jobOfLocked describes a request to the policy from its target (the
// request URI, path?query): its key (the key query parameter, else a hash
// of the target) and its size in units (the ns parameter, else the running
// mean of reported service times). Call with b.mu held.
func (b *Balancer) jobOfLocked(target string) strategies.Job {
	j := strategies.Job{ID: b.nextID}
	b.nextID++
	_, q, _ := strings.Cut(target, "?")
	if k := worker.QueryValue(q, "key"); k != "" {
		if x, err := strconv.ParseUint(k, 10, 64); err == nil {
			j.Key = x
		} else {
			j.Key = maphash.String(b.seed, k)
		}
	} else {
		j.Key = maphash.String(b.seed, target)
	}
	j.Size = b.meanSize
	if s := worker.QueryValue(q, "ns"); s != "" {
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
	var v strategies.View = view{b}
	if b.prober != nil {
		v = probeView{view{b}}
	}
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
			return -1, ErrNoBackend
		}
	}
	if len(b.waiters) >= b.cfg.Limits.QueueMax {
		b.mu.Unlock()
		b.queueFull.Add(1)
		return -1, errQueueFull
	}
	w := &waiter{job: *job, exclude: exclude, ch: make(chan int, 1)}
	b.waiters = append(b.waiters, w)
	b.mu.Unlock()
	timer := time.NewTimer(b.cfg.Limits.QueueTimeout)
	defer timer.Stop()
	var gaveUp error
	select {
	case s := <-w.ch:
		if s < 0 {
			return -1, ErrNoBackend
		}
		return s, nil
	case <-ctx.Done():
		gaveUp = ctx.Err()
	case <-timer.C:
		gaveUp = errQueueTimeout
	}
	b.mu.Lock()
	for i, x := range b.waiters {
		if x == w {
			b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
			b.mu.Unlock()
			if gaveUp == errQueueTimeout {
				b.queueLate.Add(1)
			}
			return -1, gaveUp
		}
	}
	b.mu.Unlock()
	if s := <-w.ch; s >= 0 { // given a backend as we gave up: hand it back
		b.release(s, *job, 0, -1, outcomeUnsent)
	}
	return -1, gaveUp
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

// outcome is how a request placed on a backend ended.
type outcome uint8

const (
	outcomeOK     outcome = iota // answered
	outcomeFailed                // failed on the backend's side: counted against it
	outcomeClient                // failed by the client's fault, or refused for the balancer's lack of memory: not counted
	outcomeUnsent                // never sent (its client gave up first)
)

// release records the end of a request at backend s after latency
// nanoseconds. serviceNs is the service time the backend reported, or < 0.
func (b *Balancer) release(s int, j strategies.Job, latencyNs, serviceNs float64, o outcome) {
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
	switch o {
	case outcomeOK:
		be.completed.Add(1)
	case outcomeFailed:
		be.failed.Add(1)
	case outcomeUnsent:
		be.dispatched.Add(-1)
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
		b.backends[s].upSince.Store(math.Float64bits(max(view{b}.Now(), math.SmallestNonzeroFloat64)))
		b.mu.Lock()
		b.drainLocked()
		b.mu.Unlock()
	}
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
	url := "http://" + be.addr + worker.HealthPath
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
		if err != nil && localShortage(err) {
			continue // the balancer's own lack (of descriptors, memory): says nothing of the backend
		}
		if err == nil {
			fails = 0
			if be.healthOK.Add(1) >= 2 {
				b.markAlive(s)
			}
			continue
		}
		be.healthOK.Store(0)
		b.fail(s, fmt.Errorf("health check: %w", err))
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

// Serve runs our balancer on cfg.Listen until ctx is done. ready,
// if not nil, is called with the address it listens on.
func Serve(ctx context.Context, cfg Config, ready func(addr string)) error {
	b, err := New(cfg)
	if err != nil {
		return err
	}
	defer b.Close()
	ln, err := net.Listen("tcp", b.cfg.Listen)
	if err != nil {
		return fmt.Errorf("balancer: %w", err)
	}
	return b.Serve(ctx, ln, ready)
}
