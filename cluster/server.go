package cluster

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var errTooManyFiles = syscall.EMFILE

// leanServer serves HTTP/1.1 on a listener with a goroutine per connection
// that reads a request, runs the handler and writes the response, with
// nothing else per request: net/http's Server also starts a background
// read of the connection for each request (to notice a client that goes
// away) and tears it down afterwards, which costs as much CPU again as a
// small proxied request. The price: a request's context is not cancelled
// when its client disconnects (it ends when the backend answers), and
// "Expect: 100-continue" gets no interim response. Only our balancer uses
// it; everything else uses net/http's Server.
type leanServer struct {
	handler http.Handler

	mu     sync.Mutex
	conns  map[net.Conn]*atomic.Bool // true while a request is being served
	closed atomic.Bool
	wg     sync.WaitGroup
}

// serveLean serves h on ln until ctx is done, then stops accepting, closes
// idle connections and waits (up to 5s) for requests in progress. ready,
// if not nil, is called once it listens.
func serveLean(ctx context.Context, ln net.Listener, h http.Handler, ready func(string)) error {
	s := &leanServer{handler: h, conns: map[net.Conn]*atomic.Bool{}}
	errc := make(chan error, 1)
	go func() { errc <- s.accept(ln) }()
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		s.shutdown(0)
		return err
	case <-ctx.Done():
	}
	ln.Close()
	<-errc
	s.shutdown(5 * time.Second)
	return nil
}

func (s *leanServer) accept(ln net.Listener) error {
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, errTooManyFiles) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		s.mu.Lock()
		if s.closed.Load() {
			s.mu.Unlock()
			c.Close()
			return nil
		}
		busy := new(atomic.Bool)
		s.conns[c] = busy
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(c, busy)
	}
}

// shutdown closes idle connections at once and busy ones after grace.
func (s *leanServer) shutdown(grace time.Duration) {
	s.mu.Lock()
	s.closed.Store(true)
	for c, busy := range s.conns {
		if !busy.Load() {
			c.Close()
		}
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-time.After(grace):
	}
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	if a, ok := s.handler.(interface{ abortInFlight() }); ok {
		a.abortInFlight() // requests waiting on backends end too
	}
	<-done
}

// setBusy marks a connection busy (serving a request) or idle, and reports
// whether the server still serves. With shutdown's order (closed first,
// then busy flags read) a connection either sees closed or is seen busy.
func (s *leanServer) setBusy(flag *atomic.Bool, busy bool) bool {
	flag.Store(busy)
	return !s.closed.Load()
}

var (
	leanReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}
	leanWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4096) }}
)

func (s *leanServer) serveConn(c net.Conn, busy *atomic.Bool) {
	br := leanReaders.Get().(*bufio.Reader)
	bw := leanWriters.Get().(*bufio.Writer)
	br.Reset(c)
	bw.Reset(c)
	defer func() {
		c.Close()
		br.Reset(nil)
		bw.Reset(nil)
		leanReaders.Put(br)
		leanWriters.Put(bw)
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.wg.Done()
	}()
	remote := c.RemoteAddr().String()
	raw, _ := s.handler.(rawHandler)
	var idleUntil time.Time
	bodyFollows := func() {
		// A body streams as long as it takes: no deadline (the next
		// request's wait sets one again).
		idleUntil = time.Time{}
		c.SetReadDeadline(idleUntil)
	}
	for {
		// Wait for a request without holding a buffer-sized read open
		// longer than the connection's life: idle connections just block.
		// The deadline moves at most once a second (each move costs a
		// timer update).
		if now := time.Now(); idleUntil.Sub(now) < 119*time.Second {
			idleUntil = now.Add(120 * time.Second)
			c.SetReadDeadline(idleUntil)
		}
		if !skipEmptyLines(br, bw) {
			return
		}
		if !s.setBusy(busy, true) {
			bw.Flush()
			return
		}
		if raw != nil {
			head := peekHead(br, false) // mostly there already: no deadline to set
			if head == nil {
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				if head = peekHead(br, true); head != nil {
					idleUntil = time.Now().Add(120 * time.Second)
					c.SetReadDeadline(idleUntil)
				}
			}
			if head != nil {
				handled, keep := raw.serveRaw(br, bw, head, bodyFollows)
				if handled {
					if !keep {
						bw.Flush()
						return
					}
					if br.Buffered() == 0 {
						if err := bw.Flush(); err != nil {
							return
						}
					}
					if !s.setBusy(busy, false) {
						bw.Flush()
						return
					}
					continue
				}
			}
		}
		idleUntil = time.Now().Add(10 * time.Second)
		c.SetReadDeadline(idleUntil)
		req, err := http.ReadRequest(br)
		if err != nil {
			// After the responses to earlier pipelined requests.
			bw.WriteString("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
			bw.Flush()
			return
		}
		idleUntil = time.Time{}
		c.SetReadDeadline(idleUntil)
		req.RemoteAddr = remote
		w := &leanResponse{bw: bw, req: req, header: make(http.Header, 8), close: req.Close || !req.ProtoAtLeast(1, 1)}
		if !s.run(w, req) {
			bw.Flush()
			return // the handler gave up mid-response (http.ErrAbortHandler)
		}
		w.finish()
		if req.Body != nil {
			io.Copy(io.Discard, io.LimitReader(req.Body, 1<<20))
			req.Body.Close()
		}
		if br.Buffered() == 0 || w.close {
			if err := bw.Flush(); err != nil {
				return
			}
		}
		if w.close || !s.setBusy(busy, false) {
			bw.Flush()
			return
		}
	}
}

// skipEmptyLines drops the empty lines a client may send before a request
// (RFC 9112 2.2: a server should ignore at least one) and waits for the
// request's first byte, flushing bw first when it has to wait: the
// responses written so far go out before the connection blocks. It reports
// false when the connection ended.
func skipEmptyLines(br *bufio.Reader, bw *bufio.Writer) bool {
	for {
		if br.Buffered() == 0 && bw.Buffered() > 0 {
			if bw.Flush() != nil {
				return false
			}
		}
		b, err := br.Peek(1)
		if err != nil {
			bw.Flush()
			return false
		}
		if b[0] != '\r' && b[0] != '\n' {
			return true
		}
		br.Discard(1)
	}
}

// run calls the handler, and reports false if it panicked: the response
// may be half written, so the connection must close.
func (s *leanServer) run(w *leanResponse, req *http.Request) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			ok = false
		}
	}()
	s.handler.ServeHTTP(w, req)
	return true
}

// leanResponse is the http.ResponseWriter of leanServer: the body goes out
// with the Content-Length the handler set, else chunked.
type leanResponse struct {
	bw          *bufio.Writer
	req         *http.Request
	header      http.Header
	wroteHeader bool
	status      int
	noBody      bool
	chunked     io.WriteCloser
	close       bool
	declared    int64 // Content-Length, or -1
	written     int64
}

func (w *leanResponse) Header() http.Header { return w.header }

func (w *leanResponse) WriteHeader(code int) {
	if w.wroteHeader || code < 200 { // interim 1xx responses are not relayed
		return
	}
	w.wroteHeader = true
	w.status = code
	h := w.header
	w.noBody = w.req.Method == http.MethodHead || code == http.StatusNoContent || code == http.StatusNotModified
	if cl := h.Get("Content-Length"); cl != "" {
		w.declared, _ = strconv.ParseInt(cl, 10, 64)
	} else if !w.noBody {
		if w.req.ProtoAtLeast(1, 1) {
			h.Set("Transfer-Encoding", "chunked")
			w.chunked = httputil.NewChunkedWriter(w.bw)
		} else {
			w.close = true // HTTP/1.0: the end of the connection ends the body
		}
		w.declared = -1
	}
	if w.close {
		h.Set("Connection", "close")
	}
	if _, ok := h["Date"]; !ok {
		h["Date"] = []string{time.Now().UTC().Format(http.TimeFormat)}
	}
	w.bw.WriteString("HTTP/1.1 ")
	w.bw.WriteString(strconv.Itoa(code))
	w.bw.WriteByte(' ')
	w.bw.WriteString(http.StatusText(code))
	w.bw.WriteString("\r\n")
	h.Write(w.bw)
	w.bw.WriteString("\r\n")
}

func (w *leanResponse) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		if w.header.Get("Content-Type") == "" {
			w.header.Set("Content-Type", http.DetectContentType(p))
		}
		w.WriteHeader(http.StatusOK)
	}
	switch {
	case w.noBody:
		return len(p), nil
	case w.chunked != nil:
		return w.chunked.Write(p)
	}
	n, err := w.bw.Write(p)
	w.written += int64(n)
	return n, err
}

// Flush sends what was written so far (streamed responses).
func (w *leanResponse) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	w.bw.Flush()
}

func (w *leanResponse) finish() {
	if !w.wroteHeader {
		w.header.Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	}
	if w.chunked != nil {
		w.chunked.Close()
		w.bw.WriteString("\r\n")
	}
	if w.declared >= 0 && w.written != w.declared && !w.noBody {
		w.close = true // the body does not match its length: the connection is unusable
	}
}
