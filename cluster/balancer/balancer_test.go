package balancer

import (
	"context"
	"github.com/stratbench/stratbench/cluster/internal/workertest"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stratbench/stratbench/cluster/worker"
)

// testServer is a balancer served on loopback: URL is its address.
type testServer struct{ URL string }

// newTestBalancer starts an in-process balancer over the given backends.
func newTestBalancer(t *testing.T, cfg Config) (*Balancer, *testServer) {
	t.Helper()
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.Serve(ctx, ln, nil) }()
	t.Cleanup(func() { cancel(); <-done })
	return b, &testServer{URL: "http://" + ln.Addr().String()}
}

func dispatched(s Stats) []int64 {
	out := make([]int64, len(s.Backends))
	for i, b := range s.Backends {
		out[i] = b.Dispatched
	}
	return out
}

// TestBalancerPolicies sends requests one at a time through every policy
// and checks where they went.
func TestBalancerPolicies(t *testing.T) {
	cases := []struct {
		policy string
		query  string
		check  func(d []int64) bool
		why    string
	}{
		{"rr", "", func(d []int64) bool { return d[0] == 20 && d[1] == 20 && d[2] == 20 }, "round robin splits 60 requests 20/20/20"},
		{"wrr", "", func(d []int64) bool { return d[0] == 20 && d[1] == 20 && d[2] == 20 }, "equal weights: like round robin"},
		{"hash", "&key=42", func(d []int64) bool { return max(d[0], d[1], d[2]) == 60 }, "one key always goes to one backend"},
		{"maglev", "&key=42", func(d []int64) bool { return max(d[0], d[1], d[2]) == 60 }, "one key always goes to one backend"},
		{"jsq", "", func(d []int64) bool { return min(d[0], d[1], d[2]) >= 5 }, "idle backends tie: random tie-break spreads them"},
		{"random", "", func(d []int64) bool { return min(d[0], d[1], d[2]) >= 5 }, "uniform: each gets about 20"},
	}
	for _, p := range []string{"p2c", "pod", "jiq", "lwl", "sed", "ewma", "central"} {
		cases = append(cases, struct {
			policy string
			query  string
			check  func(d []int64) bool
			why    string
		}{p, "", func(d []int64) bool { return d[0]+d[1]+d[2] == 60 }, "every request placed once"})
	}
	_, ss := workertest.Start(t, 3, worker.Config{})
	backends := []string{workertest.Addr(ss[0]), workertest.Addr(ss[1]), workertest.Addr(ss[2])}
	for _, tc := range cases {
		t.Run(tc.policy, func(t *testing.T) {
			b, s := newTestBalancer(t, Config{Backends: backends, Policy: tc.policy, Seed: 3, HealthInterval: -1})
			for range 60 {
				if code, _ := get(t, http.DefaultClient, s.URL+worker.WorkPath+"?ns=1000"+tc.query); code != 200 {
					t.Fatalf("status %d", code)
				}
			}
			st := b.Stats()
			if d := dispatched(st); !tc.check(d) {
				t.Errorf("dispatched %v: want %s", d, tc.why)
			}
			for _, be := range st.Backends {
				if be.InFlight != 0 || be.Failed != 0 || be.Completed != be.Dispatched {
					t.Errorf("backend %+v: all requests should have completed", be)
				}
			}
		})
	}
}

// TestBalancerConcurrent sends requests in parallel (race detector) and
// checks that the central queue keeps one request per worker: no worker
// ever has two present.
func TestBalancerConcurrent(t *testing.T) {
	for _, policy := range []string{"central", "jsq", "p2c", "ewma", "jiq"} {
		t.Run(policy, func(t *testing.T) {
			ws, ss := workertest.Start(t, 2, worker.Config{})
			b, s := newTestBalancer(t, Config{Backends: []string{workertest.Addr(ss[0]), workertest.Addr(ss[1])}, Policy: policy, HealthInterval: -1})
			var wg sync.WaitGroup
			for range 24 {
				wg.Go(func() {
					if code, _ := get(t, http.DefaultClient, s.URL+worker.WorkPath+"?ns=2000000"); code != 200 {
						t.Errorf("status %d", code)
					}
				})
			}
			wg.Wait()
			if d := dispatched(b.Stats()); d[0]+d[1] != 24 {
				t.Errorf("dispatched %v, want 24 in all", d)
			}
			if policy == "central" {
				for i, w := range ws {
					if m := w.Info().MaxPresent; m > 1 {
						t.Errorf("central: worker %d had %d requests at once; the balancer should hold them", i, m)
					}
				}
			}
		})
	}
}

// TestBalancerDeadBackend sends requests to three backends of which one is
// gone: each request that hits it is retried on another backend, the dead
// one is marked and no longer chosen, and nothing fails.
func TestBalancerDeadBackend(t *testing.T) {
	for _, policy := range []string{"rr", "jsq", "hash", "central"} {
		t.Run(policy, func(t *testing.T) {
			_, ss := workertest.Start(t, 3, worker.Config{})
			ss[1].Close()
			b, s := newTestBalancer(t, Config{
				Backends: []string{workertest.Addr(ss[0]), workertest.Addr(ss[1]), workertest.Addr(ss[2])}, Policy: policy, HealthInterval: -1,
			})
			for i := range 30 {
				if code, _ := get(t, http.DefaultClient, s.URL+worker.WorkPath+"?key="+strconv.Itoa(i)); code != 200 {
					t.Fatalf("request %d: status %d", i, code)
				}
			}
			st := b.Stats()
			if st.Backends[1].Alive {
				t.Error("the closed backend is still alive")
			}
			if st.Backends[1].Dispatched > 1 {
				t.Errorf("the dead backend got %d requests, want at most the one that found it dead", st.Backends[1].Dispatched)
			}
			if st.Retries != st.Backends[1].Failed || st.RetriedOK != st.Retries {
				t.Errorf("retries %d (ok %d) for %d failures", st.Retries, st.RetriedOK, st.Backends[1].Failed)
			}
		})
	}
}

// TestBalancerNoRetryOfPost checks that a request that may not be replayed
// is not sent twice, and that with every backend dead requests are still
// tried (panic mode) and fail with 502.
func TestBalancerNoRetryOfPost(t *testing.T) {
	_, ss := workertest.Start(t, 2, worker.Config{})
	ss[0].Close()
	b, s := newTestBalancer(t, Config{Backends: []string{workertest.Addr(ss[0]), workertest.Addr(ss[1])}, Policy: "rr", HealthInterval: -1})
	resp, err := http.Post(s.URL+worker.WorkPath, "text/plain", strings.NewReader("payload"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("POST to a dead backend: status %d, want 502", resp.StatusCode)
	}
	if st := b.Stats(); st.Retries != 0 {
		t.Errorf("a POST was retried")
	}
	ss[1].Close()
	for range 3 {
		code, _ := get(t, http.DefaultClient, s.URL+worker.WorkPath)
		if code != http.StatusBadGateway && code != http.StatusServiceUnavailable {
			t.Errorf("all backends dead: status %d, want 502 or 503", code)
		}
	}
	if b.Stats().AllDown == 0 {
		t.Error("no request was placed in panic mode (every backend marked dead)")
	}
}

// TestBalancerHealth checks that health checks take a failing backend out
// and bring it back.
func TestBalancerHealth(t *testing.T) {
	ws, _ := workertest.Start(t, 1, worker.Config{})
	var sick atomic.Bool
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == worker.HealthPath && sick.Load() {
			http.Error(w, "sick", http.StatusInternalServerError)
			return
		}
		ws[0].ServeHTTP(w, r)
	}))
	defer flaky.Close()
	b, _ := newTestBalancer(t, Config{Backends: []string{workertest.Addr(flaky)}, Policy: "rr", HealthInterval: 10 * time.Millisecond})
	waitFor := func(alive bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for b.Stats().Backends[0].Alive != alive {
			if time.Now().After(deadline) {
				t.Fatalf("backend never became alive=%v", alive)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	sick.Store(true)
	waitFor(false)
	sick.Store(false)
	waitFor(true)
}

// TestBalancerClientSide uses the balancer as a client's transport.
func TestBalancerClientSide(t *testing.T) {
	_, ss := workertest.Start(t, 2, worker.Config{})
	b, err := New(Config{Backends: []string{workertest.Addr(ss[0]), workertest.Addr(ss[1])}, Policy: "rr", HealthInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	client := &http.Client{Transport: b}
	for range 10 {
		if code, _ := get(t, client, "http://anything"+worker.WorkPath); code != 200 {
			t.Fatalf("status %d", code)
		}
	}
	if d := dispatched(b.Stats()); d[0] != 5 || d[1] != 5 {
		t.Errorf("dispatched %v, want 5/5", d)
	}
}

// TestBalancerCancelWhileHeld checks that a request given up while held in
// the central queue leaves the counters straight.
func TestBalancerCancelWhileHeld(t *testing.T) {
	_, ss := workertest.Start(t, 1, worker.Config{})
	b, err := New(Config{Backends: []string{workertest.Addr(ss[0])}, Policy: "central", HealthInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	client := &http.Client{Transport: b}
	var wg sync.WaitGroup
	wg.Go(func() { get(t, client, "http://x"+worker.WorkPath+"?ns=100000000") }) // 100ms
	time.Sleep(20 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://x"+worker.WorkPath, nil)
	if _, err := client.Do(req); err == nil {
		t.Error("a held request whose context ended succeeded")
	}
	wg.Wait()
	st := b.Stats()
	if st.Backends[0].InFlight != 0 || st.Backends[0].Dispatched != 1 {
		t.Errorf("backend %+v: want 1 dispatched and none in flight", st.Backends[0])
	}
}

func TestBalancerConfig(t *testing.T) {
	cases := []struct {
		cfg Config
		ok  bool
	}{
		{Config{Backends: []string{"127.0.0.1:1"}, Policy: "jsq"}, true},
		{Config{Backends: nil, Policy: "jsq"}, false},                                                                                              // no backends
		{Config{Backends: []string{"nocolon"}, Policy: "jsq"}, false},                                                                              // not host:port
		{Config{Backends: []string{"a:1", "a:1"}, Policy: "jsq"}, false},                                                                           // twice
		{Config{Backends: []string{"a:1"}, Policy: "bogus"}, false},                                                                                // unknown policy
		{Config{Backends: []string{"a:1"}, Policy: "jsq", Unit: -time.Second}, false},                                                              // negative unit
		{Config{Backends: []string{"a:1", "b:2"}, Policy: "pod", D: 2}, true},                                                                      // pod
		{Config{Backends: []string{"a:1", "b:2"}, Policy: "jiq", Dispatchers: 2}, true},                                                            // jiq
		{Config{Backends: []string{"a:1"}, Policy: "jsq", Limits: Limits{MaxBufferedBodyBytes: 1 << 20}}, false},                                   // no room for one largest body
		{Config{Backends: []string{"a:1"}, Policy: "jsq", Limits: Limits{MaxBufferedBodyBytes: 1<<20 + 1}}, true},                                  // room for one
		{Config{Backends: []string{"a:1"}, Policy: "jsq", Limits: Limits{MaxBodyBytes: 512 << 20}}, false},                                         // larger than the default room
		{Config{Backends: []string{"a:1"}, Policy: "jsq", Limits: Limits{MaxBodyBytes: 1 << 10, MaxBufferedBodyBytes: 2 << 10}}, true},             // small
		{Config{Backends: []string{"a:1"}, Policy: "jsq", Limits: Limits{MaxBufferedResponseBytes: 64 << 20}}, false},                              // no room for one largest response body
		{Config{Backends: []string{"a:1"}, Policy: "jsq", Limits: Limits{MaxBufferedResponseBytes: 64<<20 + 1}}, true},                             // room for one
		{Config{Backends: []string{"a:1"}, Policy: "jsq", Limits: Limits{MaxResponseBodyBytes: 512 << 20}}, false},                                 // larger than the default room
		{Config{Backends: []string{"a:1"}, Policy: "jsq", Limits: Limits{MaxBufferedResponseBytes: -1}}, false},                                    // negative
		{Config{Backends: []string{"a:1"}, Policy: "jsq", Limits: Limits{MaxResponseBodyBytes: 1 << 10, MaxBufferedResponseBytes: 2 << 10}}, true}, // small
	}
	for _, tc := range cases {
		if err := tc.cfg.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: error %v, want ok=%v", tc.cfg, err, tc.ok)
		}
	}
}
