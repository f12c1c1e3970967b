package worker

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestLatencyEstimate checks the probe's latency estimate on hand-made
// samples: the median of the bucket of the requests in flight asked for,
// the nearest bucket scaled in proportion when that one is empty, samples
// older than latMaxAge left out, only the last latKeep kept, -1 with none.
func TestLatencyEstimate(t *testing.T) {
	var e latencyEstimator
	t0 := time.Unix(1000, 0)
	if got := e.estimate(1, t0); got != -1 {
		t.Errorf("no samples: %g, want -1", got)
	}
	for _, ns := range []float64{10, 30, 20} {
		e.record(2, ns, t0)
	}
	if got := e.estimate(2, t0); got != 20 {
		t.Errorf("bucket 2: %g, want the median 20", got)
	}
	// Bucket 4 is empty: bucket 2 (the nearest, 2 away; 6 is as far but
	// below is tried first) scaled by 4/2.
	if got := e.estimate(4, t0); got != 40 {
		t.Errorf("bucket 4 from bucket 2: %g, want 40", got)
	}
	e.record(5, 100, t0)
	if got := e.estimate(4, t0); got != 80 {
		t.Errorf("bucket 4 from bucket 5 (nearer): %g, want 100·4/5 = 80", got)
	}
	// An even count: the mean of the middle two.
	e.record(2, 40, t0)
	if got := e.estimate(2, t0); got != 25 {
		t.Errorf("bucket 2 with 10,20,30,40: %g, want 25", got)
	}
	// Stale samples are left out.
	late := t0.Add(latMaxAge + time.Second)
	e.record(2, 7, late)
	if got := e.estimate(2, late); got != 7 {
		t.Errorf("after latMaxAge: %g, want 7 (the only fresh sample)", got)
	}
	// Only the last latKeep samples count.
	for i := range latKeep {
		e.record(3, float64(1000+i), late)
	}
	e.record(3, 1e9, late) // overwrites the oldest (1000)
	if got := e.estimate(3, late); got != (1008+1009)/2.0 {
		t.Errorf("ring of %d: median %g, want %g", latKeep, got, (1008+1009)/2.0)
	}
	// Counts above the last bucket share it.
	e.record(1000, 5, late)
	if got := e.estimate(5000, late); got != 5 {
		t.Errorf("huge counts: %g, want 5", got)
	}
}

// TestWorkerLoad checks the probe answer over HTTP: the requests in flight
// while tasks are held, a latency estimate once tasks finished, a small
// answer, and probes counted apart from tasks.
func TestWorkerLoad(t *testing.T) {
	ws, ss := startTestWorkers(t, 1, Config{Kind: "sleep", Capacity: 1})
	probe := func() Load {
		resp, err := http.Get(ss[0].URL + LoadPath)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxLoadBytes+1))
		if resp.StatusCode != 200 || len(b) > MaxLoadBytes {
			t.Fatalf("status %d, %d bytes", resp.StatusCode, len(b))
		}
		var l Load
		if err := json.Unmarshal(b, &l); err != nil {
			t.Fatalf("%q: %v", b, err)
		}
		return l
	}
	if l := probe(); l.RIF != 0 || l.LatencyNs != -1 {
		t.Errorf("idle: %+v, want rif 0 and no estimate", l)
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			get(t, http.DefaultClient, ss[0].URL+WorkPath+"?ns="+strconv.Itoa(int(200*time.Millisecond)))
		})
	}
	deadline := time.Now().Add(5 * time.Second)
	for ws[0].Info().InService+ws[0].Info().Waiting < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if l := probe(); l.RIF != 3 {
		t.Errorf("with 3 tasks present: rif %d", l.RIF)
	}
	wg.Wait()
	l := probe()
	if l.RIF != 0 || !(l.LatencyNs >= float64(200*time.Millisecond)) {
		t.Errorf("after 3 tasks of 200ms: %+v, want rif 0 and an estimate of at least 200ms", l)
	}
	if in := ws[0].Info(); in.Probes != 3 || in.Served != 3 {
		t.Errorf("info %+v: want 3 probes and 3 tasks served", in)
	}
}
