package balancer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/strategies"
)

// ProbeStats count the probes the balancer sent for a policy that probes
// (prequal) to the workers' load endpoint (worker.LoadPath). Probes are not
// requests: they are never dispatched, never retried, and never count
// against a backend (its Failed, LastError and liveness are the requests'
// and the health checks' alone).
type ProbeStats struct {
	// Sent probes; Answered those whose answer reached the policy.
	Sent     int64 `json:"sent"`
	Answered int64 `json:"answered"`
	// Timeouts: no complete answer within Limits.ProbeTimeout. Failed: the
	// connection failed (refused, reset, not HTTP, a head too large).
	// Bad: an answer that is not 200, larger than Limits.MaxProbeBytes, or
	// not a load (worker.Load) with values in range.
	Timeouts int64 `json:"timeouts"`
	Failed   int64 `json:"failed"`
	Bad      int64 `json:"bad"`
	// Coalesced: probes the policy asked for while one to the same backend
	// was in flight (that one's answer serves); Dead: probes not sent to a
	// backend marked dead.
	Coalesced int64 `json:"coalesced"`
	Dead      int64 `json:"dead"`
	// InFlight is the probes sent and not yet ended.
	InFlight int64 `json:"in_flight"`
}

// maxProbeRIF and maxProbeLatencyNs bound the values a probe's answer may
// carry (an answer beyond is bad).
const (
	maxProbeRIF       = 1 << 24
	maxProbeLatencyNs = 1e15
)

// prober sends a probing policy's probes and hands their answers back to
// it. At most one probe per backend is in flight, so a backend whose load
// endpoint hangs costs one goroutine until the probe timeout, and never
// holds a request: probes are sent from Pick without waiting, answered on
// their own goroutine, and reach the policy under Balancer.mu as any other
// call.
type prober struct {
	b      *Balancer
	recv   strategies.ProbeReceiver
	client *http.Client
	ctx    context.Context
	cancel context.CancelFunc
	urls   []string
	busy   []atomic.Bool
	wg     sync.WaitGroup
	closed bool // under Balancer.mu

	sent, answered, timeouts, failed, bad, coalesced, dead, inflight atomic.Int64
	perBackend                                                       []atomic.Int64
}

func newProber(b *Balancer, recv strategies.ProbeReceiver) *prober {
	timeout := b.cfg.Limits.ProbeTimeout
	ctx, cancel := context.WithCancel(context.Background())
	p := &prober{
		b: b, recv: recv, ctx: ctx, cancel: cancel,
		busy:       make([]atomic.Bool, len(b.backends)),
		perBackend: make([]atomic.Int64, len(b.backends)),
		client: &http.Client{Transport: &http.Transport{
			Proxy:                  nil, // loopback and private networks: never through a proxy
			DialContext:            (&net.Dialer{Timeout: timeout}).DialContext,
			MaxIdleConnsPerHost:    1,
			IdleConnTimeout:        30 * time.Second,
			ResponseHeaderTimeout:  timeout,
			MaxResponseHeaderBytes: 4 << 10,
			DisableCompression:     true,
		}},
	}
	for _, be := range b.backends {
		p.urls = append(p.urls, "http://"+be.addr+worker.LoadPath)
	}
	return p
}

// send sends a probe of backend i unless one is in flight or the backend
// is marked dead. Call with Balancer.mu held.
func (p *prober) send(i int) {
	if p.closed || i < 0 || i >= len(p.urls) {
		return
	}
	if !p.b.backends[i].alive.Load() && !p.b.panicking {
		p.dead.Add(1)
		return
	}
	if !p.busy[i].CompareAndSwap(false, true) {
		p.coalesced.Add(1)
		return
	}
	p.sent.Add(1)
	p.perBackend[i].Add(1)
	p.inflight.Add(1)
	p.wg.Add(1)
	go p.probe(i)
}

// probe asks backend i for its load and gives the answer to the policy.
func (p *prober) probe(i int) {
	defer p.wg.Done()
	defer p.inflight.Add(-1)
	defer p.busy[i].Store(false)
	rif, latNs, err := p.fetch(i)
	switch {
	case err == nil:
	case errors.Is(err, errProbeBad):
		p.bad.Add(1)
		return
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		p.timeouts.Add(1)
		return
	default:
		p.failed.Add(1)
		return
	}
	lat := -1.0
	if latNs >= 0 {
		lat = latNs / p.b.unitNs
	}
	p.b.mu.Lock()
	if !p.closed {
		p.recv.ProbeAnswered(view{p.b}, i, rif, lat)
		p.answered.Add(1)
	}
	p.b.mu.Unlock()
}

// errProbeBad marks an answer that came back but is not a load.
var errProbeBad = errors.New("bad probe answer")

// fetch gets backend i's load: its requests in flight and latency
// estimate in ns (< 0: none).
func (p *prober) fetch(i int) (rif int, latNs float64, err error) {
	ctx, cancel := context.WithTimeout(p.ctx, p.b.cfg.Limits.ProbeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.urls[i], nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	limit := int64(p.b.cfg.Limits.MaxProbeBytes)
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("%w: status %s", errProbeBad, resp.Status)
	}
	if resp.ContentLength > limit {
		return 0, 0, fmt.Errorf("%w: %d bytes, more than %d", errProbeBad, resp.ContentLength, limit)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return 0, 0, err
	}
	if int64(len(body)) > limit {
		return 0, 0, fmt.Errorf("%w: more than %d bytes", errProbeBad, limit)
	}
	return parseLoad(body)
}

// parseLoad reads a worker's load (worker.Load): rif a whole number in
// [0, maxProbeRIF], latency_ns a number up to maxProbeLatencyNs (< 0: no
// estimate). Fields it does not know are ignored.
func parseLoad(body []byte) (rif int, latNs float64, err error) {
	var l struct {
		RIF       *float64 `json:"rif"`
		LatencyNs *float64 `json:"latency_ns"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&l); err != nil {
		return 0, 0, fmt.Errorf("%w: %v", errProbeBad, err)
	}
	if dec.More() {
		return 0, 0, fmt.Errorf("%w: more than one value", errProbeBad)
	}
	switch {
	case l.RIF == nil || l.LatencyNs == nil:
		return 0, 0, fmt.Errorf("%w: rif or latency_ns missing", errProbeBad)
	case !(*l.RIF >= 0 && *l.RIF <= maxProbeRIF) || *l.RIF != math.Trunc(*l.RIF):
		return 0, 0, fmt.Errorf("%w: rif %g is not a whole number in [0, %d]", errProbeBad, *l.RIF, maxProbeRIF)
	case !(*l.LatencyNs <= maxProbeLatencyNs):
		return 0, 0, fmt.Errorf("%w: latency_ns %g above %g", errProbeBad, *l.LatencyNs, maxProbeLatencyNs)
	}
	return int(*l.RIF), *l.LatencyNs, nil
}

// close stops sending probes and waits for those in flight (their
// timeouts bound the wait).
func (p *prober) close() {
	p.b.mu.Lock()
	p.closed = true
	p.b.mu.Unlock()
	p.cancel()
	p.wg.Wait()
	p.client.CloseIdleConnections()
}

// stats returns the probe counters.
func (p *prober) stats() ProbeStats {
	return ProbeStats{
		Sent: p.sent.Load(), Answered: p.answered.Load(), Timeouts: p.timeouts.Load(), Failed: p.failed.Load(),
		Bad: p.bad.Load(), Coalesced: p.coalesced.Load(), Dead: p.dead.Load(), InFlight: p.inflight.Load(),
	}
}

// probeView is the view of a balancer whose policy probes: it sends the
// policy's probes (strategies.AsyncProber).
type probeView struct{ view }

// SendProbe implements strategies.AsyncProber.
func (v probeView) SendProbe(i int) { v.b.prober.send(i) }
