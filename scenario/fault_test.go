package scenario_test

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stratbench/stratbench/scenario"
)

func TestParseFault(t *testing.T) {
	for _, tc := range []struct {
		spec string
		unit time.Duration
		want scenario.Fault
	}{
		{"slow:server=0,speed=0.1,at=0", 0, scenario.Fault{Kind: scenario.FaultSlow, Server: 0, Speed: 0.1}},
		{"slow:at=50,server=3,speed=0.25,for=100", 0, scenario.Fault{Kind: scenario.FaultSlow, Server: 3, Speed: 0.25, At: 50, For: 100}},
		{"down:server=1,at=10", 0, scenario.Fault{Kind: scenario.FaultDown, Server: 1, At: 10}},
		// Real engines: durations in units of the engine's unit.
		{"down:server=1,at=2s,for=500ms", time.Millisecond, scenario.Fault{Kind: scenario.FaultDown, Server: 1, At: 2000, For: 500}},
		{"slow:server=2,speed=0.5,at=1.5s", 2 * time.Millisecond, scenario.Fault{Kind: scenario.FaultSlow, Server: 2, Speed: 0.5, At: 750}},
	} {
		got, err := scenario.ParseFault(tc.spec, tc.unit)
		if err != nil || got != tc.want {
			t.Errorf("ParseFault(%q, %v) = %+v, %v; want %+v", tc.spec, tc.unit, got, err, tc.want)
		}
	}
}

func TestParseFaultErrors(t *testing.T) {
	for _, tc := range []struct {
		spec string
		unit time.Duration
		want string
	}{
		{"", 0, "want slow:server=I"},
		{"slowish:server=0,at=0", 0, "want slow:server=I"},
		{"slow:server=0,at=0", 0, "a slow fault needs speed="},
		{"down:server=0", 0, "no at="},
		{"down:at=0", 0, "no server="},
		{"down:server=0,at=0,speed=1", 0, "speed is for slow faults only"},
		{"down:server=-1,at=0", 0, "server=-1: must be >= 0"},
		{"down:server=x,at=0", 0, "server=x"},
		{"down:server=0,at=0,at=1", 0, "at given twice"},
		{"down:server=0,at=-1", 0, "must be a number of time units >= 0"},
		{"down:server=0,at=NaN", 0, "must be a number of time units >= 0"},
		{"down:server=0,at=0,for=0", 0, "for=0: must be > 0"},
		{"down:server=0,at=1s", 0, "must be a number of time units"},
		{"down:server=0,at=5", time.Millisecond, "must be a duration >= 0 such as 2s"},
		{"slow:server=0,speed=0,at=0", 0, "speed=0: must be a number in"},
		{"down:server=0,at=0,color=red", 0, `unknown key "color"`},
		{"down:server=0,at", 0, `"at" is not key=value`},
		{"down:" + strings.Repeat("x", 300), 0, "longer than 256 bytes"},
	} {
		_, err := scenario.ParseFault(tc.spec, tc.unit)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseFault(%q): error %v, want one containing %q", tc.spec, err, tc.want)
		}
	}
}

// TestFaultsInScenario checks Validate (server in range, one fault at a
// time per server), the name and params, the window and the events.
func TestFaultsInScenario(t *testing.T) {
	mk := func(specs ...string) scenario.Scenario {
		fs, err := scenario.ParseFaults(specs, 0)
		if err != nil {
			t.Fatal(err)
		}
		return scenario.Scenario{Policy: "p2c", Servers: 4, Load: 0.5, Faults: fs}
	}
	s := mk("slow:server=0,speed=0.1,at=10,for=20", "down:server=3,at=15", "slow:server=0,speed=0.5,at=30")
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if got, want := s.Name(), "policy=p2c/servers=4/load=0.5/faults=slow-s0-x0.1-at10-for20+down-s3-at15+slow-s0-x0.5-at30"; got != want {
		t.Errorf("name %s, want %s", got, want)
	}
	if got := s.Params()["faults"]; !reflect.DeepEqual(got, []string{"slow:server=0,speed=0.1,at=10,for=20", "down:server=3,at=15", "slow:server=0,speed=0.5,at=30"}) {
		t.Errorf("params faults %v", got)
	}
	if a, b, ok := scenario.FaultWindow(s.Faults); !ok || a != 10 || !math.IsInf(b, 1) {
		t.Errorf("window %g..%g %v, want 10..+Inf", a, b, ok)
	}
	ev := s.FaultEvents()
	want := []scenario.FaultEvent{
		{T: 10, Server: 0, Speed: 0.1},
		{T: 15, Server: 3, Down: true},
		{T: 30, Server: 0, Speed: 1, End: true}, // the first fault's end before the second's start
		{T: 30, Server: 0, Speed: 0.5},
	}
	if !reflect.DeepEqual(ev, want) {
		t.Errorf("events %+v, want %+v", ev, want)
	}
	for _, tc := range []struct {
		s    scenario.Scenario
		want string
	}{
		{mk("down:server=4,at=0"), "server must be in [0, 3], got 4"},
		{mk("slow:server=1,speed=0.5,at=0,for=10", "down:server=1,at=5"), "overlap on server 1"},
		{mk("down:server=1,at=0"), ""},
	} {
		err := tc.s.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%v: Validate = %v, want %q", tc.s.Faults, err, tc.want)
		}
	}
}

// FuzzParseFault checks that the parser never panics and that what it
// accepts it writes back in a form it reads to the same fault.
func FuzzParseFault(f *testing.F) {
	for _, s := range []string{"slow:server=0,speed=0.1,at=0", "down:server=1,at=10,for=5", "slow:server=2,speed=1e-3,at=1.5,for=2", "down:server=0,at=,", "slow:", ":::"} {
		f.Add(s, false)
	}
	f.Add("down:server=1,at=2s,for=500ms", true)
	f.Fuzz(func(t *testing.T, spec string, real bool) {
		unit := time.Duration(0)
		if real {
			unit = time.Millisecond
		}
		x, err := scenario.ParseFault(spec, unit)
		if err != nil {
			return
		}
		y, err := scenario.ParseFault(x.String(), 0)
		if err != nil || y != x {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", spec, x, x.String(), y, err)
		}
	})
}
