//go:build linux

package balancer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (a, b net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(done)
			return
		}
		done <- c
	}()
	a, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, ok := <-done
	if !ok {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// TestSysConnSameBytes checks that sysConn, its naive twin being net.Conn,
// carries the same bytes both ways: random messages of random sizes (up
// to 4 MiB, so that writes fill the socket and wait) written by one side
// and read in random chunk sizes by the other, with a plain net.Conn on
// the far end.
func TestSysConnSameBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 1))
	for _, dir := range []string{"sysConn writes", "sysConn reads"} {
		t.Run(dir, func(t *testing.T) {
			a, b := tcpPair(t)
			sc := wrapConn(a)
			if _, ok := sc.(*sysConn); !ok {
				t.Fatalf("wrapConn(%T) = %T, want *sysConn", a, sc)
			}
			w, r := sc, b
			if dir == "sysConn reads" {
				w, r = b, sc
			}
			for range 20 {
				n := rng.IntN(1 << rng.IntN(23))
				msg := make([]byte, n)
				for i := range msg {
					msg[i] = byte(rng.Uint32())
				}
				errc := make(chan error, 1)
				go func() {
					k, err := w.Write(msg)
					if err == nil && k != len(msg) {
						err = io.ErrShortWrite
					}
					errc <- err
				}()
				got := make([]byte, 0, n)
				buf := make([]byte, 1+rng.IntN(64<<10))
				for len(got) < n {
					k, err := r.Read(buf[:min(len(buf), n-len(got))])
					if err != nil {
						t.Fatalf("read after %d of %d bytes: %v", len(got), n, err)
					}
					got = append(got, buf[:k]...)
				}
				if err := <-errc; err != nil {
					t.Fatalf("write of %d bytes: %v", n, err)
				}
				if !bytes.Equal(got, msg) {
					t.Fatalf("%d bytes differ", n)
				}
			}
		})
	}
}

// TestSysConnErrors checks that sysConn reports what net.Conn reports: EOF
// at the peer's close, a timeout past a read or write deadline, and
// net.ErrClosed once closed.
func TestSysConnErrors(t *testing.T) {
	buf := make([]byte, 16)
	t.Run("eof", func(t *testing.T) {
		a, b := tcpPair(t)
		sc := wrapConn(a)
		b.Write([]byte("hi"))
		b.Close()
		if n, err := io.ReadFull(sc, buf[:2]); n != 2 || err != nil {
			t.Fatalf("read = %d, %v", n, err)
		}
		if _, err := sc.Read(buf); err != io.EOF {
			t.Fatalf("read after the peer's close: %v, want io.EOF", err)
		}
	})
	t.Run("read deadline", func(t *testing.T) {
		a, _ := tcpPair(t)
		sc := wrapConn(a)
		sc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		_, err := sc.Read(buf)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read past its deadline: %v, want a timeout", err)
		}
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "read" {
			t.Fatalf("read error %#v is not a *net.OpError of op read", err)
		}
	})
	t.Run("write deadline", func(t *testing.T) {
		a, _ := tcpPair(t) // nobody reads: the socket buffers fill
		sc := wrapConn(a)
		sc.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		big := make([]byte, 64<<20)
		n, err := sc.Write(big)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || n >= len(big) {
			t.Fatalf("write past its deadline = %d, %v, want a timeout", n, err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		a, _ := tcpPair(t)
		sc := wrapConn(a)
		sc.Close()
		if _, err := sc.Read(buf); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read after close: %v, want net.ErrClosed", err)
		}
		if _, err := sc.Write(buf); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("write after close: %v, want net.ErrClosed", err)
		}
	})
	t.Run("reset", func(t *testing.T) {
		a, b := tcpPair(t)
		sc := wrapConn(a)
		b.(*net.TCPConn).SetLinger(0)
		b.Close() // RST
		time.Sleep(20 * time.Millisecond)
		_, err := sc.Read(buf)
		var oe *net.OpError
		if err == nil || err == io.EOF || !errors.As(err, &oe) {
			t.Fatalf("read after a reset: %v, want a *net.OpError", err)
		}
	})
}

// TestSysConnDeadlinesMoved checks that sysConn's deadlines, which are
// set on the socket only when they move earlier, stop a read or write
// exactly as net.Conn's (its naive twin) do when they are moved later,
// earlier, cleared, or pass while no read or write waits: each case runs
// on both, and a read or write must time out on both or on neither, and
// never before the last deadline set.
func TestSysConnDeadlinesMoved(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	cases := []struct {
		name string
		// set moves the deadline (of reads, or writes when write)
		// relative to the start, waiting first for wait (none if 0).
		moves []struct {
			wait, to time.Duration // to 0: no deadline
		}
		write   bool
		peerAt  time.Duration // the peer sends (reads, when write) this long after the moves; -1: never
		timeout bool          // the read (write) is to time out
		minWait time.Duration // and not before this long after the start
	}{
		{name: "read, moved later", moves: []struct{ wait, to time.Duration }{{0, ms(30)}, {0, ms(400)}}, peerAt: ms(100)},
		{name: "read, moved later, times out at the later", moves: []struct{ wait, to time.Duration }{{0, ms(20)}, {0, ms(150)}}, peerAt: -1, timeout: true, minWait: ms(150)},
		{name: "read, moved earlier", moves: []struct{ wait, to time.Duration }{{0, ms(5000)}, {0, ms(40)}}, peerAt: -1, timeout: true, minWait: ms(40)},
		{name: "read, cleared", moves: []struct{ wait, to time.Duration }{{0, ms(20)}, {0, 0}}, peerAt: ms(100)},
		{name: "read, passed while idle, moved later", moves: []struct{ wait, to time.Duration }{{0, ms(10)}, {ms(50), ms(400)}}, peerAt: ms(50)},
		{name: "read, passed while idle", moves: []struct{ wait, to time.Duration }{{0, ms(10)}, {ms(50), ms(10)}}, peerAt: ms(200), timeout: true, minWait: ms(10)},
		{name: "write, moved later", moves: []struct{ wait, to time.Duration }{{0, ms(30)}, {0, ms(5000)}}, write: true, peerAt: ms(100)},
		{name: "write, moved later, times out at the later", moves: []struct{ wait, to time.Duration }{{0, ms(20)}, {0, ms(150)}}, write: true, peerAt: -1, timeout: true, minWait: ms(150)},
		{name: "write, passed while idle, moved later", moves: []struct{ wait, to time.Duration }{{0, ms(10)}, {ms(50), ms(5000)}}, write: true, peerAt: ms(50)},
	}
	for _, tc := range cases {
		for _, naive := range []bool{false, true} {
			name := tc.name + "/sysConn"
			if naive {
				name = tc.name + "/net.Conn"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				a, b := tcpPair(t)
				a.(*net.TCPConn).SetWriteBuffer(32 << 10)
				b.(*net.TCPConn).SetReadBuffer(32 << 10)
				c := wrapConn(a)
				if naive {
					c = a
				}
				start := time.Now()
				for _, m := range tc.moves {
					time.Sleep(m.wait)
					var d time.Time
					if m.to > 0 {
						d = start.Add(m.to)
					}
					if tc.write {
						c.SetWriteDeadline(d)
					} else {
						c.SetReadDeadline(d)
					}
				}
				big := make([]byte, 8<<20) // more than the sockets hold
				peerDone := make(chan struct{})
				if tc.peerAt >= 0 {
					go func() {
						defer close(peerDone)
						time.Sleep(tc.peerAt)
						if tc.write {
							io.CopyN(io.Discard, b, int64(len(big)))
						} else {
							b.Write([]byte("x"))
						}
					}()
				} else {
					close(peerDone)
				}
				var err error
				if tc.write {
					_, err = c.Write(big)
				} else {
					_, err = c.Read(make([]byte, 16))
				}
				took := time.Since(start)
				if err != nil {
					a.Close() // a peer still reading a write cut short ends
					b.Close()
				}
				<-peerDone
				if !tc.timeout {
					if err != nil {
						t.Fatalf("got %v after %v, want no error", err, took)
					}
					return
				}
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("got %v, want a timeout", err)
				}
				if took < tc.minWait {
					t.Fatalf("timed out after %v, before the deadline (%v)", took, tc.minWait)
				}
			})
		}
	}
}

// TestConnIdle checks the idle peek of a pooled connection against what
// its peer did: nothing, sent a byte, or closed.
func TestConnIdle(t *testing.T) {
	for _, tc := range []struct {
		name string
		peer func(net.Conn)
		want connState
	}{
		{"nothing", func(net.Conn) {}, connEmpty},
		{"a stray byte", func(c net.Conn) { c.Write([]byte("H")) }, connUnread},
		{"closed", func(c net.Conn) { c.Close() }, connEnded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := tcpPair(t)
			sc := wrapConn(a)
			tc.peer(b)
			time.Sleep(20 * time.Millisecond) // loopback delivers at once
			if got := connIdle(sc); got != tc.want {
				t.Fatalf("connIdle = %d, want %d", got, tc.want)
			}
			if got := idleState(a); got != tc.want {
				t.Fatalf("its twin idleState = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestSendAndPeek checks sendThenRead against its naive twin
// (writeThenPeek: a write, then a read that tries first): on random heads
// and bodies, some larger than the socket's buffers so that the send
// waits for room, the peer receives the same bytes and the answer's first
// byte is seen, over many round trips on one connection with a peer that
// answers at once (a missed readiness would stall a round trip until its
// deadline and fail it).
func TestSendAndPeek(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 2))
	fill := rand.NewChaCha8([32]byte{14})
	for _, naive := range []bool{false, true} {
		name := "sysConn"
		if naive {
			name = "net.Conn"
		}
		t.Run(name, func(t *testing.T) {
			a, b := tcpPair(t)
			// Small buffers, so that a large body does not fit.
			a.(*net.TCPConn).SetWriteBuffer(32 << 10)
			b.(*net.TCPConn).SetReadBuffer(32 << 10)
			c := wrapConn(a)
			if naive {
				c = a
			}
			br := bufio.NewReaderSize(c, 4096)
			for i := range 300 {
				head := make([]byte, 1+rng.IntN(2048))
				body := make([]byte, 0)
				if i%10 == 0 {
					body = make([]byte, rng.IntN(2<<20))
				}
				fill.Read(head)
				fill.Read(body)
				want := append(append([]byte(nil), head...), body...)
				got := make(chan []byte, 1)
				go func() {
					if len(body) > 0 {
						time.Sleep(2 * time.Millisecond) // let the send fill the socket
					}
					buf := make([]byte, len(want))
					if _, err := io.ReadFull(b, buf); err != nil {
						got <- nil
						return
					}
					got <- buf
					b.Write([]byte("answer"))
				}()
				deadline := time.Now().Add(20 * time.Second)
				c.SetReadDeadline(deadline)
				if whole, err := sendAndPeek(c, br, head, body, deadline); err != nil || !whole {
					t.Fatalf("round trip %d (%d+%d bytes): whole %v, %v", i, len(head), len(body), whole, err)
				}
				if g := <-got; !bytes.Equal(g, want) {
					t.Fatalf("round trip %d: the peer received other bytes than were sent", i)
				}
				ans := make([]byte, 6)
				if _, err := io.ReadFull(br, ans); err != nil || string(ans) != "answer" {
					t.Fatalf("round trip %d: answer %q, %v", i, ans, err)
				}
			}
		})
	}
}

// TestSendAndPeekErrors checks that a send to a peer that reset the
// connection, and a send past the read deadline, fail as net.Conn's do.
func TestSendAndPeekErrors(t *testing.T) {
	t.Run("reset", func(t *testing.T) {
		a, b := tcpPair(t)
		c := wrapConn(a)
		b.(*net.TCPConn).SetLinger(0)
		b.Close()
		time.Sleep(20 * time.Millisecond)
		_, err := sendAndPeek(c, bufio.NewReader(c), []byte("GET / HTTP/1.1\r\n\r\n"), nil, time.Time{})
		var oe *net.OpError
		if !errors.As(err, &oe) {
			t.Fatalf("send to a reset connection: %v, want a *net.OpError", err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		a, _ := tcpPair(t) // never answers
		c := wrapConn(a)
		c.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
		_, err := sendAndPeek(c, bufio.NewReader(c), []byte("GET / HTTP/1.1\r\n\r\n"), nil, time.Time{})
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("no answer by the deadline: %v, want a timeout", err)
		}
	})
	for _, naive := range []bool{false, true} {
		// The peer answers after the head, then resets the connection with
		// the body still coming: the answer is read, and whole is false.
		t.Run(fmt.Sprintf("answer then reset/naive=%v", naive), func(t *testing.T) {
			a, b := tcpPair(t)
			b.(*net.TCPConn).SetReadBuffer(4096)
			c := wrapConn(a)
			if naive {
				c = a
			}
			go func() {
				io.ReadFull(b, make([]byte, 5))
				b.Write([]byte("answer"))
				time.Sleep(10 * time.Millisecond)
				b.(*net.TCPConn).SetLinger(0)
				b.Close()
			}()
			deadline := time.Now().Add(10 * time.Second)
			c.SetReadDeadline(deadline)
			br := bufio.NewReader(c)
			whole, err := sendAndPeek(c, br, []byte("head\n"), make([]byte, 64<<20), deadline)
			if err != nil || whole {
				t.Fatalf("sendAndPeek = whole %v, %v; want the answer, not whole", whole, err)
			}
			if got, _ := io.ReadAll(br); string(got) != "answer" {
				t.Fatalf("read %q, want \"answer\"", got)
			}
		})
	}
	t.Run("write deadline", func(t *testing.T) {
		a, _ := tcpPair(t) // never reads: the body does not fit
		c := wrapConn(a)
		c.SetReadDeadline(time.Now().Add(time.Minute))
		_, err := sendAndPeek(c, bufio.NewReader(c), []byte("POST / HTTP/1.1\r\n\r\n"), make([]byte, 64<<20), time.Now().Add(50*time.Millisecond))
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("a body past the write deadline: %v, want a timeout", err)
		}
	})
}

// TestSendAndPeekPartialWrites checks the accounting of partial writevs
// against the naive twin: heads up to 64 KiB and bodies up to 256 KiB sent
// to a peer with a 16 KiB receive buffer that reads a few bytes to 16 KiB
// at a time, so that the sends stop at every kind of offset (in the
// head, at its end, in the body) and resume; the peer must receive
// exactly head then body, and the answer's first byte be seen.
func TestSendAndPeekPartialWrites(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 4))
	fill := rand.NewChaCha8([32]byte{14, 4})
	for _, naive := range []bool{false, true} {
		t.Run(fmt.Sprintf("naive=%v", naive), func(t *testing.T) {
			a, b := tcpPair(t)
			a.(*net.TCPConn).SetWriteBuffer(16 << 10)
			b.(*net.TCPConn).SetReadBuffer(16 << 10)
			c := wrapConn(a)
			if naive {
				c = a
			}
			br := bufio.NewReaderSize(c, 4096)
			for i := range 30 {
				head := make([]byte, 1+rng.IntN(64<<10))
				body := make([]byte, rng.IntN(256<<10))
				fill.Read(head)
				fill.Read(body)
				want := append(append([]byte(nil), head...), body...)
				seed := rng.Uint64()
				got := make(chan []byte, 1)
				go func() {
					r := rand.New(rand.NewPCG(seed, 0))
					buf := make([]byte, 0, len(want))
					for len(buf) < len(want) {
						k := min(1+r.IntN(16<<10), len(want)-len(buf))
						n, err := b.Read(buf[len(buf) : len(buf)+k])
						if err != nil {
							got <- nil
							return
						}
						buf = buf[:len(buf)+n]
					}
					got <- buf
					b.Write([]byte("!"))
				}()
				deadline := time.Now().Add(30 * time.Second)
				c.SetReadDeadline(deadline)
				if whole, err := sendAndPeek(c, br, head, body, deadline); err != nil || !whole {
					t.Fatalf("round trip %d (%d+%d bytes): whole %v, %v", i, len(head), len(body), whole, err)
				}
				if g := <-got; !bytes.Equal(g, want) {
					t.Fatalf("round trip %d (%d+%d bytes): the peer received other bytes than were sent", i, len(head), len(body))
				}
				if b, err := br.ReadByte(); err != nil || b != '!' {
					t.Fatalf("round trip %d: answer %q, %v", i, b, err)
				}
			}
		})
	}
}
