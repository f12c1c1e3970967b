package balancer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"math/bits"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/strategies"
)

// The balancer's one request path. Clients are served by fasthttp's
// Server, which reads and frames requests (and rejects what it cannot
// frame: duplicate Content-Length, Transfer-Encoding other than chunked,
// HTTP/1.0 with Transfer-Encoding, space before a colon, invalid names and
// values, heads over the buffer, malformed chunked bodies); the handler
// refuses what nginx and Go's server refuse on top of that (unknown HTTP
// versions, Content-Length with Transfer-Encoding, folded lines, bare LF
// line ends, a missing Host, too many headers, a long target), reads the
// body whole under its idle and total timeouts, and only then asks the
// policy for a backend. The request goes to the backend over a pooled
// keep-alive connection (connPool) and its response is read with
// fasthttp's parser, bounded in head and body size and in time, into the
// response the server writes to the client; a body over 4 KiB is held in a
// buffer of its own, reserved against Limits.MaxBufferedResponseBytes and
// handed to the server as a body stream (heldBody) whose Close, which
// fasthttp calls once it has written the response or given up on it,
// gives the bytes back. Every refusal of a client's request closes its
// connection after the answer.

// errBackendTimeout is a backend that did not answer in time (504, as
// nginx does; not retried, since the request may be running still).
var errBackendTimeout = errors.New("no response within the backend timeout")

// clientError is a request that failed by its client's fault: it is
// answered with status (if the client is still there) and its connection
// closed; it never counts against a backend.
type clientError struct {
	status int
	msg    string
}

func (e *clientError) Error() string { return e.msg }

// countClient counts a client's fault by its status.
func (b *Balancer) countClient(status int) {
	switch status {
	case http.StatusRequestTimeout:
		b.clientErrs.timeout.Add(1)
	case http.StatusRequestEntityTooLarge, http.StatusRequestURITooLong, http.StatusRequestHeaderFieldsTooLarge:
		b.clientErrs.tooLarge.Add(1)
	case 0:
		b.clientErrs.aborted.Add(1)
	default:
		b.clientErrs.malformed.Add(1)
	}
}

// quietLogger drops fasthttp's log lines (every failure is counted in the
// stats instead).
type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// newServer returns the fasthttp server of b.
func (b *Balancer) newServer() *fasthttp.Server {
	l := b.cfg.Limits
	return &fasthttp.Server{
		Handler:                      b.handle,
		HeaderReceived:               b.headerReceived,
		ErrorHandler:                 b.serverError,
		ReadBufferSize:               l.MaxHeaderBytes, // bounds the request head
		WriteBufferSize:              4096,
		ReadTimeout:                  l.HeaderTimeout, // the body has its own, in readBody
		WriteTimeout:                 l.WriteTimeout,
		IdleTimeout:                  l.IdleTimeout,
		MaxRequestBodySize:           l.MaxBodyBytes,
		Concurrency:                  l.MaxConns,
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		NoDefaultServerHeader:        true,
		NoDefaultDate:                true,
		NoDefaultContentType:         true,
		// Header names go as they came, in both directions, as nginx
		// relays them (names are case-insensitive; normalizing them cost
		// a pass over each); the balancer looks them up with headerValue.
		DisableHeaderNamesNormalizing: true,
		LazyRequestTime:               true, // no clock read a request for RequestCtx.Time, which the balancer does not use
		SecureErrorLogMessage:         true,
		CloseOnShutdown:               true,
		Logger:                        quietLogger{},
	}
}

// headerReceived bounds the server's own read of the first bytes of a
// request body (up to 8 KiB, before the handler runs) by the body's idle
// timeout; readBody bounds the rest. Requests without a body keep the
// deadline they have (no timer update).
func (b *Balancer) headerReceived(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	if n := h.ContentLength(); n == 0 || n == -2 {
		return fasthttp.RequestConfig{}
	}
	return fasthttp.RequestConfig{ReadTimeout: min(b.cfg.Limits.BodyIdleTimeout, b.cfg.Limits.BodyTimeout)}
}

// serverError answers a request fasthttp could not read (the server closes
// the connection afterwards).
func (b *Balancer) serverError(ctx *fasthttp.RequestCtx, err error) {
	status := http.StatusBadRequest
	var small *fasthttp.ErrSmallBuffer
	var ne net.Error
	switch {
	case errors.As(err, &small):
		status = http.StatusRequestHeaderFieldsTooLarge
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		status = http.StatusRequestEntityTooLarge
	case errors.As(err, &ne) && ne.Timeout():
		status = http.StatusRequestTimeout
	}
	b.countClient(status)
	refuse(ctx, status, "")
}

// refuse answers status with a short text and closes the connection.
func refuse(ctx *fasthttp.RequestCtx, status int, why string) {
	msg := "stratbench balance: " + http.StatusText(status)
	if why != "" {
		msg += ": " + why
	}
	ctx.Response.Reset()
	ctx.Response.SetStatusCode(status)
	ctx.Response.Header.SetContentType("text/plain; charset=utf-8")
	ctx.Response.SetBodyString(msg + "\n")
	ctx.SetConnectionClose()
}

// Serve serves the balancer on ln until ctx is done, then stops accepting,
// closes idle connections and waits (up to 5s) for requests in progress,
// after which it cuts those still waiting on backends. ready, if not nil,
// is called once it listens.
func (b *Balancer) Serve(ctx context.Context, ln net.Listener, ready func(addr string)) error {
	srv := b.newServer()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(sysListener{ln}) }()
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if srv.ShutdownWithContext(sctx) != nil {
		b.abortInFlight()
		srv.Shutdown() // now that no request waits on a backend
	}
	<-errc
	return nil
}

// sysListener hands out its connections as sysConn. When the process is
// out of file descriptors or memory (clients hold too many connections)
// it waits and tries again, as net/http's server does, from 5ms doubling
// up to 1s: fasthttp's server would stop serving at the first such error.
type sysListener struct{ net.Listener }

func (l sysListener) Accept() (net.Conn, error) {
	var wait time.Duration
	for {
		c, err := l.Listener.Accept()
		if err == nil {
			return wrapClientConn(c), nil
		}
		if !localShortage(err) {
			return nil, err
		}
		wait = min(max(2*wait, 5*time.Millisecond), time.Second)
		time.Sleep(wait)
	}
}

// localShortage reports whether err is this process or system running
// out of a resource of its own (file descriptors, buffer memory, local
// ports): no fault of the peer.
func localShortage(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ENOBUFS) ||
		errors.Is(err, syscall.ENOMEM) || errors.Is(err, syscall.EADDRNOTAVAIL)
}

// hopHeader reports whether a header is not relayed to the other side:
// the hop-by-hop headers (RFC 9110 7.6.1), the framing (set anew), Expect
// (answered here) and the Forwarded family (a client could forge them).
func hopHeader(name []byte) bool {
	switch len(name) {
	case 2:
		return is(name, "TE")
	case 6:
		return is(name, "Expect")
	case 7:
		return is(name, "Upgrade") || is(name, "Trailer")
	case 9:
		return is(name, "Forwarded")
	case 10:
		return is(name, "Connection") || is(name, "Keep-Alive")
	case 14:
		return is(name, "Content-Length")
	case 15:
		return is(name, "X-Forwarded-For")
	case 16:
		return is(name, "Proxy-Connection") || is(name, "X-Forwarded-Host")
	case 17:
		return is(name, "Transfer-Encoding") || is(name, "X-Forwarded-Proto")
	case 18:
		return is(name, "Proxy-Authenticate")
	case 19:
		return is(name, "Proxy-Authorization")
	}
	return false
}

func is(name []byte, s string) bool { return bytes.EqualFold(name, []byte(s)) }

// headerValue returns the value of the first header of all named name, in
// any case: fasthttp's server keeps header names as they came
// (DisableHeaderNamesNormalizing), and its Peek matches them exactly.
func headerValue(all iter.Seq2[[]byte, []byte], name string) []byte {
	for k, v := range all {
		if len(k) == len(name) && is(k, name) {
			return v
		}
	}
	return nil
}

// listedIn reports whether name is one of the comma-separated tokens of a
// Connection header value (hop-by-hop for this message).
func listedIn(conn, name []byte) bool {
	for len(conn) > 0 {
		var tok []byte
		tok, conn, _ = bytes.Cut(conn, []byte{','})
		if bytes.EqualFold(bytes.Trim(tok, " \t"), name) {
			return true
		}
	}
	return false
}

// listedInAny reports whether name is listed in one of the Connection
// header values conns.
func listedInAny(conns [][]byte, name []byte) bool {
	for _, c := range conns {
		if listedIn(c, name) {
			return true
		}
	}
	return false
}

// listsHeaders reports whether a Connection header value lists a token
// other than close and keep-alive (a header to drop that is not always
// hop-by-hop).
func listsHeaders(conn []byte) bool {
	for len(conn) > 0 {
		var tok []byte
		tok, conn, _ = bytes.Cut(conn, []byte{','})
		if tok = bytes.Trim(tok, " \t"); len(tok) > 0 && !is(tok, "close") && !is(tok, "keep-alive") {
			return true
		}
	}
	return false
}

// checkHead refuses what fasthttp reads but nginx or Go's server refuse: it
// returns the status to answer and why, or 0.
func (b *Balancer) checkHead(h *fasthttp.RequestHeader) (int, string) {
	l := b.cfg.Limits
	switch p := h.Protocol(); {
	case string(p) == "HTTP/1.1", string(p) == "HTTP/1.0":
	default:
		return http.StatusHTTPVersionNotSupported, "unsupported version " + strconv.Quote(string(p))
	}
	if len(h.RequestURI()) > l.MaxRequestLine {
		return http.StatusRequestURITooLong, fmt.Sprintf("request target over %d bytes", l.MaxRequestLine)
	}
	if h.IsHTTP11() && len(h.Host()) == 0 {
		return http.StatusBadRequest, "no Host header"
	}
	raw := h.RawHeaders()
	lines, cl, te := 0, false, false
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '\n')
		if i < 0 {
			break
		}
		line := raw[:i]
		raw = raw[i+1:]
		if len(line) == 0 || line[len(line)-1] != '\r' {
			return http.StatusBadRequest, "a line ends in a bare LF"
		}
		line = line[:len(line)-1]
		if len(line) == 0 {
			break // the end of the head
		}
		if line[0] == ' ' || line[0] == '\t' {
			return http.StatusBadRequest, "obsolete line folding"
		}
		name, _, ok := bytes.Cut(line, []byte{':'})
		if !ok || len(name) == 0 || bytes.ContainsAny(name, " \t") {
			return http.StatusBadRequest, "malformed header line"
		}
		switch {
		case is(name, "Content-Length"):
			cl = true
		case is(name, "Transfer-Encoding"):
			te = true
		}
		lines++
	}
	if lines > l.MaxHeaders {
		return http.StatusRequestHeaderFieldsTooLarge, fmt.Sprintf("over %d header fields", l.MaxHeaders)
	}
	if cl && te {
		return http.StatusBadRequest, "both Content-Length and Transfer-Encoding"
	}
	return 0, ""
}

// bodyBuf holds a request's body (b) and the head sent to a backend
// between reading and sending (pooled in bodyBufs).
type bodyBuf struct{ b, head []byte }

// errBodyMemory is a request body refused because the bodies held in
// memory had reached Limits.MaxBufferedBodyBytes (503).
var errBodyMemory = errors.New("too many request bodies held in memory")

// readBody reads the request's body whole, under the body timeouts (the
// idle one re-armed at every read, so a deadline update per read: only
// requests with bodies pay it), into buf. A body larger than buf goes to
// a buffer of its own, doubled as it fills up to the declared length, and
// reserved (held bytes) against Limits.MaxBufferedBodyBytes: past it,
// errBodyMemory. The caller gives held back (b.bodyMem) when done.
func (b *Balancer) readBody(ctx *fasthttp.RequestCtx, buf []byte) (body []byte, held int64, err error) {
	h := &ctx.Request.Header
	if h.ContentLength() == 0 || h.ContentLength() == -2 {
		return buf[:0], 0, nil // no body (-2: none declared)
	}
	r := ctx.RequestBodyStream()
	if r == nil {
		return append(buf[:0], ctx.Request.Body()...), 0, nil
	}
	l := b.cfg.Limits
	total := time.Now().Add(l.BodyTimeout)
	want := l.MaxBodyBytes + 1 // room for one byte more, or the end
	if cl := h.ContentLength(); cl >= 0 && cl < l.MaxBodyBytes {
		want = cl + 1
	}
	defer func() {
		if err != nil {
			b.bodyMem.Add(-held)
			held = 0
		}
	}()
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			n := min(max(2*cap(buf), 16<<10), max(want, cap(buf)+1))
			if b.bodyMem.Add(int64(n)) > int64(l.MaxBufferedBodyBytes) {
				b.bodyMem.Add(-int64(n))
				return nil, held, errBodyMemory
			}
			buf = append(make([]byte, 0, n), buf...)
			b.bodyMem.Add(-held)
			held = int64(n)
		}
		dl := time.Now().Add(l.BodyIdleTimeout)
		if dl.After(total) {
			dl = total
		}
		ctx.SetReadDeadline(dl)
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > l.MaxBodyBytes {
			return nil, held, &clientError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", l.MaxBodyBytes)}
		}
		if err == io.EOF {
			return buf, held, nil
		}
		if err != nil {
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded):
				return nil, held, &clientError{http.StatusRequestTimeout, "request body too slow"}
			case errors.Is(err, fasthttp.ErrBodyTooLarge):
				return nil, held, &clientError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", l.MaxBodyBytes)}
			case errors.Is(err, io.ErrUnexpectedEOF) || isNetErr(err):
				return nil, held, &clientError{0, "the client went away mid-body"}
			}
			return nil, held, &clientError{http.StatusBadRequest, "malformed request body"}
		}
	}
}

func isNetErr(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) || errors.Is(err, net.ErrClosed)
}

// handle serves one request.
func (b *Balancer) handle(ctx *fasthttp.RequestCtx) {
	h := &ctx.Request.Header
	if status, why := b.checkHead(h); status != 0 {
		b.countClient(status)
		refuse(ctx, status, why)
		return
	}
	if string(ctx.Path()) == StatsPath {
		body, _ := jsonMarshal(b.Stats())
		ctx.Response.Header.SetContentType("application/json")
		ctx.Response.SetBody(body)
		return
	}
	bb := bodyBufs.Get().(*bodyBuf)
	defer bodyBufs.Put(bb)
	body, held, err := b.readBody(ctx, bb.b)
	if err == errBodyMemory {
		b.bodyMemFull.Add(1)
		refuse(ctx, http.StatusServiceUnavailable, err.Error())
		return
	}
	if err != nil {
		ce := err.(*clientError)
		b.countClient(ce.status)
		if ce.status == 0 {
			ctx.SetConnectionClose()
			return // nobody to answer
		}
		refuse(ctx, ce.status, ce.msg)
		return
	}
	if held > 0 {
		defer b.bodyMem.Add(-held) // a buffer of its own: not pooled
	} else {
		bb.b = body[:0]
	}
	replay := len(body) == 0 && (idempotent(string(h.Method())) ||
		len(headerValue(h.All(), "Idempotency-Key")) > 0 || len(headerValue(h.All(), "X-Idempotency-Key")) > 0)
	bb.head = appendHead(bb.head[:0], h, len(body))
	resp := &ctx.Response
	hb, err := b.forward(ctx, h.RequestURI(), replay, h.IsHead(), bb.head, body, resp)
	if err == errResponseMemory {
		b.respMemFull.Add(1)
		refuse(ctx, http.StatusServiceUnavailable, err.Error())
		return
	}
	if hb != nil {
		// fasthttp writes it and then closes it, which gives its bytes
		// back; or closes it unwritten when the response is dropped (the
		// connection failed before, or the request is reset).
		// Framed by its length, as fasthttp frames a body it holds (the
		// backend's trailers are not relayed: Trailer is hop-by-hop).
		resp.SetBodyStream(hb, len(hb.buf))
	}
	if err != nil {
		msg := "stratbench balance: " + err.Error() + "\n"
		resp.Reset()
		resp.SetStatusCode(errorStatus(err))
		resp.Header.SetContentType("text/plain; charset=utf-8")
		resp.SetBodyString(msg)
	}
}

// appendHead appends the head of the request to send to a backend for
// the client's request h with a body of bodyLen bytes: the request line in
// HTTP/1.1, the client's headers but the hop-by-hop ones, those the
// Connection header lists and those with an underscore in their name
// (dropped, as nginx does by default), and the body's Content-Length.
//
// The headers are looked at once when no Connection header lists another
// header (the common case: none, close or keep-alive); else they are
// written again, without those listed.
func appendHead(dst []byte, h *fasthttp.RequestHeader, bodyLen int) []byte {
	dst = append(dst, h.Method()...)
	dst = append(dst, ' ')
	dst = append(dst, h.RequestURI()...)
	dst = append(dst, " HTTP/1.1\r\n"...)
	start := len(dst)
	var connArr [2][]byte
	conns := connArr[:0] // the values of the Connection headers that list headers
	for k, v := range h.All() {
		if hopHeader(k) || bytes.IndexByte(k, '_') >= 0 {
			if len(k) == len("Connection") && is(k, "Connection") && listsHeaders(v) {
				conns = append(conns, v)
			}
			continue
		}
		dst = append(dst, k...)
		dst = append(dst, ": "...)
		dst = append(dst, v...)
		dst = append(dst, "\r\n"...)
	}
	if len(conns) > 0 {
		dst = dst[:start]
		for k, v := range h.All() {
			if hopHeader(k) || bytes.IndexByte(k, '_') >= 0 || listedInAny(conns, k) {
				continue
			}
			dst = append(dst, k...)
			dst = append(dst, ": "...)
			dst = append(dst, v...)
			dst = append(dst, "\r\n"...)
		}
	}
	if bodyLen > 0 || h.ContentLength() != 0 && h.ContentLength() != -2 {
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, int64(bodyLen), 10)
		dst = append(dst, "\r\n"...)
	}
	return append(dst, "\r\n"...)
}

// errNotSent is a failure to reach a backend before any byte of the
// request could have been used by it: the request may go to another.
type errNotSent struct{ err error }

func (e errNotSent) Error() string { return e.err.Error() }
func (e errNotSent) Unwrap() error { return e.err }

// forward sends a request to the backend the policy picks and reads the
// response into resp. target is the request target (the policy's key and
// size come from it); head and body are the request to send. It is the
// one retry rule:
// a request that failed before any response byte came back is sent once
// more, to another backend, when replay (no body, and an idempotent method
// or an idempotency key) and it did not time out.
//
// A response body over 4 KiB is not in resp but in hb, reserved: the
// caller closes hb when done with it. errResponseMemory (returned as is)
// is a response refused for want of room to hold its body.
func (b *Balancer) forward(ctx context.Context, target []byte, replay, isHead bool, head, body []byte, resp *fasthttp.Response) (hb *heldBody, err error) {
	job := strategies.Job{ID: math.MaxUint64}
	exclude := -1
	var first error
	for attempt := 0; ; attempt++ {
		s, err := b.acquire(ctx, string(target), exclude, &job)
		if err != nil {
			if first != nil {
				err = fmt.Errorf("%w; no other backend to retry on: %v", first, err)
			}
			return nil, err
		}
		hb, err = b.exchange(s, job, replay, isHead, head, body, resp)
		if err == nil {
			if attempt > 0 {
				b.retriedOK.Add(1)
			}
			return hb, nil
		}
		var ns errNotSent
		if !errors.As(err, &ns) || !replay || attempt > 0 {
			return nil, err
		}
		first, exclude = err, s
		b.retries.Add(1)
	}
}

// exchange sends a request to backend s and reads its response into resp
// (its body into hb when over smallResponse bytes), releasing the backend
// at the end. A failure is counted against the backend; one before any
// response byte (connection refused, reset or closed) also marks it dead
// and is an errNotSent. errResponseMemory is not counted against it.
func (b *Balancer) exchange(s int, job strategies.Job, replay, isHead bool, head, body []byte, resp *fasthttp.Response) (hb *heldBody, err error) {
	be := b.backends[s]
	t0 := time.Now()
	var end time.Time // when the response was read (zero: read the clock at release)
	o := outcomeOK
	svc := -1.0
	defer func() {
		if end.IsZero() {
			end = time.Now()
		}
		b.release(s, job, float64(end.Sub(t0).Nanoseconds()), svc, o)
	}()
	failed := func(e error, dead bool) error {
		o = outcomeFailed
		b.fail(s, e)
		if dead {
			b.markDead(s)
		}
		return fmt.Errorf("backend %s: %w", be.addr, e)
	}
	l := b.cfg.Limits
	firstBy, endBy := time.Time{}, time.Time{}
	if b.cfg.BackendTimeout > 0 {
		endBy = t0.Add(b.cfg.BackendTimeout)
		firstBy = t0.Add(min(l.FirstByteTimeout, b.cfg.BackendTimeout))
	} else {
		firstBy = t0.Add(l.FirstByteTimeout)
	}
	for try := 0; ; try++ {
		pc, reused, err := be.pool.get(b, be, t0, firstBy)
		if err != nil {
			err = errNotSent{fmt.Errorf("connect: %w", err)}
			if localShortage(err) {
				o = outcomeUnsent // the balancer's own lack: nothing against the backend
				return nil, fmt.Errorf("backend %s: %w", be.addr, err)
			}
			return nil, failed(err, true)
		}
		// Send, and wait for the first byte of the response; a request
		// that does not fit in the socket is sent by then too.
		whole, err := pc.send(head, body, firstBy)
		if err != nil {
			pc.close()
			if isTimeout(err) {
				return nil, failed(errBackendTimeout, false)
			}
			if reused && try == 0 && replay {
				continue // closed by the backend as we reused it: once more on a fresh connection, as net/http does
			}
			if reused {
				// Not sent again (it may have been received); the backend
				// is not dead for having closed an idle connection.
				return nil, failed(errors.New("the pooled connection was closed by the backend"), false)
			}
			return nil, failed(errNotSent{err}, true)
		}
		if !endBy.IsZero() && endBy.After(firstBy) {
			pc.arm(time.Now(), endBy)
		}
		// The head first (interim responses skipped), then the body: a
		// large one is reserved before it is read.
		resp.SkipBody = true
		err = resp.ReadLimitBody(pc.br, l.MaxResponseBodyBytes)
		resp.SkipBody = isHead
		switch code := resp.StatusCode(); {
		case err != nil:
		case code == http.StatusSwitchingProtocols:
			err = errors.New("protocol switch is not supported by the balancer")
		case code < 100:
			// fasthttp would write it with its body and no framing.
			err = fmt.Errorf("invalid status %d", code)
		case isHead || code < 200 || code == http.StatusNoContent || code == http.StatusNotModified:
			// no body (fasthttp's own rule)
		default:
			hb, err = b.readResponseBody(pc.br, resp)
		}
		if err == errResponseMemory {
			// The balancer's lack, not the backend's fault: the body is
			// left unread and its connection closed (draining it would
			// cost as much reading as relaying it).
			pc.close()
			resp.Reset()
			o = outcomeClient
			return nil, err
		}
		if err != nil {
			pc.close()
			var small *fasthttp.ErrSmallBuffer
			switch {
			case isTimeout(err):
				err = errBackendTimeout
			case errors.As(err, &small):
				err = fmt.Errorf("response head over %d bytes", l.MaxResponseHeaderBytes)
			case errors.Is(err, fasthttp.ErrBodyTooLarge):
				err = fmt.Errorf("response body over %d bytes", l.MaxResponseBodyBytes)
			default:
				err = fmt.Errorf("response: %w", err)
			}
			resp.Reset()
			return nil, failed(err, false)
		}
		rh := &resp.Header
		keep := whole && !resp.ConnectionClose() // a request cut short ends its connection
		rh.ResetConnectionClose()
		svc = stripHop(rh)
		end = time.Now()
		if !keep {
			pc.close()
		} else if pc.br.Buffered() > 0 {
			b.unsolicited.Add(1) // bytes after a complete response: the connection is out of step
			pc.close()
		} else {
			be.pool.put(pc, end)
		}
		return hb, nil
	}
}

// smallResponse is the largest response body kept in the server's own
// response buffer (pooled with its connection's context) and not counted
// against Limits.MaxBufferedResponseBytes: the fast path of the common
// small answer costs nothing more, and what these hold together is
// bounded by Limits.MaxConns times it, less than the servers' own read and
// write buffers of those connections.
const smallResponse = 4 << 10

// errResponseMemory is a response refused because the response bodies
// held in memory had reached Limits.MaxBufferedResponseBytes (503).
var errResponseMemory = errors.New("too many response bodies held in memory")

// readResponseBody reads the body of the response whose head is in resp
// from br. A body of at most smallResponse bytes goes to resp as before.
// A larger one of declared length is reserved first (errResponseMemory if
// there is no room; nothing is read then) and read into a buffer of its
// own, returned as hb. A chunked or close-delimited one is read by
// fasthttp (bounded by Limits.MaxResponseBodyBytes), then reserved and
// copied out of resp when large: those are held past the budget only
// while read, not while their clients read them.
func (b *Balancer) readResponseBody(br *bufio.Reader, resp *fasthttp.Response) (hb *heldBody, err error) {
	l := b.cfg.Limits
	cl := resp.Header.ContentLength()
	switch {
	case cl >= 0 && cl <= smallResponse:
		return nil, resp.ReadBody(br, l.MaxResponseBodyBytes)
	case cl > l.MaxResponseBodyBytes:
		return nil, fasthttp.ErrBodyTooLarge
	case cl > 0:
		if hb = b.holdResponse(cl); hb == nil {
			return nil, errResponseMemory
		}
		if _, err := io.ReadFull(br, hb.buf); err != nil {
			hb.Close()
			return nil, err
		}
		return hb, nil
	}
	if err := resp.ReadBody(br, l.MaxResponseBodyBytes); err != nil {
		return nil, err
	}
	if cl == -1 {
		if err := resp.Header.ReadTrailer(br); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	body := resp.Body()
	if len(body) <= smallResponse {
		return nil, nil
	}
	if hb = b.holdResponse(len(body)); hb == nil {
		resp.ResetBody()
		return nil, errResponseMemory
	}
	copy(hb.buf, body)
	resp.ResetBody()
	return hb, nil
}

// Buffers of held bodies up to maxPooledResponse bytes are pooled by size
// class, powers of two from minPooledResponse: a fresh buffer per answer
// of some KiB cost ten times the read itself (BenchmarkReadResponse). A
// pooled buffer is not counted against the budget; the pools hold at most
// what was in use (within the budget) and are emptied by the garbage
// collector.
const (
	minPooledResponse = 8 << 10
	maxPooledResponse = 1 << 20
)

var respBufs [8]sync.Pool // 8 KiB to 1 MiB (respClass(maxPooledResponse) == 7)

// respClass is the pool of a buffer for n bytes, or -1 for none (n over
// maxPooledResponse).
func respClass(n int) int {
	if n > maxPooledResponse {
		return -1
	}
	return max(bits.Len(uint(n-1))-bits.Len(minPooledResponse-1), 0)
}

// holdResponse reserves room for a body of n bytes against
// Limits.MaxBufferedResponseBytes (the capacity of its buffer: n rounded
// up to its size class) and returns it with a buffer of n bytes, or nil
// when there is no room.
func (b *Balancer) holdResponse(n int) *heldBody {
	c := respClass(n)
	size := n
	if c >= 0 {
		size = minPooledResponse << c
	}
	if b.respMem.Add(int64(size)) > int64(b.cfg.Limits.MaxBufferedResponseBytes) {
		b.respMem.Add(-int64(size))
		return nil
	}
	hb := &heldBody{b: b, held: int64(size), class: c}
	if c < 0 {
		hb.buf = make([]byte, n)
	} else if p, _ := respBufs[c].Get().(*[]byte); p != nil {
		hb.pooled, hb.buf = p, (*p)[:n]
	} else {
		hb.buf = make([]byte, n, size)
	}
	return hb
}

// heldBody is a response body held for its client, reserved against
// Limits.MaxBufferedResponseBytes until closed. It is the server's body
// stream: fasthttp's Response closes a body stream once it has written it
// (writeBodyStream, after success or a write error alike), and when a
// response with one is reset unwritten (ResetBody, which the server's
// Reset of every context, after each request and when the connection
// ends, reaches). Its WriteTo hands the whole body to the writer at once,
// so that a large body goes out in one write, as a body in the response's
// buffer would.
type heldBody struct {
	b      *Balancer
	buf    []byte
	off    int
	held   int64   // bytes reserved, 0 once given back
	class  int     // the pool of buf (respClass), or -1
	pooled *[]byte // the pool's handle of buf, if it came from the pool
}

func (h *heldBody) Read(p []byte) (int, error) {
	if h.off >= len(h.buf) {
		return 0, io.EOF
	}
	n := copy(p, h.buf[h.off:])
	h.off += n
	return n, nil
}

func (h *heldBody) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(h.buf[h.off:])
	h.off += n
	return int64(n), err
}

// Close gives the body's bytes back (once) and its buffer to its pool.
func (h *heldBody) Close() error {
	if h.held == 0 {
		return nil
	}
	h.b.respMem.Add(-h.held)
	h.held = 0
	if h.class >= 0 {
		p := h.pooled
		if p == nil {
			p = new([]byte)
		}
		*p = h.buf[:0]
		respBufs[h.class].Put(p)
	}
	h.buf, h.off, h.pooled = nil, 0, nil
	return nil
}

// stripHop removes the hop-by-hop headers of a backend's response (but
// Content-Length, which fasthttp writes anew) and those its Connection
// header lists, and returns the service time the backend reported
// (worker.HeaderService, in ns), or -1. Most responses have no header to
// remove, which the one look at each header that finds the service time
// finds out.
func stripHop(rh *fasthttp.ResponseHeader) (serviceNs float64) {
	serviceNs = -1
	var conns [][]byte // the values of the Connection headers
	hop := false
	for k, v := range rh.All() {
		if serviceNs < 0 && len(k) == len(worker.HeaderService) && is(k, worker.HeaderService) {
			if ns, ok := parseNs(v); ok {
				serviceNs = ns
			}
		}
		// Content-Length is the one hop header of 14 bytes.
		if len(k) != len("Content-Length") && hopHeader(k) {
			hop = true
			if len(k) == len("Connection") && is(k, "Connection") {
				conns = append(conns, v)
			}
		}
	}
	if !hop {
		return serviceNs
	}
	var drop [][]byte
	for k := range rh.All() {
		if len(k) != len("Content-Length") && hopHeader(k) || listedInAny(conns, k) {
			drop = append(drop, append([]byte(nil), k...))
		}
	}
	for _, k := range drop {
		rh.DelBytes(k)
	}
	return serviceNs
}

// parseNs parses a service time in nanoseconds, finite and >= 0: plain
// digits (as the workers write it) without strconv's float parser, else
// as a float.
func parseNs(v []byte) (float64, bool) {
	if n, ok := parseDigits(v); ok {
		return float64(n), true
	}
	ns, err := strconv.ParseFloat(string(v), 64)
	return ns, err == nil && ns >= 0 && !math.IsInf(ns, 0)
}

// parseDigits parses 1 to 15 decimal digits.
func parseDigits(v []byte) (uint64, bool) {
	if len(v) == 0 || len(v) > 15 {
		return 0, false
	}
	n := uint64(0)
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = 10*n + uint64(c-'0')
	}
	return n, true
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// ---- the client side: Balancer as an http.RoundTripper ----

// RoundTrip sends req through the same path as a proxied request (the
// policy, the limits, the retry rule), so that a client balances on its
// own side with no proxy hop.
func (b *Balancer) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(io.LimitReader(req.Body, int64(b.cfg.Limits.MaxBodyBytes)+1))
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		if len(body) > b.cfg.Limits.MaxBodyBytes {
			return nil, fmt.Errorf("request body over %d bytes", b.cfg.Limits.MaxBodyBytes)
		}
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	target := req.URL.RequestURI()
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	replay := len(body) == 0 && (req.Header.Get("Idempotency-Key") != "" || req.Header.Get("X-Idempotency-Key") != "" || idempotent(method))
	head := fmt.Appendf(nil, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, target, host)
	for k, vs := range req.Header {
		if hopHeader([]byte(k)) || k == "Host" {
			continue
		}
		for _, v := range vs {
			head = fmt.Appendf(head, "%s: %s\r\n", k, v)
		}
	}
	if len(body) > 0 || method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		head = fmt.Appendf(head, "Content-Length: %d\r\n", len(body))
	}
	head = append(head, "\r\n"...)
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	hb, err := b.forward(req.Context(), []byte(target), replay, method == http.MethodHead, head, body, resp)
	if err == errResponseMemory {
		b.respMemFull.Add(1)
	}
	if err != nil {
		return nil, err
	}
	rbody := resp.Body()
	if hb != nil {
		rbody = hb.buf
		defer hb.Close()
	}
	out := &http.Response{
		Status:        strconv.Itoa(resp.StatusCode()) + " " + http.StatusText(resp.StatusCode()),
		StatusCode:    resp.StatusCode(),
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        make(http.Header, resp.Header.Len()),
		ContentLength: int64(len(rbody)),
		Request:       req,
	}
	for k, v := range resp.Header.All() {
		out.Header.Add(string(k), string(v))
	}
	out.Body = io.NopCloser(bytes.NewReader(bytes.Clone(rbody)))
	return out, nil
}
