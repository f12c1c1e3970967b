//go:build !unix

package cluster

// alive reports whether an idle pooled connection is still open; without
// a non-blocking peek it assumes so.
func alive(pc *pconn) bool { return pc.br.Buffered() == 0 }
