package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/stratbench/stratbench/cluster/balancer"
	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/internal/ptimer"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

// Config describes open-loop HTTP load: requests sent at times drawn
// from an arrival process, whatever the responses do.
type Config struct {
	// Target is the base URL requests go to (http://host:port).
	Target string
	// Transport sends the requests; nil means fasthttp's client, pooled
	// keep-alive connections on which the sending goroutine writes each
	// request and reads its response itself (net/http's client hands both
	// to goroutines of the connection: measured 30% more CPU a request). A
	// *balancer.Balancer here balances on the client side, with no proxy hop.
	Transport http.RoundTripper
	// Rate is the mean number of requests per second (> 0).
	Rate float64
	// Arrival is the arrival process (nil: poisson).
	Arrival *workloads.ArrivalSpec
	// Service is the distribution of task sizes, in Unit (nil: exp, mean 1).
	Service *workloads.SizeDist
	// Unit is the real duration of one unit of size (> 0).
	Unit time.Duration
	// Jobs stops after this many requests; Duration stops sending once the
	// next arrival would be later than this. At least one must be set.
	Jobs     uint64
	Duration time.Duration
	// Warmup: requests whose intended arrival is earlier than this are sent
	// and accounted for but left out of the latency figures; so are the
	// first WarmupJobs requests.
	Warmup     time.Duration
	WarmupJobs uint64
	// Seed seeds the arrival, size and key streams (the simulator's streams
	// for the same seed, so both engines see the same jobs).
	Seed uint64
	// Timeout bounds each request (default 30s).
	Timeout time.Duration
	// MaxInFlight bounds the requests outstanding at once (default 10000):
	// a request due when the bound is reached fails at once, counted as
	// "client: too many in flight", rather than waiting (which would hide
	// the overload; see coordinated omission).
	MaxInFlight int
	// MaxConns, when > 0, bounds the connections the default transport
	// opens to the target: a request due when all are busy waits for one
	// (its response time counts from its intended arrival all the same)
	// rather than open one more. Without a bound, every burst of late
	// sends (a stall of the machine) opens as many new connections as it
	// has requests, which the balancer then holds open for the rest of the
	// run: hundreds where a handful are ever busy at once.
	MaxConns int
	// Progress, when set, is called about every 100ms with the requests
	// sent so far and the total (0 when the run is bounded by time only).
	Progress func(sent, total uint64)
	// OnStart, when set, is called with the time the load starts (the
	// origin of the arrival times) before the first request is due.
	OnStart func(start time.Time)
	// OnDone, when set, is told of every measured request as it ends: its
	// intended arrival in units since the start, the worker that served
	// it ("" when unknown), its response time in units and whether it
	// succeeded. Calls are serialized.
	OnDone func(at float64, worker string, response float64, ok bool)
	// OnRequest, when set, is told of every request as it ends, measured
	// or not, with its times (Request). Calls are serialized.
	OnRequest func(r *Request)
}

// Request is one request as the load generator and the worker saw it: the
// evidence behind the aggregate figures. Times on the generator's clock
// are offsets from Result.Start; the worker's arrival is on the worker's
// wall clock, comparable on one machine.
type Request struct {
	// ID numbers the requests in order of intended arrival (from 0).
	ID uint64
	// Size is the task's size in units, as asked.
	Size float64
	// Intended is when it was due, Sent when the generator sent it, Done
	// when its response (or failure) ended: offsets from the start.
	Intended, Sent, Done time.Duration
	// Arrive is when it reached the worker, as an offset from the start
	// by the worker's wall clock (HeaderArrive); ArriveKnown says whether
	// the worker said.
	Arrive      time.Duration
	ArriveKnown bool
	// Wait and Service are the worker's figures (HeaderWait,
	// HeaderService), -1 when it did not say; Late is HeaderLate (which
	// may be negative), LateKnown whether the worker said.
	Wait, Service, Late time.Duration
	LateKnown           bool
	// Worker is the worker that served it ("" when unknown).
	Worker string
	// OK: it succeeded; Measured: it counts in the latency figures (it
	// succeeded and was due after the warm-up).
	OK, Measured bool
}

// Result is what a load run measured. Every request the generator
// issued is either a success or a failure: Sent = Succeeded + Failed.
type Result struct {
	Sent, Succeeded, Failed uint64
	// Failures counts failed requests by reason ("status 502", "timeout",
	// "connection refused", ...).
	Failures map[string]uint64
	// Measured counts the successes recorded in the latency figures (those
	// intended after the warm-up).
	Measured uint64
	// Response is measured from each request's intended arrival time to the
	// end of its response, in Unit: lateness of the generator counts.
	Response *metrics.Latency
	// Service and Wait are the times the worker reports (in service, and
	// waiting for a free slot), in Unit.
	Service, Wait *metrics.Latency
	// Overhead is the time spent outside the worker's queue and service:
	// network, HTTP and balancer, in seconds.
	Overhead *metrics.Latency
	// Lag is how late the generator sent each request, in seconds.
	Lag *metrics.Latency
	// Forward and Return split Overhead, where the worker said when the
	// task reached it (HeaderArrive): from the send to the worker's arrival,
	// and from the worker's answer to the end of the response, in seconds.
	Forward, Return *metrics.Latency
	// Late is how late the worker answered after the task was due, for
	// timed kinds (HeaderLate), in Unit (it may be negative: the worker
	// wakes on its due time on average).
	Late Mean
	// Asked is the mean size asked of the measured requests, in Unit.
	Asked Mean
	// Batches are the mean responses (in Unit) of Batches consecutive
	// spans of the measured requests' intended arrivals (by time with a
	// Duration, by number with Jobs), BatchN their counts: the run's
	// batch means (metrics.BatchMeans).
	Batches [Batches]float64
	BatchN  [Batches]int64
	// PerWorker counts successes by the worker that served them
	// (the X-Stratbench-worker.Worker header).
	PerWorker map[string]uint64
	// Start is when the first arrival was due; Wall runs from Start to the
	// last response; SendSpan from the first send to the last.
	Start    time.Time
	Wall     time.Duration
	SendSpan time.Duration
}

// Batches is the number of spans of arrivals a Result's batch means cover.
const Batches = 120

// Mean is a running mean.
type Mean struct {
	Sum float64
	N   uint64
}

// Add adds x.
func (m *Mean) Add(x float64) { m.Sum += x; m.N++ }

// Mean is the mean of what was added, NaN when nothing was.
func (m *Mean) Mean() float64 {
	if m.N == 0 {
		return math.NaN()
	}
	return m.Sum / float64(m.N)
}

// Check verifies the accounting: every request sent either succeeded or
// failed.
func (r *Result) Check() error {
	if r.Sent != r.Succeeded+r.Failed {
		return fmt.Errorf("request accounting broken: sent %d != succeeded %d + failed %d", r.Sent, r.Succeeded, r.Failed)
	}
	var sum uint64
	for _, n := range r.Failures {
		sum += n
	}
	if sum != r.Failed {
		return fmt.Errorf("request accounting broken: failures by reason add up to %d, not %d", sum, r.Failed)
	}
	return nil
}

// FailureSummary lists the failure reasons with their counts, most
// frequent first: "12 status 502, 3 timeout".
func (r *Result) FailureSummary() string {
	type kv struct {
		k string
		n uint64
	}
	var xs []kv
	for k, n := range r.Failures {
		xs = append(xs, kv{k, n})
	}
	slices.SortFunc(xs, func(a, b kv) int {
		if a.n != b.n {
			return int(b.n) - int(a.n)
		}
		return strings.Compare(a.k, b.k)
	})
	var parts []string
	for _, x := range xs {
		parts = append(parts, fmt.Sprintf("%d %s", x.n, x.k))
	}
	return strings.Join(parts, ", ")
}

func (c *Config) validate() error {
	switch {
	case c.Target == "":
		return errors.New("load: no target")
	case !(c.Rate > 0) || math.IsInf(c.Rate, 0):
		return fmt.Errorf("load: rate must be a positive number of requests per second, got %g", c.Rate)
	case c.Unit <= 0:
		return fmt.Errorf("load: unit must be > 0, got %v", c.Unit)
	case c.Jobs == 0 && c.Duration <= 0:
		return errors.New("load: give a number of jobs or a duration")
	case c.Duration < 0 || c.Warmup < 0 || c.Timeout < 0:
		return errors.New("load: durations must be >= 0")
	}
	return nil
}

// NewTransport returns a pooled net/http transport with keep-alive
// connections, as many as there are requests in flight, for callers that
// send through net/http (the load generator's own client is fasthttp's).
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 4096,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

// Generate sends open-loop requests to cfg.Target until the jobs or the
// duration are done, waits for the last responses and returns what it
// measured. Response times run from each request's intended arrival time,
// so a generator or a system that falls behind cannot hide it (no
// coordinated omission). If ctx is cancelled it stops sending, cancels the
// requests in flight (counted as failed, reason "canceled") and returns
// the result with ctx's error.
func Generate(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Arrival == nil {
		cfg.Arrival, _ = workloads.ParseArrival("poisson")
	}
	if cfg.Service == nil {
		cfg.Service, _ = workloads.ParseSize("exp")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 10000
	}
	snd, err := newSender(cfg.Target, cfg.Transport, cfg.MaxConns, cfg.Timeout)
	if err != nil {
		return nil, err
	}
	defer snd.close()
	// A cancelled run ends the requests in flight at once.
	defer context.AfterFunc(ctx, snd.close)()
	unitNs := float64(cfg.Unit.Nanoseconds())
	unitSec := cfg.Unit.Seconds()
	// The scenario's streams of replication 0, as the simulator draws them.
	arrivals := cfg.Arrival.Process(cfg.Rate*unitSec, 1, workloads.NewSource(cfg.Seed, uint64(scenario.StreamArrivals)))
	sizes := cfg.Service.Sampler(workloads.NewSource(cfg.Seed, uint64(scenario.StreamSizes)))
	keySalt := workloads.NewSource(cfg.Seed, uint64(scenario.StreamKeys)).Uint64()

	res := &Result{
		Failures:  map[string]uint64{},
		PerWorker: map[string]uint64{},
		Response:  metrics.NewLatency(1e-6),
		Service:   metrics.NewLatency(1e-6),
		Wait:      metrics.NewLatency(1e-6),
		Overhead:  metrics.NewLatency(1e-9),
		Lag:       metrics.NewLatency(1e-9),
		Forward:   metrics.NewLatency(1e-9),
		Return:    metrics.NewLatency(1e-9),
	}
	var (
		mu        sync.Mutex // guards res's recorders and maps, lastDone, firstSend, lastSend
		wg        sync.WaitGroup
		inflight  atomic.Int64
		sent      atomic.Uint64
		lastDone  time.Time
		firstSend time.Time
		lastSend  time.Time
	)
	fail := func(reason string) {
		mu.Lock()
		res.Failed++
		res.Failures[reason]++
		mu.Unlock()
	}
	warmupUnits := float64(cfg.Warmup.Nanoseconds()) / unitNs
	durUnits := math.Inf(1)
	if cfg.Duration > 0 {
		durUnits = float64(cfg.Duration.Nanoseconds()) / unitNs
	}
	stopProgress := func() {}
	if cfg.Progress != nil {
		pctx, cancel := context.WithCancel(ctx)
		var pwg sync.WaitGroup
		pwg.Go(func() {
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-pctx.Done():
					return
				case <-t.C:
					cfg.Progress(sent.Load(), cfg.Jobs)
				}
			}
		})
		stopProgress = func() { cancel(); pwg.Wait() }
	}

	// batchOf is the batch of a measured request intended at at (units),
	// the id-th sent.
	batchOf := func(at float64, id uint64) int {
		f := 0.0
		switch {
		case !math.IsInf(durUnits, 1) && durUnits > warmupUnits:
			f = (at - warmupUnits) / (durUnits - warmupUnits)
		case cfg.Jobs > cfg.WarmupJobs:
			f = float64(id-cfg.WarmupJobs) / float64(cfg.Jobs-cfg.WarmupJobs)
		}
		return min(max(int(f*Batches), 0), Batches-1)
	}
	ptimer.Start() // before the clock
	start := time.Now()
	res.Start = start
	if cfg.OnStart != nil {
		cfg.OnStart(start)
	}
	at := 0.0 // intended arrival time in units since start
	for id := uint64(0); cfg.Jobs == 0 || id < cfg.Jobs; id++ {
		gap, size := arrivals.Next()
		at += gap
		if at >= durUnits || math.IsInf(at, 1) {
			break
		}
		if size < 0 {
			size = sizes.Sample()
		}
		intended := start.Add(time.Duration(at * unitNs))
		if ptimer.SleepUntil(ctx, intended) != nil {
			break
		}
		sent.Add(1)
		if inflight.Load() >= int64(cfg.MaxInFlight) {
			fail("client: too many in flight")
			if cfg.OnRequest != nil {
				now := time.Now()
				mu.Lock()
				cfg.OnRequest(&Request{ID: id, Size: size, Intended: intended.Sub(start), Sent: now.Sub(start), Done: now.Sub(start), Wait: -1, Service: -1})
				mu.Unlock()
			}
			if cfg.OnDone != nil && at >= warmupUnits && id >= cfg.WarmupJobs {
				mu.Lock()
				cfg.OnDone(at, "", 0, false) // never sent: lost, at no server
				mu.Unlock()
			}
			continue
		}
		measured := at >= warmupUnits && id >= cfg.WarmupJobs
		jobAt := at // at moves on with the loop
		jobSize := size
		key := strconv.FormatUint(strategies.Mix64(id^keySalt), 10)
		uri := worker.WorkPath + "?ns=" + strconv.FormatInt(int64(size*unitNs+0.5), 10) +
			"&key=" + key + "&id=" + strconv.FormatUint(id, 10)
		inflight.Add(1)
		wg.Go(func() {
			defer inflight.Add(-1)
			sendAt := time.Now()
			rep, err := snd.send(ctx, sendAt.Add(cfg.Timeout), uri, key)
			status, waitNs, svcNs, lateNs, arriveNs, workerAddr := rep.status, rep.wait, rep.svc, rep.late, rep.arrive, rep.worker
			done := time.Now()
			mu.Lock()
			defer mu.Unlock()
			ok := err == nil && status == http.StatusOK
			if cfg.OnRequest != nil {
				r := Request{
					ID: id, Size: jobSize, Intended: intended.Sub(start), Sent: sendAt.Sub(start), Done: done.Sub(start),
					Wait: -1, Service: -1, Worker: workerAddr, OK: ok, Measured: ok && measured,
				}
				if arriveNs > 0 {
					r.Arrive, r.ArriveKnown = time.Duration(arriveNs-start.UnixNano()), true
				}
				if ok && waitNs >= 0 && svcNs >= 0 {
					r.Wait, r.Service = time.Duration(waitNs), time.Duration(svcNs)
				}
				if ok && !math.IsNaN(lateNs) {
					r.Late, r.LateKnown = time.Duration(lateNs), true
				}
				cfg.OnRequest(&r)
			}
			if firstSend.IsZero() || sendAt.Before(firstSend) {
				firstSend = sendAt
			}
			if sendAt.After(lastSend) {
				lastSend = sendAt
			}
			if done.After(lastDone) {
				lastDone = done
			}
			if !ok {
				reason := failureReason(err, status)
				if err != nil && ctx.Err() != nil {
					reason = "canceled" // the run was stopped, whatever the request met
				}
				res.Failed++
				res.Failures[reason]++
				if cfg.OnDone != nil && measured {
					cfg.OnDone(jobAt, workerAddr, float64(done.Sub(intended).Nanoseconds())/unitNs, false)
				}
				return
			}
			res.Succeeded++
			if workerAddr != "" {
				res.PerWorker[workerAddr]++
			}
			if !measured {
				return
			}
			res.Measured++
			resp := float64(done.Sub(intended).Nanoseconds()) / unitNs
			res.Response.Record(resp)
			b := batchOf(jobAt, id)
			res.Batches[b] += resp
			res.BatchN[b]++
			if cfg.OnDone != nil {
				cfg.OnDone(jobAt, workerAddr, float64(done.Sub(intended).Nanoseconds())/unitNs, true)
			}
			res.Lag.Record(sendAt.Sub(intended).Seconds())
			res.Asked.Add(jobSize)
			if svcNs >= 0 && waitNs >= 0 {
				res.Service.Record(svcNs / unitNs)
				res.Wait.Record(waitNs / unitNs)
				late := 0.0
				if !math.IsNaN(lateNs) {
					late = lateNs
					res.Late.Add(lateNs / unitNs)
				}
				res.Overhead.Record(max(float64(done.Sub(sendAt).Nanoseconds())-svcNs-waitNs-late, 0) / 1e9)
				if arriveNs > 0 {
					// The worker's wall clock against this process's: on one
					// machine the same clock, read a few µs apart.
					fwd := float64(arriveNs - sendAt.UnixNano())
					ret := float64(done.UnixNano()-arriveNs) - waitNs - svcNs - late
					res.Forward.Record(max(fwd, 0) / 1e9)
					res.Return.Record(max(ret, 0) / 1e9)
				}
			}
		})
	}
	wg.Wait()
	stopProgress()
	if cfg.Progress != nil {
		cfg.Progress(sent.Load(), cfg.Jobs)
	}
	res.Sent = sent.Load()
	if !lastDone.IsZero() {
		res.Wall = lastDone.Sub(start)
	}
	if !firstSend.IsZero() {
		res.SendSpan = lastSend.Sub(firstSend)
	}
	if err := res.Check(); err != nil {
		return res, err
	}
	return res, ctx.Err()
}

// failureReason names why a request failed, in a few stable classes.
func failureReason(err error, status int) string {
	switch {
	case err == nil:
		return "status " + strconv.Itoa(status)
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.Is(err, balancer.ErrNoBackend):
		return "no backend"
	}
	return "transport error"
}
