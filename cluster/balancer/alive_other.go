//go:build !unix

package balancer

import "net"

// idleState tells what an idle pooled connection holds; without a
// non-blocking peek it assumes nothing (bytes left in its reader are
// still caught when the response ends).
func idleState(net.Conn) connState { return connEmpty }
