package balancer

import (
	"bufio"
	"encoding/json"
	"errors"
	"net"
	"sync"
	"time"
)

// connState is what an idle backend connection holds (idleState).
type connState uint8

const (
	connEmpty  connState = iota // nothing: reusable
	connUnread                  // bytes nobody asked for: closed and counted
	connEnded                   // closed by the backend, or failed
)

// maxIdlePerBackend bounds the idle connections kept per backend.
const maxIdlePerBackend = 1024

// connPool holds the keep-alive connections to one backend. A connection
// is reused only when it holds no unread byte: bytes left in its reader
// after a complete response close it at once (exchange), and bytes that
// arrive while it is idle are found by a non-blocking peek before reuse.
type connPool struct {
	mu   sync.Mutex
	idle []*pconn
	live map[*pconn]struct{} // every open connection, idle or busy
}

// pconn is one connection to a backend.
type pconn struct {
	c      net.Conn
	br     *bufio.Reader // its size bounds the response head
	p      *connPool
	idleAt time.Time
	armed  time.Time // the read deadline set on c
}

// arm sets c's read deadline for a request made at now that must be
// answered by deadline. A deadline already set that is earlier by at most
// a quarter of the time allowed (and at most a second) is kept: most
// requests then cost no timer update, and the bound is at most that much
// tighter.
func (pc *pconn) arm(now, deadline time.Time) {
	slack := min(deadline.Sub(now)/4, time.Second)
	if !pc.armed.After(deadline) && deadline.Sub(pc.armed) <= slack {
		return
	}
	pc.armed = deadline
	pc.c.SetReadDeadline(deadline)
}

// get returns an idle connection to backend be that holds nothing, or a
// new one, with its read deadline set; reused tells which. now is the
// time of the request.
func (p *connPool) get(b *Balancer, be *backend, now, deadline time.Time) (pc *pconn, reused bool, err error) {
	for {
		p.mu.Lock()
		n := len(p.idle)
		if n == 0 {
			p.mu.Unlock()
			break
		}
		pc = p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		if now.Sub(pc.idleAt) > b.cfg.Limits.BackendIdleTimeout {
			pc.close()
			continue
		}
		pc.arm(now, deadline) // before the peek: a past deadline fails it
		switch connIdle(pc.c) {
		case connEmpty:
			return pc, true, nil
		case connUnread:
			b.unsolicited.Add(1)
		}
		pc.close()
	}
	c, err := b.dialer.Dial("tcp", be.addr)
	if err != nil {
		return nil, false, err
	}
	c = wrapConn(c)
	pc = &pconn{c: c, br: bufio.NewReaderSize(c, b.cfg.Limits.MaxResponseHeaderBytes), p: p}
	pc.arm(now, deadline)
	p.mu.Lock()
	if p.live == nil {
		p.live = map[*pconn]struct{}{}
	}
	p.live[pc] = struct{}{}
	p.mu.Unlock()
	return pc, false, nil
}

// send writes a request, its head and body, to pc and waits for the first
// byte of its response; a write that waits for room fails at deadline.
// whole is false when the request was cut short but an answer came
// (sendAndPeek): pc is not to be reused.
func (pc *pconn) send(head, body []byte, deadline time.Time) (whole bool, err error) {
	if pc.br.Buffered() > 0 {
		return false, errors.New("bytes before the request") // never: a connection with unread bytes is not pooled
	}
	return sendAndPeek(pc.c, pc.br, head, body, deadline)
}

// put returns pc, idle since now, to the pool, or closes it when the
// pool is full.
func (p *connPool) put(pc *pconn, now time.Time) {
	pc.idleAt = now
	p.mu.Lock()
	if len(p.idle) < maxIdlePerBackend {
		p.idle = append(p.idle, pc)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	pc.close()
}

// closeIdle closes the idle connections unused since before. The stack
// is nearly in the order of idleAt (put's order; requests that ended at
// the same time may be put in the other order), so all of it is looked at.
func (p *connPool) closeIdle(before time.Time) {
	p.mu.Lock()
	var old []*pconn
	keep := p.idle[:0]
	for _, pc := range p.idle {
		if pc.idleAt.Before(before) {
			old = append(old, pc)
		} else {
			keep = append(keep, pc)
		}
	}
	clear(p.idle[len(keep):])
	p.idle = keep
	p.mu.Unlock()
	for _, pc := range old {
		pc.close()
	}
}

// close closes pc for good.
func (pc *pconn) close() {
	pc.p.mu.Lock()
	delete(pc.p.live, pc)
	pc.p.mu.Unlock()
	pc.c.Close()
}

// closeAll closes the idle connections, and the busy ones too if busy (the
// requests on them fail at once).
func (p *connPool) closeAll(busy bool) {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	var open []*pconn
	if busy {
		for pc := range p.live {
			open = append(open, pc)
		}
	}
	p.mu.Unlock()
	for _, pc := range idle {
		pc.close()
	}
	for _, pc := range open {
		pc.c.Close()
	}
}

var bodyBufs = sync.Pool{New: func() any { return &bodyBuf{b: make([]byte, 0, 4096), head: make([]byte, 0, 1024)} }}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// writeThenPeek writes head and body on c (one writev where the system has
// it), by deadline (zero: none), and waits for the first byte of the
// answer in br. whole is false when the write failed but an answer had
// come before (the peer answered and reset the connection).
func writeThenPeek(c net.Conn, br *bufio.Reader, head, body []byte, deadline time.Time) (whole bool, err error) {
	if !deadline.IsZero() {
		c.SetWriteDeadline(deadline)
		defer c.SetWriteDeadline(time.Time{})
	}
	bufs := net.Buffers{head, body}
	if _, err := bufs.WriteTo(c); err != nil {
		if _, perr := br.Peek(1); perr == nil {
			return false, nil
		}
		return false, err
	}
	_, err = br.Peek(1)
	return true, err
}
