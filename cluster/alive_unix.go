//go:build unix

package cluster

import (
	"syscall"
)

// alive reports whether an idle pooled connection is still open: nothing
// to read and no end of stream, checked with a non-blocking peek.
func alive(pc *pconn) bool {
	if pc.br.Buffered() > 0 {
		return false // bytes nobody asked for: the connection is out of step
	}
	sc, ok := pc.conn.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	open := false
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		_, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = rerr == syscall.EAGAIN || rerr == syscall.EWOULDBLOCK
		return true
	})
	return err == nil && open
}
