package worker

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// FaultPath is where a worker started with AcceptFaults takes its faults:
// POST /_stratbench/fault?speed=S serves every task started from then on
// S times as fast (a task of N ns takes N/S: 0.1 stretches it tenfold; a
// timed kind's tasks take the speed at their arrival, when the worker
// schedules them);
// POST /_stratbench/fault?down=D makes it fail every request for D (a
// duration): the tasks in service and the requests that arrive are cut
// off without a response, as a crashed process's connections are, and
// health checks fail, then it serves again. Workers without AcceptFaults
// answer 404 there: a worker reachable from other machines cannot be
// slowed or stopped by them unless its operator asked for it.
const FaultPath = "/_stratbench/fault"

// workerFaults is a worker's fault state.
type workerFaults struct {
	mu        sync.Mutex
	speed     float64
	downUntil time.Time
	abort     chan struct{} // closed when the worker goes down
	// onDown, when set, is called when the worker goes down (its tasks are
	// cut off).
	onDown func()
}

func newWorkerFaults() *workerFaults {
	return &workerFaults{speed: 1, abort: make(chan struct{})}
}

// state returns the speed and whether the worker is down now, and the
// channel closed when it next goes down.
func (f *workerFaults) state() (speed float64, down bool, abort <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.speed, time.Now().Before(f.downUntil), f.abort
}

// serveFault handles POST FaultPath.
func (f *workerFaults) serveFault(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(rw, "POST "+FaultPath+"?speed=S or ?down=D", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	switch {
	case q.Has("speed"):
		s, err := strconv.ParseFloat(q.Get("speed"), 64)
		if err != nil || !(s >= 1e-6 && s <= 1e6) {
			http.Error(rw, "speed must be a number in [1e-6, 1e6]", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.speed = s
		f.mu.Unlock()
	case q.Has("down"):
		d, err := time.ParseDuration(q.Get("down"))
		if err != nil || d <= 0 || d > 24*time.Hour {
			http.Error(rw, "down must be a duration in (0, 24h]", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.downUntil = time.Now().Add(d)
		close(f.abort)
		f.abort = make(chan struct{})
		f.mu.Unlock()
		if f.onDown != nil {
			f.onDown()
		}
	default:
		http.Error(rw, "want speed=S or down=D", http.StatusBadRequest)
		return
	}
	io.WriteString(rw, "ok\n")
}

// faultTask runs task for ns nanoseconds at the worker's current speed,
// and reports aborted when the worker went down meanwhile or is down.
func (f *workerFaults) faultTask(ctx context.Context, task func(context.Context, float64) error, ns float64) (err error, aborted bool) {
	speed, down, abort := f.state()
	if down {
		return nil, true
	}
	tctx, cancel := cancelOn(ctx, abort)
	defer cancel()
	err = task(tctx, ns/speed)
	select {
	case <-abort:
		return err, true
	default:
	}
	return err, false
}

// cancelOn returns a context of ctx that is cancelled when abort closes
// (a fault took the worker down) or when the returned function is called.
func cancelOn(ctx context.Context, abort <-chan struct{}) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := make(chan struct{})
	go func() {
		select {
		case <-abort:
			cancel()
		case <-stop:
		}
	}()
	return ctx, func() { close(stop); cancel() }
}
