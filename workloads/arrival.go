package workloads

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// ArrivalKinds lists the arrival processes, for help texts and errors.
var ArrivalKinds = []struct{ Name, Params, Help string }{
	{"poisson", "", "Poisson: exponential gaps at rate lambda"},
	{"det", "", "deterministic: one arrival every 1/lambda"},
	{"onoff", "on=T,off=T", "bursty on/off (interrupted Poisson, a two-state MMPP): exponential on and off periods of mean T (default 10 each); arrivals only when on, at the rate that keeps the mean lambda"},
	{"trace", "FILE", "replay a CSV trace: arrival time, size (one job a line; an optional header)"},
}

// ArrivalSpec is a parsed arrival process spec.
type ArrivalSpec struct {
	kind    string
	on, off float64
	trace   *Trace
	spec    string
}

// ParseArrival parses an arrival spec: poisson, det, onoff[:on=T,off=T] or
// trace:FILE. Trace files are read now; errors name the file and line.
func ParseArrival(spec string) (*ArrivalSpec, error) {
	kind, rest, _ := strings.Cut(strings.TrimSpace(spec), ":")
	a := &ArrivalSpec{kind: kind, spec: spec}
	switch kind {
	case "poisson", "det":
		if rest != "" {
			return nil, fmt.Errorf("arrival %q: %s takes no parameters", spec, kind)
		}
	case "onoff":
		a.on, a.off = 10, 10
		if rest != "" {
			for kv := range strings.SplitSeq(rest, ",") {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return nil, fmt.Errorf("arrival %q: parameter %q is not key=value", spec, kv)
				}
				x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || !(x > 0) || math.IsInf(x, 0) {
					return nil, fmt.Errorf("arrival %q: %s must be a positive number, got %q", spec, k, v)
				}
				switch strings.TrimSpace(k) {
				case "on":
					a.on = x
				case "off":
					a.off = x
				default:
					return nil, fmt.Errorf("arrival %q: unknown parameter %q (allowed: on, off)", spec, k)
				}
			}
		}
		if err := a.checkOnOff(); err != nil {
			return nil, fmt.Errorf("arrival %q: %w", spec, err)
		}
	case "trace":
		if rest == "" {
			return nil, fmt.Errorf("arrival %q: trace needs a file: trace:FILE", spec)
		}
		t, err := ReadTraceFile(rest)
		if err != nil {
			return nil, err
		}
		a.trace = t
	default:
		names := make([]string, len(ArrivalKinds))
		for i, k := range ArrivalKinds {
			names[i] = k.Name
		}
		return nil, fmt.Errorf("unknown arrival process %q in %q (known: %s)", kind, spec, strings.Join(names, ", "))
	}
	return a, nil
}

// Bounds of onoff's periods, in mean service times, and of the fraction
// of time on: beyond them the burst rate λ/fraction is not a rate the
// clock can follow (on=1e-300,off=1e300 made it +Inf: every gap 0 and a
// queue that grows without end) or the run sees no arrivals at all.
const (
	MinPeriod     = 1e-6
	MaxPeriod     = 1e6
	MinOnFraction = 1e-6
)

func (a *ArrivalSpec) checkOnOff() error {
	for _, p := range []struct {
		name string
		v    float64
	}{{"on", a.on}, {"off", a.off}} {
		if !(p.v >= MinPeriod && p.v <= MaxPeriod) {
			return fmt.Errorf("%s must be in [%g, %g] mean service times, got %g", p.name, MinPeriod, MaxPeriod, p.v)
		}
	}
	if f := a.on / (a.on + a.off); f < MinOnFraction {
		return fmt.Errorf("on is %.3g of the time, below %g: arrivals would come in bursts at %.3g times the mean rate; raise on or lower off", f, MinOnFraction, 1/f)
	}
	return nil
}

// CheckRate refuses a load whose arrival rate (load × capacity jobs per
// mean service time) the simulation's clock cannot resolve: --load 5e-324
// made every gap +Inf (taken for the end of a trace), --load 1e308 every
// gap 0.
func CheckRate(load, capacity float64) error {
	if r := load * capacity; !(r >= MinRate && r <= MaxRate) {
		return fmt.Errorf("load %g on a capacity of %g servers is %g arrivals per mean service time, outside [%g, %g]: no run can measure that; change the load", load, capacity, r, MinRate, MaxRate)
	}
	return nil
}

// Bounds of the arrival rate, in jobs per mean service time.
const (
	MinRate = 1e-12
	MaxRate = 1e15
)

// String returns the spec the process was parsed from.
func (a *ArrivalSpec) String() string { return a.spec }

// Kind is the process's kind (poisson, det, onoff, trace).
func (a *ArrivalSpec) Kind() string { return a.kind }

// Trace returns the replayed trace, or nil when the process is not a trace.
func (a *ArrivalSpec) Trace() *Trace { return a.trace }

// ArrivalProcess generates arrivals one at a time.
type ArrivalProcess interface {
	// Next returns the gap to the next arrival, and its size when the
	// process carries sizes (a trace), else a negative size. At the end of a
	// trace the gap is +Inf.
	Next() (gap, size float64)
}

// Process returns a generator of arrivals at mean rate lambda drawing from
// src. For a trace, timeScale multiplies the trace's gaps (1 replays it as
// recorded) and lambda is ignored.
func (a *ArrivalSpec) Process(lambda, timeScale float64, src rand.Source) ArrivalProcess {
	switch a.kind {
	case "poisson":
		return expSampler{distuv.Exponential{Rate: lambda, Src: src}}.asArrivals()
	case "det":
		return detArrivals(1 / lambda)
	case "onoff":
		fracOn := a.on / (a.on + a.off)
		return &onoffArrivals{
			arr:    distuv.Exponential{Rate: lambda / fracOn, Src: src},
			toOff:  distuv.Exponential{Rate: 1 / a.on, Src: src},
			toOn:   distuv.Exponential{Rate: 1 / a.off, Src: src},
			on:     true,
			remain: math.NaN(),
		}
	case "trace":
		return &traceArrivals{t: a.trace, scale: timeScale}
	}
	panic("workloads: process for unvalidated arrival kind " + a.kind)
}

type expArrivals struct{ d distuv.Exponential }

func (s expSampler) asArrivals() ArrivalProcess { return expArrivals(s) }

func (e expArrivals) Next() (float64, float64) { return e.d.Rand(), -1 }

type detArrivals float64

func (d detArrivals) Next() (float64, float64) { return float64(d), -1 }

// onoffArrivals is an interrupted Poisson process: during on periods
// arrivals are Poisson at rate lambda/fracOn; off periods have none. The
// on and off periods are exponential, so the process is a two-state MMPP.
type onoffArrivals struct {
	arr, toOff, toOn distuv.Exponential
	on               bool
	remain           float64 // time left in the current on period; NaN = not drawn yet
}

func (o *onoffArrivals) Next() (float64, float64) {
	gap := 0.0
	for {
		if math.IsNaN(o.remain) {
			o.remain = o.toOff.Rand()
		}
		// Memorylessness lets us redraw the next arrival within the
		// remaining on period each time.
		x := o.arr.Rand()
		if x < o.remain {
			o.remain -= x
			return gap + x, -1
		}
		gap += o.remain + o.toOn.Rand() // rest of on period, then an off period
		o.remain = math.NaN()
	}
}

// Trace is a recorded arrival trace: absolute arrival times (non-decreasing)
// and job sizes.
type Trace struct {
	Times []float64
	Sizes []float64
	File  string
}

// Rate is the trace's mean arrival rate (jobs per time unit).
func (t *Trace) Rate() float64 {
	n := len(t.Times)
	if n < 2 || t.Times[n-1] <= t.Times[0] {
		return math.NaN()
	}
	return float64(n-1) / (t.Times[n-1] - t.Times[0])
}

// MeanSize is the trace's mean job size.
func (t *Trace) MeanSize() float64 {
	s := 0.0
	for _, x := range t.Sizes {
		s += x
	}
	return s / float64(len(t.Sizes))
}

// ReadTraceFile reads a trace CSV (see ReadTrace).
func ReadTraceFile(path string) (*Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	defer f.Close()
	return ReadTrace(path, f)
}

// ReadTrace reads a CSV trace with two columns, arrival time and size, one
// job a line. A first line that is not numeric is a header and is skipped;
// blank lines and lines starting with # are skipped. Times must be finite,
// >= 0 and non-decreasing; sizes finite and >= 0. Errors name file:line.
func ReadTrace(name string, r io.Reader) (*Trace, error) {
	t := &Trace{File: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	prev := 0.0
	first := true
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		f := strings.Split(s, ",")
		if len(f) != 2 {
			return nil, fmt.Errorf("%s:%d: want 2 comma-separated fields (arrival time, size), got %d", name, line, len(f))
		}
		at, err1 := strconv.ParseFloat(strings.TrimSpace(f[0]), 64)
		sz, err2 := strconv.ParseFloat(strings.TrimSpace(f[1]), 64)
		if first {
			first = false
			if err1 != nil || err2 != nil {
				continue // a header line
			}
		}
		switch {
		case err1 != nil || math.IsNaN(at) || math.IsInf(at, 0) || at < 0:
			return nil, fmt.Errorf("%s:%d: arrival time must be a finite number >= 0, got %q", name, line, strings.TrimSpace(f[0]))
		case err2 != nil || math.IsNaN(sz) || math.IsInf(sz, 0) || sz < 0:
			return nil, fmt.Errorf("%s:%d: size must be a finite number >= 0, got %q", name, line, strings.TrimSpace(f[1]))
		case at < prev:
			return nil, fmt.Errorf("%s:%d: arrival times must not decrease (%g after %g)", name, line, at, prev)
		}
		prev = at
		t.Times = append(t.Times, at)
		t.Sizes = append(t.Sizes, sz)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	if len(t.Times) < 2 {
		return nil, fmt.Errorf("%s: a trace needs at least 2 jobs, got %d", name, len(t.Times))
	}
	if !(t.Times[len(t.Times)-1] > t.Times[0]) {
		return nil, fmt.Errorf("%s: all arrivals at the same time; a trace must span a positive duration", name)
	}
	if !(t.MeanSize() > 0) {
		return nil, fmt.Errorf("%s: every size is 0; a trace needs some work", name)
	}
	return t, nil
}

type traceArrivals struct {
	t     *Trace
	i     int
	scale float64
}

func (a *traceArrivals) Next() (float64, float64) {
	if a.i >= len(a.t.Times) {
		return math.Inf(1), -1
	}
	gap := a.t.Times[a.i]
	if a.i > 0 {
		gap -= a.t.Times[a.i-1]
	}
	sz := a.t.Sizes[a.i]
	a.i++
	return gap * a.scale, sz
}
