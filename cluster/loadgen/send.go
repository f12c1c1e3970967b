package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/strategies"
)

// reply is what the generator reads of a response: its status and the
// worker's figures (ns; wait and service -1, late NaN and arrive 0 when
// the worker did not say).
type reply struct {
	status          int
	wait, svc, late float64
	arrive          int64
	worker          string
}

func noReply() reply { return reply{wait: -1, svc: -1, late: math.NaN()} }

// sender sends one GET of a task to uri (path and query) with the job's
// key as a header, and waits for its reply until deadline.
type sender interface {
	send(ctx context.Context, deadline time.Time, uri, key string) (reply, error)
	// close releases the connections; the requests in flight fail.
	close()
}

// newSender returns the sender of a run to target: through transport when
// it is set (via direct: the client-side balancer), else fasthttp's client
// with at most maxConns connections (0: no bound).
func newSender(target string, transport http.RoundTripper, maxConns int, timeout time.Duration) (sender, error) {
	if transport != nil {
		return &roundTripSender{client: &http.Client{Transport: transport}, base: strings.TrimSuffix(target, "/")}, nil
	}
	return newFastSender(target, maxConns, timeout)
}

// Client sends single tasks the way the load generator sends its load (the
// same client, the same requests), for measurements around a run: the
// round trip of an empty task that the model is given must be the load's.
type Client struct {
	s       sender
	timeout time.Duration
}

// NewClient returns a client to target (http://host:port) through
// transport (nil: the load generator's own client); each request is
// bounded by timeout.
func NewClient(target string, transport http.RoundTripper, timeout time.Duration) (*Client, error) {
	s, err := newSender(target, transport, 0, timeout)
	if err != nil {
		return nil, err
	}
	return &Client{s: s, timeout: timeout}, nil
}

// Task runs one task of ns nanoseconds with key and returns the response's
// status.
func (c *Client) Task(ctx context.Context, ns int64, key uint64) (int, error) {
	k := strconv.FormatUint(key, 10)
	rep, err := c.s.send(ctx, time.Now().Add(c.timeout), worker.WorkPath+"?ns="+strconv.FormatInt(ns, 10)+"&key="+k, k)
	return rep.status, err
}

// Close closes the client's connections.
func (c *Client) Close() { c.s.close() }

// roundTripSender sends through an http.RoundTripper: the client-side
// balancer of via direct, or any transport a caller gives.
type roundTripSender struct {
	client *http.Client
	base   string
	own    *http.Transport // closed at the end when the sender made it
}

func (s *roundTripSender) send(ctx context.Context, deadline time.Time, uri, key string) (reply, error) {
	rep := noReply()
	rctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, s.base+uri, nil)
	if err != nil {
		return rep, fmt.Errorf("client: %w", err)
	}
	req.Header[strategies.HeaderKey] = []string{key}
	resp, err := s.client.Do(req)
	if err != nil {
		return rep, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	rep.status = resp.StatusCode
	h := resp.Header
	rep.wait = headerNs(h.Get(worker.HeaderWait))
	rep.svc = headerNs(h.Get(worker.HeaderService))
	rep.late = headerSigned(h.Get(worker.HeaderLate))
	rep.arrive = headerInt(h.Get(worker.HeaderArrive))
	rep.worker = h.Get(worker.HeaderWorker)
	if err != nil && errors.Is(rctx.Err(), context.DeadlineExceeded) {
		err = context.DeadlineExceeded
	}
	return rep, err
}

func (s *roundTripSender) close() {
	if s.own != nil {
		s.own.CloseIdleConnections()
	}
}

// fastSender sends with fasthttp's client: the request is written and its
// response read by the goroutine that sends it, where net/http's client
// hands each request to a writing and a reading goroutine of the
// connection (two more wake-ups a request for the machine's scheduler). It
// keeps at most maxConns connections (0: no bound), and a cancelled run
// closes them all, so that the requests in flight end at once.
type fastSender struct {
	hc   *fasthttp.HostClient
	host string

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// newFastSender returns a fastSender to target (http://host:port).
func newFastSender(target string, maxConns int, timeout time.Duration) (*fastSender, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("load: target %q is not http://host:port", target)
	}
	s := &fastSender{host: u.Host, conns: map[net.Conn]struct{}{}}
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	s.hc = &fasthttp.HostClient{
		Addr: u.Host,
		Dial: func(addr string) (net.Conn, error) {
			c, err := d.Dial("tcp", addr)
			if err != nil {
				return nil, err
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.closed {
				c.Close()
				return nil, context.Canceled
			}
			tc := &trackedConn{Conn: c, s: s}
			s.conns[tc] = struct{}{}
			return tc, nil
		},
		MaxConns:                      math.MaxInt32,
		MaxConnWaitTimeout:            timeout,
		MaxIdleConnDuration:           90 * time.Second,
		NoDefaultUserAgentHeader:      true,
		DisableHeaderNamesNormalizing: false,
		// A task's response is a few bytes and its head a few hundred.
		ReadBufferSize:  4096,
		WriteBufferSize: 4096,
	}
	if maxConns > 0 {
		s.hc.MaxConns = maxConns
	}
	return s, nil
}

// trackedConn leaves its sender's set when closed.
type trackedConn struct {
	net.Conn
	s    *fastSender
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.s.mu.Lock()
		delete(c.s.conns, c)
		c.s.mu.Unlock()
	})
	return c.Conn.Close()
}

func (s *fastSender) send(ctx context.Context, deadline time.Time, uri, key string) (reply, error) {
	rep := noReply()
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(uri)
	req.SetHost(s.host)
	req.Header.Set(strategies.HeaderKey, key)
	err := s.hc.DoDeadline(req, resp, deadline)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			err = ctx.Err()
		case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrNoFreeConns):
			err = context.DeadlineExceeded
		case errors.Is(err, fasthttp.ErrConnectionClosed):
			err = io.ErrUnexpectedEOF
		}
		return rep, err
	}
	h := &resp.Header
	rep.status = resp.StatusCode()
	rep.wait = headerNs(string(h.Peek(worker.HeaderWait)))
	rep.svc = headerNs(string(h.Peek(worker.HeaderService)))
	rep.late = headerSigned(string(h.Peek(worker.HeaderLate)))
	rep.arrive = headerInt(string(h.Peek(worker.HeaderArrive)))
	rep.worker = string(h.Peek(worker.HeaderWorker))
	return rep, nil
}

// close closes every connection: the requests in flight on them fail (a
// run that was cancelled), and no new one is opened.
func (s *fastSender) close() {
	s.mu.Lock()
	s.closed = true
	conns := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
	s.hc.CloseIdleConnections()
}

// headerSigned reads a header of ns that may be negative, NaN when absent
// or bad.
func headerSigned(v string) float64 {
	if v == "" {
		return math.NaN()
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		return math.NaN()
	}
	return x
}

// headerInt reads a header of a positive integer, 0 when absent or bad.
func headerInt(v string) int64 {
	if x, err := strconv.ParseInt(v, 10, 64); err == nil && x > 0 {
		return x
	}
	return 0
}

// headerNs reads a header of ns >= 0, -1 when absent or bad.
func headerNs(v string) float64 {
	if x, err := strconv.ParseFloat(v, 64); err == nil && x >= 0 && !math.IsInf(x, 0) {
		return x
	}
	return -1
}
