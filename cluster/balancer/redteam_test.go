//go:build linux

package balancer

// Raw-socket attacks on the balancer's raw system-call path (sysConn: the
// one-step send of a backend request, the idle peek of a pooled
// connection) and on prequal's probes, with backends that misbehave on
// purpose. Linux only: the file-descriptor counts read /proc, and the
// backends set socket options of Linux.

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stratbench/stratbench/cluster/worker"
)

// startMisbehavingOpts is startMisbehaving with socket options set on the
// listener (inherited by the connections it accepts): a receive buffer of
// rcvbuf bytes and a maximum segment size of mss (0: the system's).
func startMisbehavingOpts(t testing.TB, rcvbuf, mss int, serve func(c net.Conn)) string {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			if rcvbuf > 0 {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
			}
			if serr == nil && mss > 0 {
				serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_MAXSEG, mss)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
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
			wg.Go(func() { defer c.Close(); serve(c) })
		}
	})
	return ln.Addr().String()
}

// readHead reads a request head from br (through its blank line) and
// returns it.
func readHead(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		line, err := br.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			return b.String(), err
		}
		if line == "\r\n" {
			return b.String(), nil
		}
	}
}

// fdCount is the number of open file descriptors of process pid.
func fdCount(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// The balancer keeps serving when its process runs out of file
// descriptors (clients opened too many connections): it neither stops
// accepting for good nor counts the failure to connect to a backend, its
// own, against the backend.
func TestFileDescriptorExhaustion(t *testing.T) {
	serve := func(c net.Conn) { serveEcho(c, nil) }
	b1, b2 := startMisbehaving(t, serve), startMisbehaving(t, serve)
	const nofile = 64
	addr, pid := startBalancerProcessEnv(t, map[string]string{"_NOFILE": strconv.Itoa(nofile), "_HEALTH": "50ms"}, "rr", b1, b2)
	// One connection opened first, with a request served: its client
	// then asks again while no descriptor is free.
	c0, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c0.Close()
	br0 := bufio.NewReader(c0)
	ask := func(who string) (int, error) {
		c0.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c0, "GET /work HTTP/1.1\r\nHost: x\r\nX-Client: %s\r\n\r\n", who)
		resp, _, err := readOne(br0, "GET")
		if err != nil {
			return 0, err
		}
		return resp.StatusCode, nil
	}
	if code, err := ask("first"); code != 200 {
		t.Fatalf("before: %d %v", code, err)
	}
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 2 * nofile {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		conns = append(conns, c)
	}
	// Wait until the accepts that can be made are made.
	for deadline := time.Now().Add(10 * time.Second); fdCount(t, pid) < nofile-1; {
		if fdCount(t, pid) == 0 {
			t.Fatalf("the balancer process stopped (it holds no descriptor) after %d connections", len(conns))
		}
		if time.Now().After(deadline) {
			t.Fatalf("the balancer holds %d descriptors after %d connections, want its limit %d", fdCount(t, pid), len(conns), nofile)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("the balancer holds %d descriptors, %d connections opened", fdCount(t, pid), len(conns))
	// rr: this one goes to the second backend, which needs a connection.
	code, err := ask("starved")
	t.Logf("a request while no descriptor is free: %d %v", code, err)
	if err == nil && code != 200 && code != 503 {
		t.Errorf("a request while no descriptor is free: %d, want 200 (retried on a pooled connection) or 503", code)
	}
	time.Sleep(300 * time.Millisecond) // several health checks
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	time.Sleep(300 * time.Millisecond)
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
		t.Fatalf("the balancer process is gone: %v", err)
	}
	resp, _ := rawExchange(t, addr, "GET /work HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
	if resp.StatusCode != 200 {
		t.Errorf("after the connections closed: %s", resp.Status)
	}
	for _, b := range backendsOf(secStats(t, addr)) {
		if num(b, "failed") != 0 || b["alive"] != true || b["last_error"] != nil {
			t.Errorf("backend %v blamed for the balancer's own lack of descriptors: alive %v, failed %v, last error %v", b["addr"], b["alive"], b["failed"], b["last_error"])
		}
	}
}

// A backend that answers a request as soon as it has read its head and
// closes the connection with the body still coming (so its system resets
// the connection): the answer, sent before the reset, reaches the client,
// and the backend is neither marked dead nor counted failed (it answered;
// the upload was the client's).
func TestEarlyAnswerThenReset(t *testing.T) {
	be := startMisbehavingOpts(t, 4096, 0, func(c net.Conn) {
		br := bufio.NewReader(c)
		if _, err := readHead(br); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Length: 7\r\n\r\ntoo big")
		time.Sleep(10 * time.Millisecond)
		c.(*net.TCPConn).SetLinger(0) // a reset, whatever the timing of the unread bytes
	})
	const size = 16 << 20 // far more than the socket buffers hold
	addr := startSecBalancer(t, Config{Backends: []string{be}, Limits: Limits{MaxBodyBytes: size}})
	for i := range 3 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		go func() {
			fmt.Fprintf(c, "PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", size)
			c.Write(make([]byte, size))
		}()
		resp, body, err := readOne(bufio.NewReader(c), "PUT")
		c.Close()
		if err != nil {
			t.Fatalf("upload %d: no response: %v", i, err)
		}
		if resp.StatusCode != 413 || body != "too big" {
			t.Errorf("upload %d: %s %q, want the backend's 413 \"too big\"", i, resp.Status, body)
		}
	}
	b := backendsOf(secStats(t, addr))[0]
	if b["alive"] != true || num(b, "failed") != 0 {
		t.Errorf("the backend that answered: alive %v, failed %v, last error %v; want alive, 0 failed", b["alive"], b["failed"], b["last_error"])
	}
}

// A backend that stops reading with a tiny window (its receive buffer and
// segment size at their minimum, so that the balancer's socket holds some
// 20 KiB): a request that does not fit, whatever its body's size (a 12 KiB
// head and 16 KiB, 32 KiB or 200 KiB), is answered 504 at the first-byte
// timeout (here 300ms; the test allows it 20 times that), never held.
// Before, the send of a body up to 32 KiB had no deadline at all.
func TestStuckBackendSendBounded(t *testing.T) {
	done := make(chan struct{})
	be := startMisbehavingOpts(t, 1, 88, func(c net.Conn) {
		io.Copy(io.Discard, io.LimitReader(c, 1)) // one byte, then no more
		<-done
	})
	defer close(done)
	const timeout = 300 * time.Millisecond
	addr := startSecBalancer(t, Config{Backends: []string{be}, Limits: Limits{FirstByteTimeout: timeout}})
	pad := strings.Repeat("p", 12<<10) // a large head too
	for _, size := range []int{16 << 10, 32 << 10, 200 << 10} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(20 * timeout))
		fmt.Fprintf(c, "POST /work HTTP/1.1\r\nHost: x\r\nX-Pad: %s\r\nContent-Length: %d\r\n\r\n%s", pad, size, strings.Repeat("a", size))
		t0 := time.Now()
		resp, _, err := readOne(bufio.NewReader(c), "POST")
		c.Close()
		if err != nil {
			t.Errorf("%d-byte body to a stuck backend: no answer after %v: %v", size, time.Since(t0), err)
			continue
		}
		if resp.StatusCode != 504 {
			t.Errorf("%d-byte body to a stuck backend: %s, want 504", size, resp.Status)
		}
	}
}

// victim is what bytes a backend must never deliver to a client carry:
// another client's answer, with its cookie.
const victim = "for=victim cookie=SECRET"

// Responses that have no body (to HEAD; 204 and 304) but come with one,
// in the same write or a later one, and final responses that come after
// interim ones (100, 102, 103) and late: every client gets its own
// answer, never bytes that follow another's, and a connection that held
// such bytes is closed and counted. A backend's extra bytes reach the
// balancer before the next client asks (the backend says when it wrote
// them), so the test is the same on any machine: these bytes must be
// found, at the latest by the idle peek.
func TestNoBodyAndInterimResponsesInStep(t *testing.T) {
	wrote := make(chan struct{}, 16)
	stray := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(victim), victim)
	chunked := fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(victim), victim)
	type part struct {
		s     string
		later bool // written 20ms after the part before
	}
	answers := map[string][]part{
		"/head-body":        {{"HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(victim)) + "\r\n\r\n" + victim, false}},
		"/head-body-later":  {{"HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(victim)) + "\r\n\r\n", false}, {victim, true}},
		"/head-chunked":     {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked, false}},
		"/204-body":         {{"HTTP/1.1 204 No Content\r\nContent-Length: " + strconv.Itoa(len(stray)) + "\r\n\r\n" + stray, false}},
		"/204-body-later":   {{"HTTP/1.1 204 No Content\r\n\r\n", false}, {stray, true}},
		"/304-body":         {{"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n" + stray, false}},
		"/304-chunked":      {{"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked, false}},
		"/304-chunked-late": {{"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", false}, {chunked, true}},
		"/interim": {
			{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n", false},
			{"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n", true},
			{"FINAL", true},
		},
		"/too-many-interim": {{strings.Repeat("HTTP/1.1 102 Processing\r\n\r\n", 101), false}, {stray, true}},
	}
	be := startMisbehaving(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			parts, ok := answers[req.URL.Path]
			if !ok {
				msg := echoWho(req, nil)
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(msg), msg)
				continue
			}
			later := false
			for _, p := range parts {
				if p.later {
					time.Sleep(20 * time.Millisecond)
					later = true
				}
				s := p.s
				if s == "FINAL" {
					msg := echoWho(req, nil)
					s = fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(msg), msg)
				}
				if _, err := io.WriteString(c, s); err != nil {
					return
				}
			}
			if later {
				wrote <- struct{}{}
			}
		}
	})
	addr := startSecBalancer(t, Config{Backends: []string{be}})
	type step struct {
		method, path string
		want         int  // status
		later        bool // the backend writes a part later: wait for it
	}
	steps := []step{
		{"HEAD", "/head-body", 200, false},
		{"HEAD", "/head-body-later", 200, true},
		{"HEAD", "/head-chunked", 200, false},
		{"GET", "/204-body", 204, false},
		{"GET", "/204-body-later", 204, true},
		{"GET", "/304-body", 304, false},
		{"GET", "/304-chunked", 304, false},
		{"GET", "/304-chunked-late", 304, true},
		{"GET", "/interim", 200, true},
		{"GET", "/too-many-interim", 502, true},
	}
	for round := range 2 {
		for i, st := range steps {
			for k, proto := range []string{"HTTP/1.1", "HTTP/1.0"} {
				who := fmt.Sprintf("c%d-%d-%d", round, i, k)
				for _, s := range []step{st, {"GET", "/work", 200, false}} {
					resp, body := rawExchange(t, addr, fmt.Sprintf("%s %s %s\r\nHost: x\r\nX-Client: %s\r\n\r\n", s.method, s.path, proto, who), s.method)
					if strings.Contains(body, "victim") || strings.Contains(body, "SECRET") || resp.Header.Get("Link") != "" {
						t.Fatalf("%s %s (client %s): got another's bytes or an interim answer: %s %q", s.method, s.path, who, resp.Status, body)
					}
					if resp.StatusCode != s.want {
						t.Errorf("%s %s (client %s): %s, want %d", s.method, s.path, who, resp.Status, s.want)
					}
					if resp.StatusCode == 200 && s.method == "GET" && !strings.HasPrefix(body, "for="+who+" ") {
						t.Fatalf("%s %s (client %s): got %q", s.method, s.path, who, body)
					}
					if s.later {
						select {
						case <-wrote:
						case <-time.After(10 * time.Second):
							t.Fatalf("%s: the backend did not write its last part", s.path)
						}
					}
				}
			}
		}
	}
	// Every case but /interim (its parts are one answer) and
	// /too-many-interim (its connection is closed at the 502) leaves
	// bytes after an answer: 8 cases, 2 protocols, 2 rounds.
	if n := num(secStats(t, addr), "unsolicited"); n != 32 {
		t.Errorf("stats count %v connections closed for unsolicited bytes, want 32", n)
	}
}

// serveScripted answers each request on c as its path says
// (answerScripted).
func serveScripted(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		if !answerScripted(c, req) {
			return
		}
	}
}

// answerScripted answers req on c as its path says: /die writes part of a
// response and closes, /reset the same with a reset, /big a 4 MiB body;
// any other path is echoed (echoWho) after the milliseconds of its
// X-Delay header. It reports whether c goes on.
func answerScripted(c net.Conn, req *http.Request) bool {
	switch req.URL.Path {
	case "/die", "/reset":
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
		if req.URL.Path == "/reset" {
			c.(*net.TCPConn).SetLinger(0)
		}
		return false
	case "/big":
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", 4<<20)
		_, err := c.Write(make([]byte, 4<<20))
		return err == nil
	}
	if ms, err := strconv.Atoi(req.Header.Get("X-Delay")); err == nil {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	msg := echoWho(req, nil)
	_, err := fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(msg), msg)
	return err == nil
}

// Pipelined requests on several client connections at once, to slow
// backends some of whose answers break off (a close or a reset
// mid-response): each connection gets one answer per request, in order,
// each its own (a 502 for the broken ones), and the broken answers count
// against their backend but do not mark it dead.
func TestPipelinedInStep(t *testing.T) {
	addr := startSecBalancer(t, Config{Backends: []string{startMisbehaving(t, serveScripted), startMisbehaving(t, serveScripted)}})
	const conns, depth = 6, 12
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Second))
			var reqs strings.Builder
			paths := make([]string, depth)
			for j := range depth {
				paths[j] = "/work"
				switch j % 6 {
				case 2:
					paths[j] = "/die"
				case 4:
					paths[j] = "/reset"
				}
				fmt.Fprintf(&reqs, "GET %s HTTP/1.1\r\nHost: x\r\nX-Client: p%d-%d\r\nX-Delay: %d\r\n\r\n", paths[j], i, j, (i+j)%4)
			}
			go io.WriteString(c, reqs.String()) // at once: pipelined
			br := bufio.NewReader(c)
			for j := range depth {
				resp, body, err := readOne(br, "GET")
				if err != nil {
					t.Errorf("connection %d: answer %d: %v", i, j, err)
					return
				}
				who := fmt.Sprintf("p%d-%d", i, j)
				switch {
				case paths[j] != "/work" && resp.StatusCode != 502:
					t.Errorf("%s %s: %s %q, want 502", who, paths[j], resp.Status, body)
				case paths[j] == "/work" && (resp.StatusCode != 200 || !strings.HasPrefix(body, "for="+who+" ")):
					t.Errorf("%s: %s %q, want its own answer", who, resp.Status, body)
				}
			}
		})
	}
	wg.Wait()
	for _, b := range backendsOf(secStats(t, addr)) {
		if b["alive"] != true {
			t.Errorf("backend %v marked dead for answers broken off mid-response", b["addr"])
		}
	}
}

// Clients that go away mid-response (a close or a reset after 100 bytes
// of a 4 MiB answer) cost nothing after they are gone and count against
// no backend.
func TestClientGoneMidResponse(t *testing.T) {
	addr := startSecBalancer(t, Config{Backends: []string{startMisbehaving(t, serveScripted)}})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			c.SetDeadline(time.Now().Add(20 * time.Second))
			io.WriteString(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
			io.ReadFull(c, make([]byte, 100))
			if i%2 == 0 {
				c.(*net.TCPConn).SetLinger(0)
			}
			c.Close()
		})
	}
	wg.Wait()
	for i := range 5 {
		who := fmt.Sprintf("after-%d", i)
		resp, body := rawExchange(t, addr, "GET /work HTTP/1.1\r\nHost: x\r\nX-Client: "+who+"\r\n\r\n", "GET")
		if resp.StatusCode != 200 || !strings.HasPrefix(body, "for="+who+" ") {
			t.Errorf("after the clients left: %s %q", resp.Status, body)
		}
	}
	b := backendsOf(secStats(t, addr))[0]
	if b["alive"] != true || num(b, "failed") != 0 {
		t.Errorf("the backend after clients left mid-response: alive %v, failed %v (%v)", b["alive"], b["failed"], b["last_error"])
	}
}

// A burst of concurrent requests opens as many backend connections; once
// idle longer than --backend-idle-timeout they are closed, whether
// traffic goes on lower (one request at a time takes the same
// connection, the top of the pool's stack) or stops. Before, they stayed
// open for good: 200 descriptors after a burst of 200, with a 300ms idle
// timeout and traffic going on.
func TestIdleBackendConnectionsClosed(t *testing.T) {
	const idle = 300 * time.Millisecond
	be := startMisbehaving(t, serveScripted)
	addr, pid := startBalancerProcessEnv(t, map[string]string{"_LIMITS": limitsEnv(Limits{BackendIdleTimeout: idle}), "_HEALTH": "-1ns"}, "rr", be)
	rawExchange(t, addr, "GET /work HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
	base := fdCount(t, pid) // one pooled connection
	const burst = 100
	var wg sync.WaitGroup
	for range burst {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Second))
			io.WriteString(c, "GET /work HTTP/1.1\r\nHost: x\r\nX-Delay: 300\r\n\r\n")
			readOne(bufio.NewReader(c), "GET")
		})
	}
	wg.Wait()
	peak := fdCount(t, pid)
	if peak < base+burst/2 {
		t.Fatalf("%d descriptors after a burst of %d from %d: the burst did not open connections", peak, burst, base)
	}
	for _, traffic := range []bool{true, false} {
		deadline := time.Now().Add(30 * idle)
		for {
			if traffic {
				rawExchange(t, addr, "GET /work HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
			}
			n := fdCount(t, pid)
			if n <= base {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("traffic %v: %d descriptors %v after a burst that took them from %d to %d, with an idle timeout of %v",
					traffic, n, 30*idle, base, peak, idle)
			}
			time.Sleep(idle / 10)
		}
		if !traffic {
			break
		}
		// Another burst, then no traffic at all.
		for range burst {
			wg.Go(func() {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					return
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				io.WriteString(c, "GET /work HTTP/1.1\r\nHost: x\r\nX-Delay: 300\r\n\r\n")
				readOne(bufio.NewReader(c), "GET")
			})
		}
		wg.Wait()
		base-- // with no traffic the last one goes too
	}
}

// serveMixed is a backend for the leak tests: answerScripted, but /hang
// never answers (until the connection is closed), /stray sends another
// answer 5ms after its own, /interim an interim answer first, and the
// load endpoint (worker.LoadPath) answers probes with a head that never
// ends.
func serveMixed(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		switch req.URL.Path {
		case "/hang":
			io.Copy(io.Discard, c)
			return
		case worker.LoadPath:
			io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Pad: ")
			io.Copy(io.Discard, c)
			return
		case "/stray":
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			time.Sleep(5 * time.Millisecond)
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(victim))+"\r\n\r\n"+victim)
			continue
		case "/interim":
			io.WriteString(c, "HTTP/1.1 103 Early Hints\r\n\r\n")
		}
		if !answerScripted(c, req) {
			return
		}
	}
}

// attackLimits are the limits of the balancers attackMix runs against:
// short, so that every phase's timeout is met within the attack.
var attackLimits = Limits{
	FirstByteTimeout: 200 * time.Millisecond, HeaderTimeout: 300 * time.Millisecond,
	BodyIdleTimeout: 300 * time.Millisecond, BodyTimeout: 600 * time.Millisecond,
	BackendIdleTimeout: 300 * time.Millisecond,
}

// attackMix runs hostile clients against the balancer at addr (over
// serveMixed backends, with attackLimits) and returns when all are done
// and their connections closed: answers broken off, never given, or
// followed by stray bytes; clients that leave mid-response, mid-body or
// with pipelined requests unanswered; slow heads and bodies; malformed
// and oversized heads; idle connections.
func attackMix(t *testing.T, addr string) {
	t.Helper()
	var wg sync.WaitGroup
	client := func(f func(c net.Conn)) {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			f(c)
		})
	}
	for range 8 {
		for _, path := range []string{"/work", "/die", "/reset", "/hang", "/stray", "/interim"} {
			client(func(c net.Conn) {
				io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
				readOne(bufio.NewReader(c), "GET")
			})
		}
		client(func(c net.Conn) { // gone mid-response
			io.WriteString(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
			io.ReadFull(c, make([]byte, 100))
			c.(*net.TCPConn).SetLinger(0)
		})
		client(func(c net.Conn) { // pipelined, gone without reading
			io.WriteString(c, strings.Repeat("GET /work HTTP/1.1\r\nHost: x\r\nX-Delay: 20\r\n\r\n", 5))
		})
		client(func(c net.Conn) { // slow head
			io.WriteString(c, "GET /work HTTP/1.1\r\n")
			for i := range 20 {
				if _, err := fmt.Fprintf(c, "X-%d: a\r\n", i); err != nil {
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
		client(func(c net.Conn) { // slow body
			io.WriteString(c, "POST /work HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
			for range 20 {
				if _, err := c.Write([]byte("x")); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
		client(func(c net.Conn) { // gone mid-body
			io.WriteString(c, "POST /work HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
		})
		client(func(c net.Conn) { // a large body to a backend that never answers
			fmt.Fprintf(c, "PUT /hang HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", 512<<10)
			c.Write(make([]byte, 512<<10))
			readOne(bufio.NewReader(c), "PUT")
		})
		client(func(c net.Conn) { // malformed chunked body
			io.WriteString(c, "POST /work HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
			readOne(bufio.NewReader(c), "POST")
		})
		client(func(c net.Conn) { // oversized head
			go io.WriteString(c, "GET /work HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 100<<10)+"\r\n\r\n")
			readOne(bufio.NewReader(c), "GET")
		})
		for range 5 {
			client(func(c net.Conn) { time.Sleep(100 * time.Millisecond) }) // idle
		}
	}
	wg.Wait()
}

// No descriptor outlives the attack: once its clients are gone and the
// pooled connections idle past their timeout, the balancer process holds
// what it held before (it is the same number of descriptors, counted in
// /proc).
func TestNoDescriptorLeak(t *testing.T) {
	b1, b2 := startMisbehaving(t, serveMixed), startMisbehaving(t, serveMixed)
	addr, pid := startBalancerProcessEnv(t, map[string]string{"_LIMITS": limitsEnv(attackLimits), "_HEALTH": "-1ns"}, "rr", b1, b2)
	settle := func(want int) int {
		deadline := time.Now().Add(100 * attackLimits.BackendIdleTimeout)
		for {
			n := fdCount(t, pid)
			if n <= want || time.Now().After(deadline) {
				return n
			}
			time.Sleep(attackLimits.BackendIdleTimeout / 10)
		}
	}
	rawExchange(t, addr, "GET /work HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
	time.Sleep(3 * attackLimits.BackendIdleTimeout) // its pooled connection reaped (or not yet: then base is one more)
	base := fdCount(t, pid)                         // the listener and the runtime's own
	for round := range 2 {
		t0 := time.Now()
		attackMix(t, addr)
		t1 := time.Now()
		n := settle(base)
		t.Logf("round %d: attack %v, settled in %v", round, t1.Sub(t0), time.Since(t1))
		if n > base {
			t.Errorf("round %d: the balancer holds %d descriptors %v after the attack, %d before", round, n, 100*attackLimits.BackendIdleTimeout, base)
		}
	}
}

// No goroutine outlives a balancer that was attacked (attackMix, with
// prequal's probes of load endpoints that never finish their head, and
// health checks): once it is stopped and its backends closed, the
// process runs the goroutines it ran before.
func TestNoGoroutineLeak(t *testing.T) {
	run := func(t *testing.T) {
		b1, b2 := startMisbehaving(t, serveMixed), startMisbehaving(t, serveMixed)
		addr := startSecBalancer(t, Config{Backends: []string{b1, b2}, Policy: "prequal", HealthInterval: 50 * time.Millisecond, Limits: attackLimits})
		attackMix(t, addr)
	}
	// A first attack starts what runs once a process (fasthttp's clock
	// of the Date header, net/http's).
	t.Run("warm-up", run)
	// After: the count once back to before, or 30s on (fasthttp's
	// cleaner of idle workers notices its server's end within 10s).
	settle := func(want int) int {
		deadline := time.Now().Add(30 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= want || time.Now().After(deadline) {
				return n
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// Before: the count once it has not fallen for half a second (higher
	// than it will be if it is still falling: a looser test, not a false
	// alarm).
	base := runtime.NumGoroutine()
	for low := time.Now(); time.Since(low) < 500*time.Millisecond; time.Sleep(20 * time.Millisecond) {
		if n := runtime.NumGoroutine(); n < base {
			base, low = n, time.Now()
		}
	}
	t.Run("attack", run)
	if n := settle(base); n > base {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines after the attack, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

// A final status below 100 (001, 099, with a body framed by
// Content-Length or chunked) is refused, 502: relayed, it went out as a
// status line of one or two digits with its body and no framing at all
// ("HTTP/1.1 99 Low\r\n\r\nok"), so that the client's connection was out
// of step (the body read as the start of the next answer). The client's
// next pipelined request gets its own answer.
func TestStatusBelow100Refused(t *testing.T) {
	be := startMisbehaving(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			switch req.URL.Path {
			case "/001":
				io.WriteString(c, "HTTP/1.1 001 One\r\nContent-Length: "+strconv.Itoa(len(victim))+"\r\n\r\n"+victim)
			case "/099":
				io.WriteString(c, "HTTP/1.1 099 Low\r\nContent-Length: "+strconv.Itoa(len(victim))+"\r\n\r\n"+victim)
			case "/099-chunked":
				fmt.Fprintf(c, "HTTP/1.1 099 Low\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(victim), victim)
			default:
				msg := echoWho(req, nil)
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(msg), msg)
			}
		}
	})
	addr := startSecBalancer(t, Config{Backends: []string{be}})
	for _, path := range []string{"/001", "/099", "/099-chunked"} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\nGET /work HTTP/1.1\r\nHost: x\r\nX-Client: next\r\n\r\n")
		br := bufio.NewReader(c)
		resp, body, err := readOne(br, "GET")
		if err != nil || resp.StatusCode != 502 {
			line, _ := br.Peek(br.Buffered())
			t.Errorf("%s: %v %v, want 502 (unread: %q)", path, resp, err, line)
		} else if resp, body, err = readOne(br, "GET"); err != nil || !strings.HasPrefix(body, "for=next ") {
			t.Errorf("%s: the next answer on the connection: %v %q %v", path, resp, body, err)
		}
		c.Close()
	}
}

// A backend that answers a large upload as soon as it has its head, then
// reads the body to its end and serves the next request on the same
// connection: the answer reaches its client once the body is sent, and
// the connection, in step, serves the next client.
func TestEarlyAnswerBackendReadsOn(t *testing.T) {
	be := startMisbehavingOpts(t, 4096, 0, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			msg := echoWho(req, nil)
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(msg), msg) // before the body
			if _, err := io.Copy(io.Discard, req.Body); err != nil {
				return
			}
		}
	})
	const size = 8 << 20
	addr := startSecBalancer(t, Config{Backends: []string{be}, Limits: Limits{MaxBodyBytes: size}})
	for i := range 4 {
		who := fmt.Sprintf("up%d", i)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		go func() {
			fmt.Fprintf(c, "PUT /upload HTTP/1.1\r\nHost: x\r\nX-Client: %s\r\nContent-Length: %d\r\n\r\n", who, size)
			c.Write(make([]byte, size))
		}()
		resp, body, err := readOne(bufio.NewReader(c), "PUT")
		c.Close()
		if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(body, "for="+who+" ") {
			t.Fatalf("upload %s: %v %q %v, want its own answer", who, resp, body, err)
		}
		who = fmt.Sprintf("get%d", i)
		resp, body = rawExchange(t, addr, "GET /work HTTP/1.1\r\nHost: x\r\nX-Client: "+who+"\r\n\r\n", "GET")
		if resp.StatusCode != 200 || !strings.HasPrefix(body, "for="+who+" ") {
			t.Fatalf("%s after an early answer: %s %q", who, resp.Status, body)
		}
	}
	m := secStats(t, addr)
	if b := backendsOf(m)[0]; num(b, "failed") != 0 || num(m, "unsolicited") != 0 {
		t.Errorf("failed %v, unsolicited %v; want none", b["failed"], m["unsolicited"])
	}
}

// Stray bytes after an answer (a whole answer naming another client, or
// its first byte only), sent after a random pause of up to 10ms: before,
// while or after the balancer reads the answer, relays it, pools the
// connection or peeks at it. The next client asks only once the backend
// has written them (it says when), so every stray byte is in the
// balancer's socket before the next request is sent on that connection
// and must be found; on any machine the same.
func TestStrayBytesAnyTimeBeforeNextRequest(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 3))
	var mu sync.Mutex
	pause := func() time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return time.Duration(rng.IntN(10_000)) * time.Microsecond
	}
	wrote := make(chan struct{}, 1)
	strays := []string{fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(victim), victim), "H"}
	be := startMisbehaving(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for n := 0; ; n++ {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			msg := echoWho(req, nil)
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(msg), msg)
			time.Sleep(pause())
			io.WriteString(c, strays[n%2])
			wrote <- struct{}{}
		}
	})
	addr := startSecBalancer(t, Config{Backends: []string{be}})
	const n = 100
	for i := range n {
		who := fmt.Sprintf("c%d", i)
		resp, body := rawExchange(t, addr, "GET /work HTTP/1.1\r\nHost: x\r\nX-Client: "+who+"\r\n\r\n", "GET")
		if resp.StatusCode != 200 || !strings.HasPrefix(body, "for="+who+" ") {
			t.Fatalf("client %s: %s %q", who, resp.Status, body)
		}
		select {
		case <-wrote:
		case <-time.After(10 * time.Second):
			t.Fatal("the backend did not write its stray bytes")
		}
	}
	// Every connection closed for its stray bytes, but the last (no
	// request has taken it since).
	if u := num(secStats(t, addr), "unsolicited"); u != n-1 {
		t.Errorf("unsolicited %v, want %d", u, n-1)
	}
}

// Request bodies are read whole before a backend is chosen: while they
// wait for one, the memory they hold is bounded by
// --max-buffered-body-bytes, all requests together (503 beyond, counted),
// and each holds about its size. Before, 64 clients each with a 1 MiB
// body waiting 1s on a slow backend took the balancer from 10 MiB to a
// peak of 139 MiB (457 MiB 2s into a 5s wait): a body grew by append, a
// quarter at a time, leaving the garbage of every step, and the bodies
// had no bound together but --max-conns times --max-body-bytes.
func TestBufferedBodiesBoundedMemory(t *testing.T) {
	const budget, size, clients = 16 << 20, 1 << 20, 64
	be := startMisbehaving(t, serveScripted)
	addr, pid := startBalancerProcessEnv(t, map[string]string{"_HEALTH": "-1ns",
		"_LIMITS": limitsEnv(Limits{MaxBodyBytes: size, MaxBufferedBodyBytes: budget})}, "rr", be)
	rawExchange(t, addr, "GET /work HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
	base, err := rssOf(pid)
	if err != nil {
		t.Skip(err)
	}
	var peak atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			if r, err := rssOf(pid); err == nil && r > peak.Load() {
				peak.Store(r)
			}
		}
	})
	codes := make([]int, clients)
	var cw sync.WaitGroup
	for i := range clients {
		cw.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(60 * time.Second))
			go func() {
				fmt.Fprintf(c, "PUT /work HTTP/1.1\r\nHost: x\r\nX-Delay: 1000\r\nContent-Length: %d\r\n\r\n", size)
				c.Write(make([]byte, size))
			}()
			if resp, _, err := readOne(bufio.NewReader(c), "PUT"); err == nil {
				codes[i] = resp.StatusCode
			}
		})
	}
	cw.Wait()
	close(stop)
	wg.Wait()
	n := map[int]int{}
	for _, c := range codes {
		n[c]++
	}
	// Live bodies at most the budget; the garbage collector lets the heap
	// reach twice what is live; twice that again for what else moves.
	allow := 4 * int64(budget)
	if raceEnabled {
		allow *= 3 // the race detector's shadow of the heap
	}
	t.Logf("RSS %d MiB before, peak %d MiB (allowed %d MiB more); answers %v", base>>20, peak.Load()>>20, allow>>20, n)
	if peak.Load() > base+allow {
		t.Errorf("peak RSS %d MiB, from %d MiB, over %d MiB more with a budget of %d MiB for bodies", peak.Load()>>20, base>>20, allow>>20, budget>>20)
	}
	if n[200]+n[503] != clients || n[200] == 0 || n[503] == 0 {
		t.Errorf("answers %v, want some 200 (within the budget) and the rest 503", n)
	}
	if got := num(secStats(t, addr), "body_memory_full"); int(got) != n[503] {
		t.Errorf("body_memory_full %v, want the %d answered 503", got, n[503])
	}
	// The budget is given back.
	resp, _ := rawExchange(t, addr, fmt.Sprintf("PUT /work HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", size, strings.Repeat("a", size)), "PUT")
	if resp.StatusCode != 200 {
		t.Errorf("an upload after the others: %s", resp.Status)
	}
}

// Clients that ask for large answers and read none hold them until
// --write-timeout (60s). Before max_buffered_response_bytes, 32 clients
// asking for a 16 MiB answer and reading nothing took a balancer from
// 27 MiB (after one such answer) to 525 MiB. With a budget of 64 MiB at
// most 4 answers are held; the others are answered 503 (their bodies left
// unread, nothing against the backend), and the balancer grows by about
// the budget.
func TestHeldResponsesBoundedMemory(t *testing.T) {
	const size, clients, budget = 16 << 20, 32, 64 << 20
	be := startMisbehaving(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			if _, err := http.ReadRequest(br); err != nil {
				return
			}
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", size)
			if _, err := c.Write(make([]byte, size)); err != nil {
				return
			}
		}
	})
	addr, pid := startBalancerProcessEnv(t, map[string]string{"_HEALTH": "-1ns",
		"_LIMITS": limitsEnv(Limits{MaxResponseBodyBytes: 2 * size, MaxBufferedResponseBytes: budget})}, "rr", be)
	rawExchange(t, addr, "GET /huge HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
	base, err := rssOf(pid)
	if err != nil {
		t.Skip(err)
	}
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range clients {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.(*net.TCPConn).SetReadBuffer(4096)
		io.WriteString(c, "GET /huge HTTP/1.1\r\nHost: x\r\n\r\n")
		conns = append(conns, c)
	}
	// Every client gets the head of its answer (and no more is read): 200
	// for those held, 503 for the others.
	n := map[int]int{}
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(60 * time.Second))
		line, err := bufio.NewReaderSize(c, 64).ReadString('\n')
		if err != nil {
			t.Fatalf("a client's answer: %v", err)
		}
		code := 0
		if f := strings.Fields(line); len(f) >= 2 {
			code, _ = strconv.Atoi(f[1])
		}
		n[code]++
	}
	r, _ := rssOf(pid)
	// Live bodies at most the budget, and the garbage collector lets the
	// heap reach twice what is live.
	allow := 2 * int64(budget)
	if raceEnabled {
		allow *= 3 // the race detector's shadow of the heap
	}
	t.Logf("RSS %d MiB before, %d MiB with %d clients not reading %d MiB answers (allowed %d MiB more); answers %v",
		base>>20, r>>20, clients, size>>20, allow>>20, n)
	if r > base+allow {
		t.Errorf("RSS %d MiB, from %d MiB: over %d MiB more with a budget of %d MiB for response bodies", r>>20, base>>20, allow>>20, budget>>20)
	}
	if n[200] == 0 || n[200] > budget/size || n[200]+n[503] != clients {
		t.Errorf("answers %v, want 1 to %d answers of 200 (held within the budget) and the rest 503", n, budget/size)
	}
	st := secStats(t, addr)
	if got := num(st, "response_memory_full"); int(got) != n[503] {
		t.Errorf("response_memory_full %v, want the %d answered 503", got, n[503])
	}
	if got := num(st, "response_bytes_held"); int(got) != n[200]*size {
		t.Errorf("response_bytes_held %v, want %d answers of %d bytes", got, n[200], size)
	}
	if b := backendsOf(st)[0]; b["alive"] != true || num(b, "failed") != 0 {
		t.Errorf("the backend: alive %v, failed %v (%v): the balancer's lack of memory counted against it", b["alive"], b["failed"], b["last_error"])
	}
}

// waitHeld waits (up to 20s) until the balancer at addr holds want bytes
// of response bodies, and fails the test if it does not.
func waitHeld(t *testing.T, addr string, want int) {
	t.Helper()
	var got float64
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if got = num(secStats(t, addr), "response_bytes_held"); int(got) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("response_bytes_held %v, want %d", got, want)
		}
	}
}

// serveLarge answers /big with a body of its size query parameter (or
// 12 MiB), /chunked with as many bytes in 64 KiB chunks and a trailer, and
// anything else with 300 bytes.
func serveLarge(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		size := 12 << 20
		if v, err := strconv.Atoi(req.URL.Query().Get("size")); err == nil {
			size = v
		}
		switch req.URL.Path {
		case "/big":
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", size)
			_, err = c.Write(make([]byte, size))
		case "/chunked":
			bw := bufio.NewWriter(c)
			io.WriteString(bw, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n")
			chunk := strings.Repeat("c", 64<<10)
			for left := size; left > 0; left -= len(chunk) {
				k := min(left, len(chunk))
				fmt.Fprintf(bw, "%x\r\n%s\r\n", k, chunk[:k])
			}
			io.WriteString(bw, "0\r\nX-Sum: ok\r\n\r\n")
			err = bw.Flush()
		default:
			_, err = fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n%s", strings.Repeat("s", 300))
		}
		if err != nil {
			return
		}
	}
}

// The response budget is given back when the clients that held it go:
// then large answers are served again, whole (chunked ones framed by
// their length). The 503s for want of room never count against the backend,
// and small answers (not counted) are served all along.
func TestHeldResponsesReleased(t *testing.T) {
	// Answers larger than a loopback socket's send buffer (up to 4 MiB),
	// or the kernel would take them whole from a client that reads nothing.
	const size = 12 << 20
	be := startMisbehaving(t, serveLarge)
	lim := Limits{MaxResponseBodyBytes: 16 << 20, MaxBufferedResponseBytes: 30 << 20}
	addr := startSecBalancer(t, Config{Backends: []string{be}, Limits: lim})
	var slow []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.(*net.TCPConn).SetReadBuffer(4096)
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		io.WriteString(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
		if line, err := bufio.NewReaderSize(c, 64).ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
			t.Fatalf("a slow client's answer: %q, %v", line, err)
		}
		slow = append(slow, c)
	}
	waitHeld(t, addr, 2*size) // reserved before its head was written: no wait
	for _, path := range []string{"/big", "/chunked"} {
		resp, body := rawExchange(t, addr, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
		if resp.StatusCode != 503 || !strings.Contains(body, "response bodies held in memory") {
			t.Errorf("GET %s with the budget held: %s %q, want 503", path, resp.Status, body)
		}
	}
	if resp, body := rawExchange(t, addr, "GET /small HTTP/1.1\r\nHost: x\r\n\r\n", "GET"); resp.StatusCode != 200 || len(body) != 300 {
		t.Errorf("a small answer with the budget held: %s, %d bytes", resp.Status, len(body))
	}
	st := secStats(t, addr)
	if got := num(st, "response_memory_full"); got != 2 {
		t.Errorf("response_memory_full %v, want 2", got)
	}
	if b := backendsOf(st)[0]; b["alive"] != true || num(b, "failed") != 0 || b["last_error"] != nil {
		t.Errorf("the backend: alive %v, failed %v (%v): a 503 for memory counted against it", b["alive"], b["failed"], b["last_error"])
	}
	for _, c := range slow {
		c.Close()
	}
	waitHeld(t, addr, 0)
	resp, body := rawExchange(t, addr, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
	if resp.StatusCode != 200 || len(body) != size {
		t.Errorf("GET /big after the slow clients left: %s, %d bytes", resp.Status, len(body))
	}
	resp, body = rawExchange(t, addr, "GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
	if resp.StatusCode != 200 || body != strings.Repeat("c", size) || resp.ContentLength != size {
		t.Errorf("GET /chunked after the slow clients left: %s, %d bytes, Content-Length %d", resp.Status, len(body), resp.ContentLength)
	}
	resp, body = rawExchange(t, addr, "GET /chunked HTTP/1.0\r\n\r\n", "GET")
	if resp.StatusCode != 200 || len(body) != size || resp.ContentLength != size {
		t.Errorf("GET /chunked in HTTP/1.0: %s, %d bytes, Content-Length %d", resp.Status, len(body), resp.ContentLength)
	}
	waitHeld(t, addr, 0)
	if b := backendsOf(secStats(t, addr))[0]; num(b, "failed") != 0 {
		t.Errorf("the backend failed %v (%v)", b["failed"], b["last_error"])
	}

	// The same path as a RoundTripper: the body comes whole, the budget
	// given back at once.
	rt, err := New(Config{Backends: []string{be}, Policy: "rr", HealthInterval: -1, Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	for _, path := range []string{"/big", "/chunked"} {
		r, err := (&http.Client{Transport: rt}).Get("http://x" + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != 200 || len(b) != size {
			t.Errorf("RoundTrip %s: %s, %d bytes", path, r.Status, len(b))
		}
	}
	if s := rt.Stats(); s.ResponseBytesHeld != 0 {
		t.Errorf("RoundTrip held %d bytes after its answers", s.ResponseBytesHeld)
	}
}

// A client that goes away mid-answer (closed or reset) gives its
// answer's bytes back: fasthttp closes the body stream after the failed
// write.
func TestHeldResponsesReleasedOnClientGone(t *testing.T) {
	addr := startSecBalancer(t, Config{Backends: []string{startMisbehaving(t, serveLarge)}})
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			c.SetDeadline(time.Now().Add(20 * time.Second))
			io.WriteString(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
			io.ReadFull(c, make([]byte, 100))
			if i%2 == 0 {
				c.(*net.TCPConn).SetLinger(0)
			}
			c.Close()
		})
	}
	wg.Wait()
	waitHeld(t, addr, 0)
}
