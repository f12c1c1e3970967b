package balancer

// Raw-socket security tests of our balancer (issue 14): a client written
// byte by byte on loopback, and backends that misbehave on purpose. Every
// test is bounded in time and in the traffic it sends, and talks to
// 127.0.0.1 only.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/stratbench/stratbench/cluster/internal/workertest"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stratbench/stratbench/cluster/worker"
)

// startMisbehaving serves every connection accepted on a loopback listener
// with serve, and returns the listener's address.
func startMisbehaving(t testing.TB, serve func(c net.Conn)) string {
	t.Helper()
	return startMisbehavingOpts(t, 0, 0, serve)
}

// echoWho describes the request a backend received: the client it names
// (X-Client), its cookie, its body, and the names of its headers.
func echoWho(req *http.Request, body []byte) string {
	var names []string
	for k := range req.Header {
		names = append(names, strings.ToLower(k))
	}
	slices.Sort(names)
	return fmt.Sprintf("for=%s cookie=%s body=%q headers=%s", req.Header.Get("X-Client"), req.Header.Get("Cookie"),
		body, strings.Join(names, ","))
}

// serveEcho answers every request on c with echoWho; after each response,
// extra (if not nil) returns bytes to send right after it and delay the
// wait before sending them.
func serveEcho(c net.Conn, extra func(req *http.Request) (after []byte, delay time.Duration)) {
	var mu sync.Mutex
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
		msg := echoWho(req, body)
		mu.Lock()
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(msg))
		if req.Method != http.MethodHead {
			io.WriteString(c, msg)
		}
		mu.Unlock()
		if extra == nil {
			continue
		}
		after, delay := extra(req)
		if after == nil {
			continue
		}
		if delay == 0 {
			mu.Lock()
			c.Write(after)
			mu.Unlock()
			continue
		}
		time.AfterFunc(delay, func() { mu.Lock(); c.Write(after); mu.Unlock() })
	}
}

// startSecBalancer runs our balancer in this process over backends and
// returns its address; it stops at the end of the test.
func startSecBalancer(t testing.TB, cfg Config) string {
	t.Helper()
	if cfg.Policy == "" {
		cfg.Policy = "rr"
	}
	if cfg.HealthInterval == 0 {
		cfg.HealthInterval = -1 // only requests judge the backends
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, func(a string) { addrc <- a }) }()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		cancel()
		t.Fatalf("balancer: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("balancer did not stop")
		}
	})
	return addr
}

// rawExchange sends raw on a fresh connection to addr and reads one
// response (for a request with the given method), within 5s.
func rawExchange(t *testing.T, addr, raw, method string) (*http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	resp, body, err := readOne(bufio.NewReader(c), method)
	if err != nil {
		t.Fatalf("reading the response to %q: %v", raw, err)
	}
	return resp, body
}

func readOne(br *bufio.Reader, method string) (*http.Response, string, error) {
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b), err
}

// secStats fetches the balancer's counters as generic JSON.
func secStats(t *testing.T, addr string) map[string]any {
	t.Helper()
	resp, body := rawExchange(t, addr, "GET "+StatsPath+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "GET")
	if resp.StatusCode != 200 {
		t.Fatalf("stats: %s", resp.Status)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("stats: %v in %s", err, body)
	}
	return m
}

// num reads a number at a path of keys in generic JSON (0 when absent).
func num(m map[string]any, path ...string) float64 {
	var v any = m
	for _, k := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return 0
		}
		v = mm[k]
	}
	f, _ := v.(float64)
	return f
}

// backendsOf returns the backends' entries of the stats.
func backendsOf(m map[string]any) []map[string]any {
	l, _ := m["backends"].([]any)
	var out []map[string]any
	for _, x := range l {
		if b, ok := x.(map[string]any); ok {
			out = append(out, b)
		}
	}
	return out
}

// Finding 1: bytes a backend sends after a complete response (a stray
// response 50 ms later, a 204 followed by bytes, chunked framing with extra
// bytes, with Content-Length too) must never reach the next client: the
// connection holding them is closed, and counted.
func TestStrayBackendBytesNeverReachAnotherClient(t *testing.T) {
	stray := []byte("HTTP/1.1 200 OK\r\nContent-Length: 24\r\n\r\nfor=victim cookie=SECRET")
	cases := []struct {
		name  string
		serve func(c net.Conn)
		space time.Duration // between clients
	}{
		{"late stray response", func(c net.Conn) {
			serveEcho(c, func(*http.Request) ([]byte, time.Duration) { return stray, 50 * time.Millisecond })
		}, 80 * time.Millisecond},
		{"204 then bytes", func(c net.Conn) {
			br := bufio.NewReader(c)
			for {
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				if req.URL.Path == "/nocontent" {
					c.Write(append([]byte("HTTP/1.1 204 No Content\r\n\r\n"), stray...))
					continue
				}
				msg := echoWho(req, nil)
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(msg), msg)
			}
		}, 0},
		{"CL and TE with extra bytes", func(c net.Conn) {
			br := bufio.NewReader(c)
			for {
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				msg := echoWho(req, nil)
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n%s", len(msg), msg, stray)
			}
		}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := startSecBalancer(t, Config{Backends: []string{startMisbehaving(t, tc.serve)}})
			for i := range 12 {
				who := fmt.Sprintf("c%d", i)
				proto, path := "HTTP/1.1", "/work"
				if i%2 == 1 {
					proto = "HTTP/1.0" // the other framing of the client side
				}
				if i%3 == 0 {
					path = "/nocontent"
				}
				resp, body := rawExchange(t, addr, fmt.Sprintf("GET %s %s\r\nHost: x\r\nX-Client: %s\r\n\r\n", path, proto, who), "GET")
				if strings.Contains(body, "victim") || strings.Contains(body, "SECRET") {
					t.Fatalf("client %s got another's response: %s %q", who, resp.Status, body)
				}
				if resp.StatusCode == 200 && !strings.HasPrefix(body, "for="+who+" ") {
					t.Fatalf("client %s got %q", who, body)
				}
				time.Sleep(tc.space)
			}
			if n := num(secStats(t, addr), "unsolicited"); n < 1 {
				t.Errorf("stats count %v connections closed for unsolicited bytes, want > 0", n)
			}
		})
	}
}

// rssOf returns the resident set size of process pid, in bytes.
func rssOf(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// Finding 2: eight clients each sending a 128 MB header line that never
// ends keep the balancer's resident memory under 100 MB (it answers 431
// and closes once the head passes its limit).
func TestHugeHeadersBoundedMemory(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc")
	}
	_, ss := workertest.Start(t, 1, worker.Config{})
	addr, pid := startBalancerProcess(t, "rr", workertest.Addr(ss[0]))
	const limit, clients, size = 100 << 20, 8, 128 << 20
	var peak atomic.Int64
	stop := make(chan struct{})
	var over atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if r, err := rssOf(pid); err == nil {
				if r > peak.Load() {
					peak.Store(r)
				}
				if r > limit {
					over.Store(true)
				}
			}
		}
	})
	chunk := bytes.Repeat([]byte("a"), 64<<10)
	statuses := make([]string, clients)
	var cw sync.WaitGroup
	for i := range clients {
		cw.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				statuses[i] = err.Error()
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(60 * time.Second))
			io.WriteString(c, "GET /work HTTP/1.1\r\nHost: x\r\nX-Big: ")
			for sent := 0; sent < size && !over.Load(); sent += len(chunk) {
				if _, err := c.Write(chunk); err != nil {
					break
				}
			}
			c.SetDeadline(time.Now().Add(2 * time.Second))
			if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
				statuses[i] = resp.Status
			} else {
				statuses[i] = "no response: " + err.Error()
			}
		})
	}
	cw.Wait()
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("peak RSS %d MiB; clients saw %q", peak.Load()>>20, statuses)
	if over.Load() {
		t.Fatalf("RSS passed %d MiB (peak %d MiB)", limit>>20, peak.Load()>>20)
	}
	// Still serving.
	resp, _ := rawExchange(t, addr, "GET /work HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
	if resp.StatusCode != 200 {
		t.Errorf("after the attack: %s", resp.Status)
	}
}

// Finding 2: one header of 1 MB, a request line of 1 MB and 100,000
// headers are refused without reaching a backend.
func TestOversizedHeadsRefused(t *testing.T) {
	var reached atomic.Int64
	be := startMisbehaving(t, func(c net.Conn) {
		serveEcho(c, func(*http.Request) ([]byte, time.Duration) { reached.Add(1); return nil, 0 })
	})
	addr := startSecBalancer(t, Config{Backends: []string{be}})
	var many strings.Builder
	for i := range 100000 {
		fmt.Fprintf(&many, "X-H%d: v\r\n", i)
	}
	cases := []struct {
		name, raw string
		want      []int
	}{
		{"1 MB header", "GET /work HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 1<<20) + "\r\n\r\n", []int{431}},
		{"1 MB request line", "GET /work?" + strings.Repeat("a", 1<<20) + " HTTP/1.1\r\nHost: x\r\n\r\n", []int{414, 431}},
		{"100,000 headers", "GET /work HTTP/1.1\r\nHost: x\r\n" + many.String() + "\r\n", []int{431}},
		{"200 small headers", "GET /work HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: b\r\n", 200) + "\r\n", []int{431}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			go io.WriteString(c, tc.raw) // the balancer may stop reading
			resp, _, err := readOne(bufio.NewReader(c), "GET")
			if err != nil {
				t.Fatalf("no response: %v", err)
			}
			if !slices.Contains(tc.want, resp.StatusCode) {
				t.Errorf("status %s, want one of %v", resp.Status, tc.want)
			}
		})
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("%d oversized requests reached the backend", n)
	}
}

// Finding 3: a slow upload does not hold a backend: the body is read
// before a backend is chosen, so with --policy central and one backend two
// clients uploading a byte every 100 ms do not delay anyone else.
func TestSlowUploadHoldsNoBackend(t *testing.T) {
	be := startMisbehaving(t, func(c net.Conn) { serveEcho(c, nil) })
	addr := startSecBalancer(t, Config{Backends: []string{be}, Policy: "central"})
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	for range 2 {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer c.Close()
			io.WriteString(c, "POST /work HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\n\r\n")
			for range 30 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
				if _, err := c.Write([]byte("x")); err != nil {
					return
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond) // both uploads under way
	for _, b := range backendsOf(secStats(t, addr)) {
		if n := num(b, "in_flight"); n != 0 {
			t.Errorf("backend %v has %v requests in flight during the uploads, want 0", b["addr"], n)
		}
	}
	t0 := time.Now()
	resp, _ := rawExchange(t, addr, "GET /work HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
	if d := time.Since(t0); resp.StatusCode != 200 || d > time.Second {
		t.Errorf("a GET during two slow uploads: %s after %v, want 200 within 1s", resp.Status, d)
	}
	cancel()
}

// Finding 4: client-caused failures (a malformed chunked body, a client
// that goes away mid-body) never count against a backend.
func TestClientFaultsDoNotCountAgainstBackends(t *testing.T) {
	serve := func(c net.Conn) { serveEcho(c, nil) }
	addr := startSecBalancer(t, Config{Backends: []string{startMisbehaving(t, serve), startMisbehaving(t, serve)}})
	send := func(raw string, wait bool) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(3 * time.Second))
		io.WriteString(c, raw)
		if wait {
			io.Copy(io.Discard, c)
		}
	}
	for range 2 {
		send("POST /work HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", true)
		send("POST /work HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", false)
		send("POST /work HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc", false)
		send("PUT /work HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"+strings.Repeat("a", 50), false)
	}
	time.Sleep(200 * time.Millisecond)
	for _, b := range backendsOf(secStats(t, addr)) {
		if b["alive"] != true || num(b, "failed") != 0 {
			t.Errorf("backend %v after client faults: alive %v, failed %v; want alive, 0 failed", b["addr"], b["alive"], b["failed"])
		}
	}
	resp, _ := rawExchange(t, addr, "GET /work HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
	if resp.StatusCode != 200 {
		t.Errorf("after client faults: %s", resp.Status)
	}
}

// Finding 5: a request head the balancer refuses is answered 400 (505 for
// an unknown version) and the connection closed, so that nothing after it
// is taken for a request; what nginx and Go's server refuse is refused.
func TestBadRequestHeadsRefusedAndClosed(t *testing.T) {
	var reached atomic.Int64
	be := startMisbehaving(t, func(c net.Conn) {
		serveEcho(c, func(*http.Request) ([]byte, time.Duration) { reached.Add(1); return nil, 0 })
	})
	addr := startSecBalancer(t, Config{Backends: []string{be}})
	cases := []struct {
		name, raw string
		want      []int
	}{
		{"space before colon", "GET /work HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n", []int{400}},
		{"HTTP/1.2", "GET /work HTTP/1.2\r\nHost: x\r\n\r\n", []int{400, 505}},
		{"HTTP/2.0", "GET /work HTTP/2.0\r\nHost: x\r\n\r\n", []int{400, 505}},
		{"HTTP/0.9 style", "GET /work\r\n\r\n", []int{400}},
		{"bad Content-Length", "POST /work HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", []int{400}},
		{"two Content-Lengths", "POST /work HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", []int{400}},
		{"CL and TE", "POST /work HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", []int{400}},
		{"obfuscated TE", "POST /work HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", []int{400, 501}},
		{"TE with space", "POST /work HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", []int{400}},
		{"bad chunk size", "POST /work HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n\r\n", []int{400}},
		{"chunk size overflow", "POST /work HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\na\r\n0\r\n\r\n", []int{400, 413}},
		{"obs-fold", "GET /work HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n", []int{400}},
		{"bare LF", "GET /work HTTP/1.1\nHost: x\nX-A: b\n\n", []int{400}},
		{"no Host", "GET /work HTTP/1.1\r\nX-A: b\r\n\r\n", []int{400}},
		{"two Hosts", "GET /work HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", []int{400}},
		{"NUL in value", "GET /work HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", []int{400}},
		// What a backend splitting lines at a bare CR, or a request line
		// at its first space, would read otherwise.
		{"bare CR in value", "GET /work HTTP/1.1\r\nHost: x\r\nX-A: a\rContent-Length: 5\r\n\r\n", []int{400}},
		{"CR in name", "GET /work HTTP/1.1\r\nHost: x\r\nX-A\r: a\r\n\r\n", []int{400}},
		{"VT in value", "GET /work HTTP/1.1\r\nHost: x\r\nX-A: a\vb\r\n\r\n", []int{400}},
		{"DEL in value", "GET /work HTTP/1.1\r\nHost: x\r\nX-A: a\x7fb\r\n\r\n", []int{400}},
		{"control in name", "GET /work HTTP/1.1\r\nHost: x\r\nX\x01A: b\r\n\r\n", []int{400}},
		{"separator in name", "GET /work HTTP/1.1\r\nHost: x\r\nX(A): b\r\n\r\n", []int{400}},
		{"empty name", "GET /work HTTP/1.1\r\nHost: x\r\n: b\r\n\r\n", []int{400}},
		{"space in target", "GET /work x HTTP/1.1\r\nHost: x\r\n\r\n", []int{400}},
		{"two versions", "GET /work HTTP/1.1 HTTP/1.1\r\nHost: x\r\n\r\n", []int{400, 505}},
		{"double space", "GET  /work HTTP/1.1\r\nHost: x\r\n\r\n", []int{400}},
		{"tab in request line", "GET /work\tHTTP/1.1\r\nHost: x\r\n\r\n", []int{400}},
		{"CR in target", "GET /work\rX HTTP/1.1\r\nHost: x\r\n\r\n", []int{400}},
		{"NUL in target", "GET /work?a=\x00 HTTP/1.1\r\nHost: x\r\n\r\n", []int{400}},
		{"space in Host", "GET /work HTTP/1.1\r\nHost: x y\r\n\r\n", []int{400}},
		{"Content-Length in trailer", "POST /work HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nContent-Length: 7\r\n\r\n", []int{400}},
		{"Transfer-Encoding in trailer", "POST /work HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n", []int{400}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := reached.Load()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(3 * time.Second))
			// A valid request follows: it must not be served.
			io.WriteString(c, tc.raw+"GET /work HTTP/1.1\r\nHost: x\r\nX-Client: smuggled\r\n\r\n")
			br := bufio.NewReader(c)
			resp, _, err := readOne(br, "GET")
			if err != nil {
				t.Fatalf("no response: %v", err)
			}
			if !slices.Contains(tc.want, resp.StatusCode) {
				t.Errorf("status %s, want one of %v", resp.Status, tc.want)
			}
			if resp2, body, err := readOne(br, "GET"); err == nil {
				t.Errorf("the connection went on after the refusal: %s %q", resp2.Status, body)
			}
			if reached.Load() != before {
				t.Errorf("the refused request reached the backend")
			}
		})
	}
}

// Finding 5: header names with underscores are not relayed (nginx's
// default, underscores_in_headers off), so X_Forwarded_For cannot pose as
// X-Forwarded-For behind a backend that maps _ to -.
func TestUnderscoreHeadersDropped(t *testing.T) {
	addr := startSecBalancer(t, Config{Backends: []string{startMisbehaving(t, func(c net.Conn) { serveEcho(c, nil) })}})
	for _, proto := range []string{"HTTP/1.1", "HTTP/1.0"} {
		resp, body := rawExchange(t, addr, "GET /work "+proto+"\r\nHost: x\r\nX_Forwarded_For: 1.2.3.4\r\nX-Client: me\r\n\r\n", "GET")
		if resp.StatusCode != 200 || strings.Contains(body, "x_forwarded_for") || !strings.Contains(body, "for=me ") {
			t.Errorf("%s: %s %q; want 200 without the underscored header", proto, resp.Status, body)
		}
	}
}

// TestHeaderNamesAnyCase checks that the balancer, which keeps header
// names as they came (fasthttp's DisableHeaderNamesNormalizing), finds
// the headers it acts on in any case: hop-by-hop headers and those a
// Connection header lists are dropped both ways, other names go as sent,
// (all of them, when there are several), an idempotency key makes a
// request with no body replayable, and a backend's service time is read.
func TestHeaderNamesAnyCase(t *testing.T) {
	t.Run("request", func(t *testing.T) {
		addr := startSecBalancer(t, Config{Backends: []string{startMisbehaving(t, func(c net.Conn) { serveEcho(c, nil) })}})
		resp, body := rawExchange(t, addr, "GET /work HTTP/1.1\r\nhost: x\r\nconnection: x-secret, Keep-Alive\r\nx-secret: 1\r\n"+
			"keep-alive: 5\r\nte: trailers\r\nproxy-connection: x\r\nx-client: me\r\nx-mixed-CASE: y\r\nx-other: 2\r\nConnection: X-Other\r\n\r\n", "GET")
		if resp.StatusCode != 200 || !strings.Contains(body, "for=me ") || !strings.HasSuffix(body, "headers=x-client,x-mixed-case") {
			t.Errorf("%s %q; want 200 and the backend to see only x-client and x-mixed-case", resp.Status, body)
		}
	})
	t.Run("response", func(t *testing.T) {
		backend := startMisbehaving(t, func(c net.Conn) {
			br := bufio.NewReader(c)
			for {
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				io.WriteString(c, "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: x-hop\r\nx-hop: 1\r\nkeep-alive: timeout=5\r\n"+
					"upgrade: h2c\r\nx-stratbench-service-ns: 250000000\r\nx-Kept: y\r\nX-Hop2: 2\r\nCONNECTION: x-hop2\r\n\r\nok")
			}
		})
		b, srv := newTestBalancer(t, Config{Backends: []string{backend}, Policy: "rr", HealthInterval: -1})
		resp, body := rawExchange(t, strings.TrimPrefix(srv.URL, "http://"), "GET /work HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
		if resp.StatusCode != 200 || body != "ok" || resp.Header.Get("X-Kept") != "y" {
			t.Errorf("%s %q %v; want 200 ok with X-Kept", resp.Status, body, resp.Header)
		}
		for _, k := range []string{"X-Hop", "X-Hop2", "Keep-Alive", "Upgrade"} {
			if v := resp.Header.Get(k); v != "" {
				t.Errorf("the client got %s: %s, a hop-by-hop header", k, v)
			}
		}
		b.mu.Lock()
		mean := b.meanSize
		b.mu.Unlock()
		if want := 1 + 0.05*(250-1); math.Abs(mean-want) > 1e-9 { // 250ms in units of 1ms
			t.Errorf("mean task size %v after a reported service time of 250ms, want %v", mean, want)
		}
	})
	t.Run("idempotency key", func(t *testing.T) {
		for _, key := range []string{"", "idempotency-key: k1\r\n", "x-IDEMPOTENCY-key: k1\r\n"} {
			// rr sends one of two requests to the backend that closes every
			// connection unanswered: retried on the other only with a key.
			closer := startMisbehaving(t, func(c net.Conn) { c.Close() })
			echo := startMisbehaving(t, func(c net.Conn) { serveEcho(c, nil) })
			addr := startSecBalancer(t, Config{Backends: []string{closer, echo}})
			var codes []int
			for range 2 {
				resp, _ := rawExchange(t, addr, "POST /work HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"+key+"\r\n", "POST")
				codes = append(codes, resp.StatusCode)
			}
			retries := num(secStats(t, addr), "retries")
			if key != "" && (!slices.Equal(codes, []int{200, 200}) || retries != 1) {
				t.Errorf("with %q: statuses %v, %v retries; want both 200, one retried", key, codes, retries)
			}
			if key == "" && (!slices.Contains(codes, http.StatusBadGateway) || retries != 0) {
				t.Errorf("without a key: statuses %v, %v retries; want a 502, no retry", codes, retries)
			}
		}
	})
}

// Finding 5: the response to a pipelined request goes out even though the
// next request's head is still incomplete.
func TestPipelinedResponseNotHeld(t *testing.T) {
	addr := startSecBalancer(t, Config{Backends: []string{startMisbehaving(t, func(c net.Conn) { serveEcho(c, nil) })}})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	io.WriteString(c, "GET /work HTTP/1.1\r\nHost: x\r\nX-Client: first\r\n\r\nGET /work HTTP/1.1\r\nHo")
	resp, body, err := readOne(bufio.NewReader(c), "GET")
	if err != nil {
		t.Fatalf("no response within 1s: %v", err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(body, "for=first ") {
		t.Errorf("got %s %q", resp.Status, body)
	}
}

// Finding 5: a response head larger than the limit is answered 502 on
// every path (HTTP/1.1 and 1.0 clients, chunked request bodies).
func TestHugeResponseHeadRefused(t *testing.T) {
	be := startMisbehaving(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nX-Big: %s\r\nContent-Length: 2\r\n\r\nok", strings.Repeat("a", 1<<20))
		}
	})
	addr := startSecBalancer(t, Config{Backends: []string{be}})
	for _, raw := range []string{
		"GET /work HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /work HTTP/1.0\r\nHost: x\r\n\r\n",
		"POST /work HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
	} {
		resp, _ := rawExchange(t, addr, raw, "GET")
		if resp.StatusCode != 502 {
			t.Errorf("%q: %s, want 502", raw, resp.Status)
		}
	}
}

// Finding 3: a request body has an idle timeout (between two reads) and a
// total one; past either the client gets 408 and its connection closes,
// and no backend was involved.
func TestBodyTimeouts(t *testing.T) {
	var reached atomic.Int64
	be := startMisbehaving(t, func(c net.Conn) {
		serveEcho(c, func(*http.Request) ([]byte, time.Duration) { reached.Add(1); return nil, 0 })
	})
	for _, policy := range []string{"rr", "central"} {
		addr := startSecBalancer(t, Config{Backends: []string{be}, Policy: policy,
			Limits: Limits{BodyIdleTimeout: 300 * time.Millisecond, BodyTimeout: time.Second}})
		cases := []struct {
			name  string
			every time.Duration // between body bytes
		}{
			{"idle", 700 * time.Millisecond},
			{"total", 100 * time.Millisecond},
		}
		for _, tc := range cases {
			t.Run(policy+"/"+tc.name, func(t *testing.T) {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				io.WriteString(c, "POST /work HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
				t0 := time.Now()
				go func() {
					for range 40 {
						time.Sleep(tc.every)
						if _, err := c.Write([]byte("x")); err != nil {
							return
						}
					}
				}()
				br := bufio.NewReader(c)
				resp, _, err := readOne(br, "POST")
				if err != nil {
					t.Fatalf("no response: %v", err)
				}
				if resp.StatusCode != 408 || time.Since(t0) > 3*time.Second {
					t.Errorf("%s after %v, want 408 within 3s", resp.Status, time.Since(t0))
				}
				if _, _, err := readOne(br, "GET"); err == nil {
					t.Error("connection kept after the 408")
				}
			})
		}
		if n := num(secStats(t, addr), "client_errors", "timeout"); n < 2 {
			t.Errorf("%s: client_errors.timeout = %v, want 2", policy, n)
		}
	}
	if reached.Load() != 0 {
		t.Errorf("%d timed-out uploads reached the backend", reached.Load())
	}
}

// Finding 3: a slow head (slowloris) is cut at the header timeout.
func TestSlowHeadCut(t *testing.T) {
	addr := startSecBalancer(t, Config{Backends: []string{startMisbehaving(t, func(c net.Conn) { serveEcho(c, nil) })},
		Limits: Limits{HeaderTimeout: 500 * time.Millisecond}})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(4 * time.Second))
			io.WriteString(c, "GET /work HTTP/1.1\r\n")
			t0 := time.Now()
			for j := 0; ; j++ {
				if _, err := fmt.Fprintf(c, "X-%d-%d: a\r\n", i, j); err != nil {
					break
				}
				var one [1]byte
				c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
				if _, err := c.Read(one[:]); err == nil || !isTimeout(err) {
					break // answered (408) or closed
				}
				if time.Since(t0) > 3*time.Second {
					t.Error("a slow head was still read after 3s")
					return
				}
			}
			if d := time.Since(t0); d < 400*time.Millisecond {
				t.Errorf("cut after %v, before the header timeout", d)
			}
		})
	}
	wg.Wait()
	resp, _ := rawExchange(t, addr, "GET /work HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
	if resp.StatusCode != 200 {
		t.Errorf("after slowloris: %s", resp.Status)
	}
}

// Finding 4: the health logic tells a client's fault from a backend's:
// client faults are counted by kind and leave the backend alive; a real
// backend failure counts against it, with what was seen.
func TestFailureKindsCounted(t *testing.T) {
	good := startMisbehaving(t, func(c net.Conn) { serveEcho(c, nil) })
	bad := startMisbehaving(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		if _, err := http.ReadRequest(br); err == nil {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: zz\r\n\r\n")
		}
	})
	addr := startSecBalancer(t, Config{Backends: []string{good, bad}, Policy: "rr"})
	rawExchange(t, addr, "POST /work HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "POST")
	rawExchange(t, addr, "GET /work HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n", "GET")
	rawExchange(t, addr, "GET /work HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 20000)+"\r\n\r\n", "GET")
	codes := map[int]int{}
	for range 4 {
		resp, _ := rawExchange(t, addr, "GET /work HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
		codes[resp.StatusCode]++
	}
	if codes[200] != 2 || codes[502] != 2 {
		t.Errorf("statuses %v, want two 200 (good) and two 502 (bad)", codes)
	}
	m := secStats(t, addr)
	if num(m, "client_errors", "malformed") != 2 || num(m, "client_errors", "too_large") != 1 {
		t.Errorf("client_errors %v, want malformed 2, too_large 1", m["client_errors"])
	}
	bs := backendsOf(m)
	if num(bs[0], "failed") != 0 || num(bs[1], "failed") != 2 {
		t.Errorf("failed %v and %v, want 0 and 2", bs[0]["failed"], bs[1]["failed"])
	}
	if e, _ := bs[1]["last_error"].(string); !strings.Contains(e, "response") {
		t.Errorf("last_error of the bad backend %q, want the malformed response named", e)
	}
}

// Finding 5: the central queue is bounded in length and in wait: beyond
// either a request gets 503, counted.
func TestCentralQueueBounded(t *testing.T) {
	release := make(chan struct{})
	be := startMisbehaving(t, func(c net.Conn) {
		serveEcho(c, func(req *http.Request) ([]byte, time.Duration) { return nil, 0 })
	})
	slow := startMisbehaving(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			if _, err := http.ReadRequest(br); err != nil {
				return
			}
			<-release
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
		}
	})
	_ = be
	addr := startSecBalancer(t, Config{Backends: []string{slow}, Policy: "central",
		Limits: Limits{QueueMax: 2, QueueTimeout: 300 * time.Millisecond}})
	var wg sync.WaitGroup
	statuses := make(chan int, 8)
	for range 4 {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, "GET /work HTTP/1.1\r\nHost: x\r\n\r\n")
			if resp, _, err := readOne(bufio.NewReader(c), "GET"); err == nil {
				statuses <- resp.StatusCode
			}
		})
		time.Sleep(30 * time.Millisecond) // one on the backend, two queued, one refused
	}
	time.Sleep(500 * time.Millisecond) // the queued ones time out
	close(release)
	wg.Wait()
	close(statuses)
	codes := map[int]int{}
	for s := range statuses {
		codes[s]++
	}
	m := secStats(t, addr)
	if codes[200] != 1 || codes[503] != 3 || num(m, "queue_full") != 1 || num(m, "queue_timeouts") != 2 {
		t.Errorf("statuses %v, queue_full %v, queue_timeouts %v; want one 200, three 503, 1 full, 2 timeouts",
			codes, m["queue_full"], m["queue_timeouts"])
	}
}

// A backend past the first-byte timeout: 504, not retried, the backend
// not marked dead.
func TestBackendFirstByteTimeout(t *testing.T) {
	var got atomic.Int64
	hung := startMisbehaving(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		if _, err := http.ReadRequest(br); err == nil {
			got.Add(1)
			io.Copy(io.Discard, c) // never answers
		}
	})
	other := startMisbehaving(t, func(c net.Conn) {
		serveEcho(c, func(*http.Request) ([]byte, time.Duration) { got.Add(100); return nil, 0 })
	})
	addr := startSecBalancer(t, Config{Backends: []string{hung, other}, Policy: "rr",
		Limits: Limits{FirstByteTimeout: 300 * time.Millisecond}})
	t0 := time.Now()
	resp, _ := rawExchange(t, addr, "GET /work HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
	if resp.StatusCode != 504 || time.Since(t0) > 2*time.Second {
		t.Errorf("%s after %v, want 504 soon after 300ms", resp.Status, time.Since(t0))
	}
	if got.Load() != 1 {
		t.Errorf("the timed-out request was sent again (%d)", got.Load())
	}
	if b := backendsOf(secStats(t, addr))[0]; b["alive"] != true {
		t.Error("a slow backend was marked dead")
	}
}

// Request smuggling variants (and the pairs above, in
// TestBadRequestHeadsRefusedAndClosed): whatever the balancer accepts, the
// backend sees exactly one request per client request, with the body the
// client framed, and a second request hidden in a body never reaches it.
func TestSmugglingFramedSafely(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	be := startMisbehaving(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			body, _ := io.ReadAll(req.Body)
			mu.Lock()
			seen = append(seen, req.Method+" "+req.URL.Path+" "+string(body))
			mu.Unlock()
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	addr := startSecBalancer(t, Config{Backends: []string{be}})
	hidden := "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
	cases := []string{
		// TE.CL: chunked body whose chunk holds a request.
		fmt.Sprintf("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(hidden), hidden),
		// CL body that holds a request.
		fmt.Sprintf("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(hidden), hidden),
		// Obfuscated TE values and names.
		"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n" + hidden,
		"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n",
		"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-encoding: chunked, identity\r\n\r\n0\r\n\r\n" + hidden,
		"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n" + hidden,
		"POST /a HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + hidden,
		// Chunk extensions, sizes with junk, LF-only chunk lines.
		"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\n\r\n",
		"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3 x\r\nabc\r\n0\r\n\r\n" + hidden,
		"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n" + hidden,
		"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n" + hidden,
		"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc" + hidden,
		"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3,3\r\n\r\nabc" + hidden,
	}
	for i, raw := range cases {
		mu.Lock()
		seen = nil
		mu.Unlock()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(700 * time.Millisecond)) // the answers take milliseconds
		io.WriteString(c, raw)
		br := bufio.NewReader(c)
		n := 0
		for {
			if _, _, err := readOne(br, "POST"); err != nil {
				break
			}
			n++
		}
		c.Close()
		mu.Lock()
		got := slices.Clone(seen)
		mu.Unlock()
		for _, s := range got {
			if strings.HasPrefix(s, "GET /smuggled") {
				t.Errorf("case %d %q: a hidden request reached the backend: %q", i, raw, got)
			}
		}
		if len(got) > 1 {
			t.Errorf("case %d %q: one client request became %d at the backend: %q", i, raw, len(got), got)
		}
		if n > 2 {
			t.Errorf("case %d: %d responses", i, n)
		}
	}
}

// 2,000 idle client connections are held cheaply and the balancer goes on
// answering.
func TestManyIdleConnections(t *testing.T) {
	addr := startSecBalancer(t, Config{Backends: []string{startMisbehaving(t, func(c net.Conn) { serveEcho(c, nil) })}})
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 2000 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Skipf("after %d connections: %v (file limit?)", len(conns), err)
		}
		conns = append(conns, c)
	}
	t0 := time.Now()
	resp, _ := rawExchange(t, addr, "GET /work HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
	if resp.StatusCode != 200 || time.Since(t0) > time.Second {
		t.Errorf("with 2,000 idle connections: %s after %v", resp.Status, time.Since(t0))
	}
}

// Overload at 3x capacity: a backend that serves one request at a time
// for 5 ms, offered three times that; the balancer stays responsive to a
// health probe (its stats) and its memory stays bounded.
func TestOverloadStaysResponsive(t *testing.T) {
	_, ss := workertest.Start(t, 1, worker.Config{Kind: "sleep", Capacity: 1})
	addr, pid := startBalancerProcess(t, "central", workertest.Addr(ss[0]))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	// control answers at once in this process: its round trip is what
	// the machine's load alone costs an answer right now.
	control := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer control.Close()
	controlRTT := func() time.Duration {
		t0 := time.Now()
		rawExchange(t, control.Listener.Addr().String(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
		return time.Since(t0)
	}
	var wg sync.WaitGroup
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 15 * time.Second}
	for range 16 {
		wg.Go(func() {
			tick := time.NewTicker(16 * 5 * time.Millisecond / 3) // 16 clients: 3x of 200/s
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				go func() {
					req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+worker.WorkPath+"?ns=5000000", nil)
					if resp, err := client.Do(req); err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				}()
			}
		})
	}
	// RSS after 1s at 3x capacity (about 400 requests waiting), as the
	// issue's bound was set; then, after 2s (about 800 waiting, 5ms of
	// work each: a request queued behind them would wait about 4s), the
	// stats must answer at once: within 500ms plus four times the slower
	// of two control round trips taken around it (what the machine's load
	// costs any answer), and never as late as 1.5s.
	time.Sleep(time.Second)
	rssLimit := int64(100 << 20)
	if raceEnabled {
		rssLimit *= 3 // the race detector's shadow memory
	}
	if r, err := rssOf(pid); err == nil && r > rssLimit {
		t.Errorf("RSS under overload %d MiB, want < %d", r>>20, rssLimit>>20)
	}
	time.Sleep(time.Second)
	before := controlRTT()
	t0 := time.Now()
	resp, _ := rawExchange(t, addr, "GET "+StatsPath+" HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
	d := time.Since(t0)
	limit := min(500*time.Millisecond+4*max(before, controlRTT()), 1500*time.Millisecond)
	if resp.StatusCode != 200 || d > limit {
		t.Errorf("stats under overload: %s after %v, want 200 within %v", resp.Status, d, limit)
	}
	cancel()
	wg.Wait()
}

// The request path against net/http's parser: whatever bytes a client
// sends, every request the backend receives is one that net/http's own
// parser reads from those bytes, in the same order, with the same method,
// target and body; once net/http refuses the stream, nothing more reaches
// the backend. (The balancer may refuse more than net/http: never less.)
func FuzzRequestPath(f *testing.F) {
	for _, s := range []string{
		"GET /work HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"POST /a HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"GET /a HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n",
		"GET /a HTTP/1.1\nHost: x\n\n",
		"GET http://x/a HTTP/1.1\r\nHost: x\r\n\r\n",
		"PUT /a HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab",
	} {
		f.Add([]byte(s))
	}
	type got struct{ method, target, body string }
	var mu sync.Mutex
	var seen []got
	be := startMisbehaving(f, func(c net.Conn) {
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
			mu.Lock()
			seen = append(seen, got{req.Method, req.RequestURI, string(body)})
			mu.Unlock()
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
		}
	})
	addr := startSecBalancer(f, Config{Backends: []string{be}, Limits: Limits{HeaderTimeout: time.Second, BodyIdleTimeout: time.Second}})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 8<<10 {
			return
		}
		mu.Lock()
		seen = nil
		mu.Unlock()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(3 * time.Second))
		c.Write(data)
		c.(*net.TCPConn).CloseWrite()
		io.Copy(io.Discard, c) // to the end: every answer given
		c.Close()
		mu.Lock()
		forwarded := slices.Clone(seen)
		mu.Unlock()
		// What net/http reads from the same bytes.
		var want []got
		br := bufio.NewReader(bytes.NewReader(data))
		for {
			for { // empty lines before a request are ignored (RFC 9112 2.2)
				b, err := br.Peek(1)
				if err != nil || b[0] != '\r' && b[0] != '\n' {
					break
				}
				br.Discard(1)
			}
			req, err := http.ReadRequest(br)
			if err != nil {
				break
			}
			body, err := io.ReadAll(req.Body)
			if err != nil {
				break
			}
			want = append(want, got{req.Method, req.RequestURI, string(body)})
		}
		if len(forwarded) > len(want) {
			t.Fatalf("%q: the backend got %d requests, net/http reads %d: %q vs %q", data, len(forwarded), len(want), forwarded, want)
		}
		for i, g := range forwarded {
			if g != want[i] {
				t.Fatalf("%q: request %d reached the backend as %q, net/http reads %q", data, i, g, want[i])
			}
		}
	})
}
