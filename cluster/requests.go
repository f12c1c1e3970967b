package cluster

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stratbench/stratbench/cluster/loadgen"
)

// RequestLog writes every request of cluster runs as one CSV line: the
// evidence behind a run's aggregate figures, per request. Columns (times
// in µs from the start of the run's load, on the load generator's clock;
// arrive on the worker's wall clock, the same clock on one machine; empty
// when the worker did not say):
//
//	case       the run's name (CaseName)
//	id         the request's number, in order of intended arrival
//	size       the task's size asked, in units
//	intended   when it was due
//	sent       when the load generator sent it
//	arrive     when it reached the worker
//	wait       how long it waited at the worker (the worker's figure)
//	service    how long it was in service (the worker's figure)
//	late       how late the worker answered after it was due (timed kinds)
//	done       when its response ended
//	worker     the worker that served it
//	ok         1 when it succeeded
//	measured   1 when it counts in the latency figures
//
// so that, per request, done - intended = (sent - intended) + (arrive -
// sent) + wait + service + late + the way back.
type RequestLog struct {
	mu  sync.Mutex
	w   *bufio.Writer
	err error
	buf []byte
}

// RequestLogHeader is the CSV header RequestLog writes first.
const RequestLogHeader = "case,id,size,intended,sent,arrive,wait,service,late,done,worker,ok,measured\n"

// NewRequestLog returns a log writing to w; it writes the header now.
func NewRequestLog(w io.Writer) *RequestLog {
	l := &RequestLog{w: bufio.NewWriterSize(w, 1<<16)}
	_, l.err = l.w.WriteString(RequestLogHeader)
	return l
}

// For returns the function that logs the requests of the run of c (its
// OnRequest).
func (l *RequestLog) For(c *Config) func(*loadgen.Request) {
	name := csvField(CaseName(c))
	return func(r *loadgen.Request) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.err != nil {
			return
		}
		b := append(l.buf[:0], name...)
		b = append(b, ',')
		b = strconv.AppendUint(b, r.ID, 10)
		b = append(b, ',')
		b = strconv.AppendFloat(b, r.Size, 'g', 7, 64)
		b = appendUs(b, r.Intended, true)
		b = appendUs(b, r.Sent, true)
		b = appendUs(b, r.Arrive, r.ArriveKnown)
		b = appendUs(b, r.Wait, r.Wait >= 0)
		b = appendUs(b, r.Service, r.Service >= 0)
		b = appendUs(b, r.Late, r.LateKnown)
		b = appendUs(b, r.Done, true)
		b = append(b, ',')
		b = append(b, csvField(r.Worker)...)
		b = append(b, ',', bit(r.OK), ',', bit(r.Measured), '\n')
		l.buf = b
		_, l.err = l.w.Write(b)
	}
}

// Flush writes what is buffered and returns the first error met.
func (l *RequestLog) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	return l.w.Flush()
}

// appendUs appends ",d" with d in µs to 3 decimals, or "," when not known.
func appendUs(b []byte, d time.Duration, known bool) []byte {
	b = append(b, ',')
	if !known {
		return b
	}
	return strconv.AppendFloat(b, float64(d)/1e3, 'f', 3, 64)
}

func bit(ok bool) byte {
	if ok {
		return '1'
	}
	return '0'
}

// csvField quotes s when CSV needs it (names hold no commas or quotes, but
// a worker's address comes from the network).
func csvField(s string) string {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\n', '\r':
			return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
	}
	return s
}
