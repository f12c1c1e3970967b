package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/stratbench/stratbench/internal/field"
	"github.com/stratbench/stratbench/internal/ptimer"
	"github.com/stratbench/stratbench/workloads"
)

// Paths served by workers and by our balancer.
const (
	// WorkPath runs one task: GET /work?ns=N[&key=K]. N is the task's
	// service time in nanoseconds at speed 1 (0 is an empty task).
	WorkPath = "/work"
	// HealthPath answers 200 while the process serves.
	HealthPath = "/healthz"
	// InfoPath answers a JSON Info.
	InfoPath = "/_stratbench/info"
)

// Response headers a worker sets on every task.
const (
	// HeaderWait is the time the task waited for a free slot, in ns.
	HeaderWait = "X-Stratbench-Wait-Ns"
	// HeaderService is the time the task was in service, in ns.
	HeaderService = "X-Stratbench-Service-Ns"
	// HeaderWorker is the worker's listening address.
	HeaderWorker = "X-Stratbench-Worker"
	// HeaderArrive is when the task reached the worker (its handler began),
	// in ns since the Unix epoch on the worker's wall clock: processes on
	// one machine share that clock, so a load generator there can split its
	// transport into the way to the worker and the way back.
	HeaderArrive = "X-Stratbench-Arrive-Unix-Ns"
	// HeaderLate is, for a timed kind (sleep), how late the worker answered
	// after the task was due (wait plus service after its arrival), in ns:
	// the machine's lateness in waking it, which the worker keeps out of
	// its schedule (negative when it woke early: it wakes on its due time
	// on average).
	HeaderLate = "X-Stratbench-Late-Ns"
)

// KindInfo is one row of the catalog of work kinds.
type KindInfo struct {
	Name string
	Help string
	// New returns the function that performs a task of ns nanoseconds. It
	// must return early with ctx's error when ctx is cancelled, where it can.
	New func() (func(ctx context.Context, ns float64) error, error)
	// Timed kinds do nothing but last their time: the worker serves them
	// on its FIFO schedule (see Worker), not by running New's function.
	Timed bool
}

// Kinds is the catalog of what a worker does for one request.
var Kinds = []KindInfo{
	{"sleep", "wait for the task's time without using a CPU: a worker is one unit of capacity, as in the simulator (FIFO: a task is due its time after it arrived or after the task before it was due, whichever is later, so a late wake-up delays no other task)", newSleepTask, true},
	{"spin", "burn the CPU for the task's time (calibrated spin loop): workers compete for the machine's cores", newSpinTask, false},
	{"xml", "process a generated XML document for about the task's time (encoding/xml token scan, calibrated)", newXMLTask, false},
}

// KindNames lists the catalog's names.
func KindNames() []string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = k.Name
	}
	return names
}

func kind(name string) (KindInfo, error) {
	i := slices.IndexFunc(Kinds, func(k KindInfo) bool { return k.Name == name })
	if i < 0 {
		return KindInfo{}, fmt.Errorf("unknown worker kind %q (known: %s)", name, strings.Join(KindNames(), ", "))
	}
	return Kinds[i], nil
}

func newSleepTask() (func(context.Context, float64) error, error) {
	ptimer.Start() // before the first task
	return func(ctx context.Context, ns float64) error {
		if ns <= 0 {
			return nil
		}
		return ptimer.SleepUntil(ctx, time.Now().Add(time.Duration(ns)))
	}, nil
}

func newSpinTask() (func(context.Context, float64) error, error) {
	workloads.Calibrate()
	return func(_ context.Context, ns float64) error {
		workloads.Spin(ns)
		return nil
	}, nil
}

// Config configures a worker process.
type Config struct {
	// Listen is the address to listen on; port 0 picks a free port.
	Listen string
	// Kind is the work done for a request (Kinds).
	Kind string
	// Capacity is the number of tasks in service at once (default 1); the
	// others wait in FIFO order.
	Capacity int
	// AcceptFaults serves FaultPath, through which run cluster slows the
	// worker down or makes it fail (off: 404 there).
	AcceptFaults bool
}

func (c *Config) withDefaults() (Config, error) {
	w := *c
	if w.Listen == "" {
		w.Listen = "127.0.0.1:0"
	}
	if w.Kind == "" {
		w.Kind = "sleep"
	}
	if w.Capacity == 0 {
		w.Capacity = 1
	}
	if w.Capacity < 0 {
		return w, fmt.Errorf("worker capacity must be >= 1, got %d", w.Capacity)
	}
	if _, err := kind(w.Kind); err != nil {
		return w, err
	}
	return w, nil
}

// Validate checks c.
func (c *Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

// Fields are the settings of a Config as a field table (the flags of
// `stratbench worker`).
func Fields() []field.Field[Config] {
	return []field.Field[Config]{
		field.Text("listen", "address to listen on (port 0: any free port)", "127.0.0.1:0", func(c *Config) *string { return &c.Listen }),
		field.Text("kind", "what a task does: "+strings.Join(KindNames(), ", "), "sleep", func(c *Config) *string { return &c.Kind }),
		field.Count("capacity", "tasks in service at once; the rest wait in FIFO order", "1", 1, func(c *Config) *int { return &c.Capacity }),
		field.Flag("accept_faults", "let POST "+FaultPath+"?speed=S or ?down=D slow this worker or make it fail (run cluster --fault)", func(c *Config) *bool { return &c.AcceptFaults }),
	}
}

// Info is what a worker answers at InfoPath.
type Info struct {
	Kind     string `json:"kind"`
	Capacity int    `json:"capacity"`
	PID      int    `json:"pid"`
	// Served counts finished tasks; Failed counts tasks abandoned because
	// the client went away.
	Served    int64 `json:"served"`
	Failed    int64 `json:"failed"`
	InService int64 `json:"in_service"`
	Waiting   int64 `json:"waiting"`
	// MaxPresent is the largest number of tasks present at once (waiting
	// plus in service) since the worker started.
	MaxPresent int64 `json:"max_present"`
	// Probes counts the probes answered at LoadPath.
	Probes int64 `json:"probes"`
}

// Worker is the HTTP handler of a worker: at most Capacity tasks in
// service, the rest waiting in arrival order.
//
// A timed kind (sleep) keeps the FIFO schedule of the simulator's servers
// rather than a queue of goroutines: each task, as it arrives, is given
// the time it begins (when it arrived or when a slot is due to be free,
// whichever is later) and the time it is due, and is answered then, on the
// process's precise timer (internal/ptimer). Its wait and service are the
// scheduled ones; how late the machine let the worker answer is HeaderLate.
// So a stall of the machine (a descheduled process, a late timer) delays
// the answers due during it, not the service of every task behind them:
// the worker is the model's server, and the stall is counted apart.
// Other kinds run their tasks, Capacity at once, the rest waiting for a
// slot in arrival order, and report the times they really took.
type Worker struct {
	cfg        Config
	task       func(context.Context, float64) error
	sched      *schedule // timed kinds only
	epoch      time.Time // the origin of sched's times
	slots      chan struct{}
	addr       atomic.Value // string
	served     atomic.Int64
	failed     atomic.Int64
	inService  atomic.Int64
	waiting    atomic.Int64
	present    atomic.Int64
	maxPresent atomic.Int64
	probes     atomic.Int64
	lat        latencyEstimator
	faults     *workerFaults // nil unless AcceptFaults
}

// New returns a worker handler for cfg.
func New(cfg Config) (*Worker, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	k, _ := kind(c.Kind)
	task, err := k.New()
	if err != nil {
		return nil, fmt.Errorf("worker kind %s: %w", c.Kind, err)
	}
	w := &Worker{cfg: c, task: task, slots: make(chan struct{}, c.Capacity), epoch: time.Now()}
	if k.Timed {
		w.sched = newSchedule(c.Capacity)
	}
	if c.AcceptFaults {
		w.faults = newWorkerFaults()
		if w.sched != nil {
			w.faults.onDown = w.sched.reset
		}
	}
	w.addr.Store(c.Listen)
	return w, nil
}

// Info returns the worker's counters.
//
// A timed kind's tasks in service are the first Capacity of those present
// (on its FIFO schedule the others wait).
func (w *Worker) Info() Info {
	in := Info{
		Kind:       w.cfg.Kind,
		Capacity:   w.cfg.Capacity,
		PID:        os.Getpid(),
		Served:     w.served.Load(),
		Failed:     w.failed.Load(),
		InService:  w.inService.Load(),
		Waiting:    w.waiting.Load(),
		MaxPresent: w.maxPresent.Load(),
		Probes:     w.probes.Load(),
	}
	if w.sched != nil {
		p := w.present.Load()
		in.InService = min(p, int64(w.cfg.Capacity))
		in.Waiting = p - in.InService
	}
	return in
}

// ServeHTTP serves WorkPath, HealthPath, InfoPath and LoadPath.
func (w *Worker) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if w.faults != nil {
		if r.URL.Path == FaultPath {
			w.faults.serveFault(rw, r)
			return
		}
		if _, down, _ := w.faults.state(); down {
			panic(http.ErrAbortHandler) // as a crashed process: no response
		}
	}
	switch r.URL.Path {
	case WorkPath:
		w.serveWork(rw, r)
	case HealthPath:
		rw.Header().Set("Content-Type", "text/plain")
		io.WriteString(rw, "ok\n")
	case InfoPath:
		rw.Header().Set("Content-Type", "application/json")
		json.NewEncoder(rw).Encode(w.Info())
	case LoadPath:
		w.serveLoad(rw)
	default:
		http.NotFound(rw, r)
	}
}

func (w *Worker) serveWork(rw http.ResponseWriter, r *http.Request) {
	ns, err := taskNs(r)
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	t0 := time.Now()
	rif := w.present.Add(1) // requests in flight it finds, itself included
	for p := rif; ; {
		m := w.maxPresent.Load()
		if p <= m || w.maxPresent.CompareAndSwap(m, p) {
			break
		}
	}
	defer w.present.Add(-1)
	if w.sched != nil {
		w.serveTimed(rw, ctx, ns, t0, rif)
		return
	}
	w.waiting.Add(1)
	select {
	case w.slots <- struct{}{}: // channel senders queue in FIFO order
	case <-ctx.Done():
		w.waiting.Add(-1)
		w.failed.Add(1)
		return
	}
	w.waiting.Add(-1)
	w.inService.Add(1)
	t1 := time.Now()
	aborted := false
	if w.faults == nil {
		err = w.task(ctx, ns)
	} else {
		err, aborted = w.faults.faultTask(ctx, w.task, ns)
	}
	t2 := time.Now()
	w.inService.Add(-1)
	<-w.slots
	if aborted {
		w.failed.Add(1)
		panic(http.ErrAbortHandler) // the worker went down: cut the connection
	}
	if err != nil {
		w.failed.Add(1)
		http.Error(rw, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.served.Add(1)
	w.lat.record(rif, float64(t2.Sub(t0).Nanoseconds()), t2)
	h := rw.Header()
	h["Content-Type"] = textPlain
	h[HeaderWait] = []string{strconv.FormatInt(t1.Sub(t0).Nanoseconds(), 10)}
	h[HeaderService] = []string{strconv.FormatInt(t2.Sub(t1).Nanoseconds(), 10)}
	h[HeaderArrive] = []string{strconv.FormatInt(t0.UnixNano(), 10)}
	h[HeaderWorker] = []string{w.addr.Load().(string)}
	io.WriteString(rw, "ok\n")
}

// serveTimed serves a task of a timed kind that arrived at t0 (finding rif
// tasks present, itself included) on the worker's schedule: it is
// answered when it is due.
func (w *Worker) serveTimed(rw http.ResponseWriter, ctx context.Context, ns float64, t0 time.Time, rif int64) {
	speed := 1.0
	var abort <-chan struct{}
	if w.faults != nil {
		var down bool
		speed, down, abort = w.faults.state()
		if down {
			w.failed.Add(1)
			panic(http.ErrAbortHandler)
		}
	}
	a := int64(t0.Sub(w.epoch))
	begin, due := w.sched.place(a, int64(ns/speed+0.5))
	sctx := ctx
	if abort != nil {
		var cancel context.CancelFunc
		sctx, cancel = cancelOn(ctx, abort)
		defer cancel()
	}
	// Near, not until: the worker answers on its due time on average, as
	// the model's server does (see ptimer.SleepNear).
	err := ptimer.SleepNear(sctx, w.epoch.Add(time.Duration(due)))
	end := int64(time.Since(w.epoch))
	if abort != nil {
		select {
		case <-abort:
			w.failed.Add(1)
			panic(http.ErrAbortHandler) // the worker went down: cut the connection
		default:
		}
	}
	if err != nil {
		w.failed.Add(1)
		http.Error(rw, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.served.Add(1)
	w.lat.record(rif, float64(end-a), w.epoch.Add(time.Duration(end)))
	h := rw.Header()
	h["Content-Type"] = textPlain
	h[HeaderWait] = []string{strconv.FormatInt(begin-a, 10)}
	h[HeaderService] = []string{strconv.FormatInt(due-begin, 10)}
	h[HeaderLate] = []string{strconv.FormatInt(end-due, 10)}
	h[HeaderArrive] = []string{strconv.FormatInt(t0.UnixNano(), 10)}
	h[HeaderWorker] = []string{w.addr.Load().(string)}
	io.WriteString(rw, "ok\n")
}

var textPlain = []string{"text/plain"}

// taskNs reads the task's service time from the ns query parameter.
func taskNs(r *http.Request) (float64, error) {
	s := QueryValue(r.URL.RawQuery, "ns")
	if s == "" {
		return 0, nil
	}
	ns, err := strconv.ParseFloat(s, 64)
	if err != nil || ns < 0 || math.IsInf(ns, 0) || math.IsNaN(ns) {
		return 0, fmt.Errorf("ns must be a number of nanoseconds >= 0, got %q", s)
	}
	return ns, nil
}

// QueryValue returns the raw value of key in a query string without
// allocating a url.Values map (values here are plain numbers).
func QueryValue(q, key string) string {
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// SetAddr sets the address the worker reports (HeaderWorker) when the
// caller serves it on a listener of its own (Serve sets it itself).
func (w *Worker) SetAddr(addr string) { w.addr.Store(addr) }

// Serve runs a worker on cfg.Listen until ctx is done, then shuts
// down gracefully (tasks in service finish, for up to 5 seconds). ready, if
// not nil, is called with the address it listens on.
func Serve(ctx context.Context, cfg Config, ready func(addr string)) error {
	w, err := New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", w.cfg.Listen)
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	w.addr.Store(ln.Addr().String())
	return serve(ctx, ln, w, ready)
}

// serve runs h on ln until ctx is done.
func serve(ctx context.Context, ln net.Listener, h http.Handler, ready func(string)) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          nil,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		srv.Close()
		err = nil
	}
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}
