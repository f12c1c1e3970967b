//go:build linux

package balancer

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// sysConn is a TCP connection of the balancer (a client's or a backend's)
// whose reads and writes are raw system calls on its non-blocking socket,
// waiting through Go's network poller as net.Conn does, under the same
// deadlines. A read or write of a non-blocking socket never blocks, so it
// is made without telling the scheduler that the goroutine is in a system
// call (syscall.RawSyscall instead of syscall.Syscall): the scheduler then
// does not hand the goroutine's processor to another thread while a
// loopback write delivers its segment to the receiver, which on a busy
// machine happened on most requests and cost a thread wake-up and context
// switches each time (the balancer's CPU time per request fell by a fifth).
//
// A backend connection also sends a request and waits for its answer in
// one step (sendThenRead), which saves the read that would find nothing.
//
// Its deadlines cost no timer update when they move later, which they do
// at nearly every request (see SetReadDeadline).
//
// Reads run in one goroutine at a time, and so do writes (the callers'
// own order, and net.Conn's locks, serialize them); Close is the wrapped
// connection's. It has no ReadFrom or WriteTo, so that every byte goes
// through Read and Write.
type sysConn struct {
	net.Conn
	rc syscall.RawConn

	readFn, writeFn, peekFn, sendFn, earlyFn func(fd uintptr) bool

	// The read in progress (readFn's arguments and results).
	rbuf []byte
	rn   int
	rerr syscall.Errno
	// The write in progress.
	wbuf []byte
	wn   int
	werr syscall.Errno
	// The result of peekFn.
	peeked connState
	// What is left to send before the next read (sendThenRead), in iov,
	// and by when; cut: the send stopped short, but an answer had come.
	out     [][]byte
	outArr  [2][]byte
	iov     [2]syscall.Iovec
	sending bool
	serr    syscall.Errno
	sendBy  time.Time
	cut     bool

	// The deadlines asked (rd, wd; zero: none) and those set on the
	// socket (rSet, wSet), under dmu: a deadline asked is never before
	// the one set, which fires first (see SetReadDeadline).
	dmu        sync.Mutex
	rd, wd     time.Time
	rSet, wSet time.Time

	// client: a client's connection (wrapClientConn), whose first read
	// after a write (wrote) lets the other goroutines run first.
	client, wrote bool
}

// wrapClientConn is wrapConn for a client's connection. After the
// balancer has written a response, the client's next request cannot have
// come yet: a read at once finds nothing (a failed system call, then a
// park and a wake-up through the poller), so the first read after a write
// lets the goroutines that are ready run first (runtime.Gosched), after
// which the request has often come and is read at once. With nothing
// else ready it costs about a scheduler pass.
func wrapClientConn(c net.Conn) net.Conn {
	c = wrapConn(c)
	if sc, ok := c.(*sysConn); ok {
		sc.client = true
	}
	return c
}

// wrapConn returns c as a sysConn when it is a TCP connection, else c.
func wrapConn(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	sc := &sysConn{Conn: tc, rc: rc}
	sc.readFn, sc.writeFn, sc.peekFn = sc.doRead, sc.doWrite, sc.doPeek
	sc.sendFn = func(fd uintptr) bool { return sc.doSend(fd) || sc.serr != 0 }
	sc.earlyFn = func(fd uintptr) bool { sc.doRead(fd); return true } // one try, no wait
	return sc
}

func (c *sysConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.wrote {
		c.wrote = false
		runtime.Gosched()
	}
	c.rbuf, c.rn, c.rerr = p, 0, 0
	err := c.rawRead(c.readFn)
	if err == nil && c.sending && c.serr == 0 {
		// The request did not fit in the socket: send the rest as it
		// makes room (by sendBy: a peer that stops reading must not hold
		// the request past its deadline), then read.
		c.SetWriteDeadline(c.sendBy)
		err = c.rawWrite(c.sendFn)
		c.SetWriteDeadline(time.Time{})
		if err == nil && c.serr == 0 {
			c.sending = false
			err = c.rawRead(c.readFn)
		}
	}
	if c.sending {
		c.sending, c.out = false, nil
		if err == nil {
			err = os.NewSyscallError("writev", c.serr)
		}
		// The peer may have answered before it stopped reading (at once,
		// to a request it refuses, and then reset the connection): that
		// answer is this request's. One read that does not wait.
		c.rn, c.rerr = 0, 0
		if c.rawRead(c.earlyFn) == nil && c.rn > 0 {
			c.rbuf, c.cut = nil, true
			return c.rn, nil
		}
		c.rbuf = nil
		return 0, c.opError("write", err)
	}
	c.rbuf = nil
	if err == nil && c.rerr != 0 {
		err = os.NewSyscallError("read", c.rerr)
	}
	if err != nil {
		return 0, c.opError("read", err)
	}
	if c.rn == 0 {
		return 0, io.EOF
	}
	return c.rn, nil
}

// sendAndPeek sends head and body on c and waits for the first byte of
// the answer in br, which reads c and holds nothing; a send that waits
// for room in the socket fails at deadline (zero: none). whole is false
// when the send stopped short (the peer reset the connection, or the
// deadline passed) yet an answer had come before: the caller reads it,
// then closes c.
func sendAndPeek(c net.Conn, br *bufio.Reader, head, body []byte, deadline time.Time) (whole bool, err error) {
	sc, ok := c.(*sysConn)
	if !ok {
		return writeThenPeek(c, br, head, body, deadline)
	}
	sc.sendThenRead(head, body, deadline)
	_, err = br.Peek(1)
	return !sc.cut, err
}

// sendThenRead makes the next Read send head and body first (as one
// writev; by deadline when they do not fit in the socket) and only then
// read. The poller forgets that a socket was
// readable when a read starts, so a read that waited for readiness
// without trying first could miss bytes that arrived just before it; but
// here the read has started before the request is sent, so the answer's
// arrival is always seen, and the read that would have found nothing
// yet (EAGAIN) is not made. The caller knows that nothing is buffered
// (the pool's idle peek).
func (c *sysConn) sendThenRead(head, body []byte, deadline time.Time) {
	c.out = append(c.outArr[:0], head, body)
	c.sending, c.serr, c.sendBy, c.cut = true, 0, deadline, false
}

func (c *sysConn) doRead(fd uintptr) bool {
	if c.sending {
		if !c.doSend(fd) {
			return true // no room in the socket, or failed: Read sees which
		}
		c.sending = false
		return false // sent: wait for the answer
	}
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&c.rbuf[0])), uintptr(len(c.rbuf)))
		switch e {
		case 0:
			c.rn = int(n)
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		c.rerr = e
		return true
	}
}

func (c *sysConn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.wbuf, c.wn, c.werr = p, 0, 0
	c.wrote = c.client
	err := c.rawWrite(c.writeFn)
	n := c.wn
	c.wbuf = nil
	if err == nil && c.werr != 0 {
		err = os.NewSyscallError("write", c.werr)
	}
	if err != nil {
		return n, c.opError("write", err)
	}
	return n, nil
}

func (c *sysConn) doWrite(fd uintptr) bool {
	for c.wn < len(c.wbuf) {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&c.wbuf[c.wn])), uintptr(len(c.wbuf)-c.wn))
		switch e {
		case 0:
			c.wn += int(n)
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			c.werr = e
			return true
		}
	}
	return true
}

// doSend writes what is left of c.out; it reports whether all of it went
// (false on EAGAIN, and on an error, in c.serr).
func (c *sysConn) doSend(fd uintptr) bool {
	for {
		for len(c.out) > 0 && len(c.out[0]) == 0 {
			c.out = c.out[1:]
		}
		if len(c.out) == 0 {
			return true
		}
		n := 0
		for _, b := range c.out {
			if len(b) > 0 {
				c.iov[n].Base = &b[0]
				c.iov[n].SetLen(len(b))
				n++
			}
		}
		w, _, e := syscall.RawSyscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&c.iov[0])), uintptr(n))
		switch e {
		case 0:
			for k := int(w); k > 0; {
				d := min(k, len(c.out[0]))
				c.out[0] = c.out[0][d:]
				k -= d
				for len(c.out) > 0 && len(c.out[0]) == 0 {
					c.out = c.out[1:]
				}
			}
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			c.serr = e
			return false
		}
	}
}

// idle tells what c holds while idle in the pool, with a non-blocking
// peek at its socket (see idleState).
func (c *sysConn) idle() connState {
	c.peeked = connEnded
	if c.rawRead(c.peekFn) != nil {
		return connEnded
	}
	return c.peeked
}

func (c *sysConn) doPeek(fd uintptr) bool {
	var b byte
	n, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b)), 1,
		syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
	switch {
	case e == syscall.EAGAIN:
		c.peeked = connEmpty
	case e == 0 && n > 0:
		c.peeked = connUnread
	}
	return true
}

// SetReadDeadline sets the deadline of reads, as net.Conn's does, but
// sets it on the socket only when it is earlier than the one set there
// (or there is none): a later one is only recorded. Setting one costs a
// timer update and two clock reads in the runtime, and fasthttp's server
// moves the read deadline twice a request (the idle wait, then the
// head) and the write deadline once, always later but for the head's.
// The deadline set, earlier, fires first; the read or write it stops
// (or the next one, if it fires between them) is resumed under the
// deadline asked (rawRead, rawWrite), so a read or write still times out
// at the deadline asked, and the socket's deadline moves about once per
// timeout instead of at every request.
func (c *sysConn) SetReadDeadline(t time.Time) error {
	return c.setDeadline(t, &c.rd, &c.rSet, c.Conn.SetReadDeadline)
}

// SetWriteDeadline sets the deadline of writes (see SetReadDeadline).
func (c *sysConn) SetWriteDeadline(t time.Time) error {
	return c.setDeadline(t, &c.wd, &c.wSet, c.Conn.SetWriteDeadline)
}

// SetDeadline sets both deadlines (see SetReadDeadline).
func (c *sysConn) SetDeadline(t time.Time) error {
	return errors.Join(c.SetReadDeadline(t), c.SetWriteDeadline(t))
}

func (c *sysConn) setDeadline(t time.Time, asked, set *time.Time, setOn func(time.Time) error) error {
	c.dmu.Lock()
	*asked = t
	if t.IsZero() || !set.IsZero() && !t.Before(*set) {
		c.dmu.Unlock()
		return nil // a deadline set fires first (none asked: it clears it then)
	}
	*set = t
	err := setOn(t)
	c.dmu.Unlock()
	return err
}

// resume reports whether an operation stopped by the deadline set on the
// socket is to go on, the deadline asked being later and not passed; it
// then sets that one on the socket.
func (c *sysConn) resume(asked, set *time.Time, setOn func(time.Time) error) bool {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	if set.Equal(*asked) || !asked.IsZero() && !time.Now().Before(*asked) {
		return false // the deadline asked has passed
	}
	*set = *asked
	return setOn(*asked) == nil
}

// rawRead runs fn as c.rc.Read does, under the read deadline asked (see
// SetReadDeadline).
func (c *sysConn) rawRead(fn func(fd uintptr) bool) error {
	for {
		err := c.rc.Read(fn)
		if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) || !c.resume(&c.rd, &c.rSet, c.Conn.SetReadDeadline) {
			return err
		}
	}
}

// rawWrite runs fn as c.rc.Write does, under the write deadline asked.
func (c *sysConn) rawWrite(fn func(fd uintptr) bool) error {
	for {
		err := c.rc.Write(fn)
		if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) || !c.resume(&c.wd, &c.wSet, c.Conn.SetWriteDeadline) {
			return err
		}
	}
}

// opError returns err as net.Conn's methods do (RawConn's are already
// *net.OpError, named raw-read and raw-write).
func (c *sysConn) opError(op string, err error) error {
	if oe, ok := err.(*net.OpError); ok {
		oe.Op = op
		return oe
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

// connIdle tells what an idle pooled connection holds (idleState).
func connIdle(c net.Conn) connState {
	if sc, ok := c.(*sysConn); ok {
		return sc.idle()
	}
	return idleState(c)
}
