//go:build !linux

package balancer

import "net"

// wrapConn returns c: the raw system calls of sysConn are Linux's.
func wrapConn(c net.Conn) net.Conn { return c }

// connIdle tells what an idle pooled connection holds (idleState).
func connIdle(c net.Conn) connState { return idleState(c) }
