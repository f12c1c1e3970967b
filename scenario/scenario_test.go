package scenario_test

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
)

func size(t *testing.T, spec string) *workloads.SizeDist {
	t.Helper()
	d, err := workloads.ParseSize(spec)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    scenario.Scenario
		want string // "" = valid
	}{
		{"ok", scenario.Scenario{Policy: "jsq", Servers: 4, Load: 0.5}, ""},
		{"ok speeds", scenario.Scenario{Policy: "wrr", Servers: 2, Load: 0.5, Speeds: []float64{1, 2}, Weights: []float64{1, 3}}, ""},
		{"policy", scenario.Scenario{Policy: "nope", Servers: 4, Load: 0.5}, `unknown policy "nope"`},
		{"servers", scenario.Scenario{Policy: "jsq", Load: 0.5}, "servers must be > 0, got 0"},
		{"servers max", scenario.Scenario{Policy: "jsq", Servers: scenario.MaxServers + 1, Load: 0.5}, "servers must be <= 16777216"},
		{"load zero", scenario.Scenario{Policy: "jsq", Servers: 4}, "load must be a number > 0, got 0"},
		{"load nan", scenario.Scenario{Policy: "jsq", Servers: 4, Load: math.NaN()}, "load must be a number > 0, got NaN"},
		{"load inf", scenario.Scenario{Policy: "jsq", Servers: 4, Load: math.Inf(1)}, "load must be a number > 0"},
		{"load subnormal", scenario.Scenario{Policy: "jsq", Servers: 4, Load: 5e-324}, "load 5e-324 on a capacity of 4 servers is 2e-323 arrivals per mean service time, outside [1e-12, 1e+15]"},
		{"load huge", scenario.Scenario{Policy: "jsq", Servers: 4, Load: 1e308}, "outside [1e-12, 1e+15]"},
		{"weights huge", scenario.Scenario{Policy: "wrr", Servers: 2, Load: 0.5, Weights: []float64{1e308, 1}}, "weight of server 0 must be a number in [1e-09, 1e+09]"},
		{"speeds count", scenario.Scenario{Policy: "jsq", Servers: 4, Load: 0.5, Speeds: []float64{1}}, "1 speeds given for 4 servers"},
		{"speed value", scenario.Scenario{Policy: "jsq", Servers: 2, Load: 0.5, Speeds: []float64{1, 0}}, "speed of server 1 must be"},
		{"weights count", scenario.Scenario{Policy: "wrr", Servers: 2, Load: 0.5, Weights: []float64{1}}, "1 weights given for 2 servers"},
		{"ok option", scenario.Scenario{Policy: "prequal", Servers: 4, Load: 0.5, PolicyOpts: strategies.Options{"pool": 4}}, ""},
		{"option range", scenario.Scenario{Policy: "prequal", Servers: 4, Load: 0.5, PolicyOpts: strategies.Options{"pool": 0}}, "policy_opt: prequal.pool must be an integer in [1, 1024], got 0"},
		{"option of none", scenario.Scenario{Policy: "jsq", Servers: 4, Load: 0.5, PolicyOpts: strategies.Options{"pool": 4}}, "policy_opt: policy jsq has no parameters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s.WithDefaults()
			err := s.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			case err != nil && strings.Contains(err.Error(), "--"):
				t.Fatalf("error %q names a flag", err)
			}
			// Validate without defaults says the same.
			if err2 := tc.s.Validate(); (err == nil) != (err2 == nil) {
				t.Fatalf("with defaults %v, without %v", err, err2)
			}
		})
	}
	s := scenario.Scenario{Policy: "jsq", Servers: 100, Load: 0.5}
	if err := s.ValidateUpTo(64); err == nil || err.Error() != "servers must be <= 64, got 100" {
		t.Fatalf("ValidateUpTo: %v", err)
	}
}

func TestRates(t *testing.T) {
	s := scenario.Scenario{Policy: "sed", Servers: 3, Load: 0.5, Speeds: []float64{1, 2, 3}, Service: size(t, "exp:mean=2")}
	if got := s.Capacity(); got != 6 {
		t.Fatalf("capacity %g, want 6", got)
	}
	if got := s.ArrivalRate(); got != 1.5 {
		t.Fatalf("arrival rate %g, want 0.5*6/2 = 1.5", got)
	}
	u := scenario.Scenario{Policy: "jsq", Servers: 4, Load: 0.8}
	if got := u.ArrivalRate(); got != 3.2 {
		t.Fatalf("arrival rate with defaults unset %g, want 3.2", got)
	}
	if got := u.ResolveTrace(); got != 1 || u.Load != 0.8 {
		t.Fatalf("ResolveTrace without a trace: scale %g load %g", got, u.Load)
	}
}

func TestResolveTrace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.csv")
	// 5 jobs of size 1 over 4 time units: rate 1, on 2 servers load 0.5.
	if err := os.WriteFile(path, []byte("0,1\n1,1\n2,1\n3,1\n4,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := workloads.ParseArrival("trace:" + path)
	if err != nil {
		t.Fatal(err)
	}
	as := scenario.Scenario{Policy: "jsq", Servers: 2, Arrival: a}.WithDefaults()
	if err := as.Validate(); err != nil {
		t.Fatalf("a trace with load 0 is valid: %v", err)
	}
	if scale := as.ResolveTrace(); scale != 1 || as.Load != 0.5 {
		t.Fatalf("as recorded: scale %g load %g, want 1 and 0.5", scale, as.Load)
	}
	rescaled := scenario.Scenario{Policy: "jsq", Servers: 2, Arrival: a, Load: 0.25}.WithDefaults()
	if scale := rescaled.ResolveTrace(); scale != 2 || rescaled.Load != 0.25 {
		t.Fatalf("rescaled: scale %g load %g, want 2 and 0.25", scale, rescaled.Load)
	}
}

// The streams keep the numbers the engines used before they were named,
// so that records stay the same for the same seed.
func TestStreams(t *testing.T) {
	s := scenario.Scenario{Seed: 42}
	for _, k := range []scenario.Stream{scenario.StreamArrivals, scenario.StreamSizes, scenario.StreamPolicy, scenario.StreamKeys} {
		for _, rep := range []int{0, 1, 7} {
			got, want := s.Source(rep, k).Uint64(), workloads.NewSource(42, uint64(rep)<<8|uint64(k)).Uint64()
			if got != want {
				t.Fatalf("stream %d rep %d: %d, want %d", k, rep, got, want)
			}
		}
	}
	if s.KeySalt(0) != workloads.NewSource(42, 4).Uint64() {
		t.Fatal("key salt is not stream 4's first draw")
	}
	if s.Source(0, scenario.StreamArrivals).Uint64() == s.Source(1, scenario.StreamArrivals).Uint64() {
		t.Fatal("replications share a stream")
	}
}

func TestNewPolicy(t *testing.T) {
	s := scenario.Scenario{Policy: "p2c", Servers: 50, Load: 0.5, Seed: 3}.WithDefaults()
	a, err := s.NewPolicy(0)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.NewPolicy(0)
	c, _ := s.NewPolicy(1)
	v := idle(50)
	same, differ := true, false
	for i := range 200 {
		j := strategies.Job{ID: uint64(i)}
		x, y, z := a.Pick(v, j), b.Pick(v, j), c.Pick(v, j)
		same = same && x == y
		differ = differ || x != z
	}
	if !same || !differ {
		t.Fatalf("same replication same picks %v, other replication differs %v", same, differ)
	}
	bad := scenario.Scenario{Policy: "pod", D: -1, Servers: 4, Load: 0.5}
	if _, err := bad.NewPolicy(0); err == nil {
		t.Fatal("pod with d=-1 built")
	}
}

type idle int

func (v idle) Servers() int      { return int(v) }
func (v idle) Load(int) int      { return 0 }
func (v idle) Speed(int) float64 { return 1 }
func (v idle) Work(int) float64  { return 0 }
func (v idle) Now() float64      { return 0 }

func TestName(t *testing.T) {
	for _, tc := range []struct {
		s      scenario.Scenario
		engine []any
		want   string
	}{
		{scenario.Scenario{Policy: "jsq", Servers: 4, Load: 0.5}.WithDefaults(), nil, "policy=jsq/servers=4/load=0.5"},
		{scenario.Scenario{Policy: "pod", D: 3, Servers: 8, Load: 0.9, Service: size(t, "lognormal:sigma=1")}, []any{"discipline", "ps"},
			"policy=pod/servers=8/load=0.9/service=lognormal:sigma=1/discipline=ps/d=3"},
		{scenario.Scenario{Policy: "jiq", Dispatchers: 2, Servers: 2, Load: 0.5, Speeds: []float64{1, 2}}, nil,
			"policy=jiq/servers=2/load=0.5/dispatchers=2/speeds=1,2"},
		// A measured delay is named to 3 significant digits, not its noise.
		{scenario.Scenario{Policy: "rr", Servers: 4, Load: 0.7, NetworkDelay: 0.32340199999999997}, nil,
			"policy=rr/servers=4/load=0.7/netdelay=0.323"},
		{scenario.Scenario{Policy: "rr", Servers: 4, Load: 0.7, NetworkDelay: 2}, nil,
			"policy=rr/servers=4/load=0.7/netdelay=2"},
		{scenario.Scenario{Policy: "rr", Servers: 4, Load: 0.7, NetworkDelay: 0.0012345}, nil,
			"policy=rr/servers=4/load=0.7/netdelay=0.00123"},
		// A policy's options: those not at their default, in declared order.
		{scenario.Scenario{Policy: "prequal", Servers: 4, Load: 0.7, PolicyOpts: strategies.Options{"q_rif": 0.5, "pool": 4, "probe_rate": 3}}, nil,
			"policy=prequal/servers=4/load=0.7/pool=4/q_rif=0.5"},
	} {
		if got := tc.s.Name(tc.engine...); got != tc.want {
			t.Errorf("Name = %q, want %q", got, tc.want)
		}
	}
}

func TestParams(t *testing.T) {
	s := scenario.Scenario{Policy: "pod", Servers: 2, Load: 0.5}.WithDefaults()
	p := s.Params()
	if p["d"] != 2 || p["speeds"] != nil {
		t.Fatalf("params %v: want d=2 and no speeds", p)
	}
}

func TestParamsNetworkDelayExact(t *testing.T) {
	s := scenario.Scenario{Policy: "rr", Servers: 4, Load: 0.7, NetworkDelay: 0.32340199999999997}
	if p := s.Params(); p["network_delay"] != 0.32340199999999997 {
		t.Fatalf("params %v: want the exact network_delay beside the rounded name", p)
	}
}
