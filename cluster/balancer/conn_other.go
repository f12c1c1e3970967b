//go:build !linux

package balancer

import (
	"bufio"
	"net"
	"time"
)

// wrapConn returns c: the raw system calls of sysConn are Linux's.
func wrapConn(c net.Conn) net.Conn { return c }

// wrapClientConn returns c.
func wrapClientConn(c net.Conn) net.Conn { return c }

// connIdle tells what an idle pooled connection holds (idleState).
func connIdle(c net.Conn) connState { return idleState(c) }

// sendAndPeek sends head and body on c and waits for the first byte of
// the answer in br, which reads c and holds nothing (see writeThenPeek).
func sendAndPeek(c net.Conn, br *bufio.Reader, head, body []byte, deadline time.Time) (whole bool, err error) {
	return writeThenPeek(c, br, head, body, deadline)
}
