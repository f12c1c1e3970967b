package balancer

import (
	"bufio"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratbench/stratbench/cluster/internal/workertest"
	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/strategies"
)

// waitProbes waits until no probe of b is in flight and returns its
// counters (a probe ends by its timeout at the latest).
func waitProbes(t *testing.T, b *Balancer) ProbeStats {
	t.Helper()
	deadline := time.Now().Add(b.cfg.Limits.ProbeTimeout + 10*time.Second)
	for {
		s := b.Stats().Probes
		if s == nil {
			t.Fatal("no probe counters: the policy does not probe")
		}
		if s.InFlight == 0 || time.Now().After(deadline) {
			return *s
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// requested is what the policy asked for: every probe is sent, coalesced
// with one in flight, or not sent to a dead backend.
func requested(s ProbeStats) int64 { return s.Sent + s.Coalesced + s.Dead }

// TestProbesReachWorkers sends requests through prequal with 1.5 probes a
// query over real workers and checks the probe accounting against what
// the run did: the policy asks for exactly 1.5 probes a request (300 for
// 200), each is sent or coalesced, the workers answered between the
// answers the policy got and the probes sent, and no probe is a request
// (dispatched and served count the 200 requests only).
func TestProbesReachWorkers(t *testing.T) {
	ws, ss := workertest.Start(t, 4, worker.Config{})
	var backends []string
	for _, s := range ss {
		backends = append(backends, workertest.Addr(s))
	}
	b, err := New(Config{Backends: backends, Policy: "prequal", Options: strategies.Options{"probe_rate": 1.5}, Seed: 7, HealthInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	client := &http.Client{Transport: b}
	const n = 200
	for range n {
		if code, _ := get(t, client, "http://balancer"+worker.WorkPath+"?ns=100000"); code != 200 {
			t.Fatalf("status %d", code)
		}
	}
	ps := waitProbes(t, b)
	if got := requested(ps); got != 300 {
		t.Errorf("the policy asked for %d probes for %d requests at 1.5 a request, want 300 (%+v)", got, n, ps)
	}
	if ps.Sent != ps.Answered+ps.Timeouts+ps.Failed+ps.Bad {
		t.Errorf("probes sent %d != answered + timeouts + failed + bad (%+v)", ps.Sent, ps)
	}
	var atWorkers, served, perBackend int64
	for _, w := range ws {
		atWorkers += w.Info().Probes
		served += w.Info().Served
	}
	st := b.Stats()
	var disp int64
	for _, be := range st.Backends {
		disp += be.Dispatched
		perBackend += be.Probes
		if be.Failed != 0 || !be.Alive {
			t.Errorf("backend %s: %+v", be.Addr, be)
		}
	}
	if atWorkers < ps.Answered+ps.Bad || atWorkers > ps.Sent {
		t.Errorf("the workers answered %d probes, want between %d (answers used + bad) and %d (sent)", atWorkers, ps.Answered+ps.Bad, ps.Sent)
	}
	if ps.Answered == 0 {
		t.Errorf("no probe answered: %+v", ps)
	}
	if disp != n || served != n || perBackend != ps.Sent {
		t.Errorf("dispatched %d and served %d, want %d (probes are not requests); probes per backend sum to %d, want %d", disp, served, n, perBackend, ps.Sent)
	}
}

// TestProbeAnswersSteer checks that the answers reach the policy: of four
// backends whose load endpoints report latencies of 1s, 1ms, 1ms and 1ms
// and no requests in flight, the first gets almost nothing once the pool
// holds probes.
func TestProbeAnswersSteer(t *testing.T) {
	var backends []string
	for i := range 4 {
		lat := "1000000"
		if i == 0 {
			lat = "1000000000"
		}
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == worker.LoadPath {
				w.Write([]byte(`{"rif":0,"latency_ns":` + lat + `}`))
				return
			}
			w.Write([]byte("ok\n"))
		}))
		t.Cleanup(s.Close)
		backends = append(backends, workertest.Addr(s))
	}
	b, err := New(Config{Backends: backends, Policy: "prequal", Seed: 3, HealthInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	client := &http.Client{Transport: b}
	send := func(k int) {
		for range k {
			if code, _ := get(t, client, "http://balancer"+worker.WorkPath); code != 200 {
				t.Fatalf("status %d", code)
			}
			waitProbes(t, b) // answers in before the next request: the pool is not empty by chance
		}
	}
	send(20)
	before := b.Stats().Backends[0].Dispatched
	send(200)
	if got := b.Stats().Backends[0].Dispatched - before; got > 10 {
		t.Errorf("the backend reporting 1s latency got %d of 200 requests, want almost none (%+v)", got, *b.Stats().Probes)
	}
}

// misbehaving starts a loopback backend that serves requests well (HTTP,
// "ok") but answers at the load endpoint with whatever load writes on the
// raw connection; it is closed at the end of the test.
func misbehaving(t *testing.T, load func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		close(done)
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					if req.URL.Path == worker.LoadPath {
						load(c)
						return
					}
					c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n"))
				}
			})
		}
	})
	return ln.Addr().String()
}

// TestProbeMisbehaving checks probes of load endpoints that answer slowly,
// too much, garbage, a bad status, values out of range, or not HTTP at
// all: every request is still served, no backend is counted failed or
// marked dead, and each probe ends counted as what it was.
func TestProbeMisbehaving(t *testing.T) {
	const timeout = 100 * time.Millisecond
	head := func(body string) string {
		return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	}
	cases := []struct {
		name string
		load func(c net.Conn)
		kind string // the counter every probe ends in
	}{
		{"slow", func(c net.Conn) { time.Sleep(10 * timeout); c.Write([]byte(head(`{"rif":0,"latency_ns":1}`))) }, "timeouts"},
		{"oversized", func(c net.Conn) {
			c.Write([]byte(head(`{"rif":0,"latency_ns":1,"pad":"` + strings.Repeat("x", 1<<20) + `"}`)))
		}, "bad"},
		{"oversized-chunked", func(c net.Conn) {
			c.Write([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"))
			for range 64 {
				c.Write([]byte("400\r\n" + strings.Repeat(" ", 1024) + "\r\n"))
			}
		}, "bad"},
		{"garbage-json", func(c net.Conn) { c.Write([]byte(head(`{"rif":`))) }, "bad"},
		{"not-json", func(c net.Conn) { c.Write([]byte(head("<html>hello</html>"))) }, "bad"},
		{"two-values", func(c net.Conn) { c.Write([]byte(head(`{"rif":1,"latency_ns":1}{"rif":2,"latency_ns":1}`))) }, "bad"},
		{"negative-rif", func(c net.Conn) { c.Write([]byte(head(`{"rif":-3,"latency_ns":1}`))) }, "bad"},
		{"fractional-rif", func(c net.Conn) { c.Write([]byte(head(`{"rif":1.5,"latency_ns":1}`))) }, "bad"},
		{"missing-latency", func(c net.Conn) { c.Write([]byte(head(`{"rif":1}`))) }, "bad"},
		{"status-500", func(c net.Conn) {
			c.Write([]byte("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 24\r\n\r\n{\"rif\":0,\"latency_ns\":1}"))
		}, "bad"},
		{"raw-bytes", func(c net.Conn) { c.Write([]byte("\x00\xff\x13garbage\r\n\r\n")) }, "failed"},
		{"huge-head", func(c net.Conn) {
			c.Write([]byte("HTTP/1.1 200 OK\r\nX-Pad: " + strings.Repeat("y", 64<<10) + "\r\nContent-Length: 2\r\n\r\n{}"))
		}, "failed"},
		{"closed", func(c net.Conn) {}, "failed"},
		{"reset", func(c net.Conn) { c.(*net.TCPConn).SetLinger(0) }, "failed"},
		{"trickle-head", func(c net.Conn) { // a byte every 5ms, never ending
			for _, b := range []byte("HTTP/1.1 200 OK\r\nX-Pad: " + strings.Repeat("y", 1<<20)) {
				if _, err := c.Write([]byte{b}); err != nil {
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		}, "timeouts"},
		{"chunked-forever", func(c net.Conn) { // a byte every 5ms, never ending
			c.Write([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"))
			for range 1 << 20 {
				if _, err := c.Write([]byte("1\r\n \r\n")); err != nil {
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		}, "timeouts"},
		{"chunked-forever-fast", func(c net.Conn) { // as fast as it is read, never ending
			c.Write([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"))
			chunk := []byte("400\r\n" + strings.Repeat(" ", 1024) + "\r\n")
			for {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}, "bad"},
		{"interim-forever", func(c net.Conn) {
			for range 1 << 20 {
				if _, err := c.Write([]byte("HTTP/1.1 102 Processing\r\n\r\n")); err != nil {
					return
				}
				time.Sleep(time.Millisecond)
			}
		}, "failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			backends := []string{misbehaving(t, tc.load), misbehaving(t, tc.load)}
			// Only the slow case has a short probe timeout: the others must
			// end as what they are even on a busy machine.
			limits := Limits{ProbeTimeout: 10 * time.Second}
			if tc.kind == "timeouts" {
				limits.ProbeTimeout = timeout
			}
			b, err := New(Config{Backends: backends, Policy: "prequal", Seed: 1, HealthInterval: -1, Limits: limits})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			client := &http.Client{Transport: b}
			const n = 30
			for range n {
				if code, _ := get(t, client, "http://balancer"+worker.WorkPath); code != 200 {
					t.Fatalf("status %d", code)
				}
			}
			ps := waitProbes(t, b)
			got := map[string]int64{"timeouts": ps.Timeouts, "bad": ps.Bad, "failed": ps.Failed, "answered": ps.Answered}
			if ps.Sent == 0 || got[tc.kind] != ps.Sent {
				t.Errorf("probes %+v: want all %d sent in %s", ps, ps.Sent, tc.kind)
			}
			if requested(ps) != 2*n { // 3 a query, of 2 servers: both
				t.Errorf("the policy asked for %d probes, want %d", requested(ps), 2*n)
			}
			for _, be := range b.Stats().Backends {
				if be.Failed != 0 || !be.Alive || be.LastError != "" {
					t.Errorf("a probe counted against backend %s: %+v", be.Addr, be)
				}
			}
		})
	}
}

// TestDeadProbeEndpointNoStall checks that load endpoints that never
// answer do not hold requests: with a probe timeout of a minute, 50
// requests are all served while the first probe of each backend is still
// in flight (none has timed out, the policy's later probes are
// coalesced), so no request waited for a probe.
func TestDeadProbeEndpointNoStall(t *testing.T) {
	hang := make(chan struct{})
	var backends []string
	for range 3 {
		backends = append(backends, misbehaving(t, func(c net.Conn) { <-hang }))
	}
	defer close(hang)
	b, err := New(Config{Backends: backends, Policy: "prequal", Seed: 1, HealthInterval: -1,
		Limits: Limits{ProbeTimeout: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: b}
	const n = 50
	for range n {
		if code, _ := get(t, client, "http://balancer"+worker.WorkPath); code != 200 {
			t.Fatalf("status %d", code)
		}
	}
	ps := *b.Stats().Probes
	if ps.Timeouts != 0 || ps.Answered != 0 || ps.InFlight != 3 || ps.Sent != 3 || ps.Coalesced != 3*n-3 {
		t.Errorf("probes %+v: want the 3 first in flight, the %d others coalesced, none ended", ps, 3*n-3)
	}
	closed := make(chan struct{})
	go func() { b.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("Close waited for the probes' minute-long timeout")
	}
}

func TestParseLoad(t *testing.T) {
	for _, tc := range []struct {
		in  string
		rif int
		lat float64
		ok  bool
	}{
		{`{"rif":3,"latency_ns":1500}`, 3, 1500, true},
		{`{"rif":0,"latency_ns":-1}`, 0, -1, true},
		{` {"latency_ns":2,"rif":1,"extra":[1,2]} ` + "\n", 1, 2, true},
		{`{"rif":16777216,"latency_ns":1e15}`, 1 << 24, 1e15, true},
		{`{"rif":16777217,"latency_ns":1}`, 0, 0, false},
		{`{"rif":1,"latency_ns":1e16}`, 0, 0, false},
		{`{"rif":1e400,"latency_ns":1}`, 0, 0, false},
		{`{"rif":"3","latency_ns":1}`, 0, 0, false},
		{`{"rif":null,"latency_ns":1}`, 0, 0, false},
		{`[1,2]`, 0, 0, false},
		{``, 0, 0, false},
		{`{"rif":1,"latency_ns":1} x`, 0, 0, false},
	} {
		rif, lat, err := parseLoad([]byte(tc.in))
		if (err == nil) != tc.ok || (tc.ok && (rif != tc.rif || lat != tc.lat)) {
			t.Errorf("%q: %d %g %v, want ok=%v %d %g", tc.in, rif, lat, err, tc.ok, tc.rif, tc.lat)
		}
	}
}

// FuzzParseLoad checks that any answer is refused or read as a load in
// range.
func FuzzParseLoad(f *testing.F) {
	for _, s := range []string{`{"rif":3,"latency_ns":1500}`, `{"rif":0,"latency_ns":-1}`, `{"rif":1e3,"latency_ns":0}`, `{}`, `null`, `{"rif":1,"latency_ns":1}{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rif, lat, err := parseLoad(b)
		if err != nil {
			return
		}
		if rif < 0 || rif > maxProbeRIF || math.IsNaN(lat) || lat > maxProbeLatencyNs {
			t.Fatalf("%q read as rif %d, latency %g", b, rif, lat)
		}
	})
}

// TestViewHealth checks the balancer's view as strategies.Health: out of
// service while marked dead, back with the time it was revived, and in
// service all alike when every backend is marked dead (panic mode).
func TestViewHealth(t *testing.T) {
	_, ss := workertest.Start(t, 2, worker.Config{})
	b, err := New(Config{Backends: []string{workertest.Addr(ss[0]), workertest.Addr(ss[1])}, Policy: "leastreq", HealthInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var h strategies.Health = view{b}
	if h.UpSince(0) != 0 || h.UpSince(1) != 0 {
		t.Fatalf("at the start: %g %g, want 0 0", h.UpSince(0), h.UpSince(1))
	}
	b.markDead(1)
	if h.UpSince(1) >= 0 || h.UpSince(0) != 0 {
		t.Errorf("backend 1 dead: %g, backend 0: %g", h.UpSince(1), h.UpSince(0))
	}
	before := view{b}.Now()
	b.markAlive(1)
	if u := h.UpSince(1); !(u > 0 && u >= before && u <= view{b}.Now()) {
		t.Errorf("revived at %g, want between %g and now", u, before)
	}
	b.markDead(0)
	b.markDead(1)
	b.mu.Lock()
	b.panicking = true
	if h.UpSince(0) < 0 || h.UpSince(1) < 0 {
		t.Error("panic mode: a backend shown out of service")
	}
	b.panicking = false
	b.mu.Unlock()
}
