package cluster

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rawBackend is a backend written on a raw connection, so that a test
// chooses every detail of a response's framing: the frame query parameter
// picks it (cl, chunked, close, 204, 304, hint, conntoken, sneakyclose). The body echoes
// the request the backend received, so that a client sees what was relayed.
func startRawBackend(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { serveRawBackend(c) })
		}
	})
	return ln.Addr().String()
}

func serveRawBackend(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return
		}
		echo := describeRequest(req, body)
		bw := bufio.NewWriter(c)
		head := "Date: Mon, 02 Jan 2006 15:04:05 GMT\r\nContent-Type: text/plain\r\nX-Stratbench-Service-Ns: 1500\r\nX-Multi: a\r\nX-Multi: b\r\n"
		frame := req.URL.Query().Get("frame")
		if frame == "hint" {
			fmt.Fprintf(bw, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")
			frame = "cl"
		}
		if frame == "conntoken" {
			head += "Connection: X-Drop\r\nX-Drop: secret\r\nKeep-Alive: timeout=5\r\n"
			frame = "cl"
		}
		noBody := req.Method == http.MethodHead
		closing := frame == "sneakyclose" // closes after a keep-alive response, as an idle timeout does
		if closing {
			frame = "cl"
		}
		switch frame {
		case "204":
			fmt.Fprintf(bw, "HTTP/1.1 204 No Content\r\n%s\r\n", head)
		case "304":
			fmt.Fprintf(bw, "HTTP/1.1 304 Not Modified\r\n%sContent-Length: %d\r\n\r\n", head, len(echo))
		case "chunked":
			fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\n%sTransfer-Encoding: chunked\r\n\r\n", head)
			if !noBody {
				for s := echo; len(s) > 0; {
					n := min(len(s), 7)
					fmt.Fprintf(bw, "%x;ext=1\r\n%s\r\n", n, s[:n])
					s = s[n:]
				}
				bw.WriteString("0\r\n\r\n")
			}
		case "close":
			fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\n%sConnection: close\r\n\r\n", head)
			if !noBody {
				bw.WriteString(echo)
			}
			closing = true
		default:
			fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\n%sContent-Length: %d\r\n\r\n", head, len(echo))
			if !noBody {
				bw.WriteString(echo)
			}
		}
		if bw.Flush() != nil || closing {
			return
		}
	}
}

// describeRequest is what a backend saw of a request: method, target,
// headers (canonical names, sorted; Content-Length aside, which the two
// paths may send or omit for an empty body) and a digest of the body.
func describeRequest(req *http.Request, body []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s host=%s\n", req.Method, req.RequestURI, req.Host)
	keys := make([]string, 0, len(req.Header))
	for k := range req.Header {
		if k != "Content-Length" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %q\n", k, req.Header[k])
	}
	fmt.Fprintf(&b, "body %d %x\n", len(body), sha256.Sum256(body))
	return b.String()
}

// slowOnly hides the balancer's fast path: the lean server then serves
// every request through httputil.ReverseProxy.
type slowOnly struct{ http.Handler }

func startLeanBalancer(t *testing.T, h http.Handler) string {
	t.Helper()
	addr, _ := startLean(t, h)
	return addr
}

// randomRequest returns a raw request for the differential test, and the
// method it uses.
func randomRequest(r *rand.Rand) (string, string) {
	methods := []string{"GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"}
	method := methods[r.IntN(len(methods))]
	frames := []string{"cl", "cl", "chunked", "close", "204", "304", "hint", "conntoken"}
	paths := []string{"/work", "/a%20b/c", "/x/(y)!*'", "/", "/deep/path/~user"}
	target := paths[r.IntN(len(paths))] + "?frame=" + frames[r.IntN(len(frames))]
	if r.IntN(2) == 0 {
		target += "&key=" + strconv.Itoa(r.IntN(100)) + "&ns=" + strconv.Itoa(r.IntN(1000))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", method, target)
	extra := []string{
		"Host: example.test", // always first, exactly once
		"User-Agent: test/1.0",
		"X-Custom: " + strconv.Itoa(r.IntN(1000)),
		"x-lower-case: yes",
		"X-Dup: one",
		"X-Dup: two",
		"Accept: */*",
		"Connection: keep-alive",
		"Keep-Alive: timeout=5",
		"Proxy-Connection: keep-alive",
		"X-Forwarded-For: 10.0.0.1",
		"X-Forwarded-Host: elsewhere",
		"Forwarded: for=10.0.0.1",
		"Proxy-Authorization: Basic eA==",
		"Idempotency-Key: k1",
		"X-Spaces:    padded value   ",
		"Trailer: X-Never",
		"TE: trailers",
		"Connection: close, X-Custom",
	}
	b.WriteString(extra[0] + "\r\n")
	for _, h := range extra[1:] {
		if r.IntN(4) == 0 {
			b.WriteString(h + "\r\n")
		}
	}
	var body string
	if method == "POST" || method == "PUT" {
		n := r.IntN(3) * r.IntN(5000)
		buf := make([]byte, n)
		for i := range buf {
			buf[i] = byte('a' + r.IntN(26))
		}
		body = string(buf)
		fmt.Fprintf(&b, "Content-Length: %d\r\n", n)
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	return b.String(), method
}

// exchangeRaw sends raw on c (dialling addr when c is nil or was closed)
// and reads the response. It returns the connection to use next (nil when
// the server closed it).
func exchangeRaw(t *testing.T, addr string, c net.Conn, br *bufio.Reader, raw, method string) (*http.Response, []byte, net.Conn, *bufio.Reader) {
	t.Helper()
	if c == nil {
		var err error
		if c, err = net.Dial("tcp", addr); err != nil {
			t.Fatal(err)
		}
		br = bufio.NewReader(c)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%q: body: %v", raw, err)
	}
	if resp.Close {
		c.Close()
		return resp, body, nil, nil
	}
	return resp, body, c, br
}

// comparableHeader is a response's headers minus those that only say how
// the response was framed (which the two paths may choose differently).
func comparableHeader(h http.Header) string {
	var keys []string
	for k := range h {
		switch k {
		case "Connection", "Transfer-Encoding", "Content-Length":
		default:
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %q\n", k, h[k])
	}
	return b.String()
}

// TestRawProxyMatchesReverseProxy sends the same random requests through
// the balancer's fast path and through its net/http path
// (httputil.ReverseProxy) and checks that clients and backends see the
// same thing: status, headers, body, and the request the backend got.
func TestRawProxyMatchesReverseProxy(t *testing.T) {
	backend := startRawBackend(t)
	cfg := BalancerConfig{Backends: []string{backend}, Policy: "rr", HealthInterval: -1}
	fast, err := NewBalancer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fast.Close)
	slow, err := NewBalancer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(slow.Close)
	fastAddr := startLeanBalancer(t, fast)
	slowAddr := startLeanBalancer(t, slowOnly{slow})
	r := rand.New(rand.NewPCG(7, 11))
	var fc, sc net.Conn
	var fbr, sbr *bufio.Reader
	for i := range 400 {
		raw, method := randomRequest(r)
		var fr, sr *http.Response
		var fb, sb []byte
		fr, fb, fc, fbr = exchangeRaw(t, fastAddr, fc, fbr, raw, method)
		sr, sb, sc, sbr = exchangeRaw(t, slowAddr, sc, sbr, raw, method)
		if fr.StatusCode != sr.StatusCode || !bytes.Equal(fb, sb) {
			t.Fatalf("request %d %q:\nfast: %d %s\nslow: %d %s", i, raw, fr.StatusCode, fb, sr.StatusCode, sb)
		}
		if fh, sh := comparableHeader(fr.Header), comparableHeader(sr.Header); fh != sh {
			t.Fatalf("request %d %q: headers differ:\nfast:\n%s\nslow:\n%s", i, raw, fh, sh)
		}
		if method == "HEAD" && fr.ContentLength != sr.ContentLength {
			t.Fatalf("request %d %q: HEAD Content-Length %d (fast) vs %d (slow)", i, raw, fr.ContentLength, sr.ContentLength)
		}
	}
	if fc != nil {
		fc.Close()
	}
	if sc != nil {
		sc.Close()
	}
	fs, ss := fast.Stats(), slow.Stats()
	if fs.Backends[0].Completed != 400 || ss.Backends[0].Completed != 400 || fs.Backends[0].InFlight != 0 {
		t.Errorf("completed %d (fast), %d (slow), in flight %d; want 400, 400, 0", fs.Backends[0].Completed, ss.Backends[0].Completed, fs.Backends[0].InFlight)
	}
}

// TestRawProxyTakes checks which requests the fast path takes: the others
// go to the net/http path, which handles the whole protocol.
func TestRawProxyTakes(t *testing.T) {
	cases := []struct {
		name, head string
		take       bool
		clen       int64
		close      bool
	}{
		{"plain GET", "GET /work?ns=5 HTTP/1.1\r\nHost: x\r\n\r\n", true, 0, false},
		{"POST with length", "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n", true, 12, false},
		{"close", "GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n", true, 0, true},
		{"keep-alive token", "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n", true, 0, false},
		{"HTTP/1.0", "GET / HTTP/1.0\r\nHost: x\r\n\r\n", false, 0, false},
		{"no Host", "GET / HTTP/1.1\r\n\r\n", false, 0, false},
		{"two Hosts", "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", false, 0, false},
		{"chunked body", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", false, 0, false},
		{"two lengths", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", false, 0, false},
		{"signed length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n", false, 0, false},
		{"upgrade", "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", false, 0, false},
		{"expect", "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", false, 0, false},
		{"connection names a header", "GET / HTTP/1.1\r\nHost: x\r\nConnection: X-Foo\r\n\r\n", false, 0, false},
		{"absolute form", "GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", false, 0, false},
		{"bad escape", "GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", false, 0, false},
		{"semicolon in query", "GET /a?x=1;y=2 HTTP/1.1\r\nHost: x\r\n\r\n", false, 0, false},
		{"bare LF", "GET / HTTP/1.1\nHost: x\n\n", false, 0, false},
		{"folded header", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  2\r\n\r\n", false, 0, false},
		{"control in value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\x01\r\n\r\n", false, 0, false},
		{"space in name", "GET / HTTP/1.1\r\nHost: x\r\nX A: 1\r\n\r\n", false, 0, false},
		{"stats", "GET " + StatsPath + " HTTP/1.1\r\nHost: x\r\n\r\n", false, 0, false},
		{"stats, escaped", "GET /%5Fstratbench/stats HTTP/1.1\r\nHost: x\r\n\r\n", false, 0, false},
		{"negative zero length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -0\r\n\r\n", false, 0, false},
		{"space in Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", false, 0, false},
		{"slash in Host", "GET / HTTP/1.1\r\nHost: x/../y\r\n\r\n", false, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r rawRequest
			got := parseRawRequest([]byte(tc.head), &r)
			if got != tc.take {
				t.Fatalf("taken = %v, want %v", got, tc.take)
			}
			if got && (r.clen != tc.clen || r.close != tc.close) {
				t.Errorf("length %d close %v, want %d %v", r.clen, r.close, tc.clen, tc.close)
			}
		})
	}
}

// TestPeekHead checks that a head is found without consuming it, whatever
// the line endings, and that one too large for the buffer is refused.
func TestPeekHead(t *testing.T) {
	cases := []struct{ in, want string }{
		{"GET / HTTP/1.1\r\nHost: x\r\n\r\nbody", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"GET / HTTP/1.1\nHost: x\n\nbody", "GET / HTTP/1.1\nHost: x\n\n"},
		{"GET / HTTP/1.1\r\nHost: x\r\n", ""}, // cut short
		{"\r\nGET / HTTP/1.1\r\n\r\n", ""},    // an empty line first
		{"GET / HTTP/1.1\r\nX: " + strings.Repeat("a", 5000) + "\r\n\r\n", ""},
	}
	for _, tc := range cases {
		br := bufio.NewReaderSize(strings.NewReader(tc.in), 4096)
		got := string(peekHead(br, true))
		if got != tc.want {
			t.Errorf("peekHead(%.40q) = %q, want %q", tc.in, got, tc.want)
		}
		if got != "" && br.Buffered() < len(got) {
			t.Errorf("peekHead(%.40q) consumed the head", tc.in)
		}
	}
}

// TestRelayChunked checks that a chunked body is relayed byte for byte,
// extensions and trailers included, and that a broken one is an error.
func TestRelayChunked(t *testing.T) {
	body := "5;a=b\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n"
	var out bytes.Buffer
	bw := bufio.NewWriter(&out)
	dstErr, srcErr := relayChunked(bw, bufio.NewReader(strings.NewReader(body+"NEXT")))
	bw.Flush()
	if dstErr != nil || srcErr != nil || out.String() != body {
		t.Errorf("relayed %q (%v, %v), want %q", out.String(), dstErr, srcErr, body)
	}
	for _, bad := range []string{"5\r\nhel", "zz\r\n", "5\r\nhello\r\n"} {
		_, srcErr := relayChunked(bufio.NewWriter(io.Discard), bufio.NewReader(strings.NewReader(bad)))
		if srcErr == nil {
			t.Errorf("relayChunked(%q): no error", bad)
		}
	}
}

// TestRawProxyRetries checks the fast path's fault handling: an idempotent
// request to a dead backend is retried on another; a POST is not, and gets
// a 502; with no backend left, a 503.
func TestRawProxyRetries(t *testing.T) {
	deadAddr := deadBackend(t)
	live := startRawBackend(t)
	b, err := NewBalancer(BalancerConfig{Backends: []string{deadAddr, live}, Policy: "rr", HealthInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	addr := startLeanBalancer(t, b)

	resp, _, c, br := exchangeRaw(t, addr, nil, nil, "GET /work HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
	if resp.StatusCode != 200 {
		t.Fatalf("GET: %d, want 200 after a retry", resp.StatusCode)
	}
	if s := b.Stats(); s.Retries != 1 || s.RetriedOK != 1 || s.Backends[0].Alive {
		t.Errorf("retries %d ok %d, dead backend alive %v; want 1 1 false", s.Retries, s.RetriedOK, s.Backends[0].Alive)
	}
	// The dead backend is out of rotation now: a POST goes to the live one.
	resp, _, c, br = exchangeRaw(t, addr, c, br, "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", "POST")
	if resp.StatusCode != 200 {
		t.Fatalf("POST: %d, want 200", resp.StatusCode)
	}
	if c != nil {
		c.Close()
	}

	// Only the dead backend: a POST is not retried and gets a 502; a GET
	// has no other backend to retry on.
	b2, err := NewBalancer(BalancerConfig{Backends: []string{deadAddr}, Policy: "rr", HealthInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b2.Close)
	addr2 := startLeanBalancer(t, b2)
	resp, body, c, br := exchangeRaw(t, addr2, nil, nil, "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", "POST")
	if resp.StatusCode != 502 || !strings.Contains(string(body), "backend "+deadAddr) {
		t.Errorf("POST to a dead backend: %d %q, want 502 naming it", resp.StatusCode, body)
	}
	resp, body, c, _ = exchangeRaw(t, addr2, c, br, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
	if resp.StatusCode != 502 && resp.StatusCode != 503 {
		t.Errorf("GET with every backend dead: %d %q, want 502 or 503", resp.StatusCode, body)
	}
	if c != nil {
		c.Close()
	}
	if s := b2.Stats(); s.Backends[0].Failed != 2 || s.Backends[0].InFlight != 0 {
		t.Errorf("failed %d in flight %d, want 2 0", s.Backends[0].Failed, s.Backends[0].InFlight)
	}
}

// TestRawProxyStaleConnection checks what happens when a backend closed a
// keep-alive connection the balancer pooled: a GET goes again on a fresh
// connection, unseen by the client; a POST (which must not be sent twice)
// is sent on a fresh connection after a check of the pooled one; in
// neither case is the backend taken for dead.
func TestRawProxyStaleConnection(t *testing.T) {
	backend := startRawBackend(t)
	b, err := NewBalancer(BalancerConfig{Backends: []string{backend}, Policy: "rr", HealthInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	addr := startLeanBalancer(t, b)
	send := func(raw, method string) int {
		resp, _, c, _ := exchangeRaw(t, addr, nil, nil, raw, method)
		if c != nil {
			c.Close()
		}
		return resp.StatusCode
	}
	sneaky := "GET /?frame=sneakyclose HTTP/1.1\r\nHost: x\r\n\r\n"
	if code := send(sneaky, "GET"); code != 200 {
		t.Fatalf("first GET: %d", code)
	}
	time.Sleep(50 * time.Millisecond) // let the close reach the pooled connection
	if code := send(sneaky, "GET"); code != 200 {
		t.Errorf("GET on a stale pooled connection: %d, want 200 (sent again on a fresh one)", code)
	}
	time.Sleep(50 * time.Millisecond)
	if code := send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", "POST"); code != 200 {
		t.Errorf("POST when the pooled connection was closed: %d, want 200 (on a fresh one)", code)
	}
	if s := b.Stats(); !s.Backends[0].Alive || s.Retries != 0 || s.Backends[0].InFlight != 0 {
		t.Errorf("alive %v, retries %d, in flight %d; want true 0 0", s.Backends[0].Alive, s.Retries, s.Backends[0].InFlight)
	}
}

// FuzzParseRawRequest checks that every request head the fast path takes
// is one net/http reads the same way: method, target, body length and
// whether the connection closes.
func FuzzParseRawRequest(f *testing.F) {
	for _, s := range []string{
		"GET /work?ns=5 HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\nConnection: close\r\n\r\n",
		"GET /a%20b HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.2.3.4\r\nConnection: keep-alive, close\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 00\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		head := peekHead(bufio.NewReaderSize(strings.NewReader(s), 4096), true)
		if head == nil {
			return
		}
		var r rawRequest
		if !parseRawRequest(head, &r) {
			return
		}
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
		if err != nil {
			t.Fatalf("fast path takes %q, net/http rejects it: %v", head, err)
		}
		if req.Method != string(r.method) || req.RequestURI != string(r.target) || req.ContentLength != r.clen || req.Close != r.close {
			t.Fatalf("%q: fast path reads %s %s length %d close %v; net/http %s %s length %d close %v",
				head, r.method, r.target, r.clen, r.close, req.Method, req.RequestURI, req.ContentLength, req.Close)
		}
		if h := req.Header.Get("Host"); !validHost([]byte(h)) {
			t.Fatalf("%q: fast path takes Host %q", head, h)
		}
		if u := req.URL.RequestURI(); u != req.RequestURI {
			t.Fatalf("%q: net/http would send target %q, the fast path %q", head, u, req.RequestURI)
		}
		var out bytes.Buffer
		w := bufio.NewWriter(&out)
		writeRequestHead(w, &r)
		w.Flush()
		if _, err := http.ReadRequest(bufio.NewReader(&out)); err != nil {
			t.Fatalf("%q: relayed head %q does not parse: %v", head, out.String(), err)
		}
	})
}

// deadBackend returns an address where connections are refused.
func deadBackend(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// wrapFor returns the handler wrapper that selects a path of the balancer:
// nil for the fast path, slowOnly for the net/http path.
func wrapFor(path string) func(*Balancer) http.Handler {
	if path == "slow" {
		return func(b *Balancer) http.Handler { return slowOnly{b} }
	}
	return nil
}

// startFuncBackend serves every connection with serve, on a raw listener.
func startFuncBackend(t *testing.T, serve func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { defer c.Close(); serve(c) })
		}
	})
	return ln.Addr().String()
}

// echoBody answers each request with its body (none for HEAD).
func echoBody(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body, _ := io.ReadAll(req.Body)
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(body))
		if req.Method != http.MethodHead {
			c.Write(body)
		}
	}
}

func newRawBalancer(t *testing.T, h func(*Balancer) http.Handler, backends ...string) (*Balancer, string) {
	t.Helper()
	b, err := NewBalancer(BalancerConfig{Backends: backends, Policy: "rr", HealthInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	if h == nil {
		return b, startLeanBalancer(t, b)
	}
	return b, startLeanBalancer(t, h(b))
}

// TestRawProxyBodyInLaterSegment sends request bodies after their heads,
// in another TCP segment, so that reading them refills the buffer that
// held the head: nothing of the head may be read from it afterwards.
// (A POST whose body's last segment began with "HEAD" was once taken for
// a HEAD, its response left in a pooled connection for the next client.)
func TestRawProxyBodyInLaterSegment(t *testing.T) {
	b, addr := newRawBalancer(t, nil, startFuncBackend(t, echoBody))
	forged := "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npwned!"
	a, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(a, "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(forged)+4, forged)
	time.Sleep(50 * time.Millisecond)
	io.WriteString(a, "HEAD")
	resp, err := http.ReadResponse(bufio.NewReader(a), &http.Request{Method: "POST"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(resp.Body); string(got) != forged+"HEAD" {
		t.Errorf("POST echoed %q, want its body", got)
	}
	if _, body, c, _ := exchangeRaw(t, addr, nil, nil, "GET /victim HTTP/1.1\r\nHost: x\r\n\r\n", "GET"); len(body) != 0 {
		t.Errorf("another client's GET got %q, want an empty echo", body)
	} else if c != nil {
		c.Close()
	}

	// A HEAD with a late body is answered without a body.
	h, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	h.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(h, "HEAD /p HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n")
	time.Sleep(50 * time.Millisecond)
	io.WriteString(h, "abcd")
	if _, err := http.ReadResponse(bufio.NewReader(h), &http.Request{Method: "HEAD"}); err != nil {
		t.Fatalf("HEAD with a late body: %v", err)
	}
	time.Sleep(50 * time.Millisecond)
	if s := b.Stats(); s.Backends[0].InFlight != 0 || s.Backends[0].Completed != 3 {
		t.Errorf("in flight %d, completed %d; want 0, 3", s.Backends[0].InFlight, s.Backends[0].Completed)
	}
}

// TestRawProxyNeverResendsNonIdempotent checks that a POST without a body
// reaches the backend once when the pooled connection it was sent on turns
// out closed (the backend may have received it), through both paths.
func TestRawProxyNeverResendsNonIdempotent(t *testing.T) {
	for _, path := range []string{"fast", "slow"} {
		t.Run(path, func(t *testing.T) {
			var posts atomic.Int32
			backend := startFuncBackend(t, func(c net.Conn) {
				br := bufio.NewReader(c)
				for n := 0; ; n++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					if req.Method == http.MethodPost && posts.Add(1) == 1 && n > 0 {
						return // dies with the request: closes without an answer
					}
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
				}
			})
			_, addr := newRawBalancer(t, wrapFor(path), backend)
			_, _, c, br := exchangeRaw(t, addr, nil, nil, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
			resp, _, c, _ := exchangeRaw(t, addr, c, br, "POST /charge HTTP/1.1\r\nHost: x\r\n\r\n", "POST")
			if c != nil {
				c.Close()
			}
			if n := posts.Load(); n != 1 || resp.StatusCode != 502 {
				t.Errorf("the backend got the POST %d times, the client a %d; want once, 502", n, resp.StatusCode)
			}
		})
	}
}

// TestRawProxyBackendConnections checks which backend connections are kept
// for the next request: a response that says close is not, even if it
// also says keep-alive; an HTTP/1.0 response only with keep-alive.
func TestRawProxyBackendConnections(t *testing.T) {
	for _, tc := range []struct {
		name, status, conn string
		pooled             bool
	}{
		{"1.1", "HTTP/1.1 200 OK", "", true},
		{"1.1 close", "HTTP/1.1 200 OK", "Connection: close\r\n", false},
		{"1.1 close and keep-alive", "HTTP/1.1 200 OK", "Connection: close, keep-alive\r\n", false},
		{"1.0", "HTTP/1.0 200 OK", "", false},
		{"1.0 keep-alive", "HTTP/1.0 200 OK", "Connection: keep-alive\r\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backend := startFuncBackend(t, func(c net.Conn) {
				br := bufio.NewReader(c)
				for {
					if _, err := http.ReadRequest(br); err != nil {
						return
					}
					fmt.Fprintf(c, "%s\r\n%sContent-Length: 2\r\n\r\nok", tc.status, tc.conn)
				}
			})
			b, addr := newRawBalancer(t, nil, backend)
			resp, body, c, _ := exchangeRaw(t, addr, nil, nil, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
			if c != nil {
				c.Close()
			}
			if resp.StatusCode != 200 || string(body) != "ok" || resp.Close {
				t.Errorf("client got %d %q close=%v, want 200 ok on a kept connection", resp.StatusCode, body, resp.Close)
			}
			b.transport.mu.Lock()
			pooled := len(b.transport.idle[backend]) > 0
			b.transport.mu.Unlock()
			if pooled != tc.pooled {
				t.Errorf("pooled = %v, want %v", pooled, tc.pooled)
			}
		})
	}
}

// TestLeanServerEdges covers the connection loop around both paths: a stray
// CRLF after a request's body is ignored (RFC 9112 2.2), an error answer to
// a request whose body was not read still reaches the client and leaves the
// connection usable, and a response head too large for the fast path is a
// 502 that names the limit.
func TestLeanServerEdges(t *testing.T) {
	for _, path := range []string{"fast", "slow"} {
		wrap := wrapFor(path)
		t.Run(path+"/stray CRLF", func(t *testing.T) {
			_, addr := newRawBalancer(t, wrap, startFuncBackend(t, echoBody))
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
			br := bufio.NewReader(c)
			for i, want := range []string{"abc", ""} {
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatalf("response %d: %v", i, err)
				}
				if got, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 || string(got) != want {
					t.Errorf("response %d: %d %q, want 200 %q", i, resp.StatusCode, got, want)
				}
			}
		})
		t.Run(path+"/error with unread body", func(t *testing.T) {
			_, addr := newRawBalancer(t, wrap, deadBackend(t))
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			body := strings.Repeat("x", 200<<10)
			go fmt.Fprintf(c, "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%sGET / HTTP/1.1\r\nHost: x\r\n\r\n", len(body), body)
			br := bufio.NewReader(c)
			for i := range 2 {
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatalf("response %d: %v", i, err)
				}
				io.Copy(io.Discard, resp.Body)
				if resp.StatusCode != 502 && resp.StatusCode != 503 {
					t.Errorf("response %d: %d, want 502 or 503", i, resp.StatusCode)
				}
			}
		})
	}
	t.Run("fast/response head too large", func(t *testing.T) {
		backend := startFuncBackend(t, func(c net.Conn) {
			br := bufio.NewReader(c)
			for {
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nSet-Cookie: a=%s\r\nContent-Length: 2\r\n\r\nok", strings.Repeat("v", 40<<10))
			}
		})
		b, addr := newRawBalancer(t, nil, backend)
		resp, body, c, _ := exchangeRaw(t, addr, nil, nil, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
		if c != nil {
			c.Close()
		}
		if resp.StatusCode != 502 || !strings.Contains(string(body), "larger than 32768 bytes") {
			t.Errorf("got %d %q, want a 502 naming the limit", resp.StatusCode, body)
		}
		if s := b.Stats(); !s.Backends[0].Alive || s.Backends[0].InFlight != 0 {
			t.Errorf("alive %v in flight %d, want true 0", s.Backends[0].Alive, s.Backends[0].InFlight)
		}
	})
}

// FuzzParseRawResponse checks the fast path's reading of a response head
// against net/http's, wherever net/http reads it: the status, how the body
// is framed (length, chunked, or to the end of the connection) and whether
// the connection may be kept.
func FuzzParseRawResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
		"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 204 No Content\r\nConnection: close, keep-alive\r\n\r\n",
		"HTTP/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		head := peekHead(bufio.NewReaderSize(strings.NewReader(s), 4096), true)
		if head == nil {
			return
		}
		var r rawResponse
		if parseRawResponse(head, &r) != nil || r.status < 200 {
			return
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(head)), nil)
		if err != nil {
			return // net/http is stricter in places (transfer codings): the fast path relays those as they come
		}
		if resp.StatusCode != r.status {
			t.Fatalf("%q: status %d, net/http %d", head, r.status, resp.StatusCode)
		}
		chunked := len(resp.TransferEncoding) > 0 && resp.TransferEncoding[len(resp.TransferEncoding)-1] == "chunked"
		if !bodyless(false, r.status) {
			if chunked != r.chunked || !r.chunked && resp.ContentLength != r.clen {
				t.Fatalf("%q: chunked %v length %d, net/http chunked %v length %d", head, r.chunked, r.clen, chunked, resp.ContentLength)
			}
		}
		// As exchange decides: a body that ends with the connection closes it.
		keep := r.keep && (bodyless(false, r.status) || r.clen >= 0 || r.chunked)
		if resp.Close == keep {
			t.Fatalf("%q: the fast path keeps the connection: %v; net/http: %v", head, keep, !resp.Close)
		}
	})
}

// hungBackend reads requests and never answers.
func hungBackend(t *testing.T) string {
	return startFuncBackend(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			if _, err := http.ReadRequest(br); err != nil {
				return
			}
		}
	})
}

// TestBackendTimeout checks, through both paths, that a request to a
// backend that never answers gets a 504 once the backend timeout is over,
// is not retried elsewhere (it may still be running) and does not take the
// backend for dead, and that its in-flight count is released.
func TestBackendTimeout(t *testing.T) {
	for _, path := range []string{"fast", "slow"} {
		t.Run(path, func(t *testing.T) {
			b, err := NewBalancer(BalancerConfig{Backends: []string{hungBackend(t), startRawBackend(t)}, Policy: "rr",
				HealthInterval: -1, BackendTimeout: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(b.Close)
			var h http.Handler = b
			if w := wrapFor(path); w != nil {
				h = w(b)
			}
			addr := startLeanBalancer(t, h)
			t0 := time.Now()
			resp, body, c, _ := exchangeRaw(t, addr, nil, nil, "GET /work HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
			if c != nil {
				c.Close()
			}
			if d := time.Since(t0); resp.StatusCode != 504 || d > 3*time.Second {
				t.Errorf("got %d %q after %v, want a 504 after about 200ms", resp.StatusCode, body, d)
			}
			s := b.Stats()
			if !s.Backends[0].Alive || s.Retries != 0 || s.Backends[0].InFlight != 0 || s.Backends[0].Failed != 1 {
				t.Errorf("alive %v, retries %d, in flight %d, failed %d; want true 0 0 1",
					s.Backends[0].Alive, s.Retries, s.Backends[0].InFlight, s.Backends[0].Failed)
			}
		})
	}
}

// TestShutdownAbortsBackendWaits checks that stopping the balancer's server
// does not wait for a hung backend forever (no backend timeout here): once
// its grace period is over, requests waiting on backends are cut.
func TestShutdownAbortsBackendWaits(t *testing.T) {
	b, err := NewBalancer(BalancerConfig{Backends: []string{hungBackend(t)}, Policy: "rr", HealthInterval: -1, BackendTimeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	addr, stop := startLean(t, b)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(100 * time.Millisecond)
	t0 := time.Now()
	stop() // fails the test if the server does not return within 10s
	if d := time.Since(t0); d > 8*time.Second {
		t.Errorf("shutdown took %v", d)
	}
	if s := b.Stats(); s.Backends[0].InFlight != 0 {
		t.Errorf("in flight %d after shutdown", s.Backends[0].InFlight)
	}
}
