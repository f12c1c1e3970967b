package worker

import (
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"
)

// LoadPath answers a probe, as a Prequal server does: GET
// /_stratbench/load gives the worker's requests in flight and its estimate
// of the latency of a task that arrived now, in JSON (Load), at most
// MaxLoadBytes. Probes are not tasks: they are counted apart (Info.Probes)
// and never enter the queue.
const LoadPath = "/_stratbench/load"

// MaxLoadBytes bounds a worker's answer at LoadPath; a balancer reads no
// more of it.
const MaxLoadBytes = 256

// Load is a worker's answer to a probe.
type Load struct {
	// RIF is the requests in flight: tasks present, waiting or in service.
	RIF int64 `json:"rif"`
	// LatencyNs is the worker's estimate of the latency (arrival to
	// response) of a task that arrived now, in ns: as the Prequal paper's
	// servers estimate it, the median of the recent latencies of tasks that
	// arrived finding the same requests in flight (RIF+1, themselves
	// included); with none at that count, the nearest count that has some,
	// scaled in proportion; -1 with none at all.
	LatencyNs float64 `json:"latency_ns"`
}

// The latency estimate keeps, per requests in flight at arrival (1 to
// latBuckets, the last bucket taking every count above), the latencies of
// the last latKeep tasks not older than latMaxAge.
const (
	latBuckets = 64
	latKeep    = 16
	latMaxAge  = 10 * time.Second
)

// latencyEstimator is a worker's record of recent latencies by requests in
// flight at arrival.
type latencyEstimator struct {
	mu      sync.Mutex
	samples [latBuckets][latKeep]latSample
	count   [latBuckets]int // samples written to each bucket (ring position: count % latKeep)
	scratch []float64
}

type latSample struct {
	at time.Time
	ns float64
}

func bucketOf(rif int64) int { return int(min(max(rif, 1), latBuckets)) - 1 }

// record notes one finished task: the requests in flight it found at
// arrival (itself included) and its latency.
func (e *latencyEstimator) record(rif int64, ns float64, now time.Time) {
	b := bucketOf(rif)
	e.mu.Lock()
	e.samples[b][e.count[b]%latKeep] = latSample{now, ns}
	e.count[b]++
	e.mu.Unlock()
}

// estimate returns the latency of a task arriving to find rif requests in
// flight (itself included): the median of the fresh samples of its bucket,
// else of the nearest bucket that has some scaled by rif/that count; -1
// with none.
func (e *latencyEstimator) estimate(rif int64, now time.Time) float64 {
	want := bucketOf(rif)
	e.mu.Lock()
	defer e.mu.Unlock()
	for d := 0; d < latBuckets; d++ {
		for _, b := range [2]int{want - d, want + d} {
			if b < 0 || b >= latBuckets {
				continue
			}
			if med, ok := e.median(b, now); ok {
				if b != want {
					med *= float64(want+1) / float64(b+1)
				}
				return med
			}
			if d == 0 {
				break
			}
		}
	}
	return -1
}

// median returns the median of bucket b's fresh samples. Call with mu
// held.
func (e *latencyEstimator) median(b int, now time.Time) (float64, bool) {
	e.scratch = e.scratch[:0]
	for _, s := range e.samples[b][:min(e.count[b], latKeep)] {
		if now.Sub(s.at) <= latMaxAge {
			e.scratch = append(e.scratch, s.ns)
		}
	}
	n := len(e.scratch)
	if n == 0 {
		return 0, false
	}
	slices.Sort(e.scratch)
	if n%2 == 1 {
		return e.scratch[n/2], true
	}
	return (e.scratch[n/2-1] + e.scratch[n/2]) / 2, true
}

// serveLoad answers a probe.
func (w *Worker) serveLoad(rw http.ResponseWriter) {
	w.probes.Add(1)
	rif := w.present.Load()
	l := Load{RIF: rif, LatencyNs: w.lat.estimate(rif+1, time.Now())}
	b, _ := json.Marshal(l)
	rw.Header()["Content-Type"] = jsonType
	rw.Write(append(b, '\n'))
}

var jsonType = []string{"application/json"}
