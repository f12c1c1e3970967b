package scenario

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stratbench/stratbench/strategies"
)

// FaultKind is what happens to a server in a fault.
type FaultKind string

// The kinds of fault.
const (
	// FaultSlow: the server serves at Speed instead of its own speed (a
	// noisy neighbour, a GC storm, a bad disk). The balancer is not told:
	// policies still see the speeds of the scenario.
	FaultSlow FaultKind = "slow"
	// FaultDown: the server stops accepting work and what it holds is
	// lost (or sent again elsewhere when the scenario's Retry says so).
	// The balancer's health checks see it out of service.
	FaultDown FaultKind = "down"
)

// Fault is one timed event: server Server is slow or down from time At,
// for For (0: to the end of the run). Times are in the scenario's time
// units (the simulator's units; the real engines multiply by their unit).
type Fault struct {
	Kind   FaultKind `json:"kind"`
	Server int       `json:"server"`
	// Speed is the server's speed during a slow fault (relative, as the
	// scenario's speeds).
	Speed float64 `json:"speed,omitempty"`
	At    float64 `json:"at"`
	For   float64 `json:"for,omitempty"`
}

// End is when the fault ends: At+For, or +Inf when it lasts to the end.
func (f Fault) End() float64 {
	if f.For == 0 {
		return math.Inf(1)
	}
	return f.At + f.For
}

// Active reports whether the fault holds at time t.
func (f Fault) Active(t float64) bool { return t >= f.At && t < f.End() }

// String writes the fault as ParseFault reads it in time units.
func (f Fault) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:server=%d", f.Kind, f.Server)
	if f.Kind == FaultSlow {
		fmt.Fprintf(&b, ",speed=%s", strconv.FormatFloat(f.Speed, 'g', -1, 64))
	}
	fmt.Fprintf(&b, ",at=%s", strconv.FormatFloat(f.At, 'g', -1, 64))
	if f.For != 0 {
		fmt.Fprintf(&b, ",for=%s", strconv.FormatFloat(f.For, 'g', -1, 64))
	}
	return b.String()
}

// FaultSyntax is the form ParseFault reads, for help texts and errors.
const FaultSyntax = "slow:server=I,speed=S,at=T[,for=D] or down:server=I,at=T[,for=D]"

// maxFaultSpec bounds the length of a fault written on a command line or
// in a suite.
const maxFaultSpec = 256

// ParseFault reads one fault, "slow:server=I,speed=S,at=T[,for=D]" or
// "down:server=I,at=T[,for=D]". With unit 0, T and D are numbers of time
// units (the simulator); with a unit > 0 they are durations ("2s",
// "750ms") converted to units of that length (the real engines). It checks
// the form and each value's own range; Validate checks the fault against
// the scenario (server in range, faults of one server not overlapping).
func ParseFault(spec string, unit time.Duration) (Fault, error) {
	if len(spec) > maxFaultSpec {
		return Fault{}, fmt.Errorf("fault %.40q...: longer than %d bytes", spec, maxFaultSpec)
	}
	kind, rest, ok := strings.Cut(spec, ":")
	f := Fault{Kind: FaultKind(kind), Server: -1, At: -1}
	if !ok || (f.Kind != FaultSlow && f.Kind != FaultDown) {
		return Fault{}, fmt.Errorf("fault %q: want %s", spec, FaultSyntax)
	}
	seen := map[string]bool{}
	for _, kv := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" {
			return Fault{}, fmt.Errorf("fault %q: %q is not key=value (want %s)", spec, kv, FaultSyntax)
		}
		if seen[k] {
			return Fault{}, fmt.Errorf("fault %q: %s given twice", spec, k)
		}
		seen[k] = true
		var err error
		switch k {
		case "server":
			f.Server, err = strconv.Atoi(v)
			if err == nil && f.Server < 0 {
				err = fmt.Errorf("must be >= 0")
			}
		case "speed":
			if f.Kind != FaultSlow {
				return Fault{}, fmt.Errorf("fault %q: speed is for slow faults only", spec)
			}
			f.Speed, err = strconv.ParseFloat(v, 64)
			if err == nil && !(f.Speed >= strategies.MinSpeed && f.Speed <= strategies.MaxSpeed) {
				err = fmt.Errorf("must be a number in [%g, %g]", strategies.MinSpeed, strategies.MaxSpeed)
			}
		case "at":
			f.At, err = faultTime(v, unit)
		case "for":
			f.For, err = faultTime(v, unit)
			if err == nil && f.For == 0 {
				err = fmt.Errorf("must be > 0 (leave it out for a fault that lasts to the end)")
			}
		default:
			return Fault{}, fmt.Errorf("fault %q: unknown key %q (want %s)", spec, k, FaultSyntax)
		}
		if err != nil {
			return Fault{}, fmt.Errorf("fault %q: %s=%s: %v", spec, k, v, err)
		}
	}
	switch {
	case !seen["server"]:
		return Fault{}, fmt.Errorf("fault %q: no server= (want %s)", spec, FaultSyntax)
	case !seen["at"]:
		return Fault{}, fmt.Errorf("fault %q: no at= (want %s)", spec, FaultSyntax)
	case f.Kind == FaultSlow && !seen["speed"]:
		return Fault{}, fmt.Errorf("fault %q: a slow fault needs speed= (want %s)", spec, FaultSyntax)
	}
	return f, nil
}

// faultTime reads a time: a number of units (unit 0) or a duration.
func faultTime(v string, unit time.Duration) (float64, error) {
	if unit == 0 {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || !(x >= 0) || math.IsInf(x, 0) || x > 1e15 {
			return 0, fmt.Errorf("must be a number of time units >= 0")
		}
		return x, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("must be a duration >= 0 such as 2s or 750ms")
	}
	return float64(d) / float64(unit), nil
}

// ParseFaults reads several faults (one a --fault flag or suite entry).
func ParseFaults(specs []string, unit time.Duration) ([]Fault, error) {
	var out []Fault
	for _, s := range specs {
		f, err := ParseFault(s, unit)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// validateFaults checks the faults against a scenario of n servers: each
// server in range, and the faults of one server apart in time (one fault
// at a time decides what a server does).
func validateFaults(faults []Fault, n int) error {
	for i, f := range faults {
		switch {
		case f.Kind != FaultSlow && f.Kind != FaultDown:
			return fmt.Errorf("fault %d: kind %q (want slow or down)", i+1, f.Kind)
		case f.Server < 0 || f.Server >= n:
			return fmt.Errorf("fault %s: server must be in [0, %d], got %d", f, n-1, f.Server)
		case !(f.At >= 0) || math.IsInf(f.At, 0) || !(f.For >= 0) || math.IsInf(f.For, 0):
			return fmt.Errorf("fault %s: at and for must be finite numbers >= 0", f)
		case f.Kind == FaultSlow && !(f.Speed >= strategies.MinSpeed && f.Speed <= strategies.MaxSpeed):
			return fmt.Errorf("fault %s: speed must be in [%g, %g]", f, strategies.MinSpeed, strategies.MaxSpeed)
		}
		for _, g := range faults[:i] {
			if g.Server == f.Server && f.At < g.End() && g.At < f.End() {
				return fmt.Errorf("faults %s and %s overlap on server %d: give one server one fault at a time", g, f, f.Server)
			}
		}
	}
	return nil
}

// FaultWindow returns when the faults begin (the earliest At) and end (the
// latest End, +Inf if one lasts to the end); ok is false without faults.
// Records split response times into before, during and after it.
func FaultWindow(faults []Fault) (start, end float64, ok bool) {
	if len(faults) == 0 {
		return 0, 0, false
	}
	start, end = math.Inf(1), 0
	for _, f := range faults {
		start = min(start, f.At)
		end = max(end, f.End())
	}
	return start, end, true
}

// FaultEvent is one change a fault makes at a time: server Server starts
// serving at Speed (a slow fault's start, or the end of one: back to its
// own speed), or goes down (Down), or comes back up (Up).
type FaultEvent struct {
	T      float64
	Server int
	Speed  float64 // > 0: serve at this speed from T
	Down   bool
	Up     bool
	// End marks the end of a fault (back to the server's own speed, or
	// up again).
	End bool
}

// FaultEvents returns the changes the scenario's faults make, in time
// order (at one time, the ends of faults before the starts, then in the
// order the faults were given).
func (s *Scenario) FaultEvents() []FaultEvent {
	var ev []FaultEvent
	own := func(i int) float64 {
		if s.Speeds == nil {
			return 1
		}
		return s.Speeds[i]
	}
	for _, f := range s.Faults {
		switch f.Kind {
		case FaultSlow:
			ev = append(ev, FaultEvent{T: f.At, Server: f.Server, Speed: f.Speed})
			if f.For > 0 {
				ev = append(ev, FaultEvent{T: f.End(), Server: f.Server, Speed: own(f.Server), End: true})
			}
		case FaultDown:
			ev = append(ev, FaultEvent{T: f.At, Server: f.Server, Down: true})
			if f.For > 0 {
				ev = append(ev, FaultEvent{T: f.End(), Server: f.Server, Up: true, End: true})
			}
		}
	}
	slices.SortStableFunc(ev, func(a, b FaultEvent) int {
		switch {
		case a.T < b.T:
			return -1
		case a.T > b.T:
			return 1
		case a.End && !b.End:
			return -1
		case b.End && !a.End:
			return 1
		}
		return 0
	})
	return ev
}

// FaultsName returns the faults as they appear in a case's name, without
// the '=' and ',' of their written form: slow-s0-x0.1-at0-for5,
// down-s1-at10, joined by '+'.
func FaultsName(faults []Fault) string {
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	parts := make([]string, len(faults))
	for i, f := range faults {
		p := fmt.Sprintf("%s-s%d", f.Kind, f.Server)
		if f.Kind == FaultSlow {
			p += "-x" + g(f.Speed)
		}
		p += "-at" + g(f.At)
		if f.For != 0 {
			p += "-for" + g(f.For)
		}
		parts[i] = p
	}
	return strings.Join(parts, "+")
}

// AddFaultParams records the faults (as ParseFault reads them, in time
// units) and retry in a record's params p.
func (s *Scenario) AddFaultParams(p map[string]any) {
	if len(s.Faults) == 0 {
		return
	}
	fs := make([]string, len(s.Faults))
	for i, f := range s.Faults {
		fs[i] = f.String()
	}
	p["faults"] = fs
	if s.Retry {
		p["retry"] = true
	}
}
