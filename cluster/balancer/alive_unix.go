//go:build unix

package balancer

import (
	"net"
	"syscall"
)

// idleState tells what an idle pooled connection holds, with a
// non-blocking peek at its socket: nothing (open, reusable), unread bytes
// (out of step with its requests), or its end.
func idleState(c net.Conn) connState {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return connEmpty
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return connEnded
	}
	state := connEnded
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case rerr == syscall.EAGAIN || rerr == syscall.EWOULDBLOCK:
			state = connEmpty
		case rerr == nil && n > 0:
			state = connUnread
		}
		return true
	})
	if err != nil {
		return connEnded
	}
	return state
}
