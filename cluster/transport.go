package cluster

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// connTransport is a lean HTTP/1.1 client transport for the balancer: the
// request is written and the response read on the calling goroutine, over
// keep-alive connections pooled per backend address. net/http's Transport
// hands every request to two goroutines of its connection (a write loop and
// a read loop) and back, which costs about as much as the proxying itself
// when backends answer in microseconds; this one does not, and parses with
// the same functions (Request.Write, ReadResponse).
//
// It handles only plain http:// requests without Upgrade; others go to
// fallback.
//
// A watchdog (watch) closes a connection whose request has waited longer
// than the timeout for its response to end, so that a hung backend cannot
// hold a request, its goroutine and its in-flight count forever; the
// request then fails with errBackendTimeout. Marking a connection busy and
// idle costs two atomic stores per request, where a read deadline would
// cost a timer update.
type connTransport struct {
	dialer   net.Dialer
	maxIdle  int
	fallback http.RoundTripper

	mu   sync.Mutex
	idle map[string][]*pconn
	live map[*pconn]struct{} // every open connection, idle or busy
}

type pconn struct {
	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	addr string
	t    *connTransport
	// busySince is when the current request was sent (Unix ns), 0 while
	// the connection is idle.
	busySince atomic.Int64
	// timedOut is set by the watchdog when it closed the connection.
	timedOut atomic.Bool
}

// begin marks pc busy with a request sent at now (Unix ns).
func (pc *pconn) begin(now int64) { pc.busySince.Store(now) }

// close closes pc for good.
func (pc *pconn) close() {
	pc.t.mu.Lock()
	delete(pc.t.live, pc)
	pc.t.mu.Unlock()
	pc.conn.Close()
}

// errBackendTimeout is a request whose response did not end within the
// backend timeout (answered 504, as nginx does).
var errBackendTimeout = errors.New("no response within the backend timeout")

// failure returns errBackendTimeout if the watchdog closed pc, else err.
func (pc *pconn) failure(err error) error {
	if pc.timedOut.Load() {
		return errBackendTimeout
	}
	return err
}

// watch closes, every quarter of timeout, the connections whose request
// has been out longer than timeout, until ctx is done.
func (t *connTransport) watch(ctx context.Context, timeout time.Duration) {
	tick := time.NewTicker(max(timeout/4, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		t.closeBusy(time.Now().UnixNano() - timeout.Nanoseconds())
	}
}

// closeBusy closes the connections busy since before the given time (Unix
// ns); closeBusy(math.MaxInt64) closes every busy one.
func (t *connTransport) closeBusy(before int64) {
	t.mu.Lock()
	var late []*pconn
	for pc := range t.live {
		if s := pc.busySince.Load(); s != 0 && s < before {
			late = append(late, pc)
		}
	}
	t.mu.Unlock()
	for _, pc := range late {
		pc.timedOut.Store(true)
		pc.conn.Close() // the request's goroutine sees the error and forgets pc
	}
}

func newConnTransport(dialTimeout time.Duration, maxIdlePerHost int, fallback http.RoundTripper) *connTransport {
	return &connTransport{
		dialer:   net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second},
		maxIdle:  maxIdlePerHost,
		fallback: fallback,
		idle:     map[string][]*pconn{},
		live:     map[*pconn]struct{}{},
	}
}

// errStale is a pooled connection that the server had closed.
var errStale = errors.New("stale pooled connection")

func (t *connTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" || req.Header.Get("Upgrade") != "" {
		return t.fallback.RoundTrip(req)
	}
	addr := req.URL.Host
	for attempt := 0; ; attempt++ {
		pc, reused, err := t.get(req.Context(), addr)
		if err != nil {
			return nil, err
		}
		resp, err := t.roundTrip(pc, req, reused)
		if err == errStale && attempt == 0 && replayable(req) && (req.Body == nil || req.Body == http.NoBody) {
			continue // as net/http does: once more on a fresh connection
		}
		return resp, err
	}
}

func (t *connTransport) get(ctx context.Context, addr string) (*pconn, bool, error) {
	t.mu.Lock()
	if l := t.idle[addr]; len(l) > 0 {
		pc := l[len(l)-1]
		l[len(l)-1] = nil
		t.idle[addr] = l[:len(l)-1]
		t.mu.Unlock()
		return pc, true, nil
	}
	t.mu.Unlock()
	pc, err := t.dial(ctx, addr)
	return pc, false, err
}

// dial opens a new connection to addr. Its reader's buffer bounds the
// size of a response head the balancer's fast path relays (as nginx's
// proxy_buffer_size does).
func (t *connTransport) dial(ctx context.Context, addr string) (*pconn, error) {
	c, err := t.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	pc := &pconn{conn: c, br: bufio.NewReaderSize(c, 32<<10), bw: bufio.NewWriterSize(c, 4096), addr: addr, t: t}
	t.mu.Lock()
	t.live[pc] = struct{}{}
	t.mu.Unlock()
	return pc, nil
}

// put marks pc idle and pools it, or closes it when the pool is full.
func (t *connTransport) put(pc *pconn) {
	pc.busySince.Store(0)
	t.mu.Lock()
	if l := t.idle[pc.addr]; len(l) < t.maxIdle {
		t.idle[pc.addr] = append(l, pc)
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	pc.close()
}

// CloseIdleConnections closes the pooled connections.
func (t *connTransport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = map[string][]*pconn{}
	t.mu.Unlock()
	for _, l := range idle {
		for _, pc := range l {
			pc.close()
		}
	}
	if c, ok := t.fallback.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (t *connTransport) roundTrip(pc *pconn, req *http.Request, reused bool) (*http.Response, error) {
	ctx := req.Context()
	if ctx.Done() != nil {
		// Interrupt blocked reads and writes when the request is abandoned.
		stop := context.AfterFunc(ctx, func() { pc.conn.SetDeadline(aLongTimeAgo) })
		defer stop()
	}
	fail := func(err error) (*http.Response, error) {
		pc.close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, pc.failure(err)
	}
	pc.begin(time.Now().UnixNano())
	if err := req.Write(pc.bw); err != nil {
		return fail(err)
	}
	if err := pc.bw.Flush(); err != nil {
		if reused {
			return fail(errStale)
		}
		return fail(err)
	}
	resp, err := http.ReadResponse(pc.br, req)
	for err == nil && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
		// An interim response (100 Continue, 103 Early Hints) has no
		// body: skip to the final one, as net/http's Transport does.
		resp, err = http.ReadResponse(pc.br, req)
	}
	if err != nil {
		if reused && pc.br.Buffered() == 0 && (errors.Is(err, io.EOF) || isReset(err)) {
			return fail(errStale)
		}
		return fail(err)
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return fail(errors.New("protocol switch is not supported by the balancer's transport"))
	}
	resp.Body = &pconnBody{rc: resp.Body, t: t, pc: pc, keep: !resp.Close && !req.Close}
	return resp, nil
}

var aLongTimeAgo = time.Unix(1, 0)

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}

// pconnBody returns its connection to the pool once the body was read to
// the end, or closes it.
type pconnBody struct {
	rc   io.ReadCloser
	t    *connTransport
	pc   *pconn
	keep bool
	eof  bool
	done bool
}

func (b *pconnBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	switch {
	case err == io.EOF:
		b.eof = true
	case err != nil:
		err = b.pc.failure(err)
	}
	return n, err
}

func (b *pconnBody) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	err := b.rc.Close()
	if b.keep && b.eof && err == nil {
		b.t.put(b.pc)
	} else {
		b.pc.close()
	}
	return b.pc.failure(err)
}
