// Package metrics defines the result record that every engine writes and
// every report reads, latency recording in a fixed-memory HDR histogram, and
// the small statistics (confidence intervals) that engines attach to results.
//
// A Result is one JSON object per case, the same shape from the simulator
// (engine "sim") and the real harness (engine "harness"):
//
//	{"engine":"sim","name":"policy=p2c/servers=100/load=0.9",
//	 "params":{"policy":"p2c","servers":100,"load":0.9},
//	 "metrics":{"response_mean":2.31,"response_p99":9.8,...},
//	 "ci95":{"response_mean":[2.29,2.33]},
//	 "per_server":{"dispatched":[...],"busy_fraction":[...]},
//	 "env":{"go_version":"go1.26.8","gomaxprocs":2,"seed":1,...}}
//
// Metric names are snake_case and carry their unit as a suffix where there is
// one (wall_sec, throughput_per_sec, mb_per_sec); times of the simulator are
// unitless (mean service time 1) and carry no suffix. Describe tells the unit
// and which direction is better for any metric name.
package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratbench/stratbench/internal/lines"
)

// Engine names used in Result.Engine.
const (
	EngineSim     = "sim"
	EngineHarness = "harness"
)

// Result is the record of one case run by one engine.
type Result struct {
	// Engine is "sim" or "harness".
	Engine string `json:"engine"`
	// Family groups results of one kind for reports and the benchmark
	// format (Sim, Batch, Service, XML, Kernel, ...); empty means the
	// engine's name, capitalized.
	Family string `json:"family,omitempty"`
	// Name is benchmark-style: key=value pairs joined by '/'.
	Name string `json:"name"`
	// Params are the inputs of the case (policy, servers, load, ...).
	Params map[string]any `json:"params"`
	// Metrics are the measured numbers, by snake_case name.
	Metrics map[string]float64 `json:"metrics"`
	// CI95 maps a metric name to its 95% confidence interval [lo, hi].
	CI95 map[string][2]float64 `json:"ci95,omitempty"`
	// Samples keeps every measured sample of a metric (one per repetition),
	// so that comparisons can run significance tests.
	Samples map[string][]float64 `json:"samples,omitempty"`
	// PerServer holds arrays indexed by server or worker: "dispatched",
	// "busy_fraction", "busy_sec", "tasks", ...
	PerServer map[string][]float64 `json:"per_server,omitempty"`
	// CDF is the response-time distribution as (value, cumulative fraction)
	// points, increasing in both, for latency CDF charts.
	CDF [][2]float64 `json:"cdf,omitempty"`
	// Answers carries non-numeric outputs that let runs be checked against
	// each other (for example the answers of XML queries).
	Answers map[string]any `json:"answers,omitempty"`
	// Profile is the path of a CPU profile captured with this result.
	Profile string `json:"profile,omitempty"`
	// Timeline is the course of a run with faults over time (FaultRecorder).
	Timeline *Timeline `json:"timeline,omitempty"`
	// Warnings are caveats on this result (unstable load, too few samples).
	Warnings []string `json:"warnings,omitempty"`
	// Env describes the machine and run that produced the result.
	Env Env `json:"env"`
}

// Env describes where and how a result was produced.
type Env struct {
	GoVersion  string `json:"go_version"`
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	CPU        string `json:"cpu,omitempty"`
	NumCPU     int    `json:"num_cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Seed       uint64 `json:"seed"`
	Commit     string `json:"commit,omitempty"`
	Time       string `json:"time,omitempty"`
}

// CurrentEnv describes this process, with the given seed, and the machine
// and code as the command described them (SetHost).
func CurrentEnv(seed uint64) Env {
	h := currentHost()
	return Env{
		GoVersion:  runtime.Version(),
		GOOS:       runtime.GOOS,
		GOARCH:     runtime.GOARCH,
		CPU:        h.CPU,
		NumCPU:     runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Seed:       seed,
		Commit:     h.Commit,
		Time:       time.Now().UTC().Format(time.RFC3339),
	}
}

// Host is what records say of the machine and the code that this package
// does not look up itself (it runs no commands and reads no system
// files): the command gathers it and passes it in with SetHost.
type Host struct {
	// CPU is the processor's model name.
	CPU string
	// Commit is the commit of the code that ran.
	Commit string
}

var hostFunc atomic.Pointer[func() Host]

// SetHost makes every later CurrentEnv carry the Host that gather
// returns; gather is called once, when a record first needs it. Without
// it records carry no CPU model and no commit.
func SetHost(gather func() Host) {
	f := sync.OnceValue(gather)
	hostFunc.Store(&f)
}

func currentHost() Host {
	if f := hostFunc.Load(); f != nil {
		return (*f)()
	}
	return Host{}
}

// Name builds a benchmark-style name from ordered key=value pairs:
// Name("policy", "p2c", "load", 0.9) is "policy=p2c/load=0.9".
// Values are formatted with FormatValue; '/' and spaces in values are
// replaced so that the name stays one benchmark name component per pair.
func Name(kv ...any) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte('/')
		}
		fmt.Fprint(&b, kv[i])
		b.WriteByte('=')
		b.WriteString(sanitize(FormatValue(kv[i+1])))
	}
	return b.String()
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '/', ' ', '\t', '\n':
			return '_'
		}
		return r
	}, s)
}

// FormatValue formats a parameter value compactly: floats without trailing
// zeros, everything else with fmt's %v.
func FormatValue(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case []float64:
		parts := make([]string, len(x))
		for i, f := range x {
			parts[i] = strconv.FormatFloat(f, 'g', -1, 64)
		}
		return strings.Join(parts, ",")
	default:
		return fmt.Sprint(v)
	}
}

// BenchName is the result's Go benchmark name without the "Benchmark"
// prefix: Family/Name, as in Sim/policy=p2c/servers=100/load=0.9.
func (r *Result) BenchName() string {
	f := r.Family
	if f == "" && r.Engine != "" {
		f = strings.ToUpper(r.Engine[:1]) + r.Engine[1:]
	}
	return f + "/" + r.Name
}

// MetricNames returns the metric names of r in sorted order.
func (r *Result) MetricNames() []string {
	return slices.Sorted(maps.Keys(r.Metrics))
}

// Validate reports the first structural problem of r: a missing engine,
// name or metrics. (Non-finite metrics are Clean's: JSON cannot carry them.)
func (r *Result) Validate() error {
	switch {
	case r.Engine == "":
		return errors.New(`missing "engine"`)
	case r.Name == "":
		return errors.New(`missing "name"`)
	case len(r.Metrics) == 0:
		return errors.New(`missing "metrics"`)
	}
	return nil
}

// Clean removes metrics and intervals that are not finite numbers (JSON has
// no NaN or Inf), noting each one in Warnings so that nothing disappears
// silently.
func (r *Result) Clean() {
	for _, k := range r.MetricNames() {
		if v := r.Metrics[k]; math.IsNaN(v) || math.IsInf(v, 0) {
			delete(r.Metrics, k)
			r.Warnings = append(r.Warnings, fmt.Sprintf("metric %s was %v and is left out", k, v))
		}
	}
	for k, ci := range r.CI95 {
		if math.IsNaN(ci[0]) || math.IsNaN(ci[1]) || math.IsInf(ci[0], 0) || math.IsInf(ci[1], 0) {
			delete(r.CI95, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(r.Params)) {
		if x, ok := r.Params[k].(float64); ok && !finite(x) {
			r.Params[k] = strconv.FormatFloat(x, 'g', -1, 64)
			r.Warnings = append(r.Warnings, fmt.Sprintf("parameter %s was %v and is written as a string", k, x))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(r.Samples)) {
		xs := r.Samples[k]
		kept := slices.DeleteFunc(slices.Clone(xs), func(x float64) bool { return !finite(x) })
		if len(kept) < len(xs) {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%d samples of %s were not finite and are left out", len(xs)-len(kept), k))
			if len(kept) == 0 {
				delete(r.Samples, k)
			} else {
				r.Samples[k] = kept
			}
		}
	}
	if n := len(r.CDF); n > 0 {
		r.CDF = slices.DeleteFunc(r.CDF, func(p [2]float64) bool { return !finite(p[0]) || !finite(p[1]) })
		if len(r.CDF) < n {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%d points of the response-time distribution were not finite and are left out", n-len(r.CDF)))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(r.PerServer)) {
		xs, bad, first := r.PerServer[k], 0, 0
		for i, x := range xs {
			if !finite(x) {
				if bad == 0 {
					first = i
				}
				xs[i] = 0
				bad++
			}
		}
		switch {
		case bad == 1:
			r.Warnings = append(r.Warnings, fmt.Sprintf("per_server %s[%d] was not finite and is shown as 0", k, first))
		case bad > 1:
			r.Warnings = append(r.Warnings, fmt.Sprintf("per_server %s: %d values (the first at %d) were not finite and are shown as 0", k, bad, first))
		}
	}
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// WriteJSON writes r as one line of JSON, after Clean.
func WriteJSON(w io.Writer, r *Result) error {
	r.Clean()
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding result %s: %w", r.Name, err)
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// ReadError is a problem with one line of a results file.
type ReadError struct {
	File string
	Line int
	Err  error
}

func (e *ReadError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *ReadError) Unwrap() error { return e.Err }

// ReadJSONL reads JSON Lines of results from r. Malformed lines (bad JSON,
// unknown fields, missing engine or name, longer than lines.Max) become
// ReadErrors named after file and line; reading goes on past them, as
// benchstat does, so that the rest of the input is still usable. Blank
// lines are skipped. It streams: memory is one line, not the input.
func ReadJSONL(file string, r io.Reader) ([]Result, []error) {
	var (
		out  []Result
		errs []error
	)
	sc := lines.NewScanner(r, lines.Max)
	for sc.Scan() {
		if sc.TooLong() {
			errs = append(errs, &ReadError{file, sc.Line(), errors.New("longer than " + strconv.Itoa(lines.Max>>20) + " MB, the limit of a result line")})
			continue
		}
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		res, err := DecodeLine(b)
		if err != nil {
			errs = append(errs, &ReadError{file, sc.Line(), err})
			continue
		}
		out = append(out, res)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, &ReadError{file, sc.Line() + 1, err})
	}
	return out, errs
}

// DecodeLine decodes one JSON line of a results file: unknown fields, a
// missing engine, name or metrics are errors.
func DecodeLine(b []byte) (Result, error) {
	var res Result
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		return Result{}, err
	}
	if dec.More() {
		return Result{}, errors.New("more than one JSON value on the line")
	}
	if err := res.Validate(); err != nil {
		return Result{}, err
	}
	return res, nil
}
