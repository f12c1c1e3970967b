package runs

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stratbench/stratbench/harness"
	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/field"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/workloads"
)

// set applies fs to a zero C with the given name, value pairs.
func set[C any](t *testing.T, fs []field.Field[C], kv ...string) (*C, error) {
	t.Helper()
	var c C
	err := field.Apply(fs, &c, func(name string) (string, bool) {
		for i := 0; i < len(kv); i += 2 {
			if kv[i] == name {
				return kv[i+1], true
			}
		}
		return "", false
	})
	return &c, err
}

// TestTables: every command's table has unique names, a setter, and
// defaults that its setters accept.
func TestTables(t *testing.T) {
	check := func(name string, names []string, err error) {
		t.Helper()
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n] {
				t.Errorf("%s: field %s twice", name, n)
			}
			seen[n] = true
		}
		if err != nil {
			t.Errorf("%s: defaults refused: %v", name, err)
		}
	}
	_, err := set(t, SimFields())
	check("sim", field.Names(SimFields()), err)
	_, err = set(t, ServiceFields())
	check("service", field.Names(ServiceFields()), err)
	_, err = set(t, ClusterFields())
	check("cluster", field.Names(ClusterFields()), err)
	_, err = set(t, BatchFields())
	check("batch", field.Names(BatchFields()), err)
	_, err = set(t, XMLFields())
	check("xml", field.Names(XMLFields()), err)
}

func TestSimDefaultsAndSettings(t *testing.T) {
	s, err := set(t, SimFields())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Policies, []string{"p2c"}) || s.Loads != nil || s.Base.Servers != 100 || s.Base.D != 2 || s.Base.Dispatchers != 1 ||
		s.Base.Seed != 1 || s.Base.Replications != 1 || s.Base.Discipline != "fifo" || s.Format != "text" || s.Base.Service.String() != "exp" {
		t.Errorf("defaults %+v", s)
	}
	s, err = set(t, SimFields(), "policy", "jsq,prequal", "load", "0.5,0.9", "policy_opt", "prequal.pool=4", "fault", "slow:server=1,speed=0.5,at=10,for=5,down:server=2,at=20")
	if err != nil {
		t.Fatal(err)
	}
	// The faults' pieces, split at commas, are put together again.
	if len(s.Base.Faults) != 2 || s.Base.Faults[0].For != 5 || s.Base.Faults[1].Kind != scenario.FaultDown || s.Opts["prequal"]["pool"] != 4 ||
		!reflect.DeepEqual(s.Loads, []float64{0.5, 0.9}) {
		t.Errorf("set %+v", s)
	}
	for _, tc := range []struct {
		kv   []string
		want string // the field error
	}{
		{[]string{"policy", " , "}, "policy: give at least one policy"},
		{[]string{"load", "x"}, `load: want comma-separated numbers, got "x"`},
		{[]string{"d", "0"}, "d must be >= 1, got 0"},
		{[]string{"policy", "jsq", "policy_opt", "prequal.pool=4"}, "policy_opt options for prequal, but the policies run are jsq"},
		{[]string{"format", "xml"}, `format: want text, json or bench, got "xml"`},
		{[]string{"service", "zipf"}, `service: unknown distribution "zipf"`},
	} {
		var fe *bad.FieldError
		if _, err := set(t, SimFields(), tc.kv...); err == nil || !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%v: %v, want the field error %q", tc.kv, err, tc.want)
		}
	}
}

// TestServiceFaultsInUnits: a real engine's faults are durations, read in
// units of the unit set before them.
func TestServiceFaultsInUnits(t *testing.T) {
	s, err := set(t, ServiceFields(), "unit", "2ms", "fault", "slow:server=0,speed=0.5,at=1s")
	if err != nil {
		t.Fatal(err)
	}
	if s.Base.Unit != 2*time.Millisecond || len(s.Base.Faults) != 1 || s.Base.Faults[0].At != 500 {
		t.Errorf("unit %v, faults %+v: want at 500 units of 2ms", s.Base.Unit, s.Base.Faults)
	}
	if s.jobsGiven || s.warmupGiven {
		t.Error("jobs or warmup given without being set")
	}
}

// TestRefusedBeforeRunning: every case is checked before the first runs,
// so that bad input writes nothing.
func TestRefusedBeforeRunning(t *testing.T) {
	var out bytes.Buffer
	s, _ := set(t, SimFields(), "policy", "rr,nope", "servers", "2", "jobs", "100")
	if err := s.Run(context.Background(), Env{Stdout: &out}); !errors.Is(err, bad.ErrInput) || out.Len() > 0 {
		t.Errorf("error %v, output %q: want bad input and nothing written", err, out.String())
	}
	sv, _ := set(t, ServiceFields(), "load", "1.5")
	if err := sv.Run(context.Background(), Env{Stdout: &out}); err == nil || err.Error() != "load 1.5 >= 1 is unstable: queues grow without end, so give jobs to bound the run" {
		t.Errorf("service overload without jobs: %v", err)
	}
	c, _ := set(t, ClusterFields(), "via", "ours", "policy", "rr", "workers", "0")
	if err := c.Run(context.Background(), Env{Stdout: &out}); err == nil || !strings.Contains(err.Error(), "servers must be >= 1") {
		t.Errorf("cluster without workers: %v", err)
	}
}

// TestExecuteWritesWhatFinished: the records of the cases that finished
// are written, also when a later case fails, and the run's error comes
// back; a run that made no record writes no file.
func TestExecuteWritesWhatFinished(t *testing.T) {
	rec := func(name string) metrics.Result {
		return metrics.Result{Engine: metrics.EngineSim, Name: name, Params: map[string]any{}, Metrics: map[string]float64{"response_mean": 1}}
	}
	stop := errors.New("interrupted")
	cases := []kase{
		{"a", func(context.Context, func(done, total uint64)) ([]metrics.Result, error) {
			return []metrics.Result{rec("a")}, nil
		}},
		{"b", func(context.Context, func(done, total uint64)) ([]metrics.Result, error) {
			return []metrics.Result{rec("b")}, stop
		}},
		{"c", func(context.Context, func(done, total uint64)) ([]metrics.Result, error) {
			t.Error("ran after a failure")
			return nil, nil
		}},
	}
	path := filepath.Join(t.TempDir(), "out.jsonl")
	var shown []string
	env := Env{Progress: func(what string) (func(done, total uint64), func()) {
		shown = append(shown, what)
		return nil, func() {}
	}}
	if err := execute(context.Background(), cases, Output{Format: "json", Path: path}, env); err != stop {
		t.Fatalf("error %v, want the run's", err)
	}
	b, _ := os.ReadFile(path)
	if got, _ := metrics.ReadJSONL(path, bytes.NewReader(b)); len(got) != 2 || got[1].Name != "b" || !reflect.DeepEqual(shown, []string{"a", "b"}) {
		t.Errorf("wrote %d records, progress of %v: want a and b", len(got), shown)
	}
	empty := filepath.Join(t.TempDir(), "none.jsonl")
	if err := execute(context.Background(), cases[2:2], Output{Format: "text", Path: empty}, Env{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(empty); !os.IsNotExist(err) {
		t.Errorf("a run without records wrote %s (%v)", empty, err)
	}
}

func TestTwins(t *testing.T) {
	exp, _ := workloads.ParseSize("exp")
	sc := scenario.Scenario{Policy: "p2c", Servers: 4, Load: 0.5, Service: exp, Seed: 3,
		Faults: []scenario.Fault{{Kind: scenario.FaultSlow, Server: 1, Speed: 0.5, At: 10}}}
	s := ServiceTwin(harness.ServiceConfig{Scenario: sc, Jobs: 500, Warmup: 50})
	if s.Jobs != 500 || s.Warmup != 50 || !reflect.DeepEqual(s.Scenario, sc) {
		t.Errorf("service twin %+v", s)
	}
	// For a duration: the jobs expected in it (λ = 0.5·4 a unit of 1ms,
	// 2000 a second), less the warm-up.
	if s := ServiceTwin(harness.ServiceConfig{Scenario: sc, Duration: time.Second, Warmup: 200}); s.Jobs != 1800 {
		t.Errorf("service twin of 1s: %d jobs, want 1800", s.Jobs)
	}
}
