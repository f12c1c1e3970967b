package cluster

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// startLean serves h with the lean server and returns its address and a
// function that stops it and reports whether it returned.
func startLean(t *testing.T, h http.Handler) (string, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveLean(ctx, ln, h, nil) }()
	var once sync.Once
	stop := func() { once.Do(func() { stopLean(t, cancel, done) }) }
	t.Cleanup(stop)
	return ln.Addr().String(), stop
}

func stopLean(t *testing.T, cancel func(), done chan error) {
	{
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serveLean: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("serveLean did not return")
		}
	}
}

func leanHandler(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/fixed":
		w.Header().Set("Content-Length", "5")
		io.WriteString(w, "hello")
	case "/chunked":
		io.WriteString(w, "part one, ")
		w.(http.Flusher).Flush()
		io.WriteString(w, "part two")
	case "/empty":
	case "/abort":
		w.Header().Set("Content-Length", "100")
		io.WriteString(w, "short")
		panic(http.ErrAbortHandler)
	case "/echo":
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Length", "0")
		w.Header().Set("X-Got", string(b))
	}
}

// TestLeanServer sends requests over one raw connection and checks each
// response's framing, and that the connection stays usable (keep-alive and
// pipelining) or closes when it must.
func TestLeanServer(t *testing.T) {
	addr, _ := startLean(t, http.HandlerFunc(leanHandler))
	cases := []struct {
		name, raw string
		status    int
		body      string
		closes    bool // the server closes the connection after this
	}{
		{"content-length", "GET /fixed HTTP/1.1\r\nHost: x\r\n\r\n", 200, "hello", false},
		{"chunked when no length", "GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n", 200, "part one, part two", false},
		{"empty body", "GET /empty HTTP/1.1\r\nHost: x\r\n\r\n", 200, "", false},
		{"HEAD has no body", "HEAD /fixed HTTP/1.1\r\nHost: x\r\n\r\n", 200, "", false},
		{"request body drained", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 200, "", false},
		{"Connection: close", "GET /fixed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200, "hello", true},
		{"HTTP/1.0 closes", "GET /chunked HTTP/1.0\r\n\r\n", 200, "part one, part two", true},
		{"aborted handler closes", "GET /abort HTTP/1.1\r\nHost: x\r\n\r\n", 200, "", true},
		{"garbage is a 400", "NOT HTTP AT ALL\r\n\r\n", 400, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			// Send it twice at once (pipelined) unless it closes.
			raw := tc.raw
			if !tc.closes {
				raw += tc.raw
			}
			io.WriteString(c, raw)
			br := bufio.NewReader(c)
			method := strings.Fields(tc.raw)[0]
			for i := range 2 {
				resp, err := http.ReadResponse(br, &http.Request{Method: method})
				if tc.name == "aborted handler closes" {
					if err == nil {
						_, err = io.ReadAll(resp.Body)
					}
					if err == nil {
						t.Fatal("a response cut short was read whole")
					}
					return
				}
				if err != nil {
					t.Fatalf("response %d: %v", i, err)
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != tc.status || string(b) != tc.body {
					t.Fatalf("response %d: %d %q (%v), want %d %q", i, resp.StatusCode, b, err, tc.status, tc.body)
				}
				if tc.name == "request body drained" && resp.Header.Get("X-Got") != "abc" {
					t.Errorf("handler read %q", resp.Header.Get("X-Got"))
				}
				if tc.closes {
					if _, err := br.ReadByte(); err != io.EOF {
						t.Errorf("connection still open after a response that closes it (%v)", err)
					}
					return
				}
			}
		})
	}
}

// TestLeanServerShutdown checks that stopping the server closes idle
// keep-alive connections and lets a request in progress finish.
func TestLeanServerShutdown(t *testing.T) {
	started := make(chan struct{})
	addr, stop := startLean(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			time.Sleep(200 * time.Millisecond)
		}
		io.WriteString(w, "done")
	}))
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	got := make(chan string, 1)
	go func() {
		resp, err := (&http.Client{Transport: tr}).Get("http://" + addr + "/slow")
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- string(b)
	}()
	<-started
	stop()
	if s := <-got; s != "done" {
		t.Errorf("the request in progress got %q, want it to finish", s)
	}
	idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("idle connection: %v, want it closed", err)
	}
}
