package loadgen

import (
	"context"
	"github.com/stratbench/stratbench/cluster/internal/workertest"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/workloads"
)

// TestGenerateLoadAccounting sends a fixed number of requests to one
// worker and checks the accounting, the rate and the latencies.
func TestGenerateLoadAccounting(t *testing.T) {
	_, ss := workertest.Start(t, 1, worker.Config{Capacity: 4})
	const unit = 100 * time.Microsecond
	first, last := math.Inf(1), math.Inf(-1) // intended arrivals, in units
	res, err := Generate(context.Background(), Config{
		Target:  ss[0].URL,
		Rate:    1000,
		Service: mustSize(t, "det"),
		Unit:    unit,
		Jobs:    400,
		Seed:    5,
		OnDone: func(at float64, _ string, _ float64, _ bool) {
			first, last = min(first, at), max(last, at)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 400 || res.Succeeded != 400 || res.Failed != 0 || res.Measured != 400 {
		t.Fatalf("sent %d succeeded %d failed %d measured %d, want 400/400/0/400", res.Sent, res.Succeeded, res.Failed, res.Measured)
	}
	if err := res.Check(); err != nil {
		t.Error(err)
	}
	if n := res.Service.Count(); n != 400 || res.Lag.Count() != 400 {
		t.Fatalf("%d service times and %d lags recorded for 400 requests", n, res.Lag.Count())
	}
	// 400 Poisson arrivals at 1000/s are due over about 0.4s (seed 5's
	// stream, the same on any machine).
	intended := time.Duration((last - first) * float64(unit))
	if s := intended.Seconds(); s < 0.25 || s > 0.7 {
		t.Errorf("400 arrivals at 1000/s were due over %.3fs", s)
	}
	// The generator sends each request on time or late (never early), so
	// the sends span the intended span give or take the largest lateness
	// it measured: milliseconds on a quiet machine, more on a busy one,
	// but the span follows the arrivals either way.
	if res.Lag.Clamped != 0 {
		t.Errorf("%d requests sent before they were due", res.Lag.Clamped)
	}
	maxLag := time.Duration(res.Lag.Max()*1e9) + time.Microsecond // Max is rounded up; at is rounded to a float
	if d := res.SendSpan - intended; d > maxLag || d < -maxLag {
		t.Errorf("requests due over %v were sent over %v: %v apart, more than the largest lateness %v", intended, res.SendSpan, d, maxLag)
	}
	// A task of 1 unit is never in service for less (det sizes). Its wait
	// and service, as the worker timed them, lie within what the
	// generator timed from send to response.
	if m := res.Service.Mean(); m < 0.99 {
		t.Errorf("mean service %.3f units, want at least 1 (det sizes)", m)
	}
	unitSec := unit.Seconds()
	sendToDone := res.Response.Mean() - res.Lag.Mean()/unitSec
	if ws := res.Wait.Mean() + res.Service.Mean(); ws > sendToDone*(1+1e-9) {
		t.Errorf("mean wait + service %.3f units is longer than the mean time from send to response %.3f", ws, sendToDone)
	}
	// Every response ends within the run's wall time.
	if r, wall := res.Response.Max(), res.Wall.Seconds()/unitSec; r > wall*1.001+1 {
		t.Errorf("max response %.1f units is longer than the run (%.1f units)", r, wall)
	}
}

// TestGenerateLoadFailures checks that failures of every kind are counted
// and classified: sent = succeeded + failed whatever happens.
func TestGenerateLoadFailures(t *testing.T) {
	var n atomic.Int64
	ws, _ := workertest.Start(t, 1, worker.Config{Capacity: 8})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) % 4 {
		case 1:
			http.Error(w, "no", http.StatusInternalServerError)
		case 2:
			// Drop the connection without an answer.
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		default:
			ws[0].ServeHTTP(w, r)
		}
	}))
	defer s.Close()
	res, err := Generate(context.Background(), Config{Target: s.URL, Rate: 2000, Unit: 50 * time.Microsecond, Jobs: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Check(); err != nil {
		t.Fatal(err)
	}
	// A quarter answer 500; another quarter drop the connection, which
	// Go's transport retries by itself on a fresh one when it can.
	if res.Sent != 200 || res.Failures["status 500"] < 30 || res.Succeeded < 60 {
		t.Errorf("sent %d succeeded %d failed %d (%s): want 200 sent, a quarter to half failed", res.Sent, res.Succeeded, res.Failed, res.FailureSummary())
	}
}

// TestGenerateLoadOpenLoop checks that the generator keeps sending while
// the server stalls (no coordinated omission) and that the stall shows in
// the response times measured from the intended arrival times. The first
// request is held until 40 others have arrived (a closed-loop generator
// would never send them: the test would time out), not for a fixed time
// in which a busy machine may send fewer.
func TestGenerateLoadOpenLoop(t *testing.T) {
	const others = 40
	var first atomic.Bool
	var arrived atomic.Int64
	enough := make(chan struct{})
	var stall atomic.Int64 // ns the first request was held
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if first.CompareAndSwap(false, true) {
			t0 := time.Now()
			select {
			case <-enough:
			case <-time.After(20 * time.Second):
			}
			stall.Store(int64(time.Since(t0)))
		} else if arrived.Add(1) == others {
			close(enough)
		}
		w.Write([]byte("ok"))
	}))
	defer s.Close()
	res, err := Generate(context.Background(), Config{Target: s.URL, Rate: 500, Unit: time.Millisecond, Service: mustSize(t, "det"), Jobs: 200, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-enough:
	default:
		t.Fatalf("only %d requests arrived while the first was held for %v: the generator waited", arrived.Load(), time.Duration(stall.Load()))
	}
	// About 80ms at 500/s; the held request's response covers its hold.
	held := float64(stall.Load()) / 1e6
	if mx := res.Response.Max(); mx < held {
		t.Errorf("max response %.1fms: the held request's %.1fms is missing", mx, held)
	}
}

// TestGenerateLoadCancel stops a long run early: the result keeps what was
// measured, every request is accounted for, and the error says why.
func TestGenerateLoadCancel(t *testing.T) {
	_, ss := workertest.Start(t, 1, worker.Config{Capacity: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	res, err := Generate(ctx, Config{Target: ss[0].URL, Rate: 500, Unit: time.Millisecond, Duration: time.Minute, Seed: 3})
	if err == nil {
		t.Fatal("no error from a cancelled run")
	}
	if el := time.Since(t0); el > 3*time.Second {
		t.Errorf("a cancelled run took %v to stop", el)
	}
	if res == nil || res.Sent == 0 {
		t.Fatalf("no partial result: %+v", res)
	}
	if err := res.Check(); err != nil {
		t.Error(err)
	}
}

// TestGenerateLoadCancelInFlight cancels a run while its requests wait for
// tasks of a minute: they end then, failed as canceled, not a minute later.
func TestGenerateLoadCancelInFlight(t *testing.T) {
	_, ss := workertest.Start(t, 1, worker.Config{Capacity: 4})
	for _, tr := range []http.RoundTripper{nil, NewTransport()} {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		t0 := time.Now()
		res, err := Generate(ctx, Config{Target: ss[0].URL, Transport: tr, Rate: 50, Unit: time.Minute, Service: mustSize(t, "det"), Duration: time.Hour, Seed: 3})
		cancel()
		if err == nil || res == nil {
			t.Fatalf("transport %T: no error from a cancelled run", tr)
		}
		if el := time.Since(t0); el > time.Minute/2 {
			t.Errorf("transport %T: the run ended %v after it began, with tasks of a minute in flight", tr, el)
		}
		if err := res.Check(); err != nil {
			t.Error(err)
		}
		if res.Sent == 0 || res.Failed != res.Failures["canceled"] || res.Succeeded != 0 {
			t.Errorf("transport %T: %d sent, %d succeeded, failures %s: want every request canceled", tr, res.Sent, res.Succeeded, res.FailureSummary())
		}
	}
}

func TestLoadConfigErrors(t *testing.T) {
	cases := []Config{
		{Rate: 1, Unit: time.Millisecond, Jobs: 1},                          // no target
		{Target: "http://x", Rate: 0, Unit: time.Millisecond, Jobs: 1},      // no rate
		{Target: "http://x", Rate: 1, Unit: 0, Jobs: 1},                     // no unit
		{Target: "http://x", Rate: 1, Unit: time.Millisecond},               // unbounded
		{Target: "http://x", Rate: 1, Unit: time.Millisecond, Duration: -1}, // negative
	}
	for i, c := range cases {
		if _, err := Generate(context.Background(), c); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
}

func mustSize(t *testing.T, spec string) *workloads.SizeDist {
	t.Helper()
	d, err := workloads.ParseSize(spec)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestGenerateRequests checks the per-request records against the run's
// own figures: one record per request sent, numbered in order; a
// success's times in the order they happen, and its response split
// exactly into the generator's lateness, the way to the worker, the
// worker's wait, service and lateness and the way back; the aggregates
// the means of the records.
func TestGenerateRequests(t *testing.T) {
	_, ss := workertest.Start(t, 1, worker.Config{Kind: "sleep", Capacity: 2})
	const unit = 200 * time.Microsecond
	var reqs []Request
	res, err := Generate(context.Background(), Config{
		Target: ss[0].URL, Rate: 2000, Unit: unit, Jobs: 300, Seed: 3,
		Warmup:    10 * unit,
		OnRequest: func(r *Request) { reqs = append(reqs, *r) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(reqs)) != res.Sent {
		t.Fatalf("%d records for %d requests sent", len(reqs), res.Sent)
	}
	seen := map[uint64]bool{}
	var fwd, ret, late, asked float64
	var measured uint64
	// The worker's arrival is on the wall clock, the generator's times on
	// the monotonic one: they differ by a constant, to within a
	// microsecond over a test.
	const tol = time.Microsecond
	for _, r := range reqs {
		if seen[r.ID] || r.ID >= res.Sent {
			t.Fatalf("request id %d twice or out of range", r.ID)
		}
		seen[r.ID] = true
		if !r.OK {
			continue
		}
		if !r.ArriveKnown || !r.LateKnown || r.Wait < 0 || r.Service < 0 {
			t.Fatalf("request %d: the worker's figures are missing: %+v", r.ID, r)
		}
		if r.Sent < r.Intended || r.Arrive < r.Sent-tol || r.Done < r.Sent {
			t.Errorf("request %d: times out of order: %+v", r.ID, r)
		}
		if d := r.Service - time.Duration(r.Size*float64(unit)+0.5); d > 1 || d < -1 {
			t.Errorf("request %d: service %v for a size of %.4g units of %v", r.ID, r.Service, r.Size, unit)
		}
		back := r.Done - (r.Arrive + r.Wait + r.Service + r.Late)
		if back < -tol {
			t.Errorf("request %d: the response ended %v before the worker answered", r.ID, -back)
		}
		if r.Measured {
			measured++
			fwd += (r.Arrive - r.Sent).Seconds()
			ret += back.Seconds()
			late += float64(r.Late) / float64(unit)
			asked += r.Size
		}
	}
	if measured != res.Measured || measured == 0 {
		t.Fatalf("%d records measured, the result %d", measured, res.Measured)
	}
	n := float64(measured)
	for _, c := range []struct {
		name      string
		got, want float64
		abs       float64
	}{
		{"forward", res.Forward.Mean(), fwd / n, 2e-6},
		{"return", res.Return.Mean(), ret / n, 2e-6},
		{"late", res.Late.Mean(), late / n, 1e-9},
		{"asked", res.Asked.Mean(), asked / n, 1e-9},
	} {
		// The histograms keep 3 significant digits; a record clamped at 0
		// by a µs of clock difference moves the mean by less than tol.
		if d := math.Abs(c.got - c.want); d > 0.002*math.Abs(c.want)+c.abs {
			t.Errorf("%s: the result's mean %g, the records' %g", c.name, c.got, c.want)
		}
	}
}

// TestGenerateMaxConns checks that MaxConns bounds the connections the
// generator opens, whatever the requests in flight: tasks long enough to
// pile up, sent faster than one connection serves them.
func TestGenerateMaxConns(t *testing.T) {
	ws, _ := workertest.Start(t, 1, worker.Config{Kind: "sleep", Capacity: 16})
	var conns atomic.Int64
	s := httptest.NewUnstartedServer(ws[0])
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	s.Start()
	defer s.Close()
	res, err := Generate(context.Background(), Config{
		Target: s.URL, Rate: 4000, Unit: 5 * time.Millisecond, Service: mustSize(t, "det"), Jobs: 100, Seed: 1, MaxConns: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Succeeded != 100 {
		t.Fatalf("%d of 100 succeeded: %s", res.Succeeded, res.FailureSummary())
	}
	if n := conns.Load(); n > 3 {
		t.Errorf("%d connections opened, want at most 3", n)
	}
}
