package cluster

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stratbench/stratbench/cluster/internal/workertest"
	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/metrics"
)

// TestMeasureRoundTrip measures the round trip of empty tasks straight to
// a worker and through a handler that adds a known delay: the second is
// longer by about that delay, the quantiles are ordered, and a failing
// target is an error, not a figure.
func TestMeasureRoundTrip(t *testing.T) {
	ws, srvs := workertest.Start(t, 1, worker.Config{Kind: "sleep"})
	target := srvs[0].URL
	direct, err := MeasureRoundTrip(context.Background(), target, nil, 5, 50, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if direct.N != 50 || !(direct.P50 > 0 && direct.P50 <= direct.P99) || direct.Mean <= 0 {
		t.Fatalf("round trip %+v", direct)
	}
	const extra = 2 * time.Millisecond
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(extra)
		ws[0].ServeHTTP(w, r)
	}))
	defer slow.Close()
	delayed, err := MeasureRoundTrip(context.Background(), slow.URL, nil, 5, 50, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if d := delayed.P50 - direct.P50; d < extra {
		t.Errorf("a handler adding %v made the median round trip %v longer", extra, d)
	}
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	if _, err := MeasureRoundTrip(context.Background(), failing.URL, nil, 1, 5, time.Second); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("a target answering 503: %v, want an error naming the status", err)
	}
}

// TestRecordGap checks the named remainders: each in units, a warning
// naming only those that are not small.
func TestRecordGap(t *testing.T) {
	for _, tc := range []struct {
		name   string
		m      map[string]float64
		excess float64
		warn   []string
		quiet  []string
	}{
		{"all small", map[string]float64{"overhead_mean_sec": 0.0002, "network_delay": 0.2, "service_mean": 1.01, "send_lag_mean_sec": 0.00001}, 0, nil, []string{"beyond the model"}},
		{"balancer", map[string]float64{"overhead_mean_sec": 0.0006, "network_delay": 0.2, "service_mean": 1.0, "send_lag_mean_sec": 0}, 0.4, []string{"0.4 units more in transport"}, []string{"tasks took", "late on average"}},
		{"stretch and lag", map[string]float64{"overhead_mean_sec": 0.0002, "network_delay": 0.2, "service_mean": 1.3, "send_lag_mean_sec": 0.0005}, 0, []string{"tasks took 0.3 units longer", "0.5 units late"}, []string{"transport"}},
	} {
		res := &metrics.Result{Metrics: tc.m}
		recordGap(res, time.Millisecond, 1)
		if x := res.Metrics["transport_excess_mean"]; math.Abs(x-tc.excess) > 1e-9 {
			t.Errorf("%s: transport_excess_mean %g, want %g", tc.name, x, tc.excess)
		}
		w := strings.Join(res.Warnings, "\n")
		for _, s := range tc.warn {
			if !strings.Contains(w, s) {
				t.Errorf("%s: warnings %q lack %q", tc.name, w, s)
			}
		}
		for _, s := range tc.quiet {
			if strings.Contains(w, s) {
				t.Errorf("%s: warnings %q name %q", tc.name, w, s)
			}
		}
	}
}

// TestReachesWorkers checks the check that a balancer's port leads to the
// stack's own workers: a worker answers with its process, another
// process's server (one that took the port) does not.
func TestReachesWorkers(t *testing.T) {
	ws, srvs := workertest.Start(t, 1, worker.Config{})
	infos := []worker.Info{ws[0].Info()}
	if err := reachesWorkers(context.Background(), srvs[0].URL, infos, nil); err != nil {
		t.Errorf("our worker: %v", err)
	}
	for _, h := range []http.HandlerFunc{
		func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"kind":"sleep","capacity":1,"pid":1}`)
		},
		func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
	} {
		other := httptest.NewServer(h)
		if err := reachesWorkers(context.Background(), other.URL, infos, nil); err == nil || !strings.Contains(err.Error(), "do not reach its workers") {
			t.Errorf("another process's server: %v, want an error", err)
		}
		other.Close()
	}
}
