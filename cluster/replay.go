package cluster

import (
	"bytes"
	"cmp"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/stratbench/stratbench/cluster/loadgen"
)

// Arrivals collects the requests of a run (its OnRequest) so that the
// model can replay the very jobs the run sent: each one's size, when it
// was due and when the load generator really sent it.
type Arrivals struct {
	mu   sync.Mutex
	reqs []arrival
}

type arrival struct {
	id             uint64
	intended, sent time.Duration
	size           float64
}

// Add records a request; it is an OnRequest.
func (a *Arrivals) Add(r *loadgen.Request) {
	a.mu.Lock()
	a.reqs = append(a.reqs, arrival{r.ID, r.Intended, r.Sent, r.Size})
	a.mu.Unlock()
}

// Len is the number of requests recorded.
func (a *Arrivals) Len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.reqs)
}

// Trace returns the requests as an arrival trace (CSV: time, size; times
// in units of unit from the first arrival, in order), at the times they
// were due, or at the times they were sent when sent is set; and warm,
// how many of them the run left out of its latencies as its warm-up
// (those due before c's Warmup or among its first WarmupJobs), which are
// first in the order of intended times and nearly so in the order of
// sending.
func (a *Arrivals) Trace(c *Config, sent bool) (trace []byte, warm uint64, err error) {
	a.mu.Lock()
	reqs := slices.Clone(a.reqs)
	a.mu.Unlock()
	if len(reqs) < 2 {
		return nil, 0, errors.New("replay: fewer than 2 requests")
	}
	at := func(r arrival) time.Duration {
		if sent {
			return r.sent
		}
		return r.intended
	}
	slices.SortFunc(reqs, func(x, y arrival) int {
		return cmp.Or(cmp.Compare(at(x), at(y)), cmp.Compare(x.id, y.id))
	})
	unit := float64(c.Unit)
	if unit <= 0 {
		unit = float64(time.Millisecond)
	}
	t0 := at(reqs[0])
	var b bytes.Buffer
	b.WriteString("time,size\n")
	for _, r := range reqs {
		b.Write(strconv.AppendFloat(nil, float64(at(r)-t0)/unit, 'g', -1, 64))
		b.WriteByte(',')
		b.Write(strconv.AppendFloat(nil, r.size, 'g', -1, 64))
		b.WriteByte('\n')
		if r.intended < c.Warmup || r.id < c.WarmupJobs {
			warm++
		}
	}
	return b.Bytes(), warm, nil
}
