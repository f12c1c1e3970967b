package cluster

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/stratbench/stratbench/strategies"
)

// The balancer's fast path relays plain HTTP/1.1 requests between the
// client's and the backend's connection buffers without building
// http.Request and http.Response values: it reads the request head in
// place, forwards its lines minus the hop-by-hop headers, and relays the
// response head and body the same way. Building, cloning, canonicalizing
// and re-serializing headers through net/http cost about half the
// balancer's CPU per small request; nginx and HAProxy do not do it either.
//
// It takes only requests it can relay exactly: HTTP/1.1, origin-form
// target, one Host, no Transfer-Encoding, Upgrade or Expect, a Connection
// header that says at most keep-alive or close, every line ending in CRLF
// and valid header names and values. Anything else (and StatsPath) goes to
// the net/http path, which handles the full protocol.

// rawHandler is a handler that can serve a request straight from a
// connection's buffers.
type rawHandler interface {
	// serveRaw serves the request whose head (request line to the empty
	// line, inclusive) starts br's buffer. handled=false means it did not
	// take the request: nothing was consumed or written. keep=false means
	// the connection must be closed after bw is flushed. It calls
	// bodyFollows before reading a request body, which lifts the deadline
	// that bounds the wait for a request head.
	serveRaw(br *bufio.Reader, bw *bufio.Writer, head []byte, bodyFollows func()) (handled, keep bool)
}

// peekHead returns the head of the next message in br (its first line to
// the empty line that ends it, inclusive) without consuming it, or nil
// when it does not fit in br's buffer or the connection failed first. With
// wait false it looks only at what br holds already.
func peekHead(br *bufio.Reader, wait bool) []byte {
	from := 0
	for {
		buf, _ := br.Peek(br.Buffered())
		for i := from; i < len(buf); {
			j := bytes.IndexByte(buf[i:], '\n')
			if j < 0 {
				break
			}
			line := buf[i : i+j]
			i += j + 1
			if len(line) == 0 || len(line) == 1 && line[0] == '\r' {
				if i == 1 || i == 2 { // an empty line before the first: not a head
					return nil
				}
				return buf[:i]
			}
			from = i
		}
		if !wait || len(buf) >= br.Size() {
			return nil
		}
		if _, err := br.Peek(len(buf) + 1); err != nil {
			return nil
		}
	}
}

// headLines iterates over the lines of a head after its first line.
type headLines struct {
	rest []byte
	// strict: check header values too (requests come from outside;
	// backends are trusted as far as relaying values goes).
	strict bool
}

// next returns the next header line without its CRLF, its name and its
// value with surrounding blanks trimmed. ok is false at the empty line that
// ends the head; valid is false for a line the fast path cannot relay
// exactly (no CRLF, a continuation line, an invalid name, or when strict an
// invalid value).
func (h *headLines) next() (line, name, value []byte, ok, valid bool) {
	i := bytes.IndexByte(h.rest, '\n')
	if i < 1 || h.rest[i-1] != '\r' {
		return nil, nil, nil, false, false
	}
	line, h.rest = h.rest[:i-1], h.rest[i+1:]
	if len(line) == 0 {
		return nil, nil, nil, false, true
	}
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 || !isToken(line[:colon]) {
		return line, nil, nil, true, false
	}
	value = bytes.Trim(line[colon+1:], " \t")
	if h.strict {
		for _, c := range value {
			if c < ' ' && c != '\t' || c == 0x7f {
				return line, nil, nil, true, false
			}
		}
	}
	return line, line[:colon], value, true, true
}

var tokenChars = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tokenChars[c] {
			return false
		}
	}
	return true
}

func is(name []byte, s string) bool { return bytes.EqualFold(name, []byte(s)) }

// forEachToken calls f with each comma-separated token of a header value.
func forEachToken(v []byte, f func(tok []byte)) {
	for len(v) > 0 {
		var tok []byte
		tok, v, _ = bytes.Cut(v, []byte{','})
		if tok = bytes.Trim(tok, " \t"); len(tok) > 0 {
			f(tok)
		}
	}
}

// hdr names the headers the fast path looks at.
type hdr uint8

const (
	hOther hdr = iota
	hHost
	hContentLength
	hTransferEncoding
	hConnection
	hKeepAlive
	hProxyConnection
	hUpgrade
	hExpect
	hTE
	hTrailer
	hProxyAuthenticate
	hProxyAuthorization
	hForwarded
	hXForwardedFor
	hXForwardedHost
	hXForwardedProto
	hIdempotencyKey
	hService
)

// headerKind classifies a header name, case-insensitively.
func headerKind(name []byte) hdr {
	one := func(h hdr, s string) hdr {
		if is(name, s) {
			return h
		}
		return hOther
	}
	switch len(name) {
	case 2:
		return one(hTE, "TE")
	case 4:
		return one(hHost, "Host")
	case 6:
		return one(hExpect, "Expect")
	case 7:
		if k := one(hUpgrade, "Upgrade"); k != hOther {
			return k
		}
		return one(hTrailer, "Trailer")
	case 9:
		return one(hForwarded, "Forwarded")
	case 10:
		if k := one(hConnection, "Connection"); k != hOther {
			return k
		}
		return one(hKeepAlive, "Keep-Alive")
	case 14:
		return one(hContentLength, "Content-Length")
	case 15:
		if k := one(hXForwardedFor, "X-Forwarded-For"); k != hOther {
			return k
		}
		return one(hIdempotencyKey, "Idempotency-Key")
	case 16:
		if k := one(hProxyConnection, "Proxy-Connection"); k != hOther {
			return k
		}
		return one(hXForwardedHost, "X-Forwarded-Host")
	case 17:
		if k := one(hTransferEncoding, "Transfer-Encoding"); k != hOther {
			return k
		}
		if k := one(hXForwardedProto, "X-Forwarded-Proto"); k != hOther {
			return k
		}
		return one(hIdempotencyKey, "X-Idempotency-Key")
	case 18:
		return one(hProxyAuthenticate, "Proxy-Authenticate")
	case 19:
		return one(hProxyAuthorization, "Proxy-Authorization")
	case len(HeaderService):
		return one(hService, HeaderService)
	}
	return hOther
}

// hopRequest reports whether a request header is not relayed: the
// hop-by-hop headers, and the X-Forwarded family and Forwarded, which
// httputil.ReverseProxy drops with a Rewrite function that does not set
// them.
func hopRequest(k hdr) bool {
	switch k {
	case hConnection, hKeepAlive, hProxyConnection, hUpgrade, hTE, hTrailer, hTransferEncoding,
		hProxyAuthenticate, hProxyAuthorization, hForwarded, hXForwardedFor, hXForwardedHost, hXForwardedProto:
		return true
	}
	return false
}

// rawRequest is what the fast path needs of a request head. head, method
// and target are slices of the client connection's read buffer: valid only
// until the body is read, so everything needed later is copied out.
type rawRequest struct {
	head   []byte
	method []byte
	target []byte
	isHead bool // the method is HEAD: the response has no body
	// replay: the request may be sent again (no body, and an idempotent
	// method or an idempotency key), as RoundTrip's replayable.
	replay bool
	clen   int64 // Content-Length, 0 when absent
	close  bool  // the client asked to close the connection
	// idemKey: the request carries an Idempotency-Key (or X-) header.
	idemKey bool
	// consumed: the head and body were read from the connection.
	consumed bool
	// hop: the head has headers that are not relayed.
	hop bool
}

// parseRawRequest reads head into r and reports whether the fast path can
// relay the request exactly.
func parseRawRequest(head []byte, r *rawRequest) bool {
	eol := bytes.IndexByte(head, '\n')
	if eol < 1 || head[eol-1] != '\r' {
		return false
	}
	first := head[:eol-1]
	sp1 := bytes.IndexByte(first, ' ')
	sp2 := bytes.LastIndexByte(first, ' ')
	if sp1 <= 0 || sp2 <= sp1 || string(first[sp2+1:]) != "HTTP/1.1" || !isToken(first[:sp1]) {
		return false
	}
	*r = rawRequest{head: head, method: first[:sp1], target: first[sp1+1 : sp2]}
	r.isHead = string(r.method) == http.MethodHead
	if !plainTarget(r.target) {
		return false
	}
	if path, _, _ := bytes.Cut(r.target, []byte{'?'}); string(path) == StatsPath ||
		bytes.IndexByte(path, '%') >= 0 && unescapesTo(path, StatsPath) {
		return false // answered by ServeHTTP
	}
	hosts, lengths := 0, 0
	h := headLines{rest: head[eol+1:], strict: true}
	for {
		_, name, value, ok, valid := h.next()
		if !valid {
			return false
		}
		if !ok {
			break
		}
		k := headerKind(name)
		r.hop = r.hop || hopRequest(k)
		switch k {
		case hHost:
			hosts++
			if !validHost(value) {
				return false
			}
		case hContentLength:
			n, ok := parseLength(value)
			if !ok {
				return false
			}
			lengths++
			r.clen = n
		case hTransferEncoding, hUpgrade, hExpect, hTE:
			return false // TE: trailers is relayed by the net/http path
		case hIdempotencyKey:
			r.idemKey = r.idemKey || len(value) > 0
		case hConnection:
			plain := true
			forEachToken(value, func(tok []byte) {
				switch {
				case is(tok, "close"):
					r.close = true
				case is(tok, "keep-alive"):
				default:
					plain = false
				}
			})
			if !plain {
				return false
			}
		}
	}
	r.replay = r.clen == 0 && (r.idemKey || idempotent(string(r.method)))
	return hosts == 1 && lengths <= 1
}

// parseLength parses a Content-Length value: decimal digits only.
func parseLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = 10*n + int64(c-'0')
	}
	return n, true
}

// hostChars are the bytes net/http's server accepts in a Host header.
var hostChars = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!$%&'()*+,-.:;=[]_~" {
		t[c] = true
	}
	return t
}()

func validHost(v []byte) bool {
	for _, c := range v {
		if !hostChars[c] {
			return false
		}
	}
	return true
}

// unescapesTo reports whether the percent-encoded path decodes to want.
func unescapesTo(path []byte, want string) bool {
	p, err := url.PathUnescape(string(path))
	return err != nil || p == want // undecodable: let the net/http path judge
}

// uriChars are the bytes of an origin-form target relayed as is: RFC 3986
// pchar, '/' and '?' ('%' is checked apart).
var uriChars = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "-._~!$&'()*+,;=:@/?" {
		t[c] = true
	}
	return t
}()

// plainTarget reports whether target is an origin-form request target that
// the net/http path would also send unchanged: pchar only, valid percent
// escapes, and no ';' in the query (httputil.ReverseProxy drops query
// parameters it cannot parse).
func plainTarget(target []byte) bool {
	if len(target) == 0 || target[0] != '/' {
		return false
	}
	query := false
	for i := 0; i < len(target); i++ {
		c := target[i]
		switch {
		case c == '%':
			if i+2 >= len(target) || !isHex(target[i+1]) || !isHex(target[i+2]) {
				return false
			}
			i += 2
		case !uriChars[c], query && c == ';':
			return false
		case c == '?':
			query = true
		}
	}
	return true
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// writeRequestHead writes r's head to w, minus hop-by-hop headers.
func writeRequestHead(w *bufio.Writer, r *rawRequest) {
	if !r.hop {
		w.Write(r.head)
		return
	}
	eol := bytes.IndexByte(r.head, '\n')
	w.Write(r.head[:eol+1])
	h := headLines{rest: r.head[eol+1:]}
	for {
		line, name, _, ok, _ := h.next()
		if !ok {
			break
		}
		if !hopRequest(headerKind(name)) {
			w.Write(line)
			w.WriteString("\r\n")
		}
	}
	w.WriteString("\r\n")
}

// rawResponse is what the fast path needs of a response head.
type rawResponse struct {
	status    int
	clen      int64 // -1 when absent
	chunked   bool  // Transfer-Encoding ends in chunked
	te        bool  // Transfer-Encoding present
	keep      bool  // the backend keeps the connection open
	hop       bool  // the head has headers that are not relayed
	serviceNs float64
	// connTokens are header names the backend's Connection header lists
	// (hop-by-hop for this response, not relayed).
	connTokens [][]byte
}

var errBadResponse = errors.New("malformed response head")

// parseRawResponse reads a response head into r. Header values are not
// checked (the backend is trusted as far as relaying them goes) except
// those it reads.
func parseRawResponse(head []byte, r *rawResponse) error {
	eol := bytes.IndexByte(head, '\n')
	if eol < 1 || head[eol-1] != '\r' {
		return errBadResponse
	}
	first := head[:eol-1]
	if len(first) < 12 || !bytes.HasPrefix(first, []byte("HTTP/1.")) || first[7] < '0' || first[7] > '9' ||
		first[8] != ' ' || len(first) > 12 && first[12] != ' ' {
		return errBadResponse
	}
	code, err := strconv.Atoi(string(first[9:12]))
	if err != nil || code < 100 {
		return errBadResponse
	}
	// HTTP/1.1 and later minor versions keep connections by default.
	*r = rawResponse{status: code, clen: -1, keep: first[7] >= '1', serviceNs: -1, connTokens: r.connTokens[:0]}
	sawClose := false
	h := headLines{rest: head[eol+1:]}
	for {
		_, name, value, ok, valid := h.next()
		if !valid {
			return errBadResponse
		}
		if !ok {
			break
		}
		switch headerKind(name) {
		case hContentLength:
			n, ok := parseLength(value)
			if !ok || r.clen >= 0 && r.clen != n {
				return errBadResponse
			}
			r.clen = n
		case hTransferEncoding:
			r.te = true
			r.chunked = false
			forEachToken(value, func(tok []byte) { r.chunked = is(tok, "chunked") })
		case hConnection:
			r.hop = true
			forEachToken(value, func(tok []byte) {
				switch {
				case is(tok, "close"):
					sawClose = true
				case is(tok, "keep-alive"):
					r.keep = true
				default:
					r.connTokens = append(r.connTokens, tok)
				}
			})
		case hKeepAlive, hProxyConnection, hUpgrade, hProxyAuthenticate, hTE:
			r.hop = true
		case hService:
			if ns, err := strconv.ParseFloat(string(value), 64); err == nil && ns >= 0 {
				r.serviceNs = ns
			}
		}
	}
	if sawClose {
		r.keep = false // close wins over keep-alive
	}
	if r.te {
		r.hop = r.hop || r.clen >= 0
		r.clen = -1 // Transfer-Encoding overrides Content-Length (RFC 9112 6.3)
		if !r.chunked {
			r.keep = false // the body ends when the connection does
		}
	}
	return nil
}

// hopResponse reports whether a response header is not relayed.
func hopResponse(name []byte, r *rawResponse) bool {
	switch headerKind(name) {
	case hConnection, hKeepAlive, hProxyConnection, hUpgrade, hProxyAuthenticate, hTE:
		return true
	case hContentLength:
		return r.te
	}
	for _, t := range r.connTokens {
		if bytes.EqualFold(name, t) {
			return true
		}
	}
	return false
}

// writeResponseHead writes the response head to w as HTTP/1.1, minus
// hop-by-hop headers, with Connection: close unless keep.
func writeResponseHead(w *bufio.Writer, head []byte, r *rawResponse, keep bool) {
	w.WriteString("HTTP/1.1")
	if !r.hop {
		if keep {
			w.Write(head[8:])
			return
		}
		w.Write(head[8 : len(head)-2])
		w.WriteString("Connection: close\r\n\r\n")
		return
	}
	eol := bytes.IndexByte(head, '\n')
	w.Write(head[8 : eol+1])
	h := headLines{rest: head[eol+1:]}
	for {
		line, name, _, more, _ := h.next()
		if !more {
			break
		}
		if !hopResponse(name, r) {
			w.Write(line)
			w.WriteString("\r\n")
		}
	}
	if !keep {
		w.WriteString("Connection: close\r\n")
	}
	w.WriteString("\r\n")
}

// bodyless reports whether a response with status has no body (isHead:
// the request was a HEAD).
func bodyless(isHead bool, status int) bool {
	return isHead || status == 204 || status == 304 || status < 200
}

// backendError is a failure of the backend connection (as opposed to the
// client's): the backend is marked dead, as in Balancer.send.
type backendError struct{ err error }

func (e backendError) Error() string { return e.err.Error() }
func (e backendError) Unwrap() error { return e.err }

// serveRaw implements rawHandler: the same placement, retries and counters
// as RoundTrip, over the connections' buffers.
func (b *Balancer) serveRaw(br *bufio.Reader, bw *bufio.Writer, head []byte, bodyFollows func()) (handled, keep bool) {
	var rq rawRequest
	if !parseRawRequest(head, &rq) {
		return false, true
	}
	if rq.clen > 0 {
		bodyFollows()
	}
	ctx := context.Background()
	target := string(rq.target)
	job := strategies.Job{ID: math.MaxUint64}
	exclude := -1
	var firstErr error
	for attempt := 0; ; attempt++ {
		s, err := b.acquire(ctx, target, exclude, &job)
		if err != nil {
			if firstErr != nil {
				err = fmt.Errorf("%w; no other backend to retry on: %v", firstErr, err)
			}
			return true, writeRawError(bw, br, &rq, err)
		}
		sent, keep, err := b.exchange(s, job, &rq, br, bw)
		if err == nil || sent {
			if err == nil && attempt > 0 {
				b.retriedOK.Add(1)
			}
			return true, keep && err == nil
		}
		var be backendError
		if !errors.As(err, &be) || !rq.replay || rq.consumed || attempt > 0 {
			ok := writeRawError(bw, br, &rq, err)
			return true, keep && ok
		}
		firstErr, exclude = err, s
		b.retries.Add(1)
	}
}

// writeRawError answers err to the client as proxyError does and reports
// whether the connection can stay open (the request was read whole).
func writeRawError(bw *bufio.Writer, br *bufio.Reader, rq *rawRequest, err error) bool {
	code := errorStatus(err)
	msg := "stratbench balance: " + err.Error() + "\n"
	keep := !rq.close
	if !rq.consumed {
		// Read the request to its end (a body up to 1 MiB, as net/http's
		// server does) so that the connection can go on, and so that
		// closing it with unread data does not reset it before the
		// client reads the answer.
		br.Discard(len(rq.head))
		if rq.clen > 1<<20 || discardN(br, rq.clen) != nil {
			keep = false
		}
		rq.consumed = true
	}
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n", code, http.StatusText(code))
	if !keep {
		bw.WriteString("Connection: close\r\n")
	}
	fmt.Fprintf(bw, "Content-Length: %d\r\n\r\n%s", len(msg), msg)
	return keep
}

// exchange sends rq to backend s and relays the response to bw. sent
// reports whether any of the response went to bw (then the request cannot
// be retried); keep whether the client connection may serve another
// request. The backend is released here, marked dead on a backend error.
func (b *Balancer) exchange(s int, job strategies.Job, rq *rawRequest, br *bufio.Reader, bw *bufio.Writer) (sent, keep bool, err error) {
	be := b.backends[s]
	t0 := time.Now()
	ok := false
	var svc float64 = -1
	defer func() {
		var be backendError
		if errors.As(err, &be) {
			b.markDead(s)
		}
		b.release(s, job, float64(time.Since(t0).Nanoseconds()), svc, ok)
	}()
	var pc *pconn
	var head []byte // the response head, in pc.br's buffer
	fail := func(e error) error {
		if pc != nil && pc.timedOut.Load() {
			return fmt.Errorf("backend %s: %w", be.addr, errBackendTimeout)
		}
		return backendError{fmt.Errorf("backend %s: %w", be.addr, e)}
	}
	for try := 0; ; try++ {
		var reused bool
		var derr error
		if try == 0 {
			pc, reused, derr = b.transport.get(context.Background(), be.addr)
		} else {
			pc, derr = b.transport.dial(context.Background(), be.addr)
		}
		if derr == nil && reused && !rq.replay && !alive(pc) {
			// A request that may not be sent twice: make sure first that
			// the backend has not closed this idle connection.
			pc.close()
			pc, derr = b.transport.dial(context.Background(), be.addr)
			reused = false
		}
		if derr != nil {
			return false, !rq.close, fail(derr)
		}
		pc.begin(t0.UnixNano())
		writeRequestHead(pc.bw, rq)
		if rq.clen > 0 {
			br.Discard(len(rq.head))
			cerr, berr := copyBody(pc.bw, br, rq.clen)
			rq.consumed = cerr == nil && berr == nil
			if cerr != nil || berr != nil {
				pc.close()
				if cerr != nil {
					return false, false, fmt.Errorf("client: %w", cerr)
				}
				return false, false, fail(berr)
			}
		}
		werr := pc.bw.Flush()
		if werr == nil {
			head = peekHead(pc.br, true)
		}
		if head != nil {
			break
		}
		// A pooled connection the backend had closed fails at once, with
		// nothing read: once more on a fresh one, as net/http does.
		stale := reused && (werr != nil || pc.br.Buffered() == 0)
		pc.close()
		if stale && rq.replay {
			continue
		}
		switch {
		case stale:
			// Not sent again (it may have been received); the backend is
			// not dead for having closed an idle connection.
			return false, false, fmt.Errorf("backend %s: the pooled connection was closed by the backend", be.addr)
		case werr != nil:
			return false, false, fail(werr)
		case pc.br.Buffered() >= pc.br.Size():
			return false, false, fmt.Errorf("backend %s: response head larger than %d bytes", be.addr, pc.br.Size())
		}
		return false, false, fail(io.ErrUnexpectedEOF)
	}
	if !rq.consumed {
		br.Discard(len(rq.head))
		rq.consumed = true
	}
	keep = !rq.close
	var rs rawResponse
	for {
		if err := parseRawResponse(head, &rs); err != nil {
			pc.close()
			return false, keep, fmt.Errorf("backend %s: %w", be.addr, err)
		}
		if rs.status == 101 {
			pc.close()
			return false, keep, fmt.Errorf("backend %s: protocol switch is not supported by the balancer", be.addr)
		}
		if rs.status >= 200 {
			break
		}
		pc.br.Discard(len(head)) // an interim response (103 Early Hints): not relayed
		if head = peekHead(pc.br, true); head == nil {
			pc.close()
			return false, keep, fail(io.ErrUnexpectedEOF)
		}
	}
	svc = rs.serviceNs
	noBody := bodyless(rq.isHead, rs.status)
	closeDelimited := !noBody && rs.clen < 0 && !rs.chunked
	if closeDelimited {
		keep = false
	}
	writeResponseHead(bw, head, &rs, keep)
	pc.br.Discard(len(head))

	var cerr, berr error
	switch {
	case noBody:
	case rs.chunked:
		cerr, berr = relayChunked(bw, pc.br)
	case rs.clen >= 0:
		berr, cerr = copyBody(bw, pc.br, rs.clen)
	default:
		berr, cerr = copyToEOF(bw, pc.br)
	}
	switch {
	case berr != nil:
		// Cut short or malformed mid-body: the client gets a truncated
		// response and its connection closes. Not a dead backend (a
		// transport failure shows at the next request or health check).
		pc.close()
		return true, false, fmt.Errorf("backend %s: response body: %w", be.addr, pc.failure(berr))
	case cerr != nil:
		pc.close()
		ok = true // the backend answered; the client went away
		return true, false, cerr
	}
	ok = true
	if rs.keep && !closeDelimited && pc.br.Buffered() == 0 {
		b.transport.put(pc)
	} else {
		pc.close()
	}
	return true, keep, nil
}

// discardN reads and drops n bytes of src.
func discardN(src *bufio.Reader, n int64) error {
	for n > 0 {
		k, err := src.Discard(int(min(n, 1<<30)))
		n -= int64(k)
		if err != nil {
			return err
		}
	}
	return nil
}

// copyBody copies n bytes from src to dst. srcErr is an error reading
// (including a premature end), dstErr one writing.
func copyBody(dst *bufio.Writer, src *bufio.Reader, n int64) (srcErr, dstErr error) {
	for n > 0 {
		if src.Buffered() == 0 {
			if _, err := src.Peek(1); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return err, nil
			}
		}
		k := int(min(int64(src.Buffered()), n))
		p, _ := src.Peek(k)
		if _, err := dst.Write(p); err != nil {
			return nil, err
		}
		src.Discard(k)
		n -= int64(k)
	}
	return nil, nil
}

// copyToEOF copies src to dst until src ends.
func copyToEOF(dst *bufio.Writer, src *bufio.Reader) (srcErr, dstErr error) {
	for {
		if src.Buffered() == 0 {
			if _, err := src.Peek(1); err == io.EOF {
				return nil, nil
			} else if err != nil {
				return err, nil
			}
		}
		k := src.Buffered()
		p, _ := src.Peek(k)
		if _, err := dst.Write(p); err != nil {
			return nil, err
		}
		src.Discard(k)
	}
}

// relayChunked copies a chunked body from src to dst verbatim, chunk sizes,
// extensions and trailers included, up to its end.
func relayChunked(dst *bufio.Writer, src *bufio.Reader) (dstErr, srcErr error) {
	line := func() ([]byte, error) {
		l, err := src.ReadSlice('\n')
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err == nil && (len(l) < 2 || l[len(l)-2] != '\r') {
			err = errors.New("malformed chunked body")
		}
		return l, err
	}
	for {
		l, err := line()
		if err != nil {
			return nil, err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(l, "\r\n"), []byte{';'})
		n, err := strconv.ParseInt(string(bytes.TrimRight(size, " \t")), 16, 64)
		if err != nil || n < 0 {
			return nil, errors.New("malformed chunk size")
		}
		if _, err := dst.Write(l); err != nil {
			return err, nil
		}
		if n == 0 {
			for { // trailers, up to the empty line
				l, err := line()
				if err != nil {
					return nil, err
				}
				if _, err := dst.Write(l); err != nil {
					return err, nil
				}
				if len(l) == 2 {
					return nil, nil
				}
			}
		}
		if srcErr, dstErr := copyBody(dst, src, n); srcErr != nil || dstErr != nil {
			return dstErr, srcErr
		}
		if crlf, err := src.Peek(2); err != nil || crlf[0] != '\r' || crlf[1] != '\n' {
			return nil, errors.New("malformed chunked body: no CRLF after chunk data")
		}
		src.Discard(2)
		if _, err := dst.WriteString("\r\n"); err != nil {
			return err, nil
		}
	}
}
