// Package workertest starts in-process workers for the tests of the
// cluster packages (the balancer, the load generator, whole runs).
package workertest

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/cluster/worker"
)

// Start starts n in-process workers with cfg, each on its own loopback test
// server that is closed when the test ends, and tells each its address.
func Start(t testing.TB, n int, cfg worker.Config) ([]*worker.Worker, []*httptest.Server) {
	t.Helper()
	ws := make([]*worker.Worker, n)
	ss := make([]*httptest.Server, n)
	for i := range n {
		w, err := worker.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		s := httptest.NewServer(w)
		w.SetAddr(Addr(s))
		t.Cleanup(s.Close)
		ws[i], ss[i] = w, s
	}
	return ws, ss
}

// Addr is the host:port of a test server.
func Addr(s *httptest.Server) string { return strings.TrimPrefix(s.URL, "http://") }
