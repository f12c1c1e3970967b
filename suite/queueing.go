package suite

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
	"github.com/stratbench/stratbench/workloads"
)

func init() {
	nan := math.NaN()
	registerType(Type{
		Name:    "queueing",
		Help:    "dispatch policies over servers with queues: the simulator, the harness's service mode, or both side by side",
		Engines: []string{"sim", "harness", "both"},
		Params: append([]Param{
			{"policy", String, "dispatch policy (stratbench list policies)", nan, false},
			{"servers", Int, "number of servers", 1, false},
			{"load", Float, "offered load per unit of capacity", 0, false},
			{"service", String, "service-time distribution (exp, lognormal:sigma=1, ...)", nan, false},
			{"arrival", String, "arrival process (poisson, det, onoff, trace:FILE)", nan, false},
			{"discipline", String, "fifo or ps (sim only)", nan, false},
			{"speeds", String, "relative server speeds, comma-separated", nan, false},
			{"weights", String, "wrr weights, comma-separated", nan, false},
			{"faults", String, "timed events, all applied in one run: slow:server=I,speed=S,at=T[,for=D] or down:server=I,at=T[,for=D], T and D in time units (the harness multiplies by unit)", nan, true},
			{"d", Int, "choices of pod", 1, false},
			{"dispatchers", Int, "dispatchers of jiq", 1, false},
			{"jobs", Int, "measured jobs", 1, false},
			{"warmup", Int, "jobs discarded first (sim: detected by the MSER rule when not given; harness: 10% of jobs)", 0, false},
			{"precision", Float, "sim: run until the 95% interval of response_mean is within ± this fraction of it (or 64 times the jobs)", 0, false},
			{"replications", Int, "independent replications (sim)", 1, false},
			{"unit", Duration, "real duration of one time unit (harness; default 1ms)", nan, false},
			{"kind", String, "harness service: sleep or spin", nan, false},
			{"seed", Int, "seed of this case's runs", 0, false},
		}, policyOptParams()...),
	})
	registerRunner("queueing", "sim", Runner{Check: checkSim, Run: runSim})
}

func floatList(name, s string) ([]float64, error) {
	if s == "" {
		return nil, nil
	}
	var out []float64
	for part := range strings.SplitSeq(s, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil {
			return nil, fmt.Errorf("%s: want comma-separated numbers, got %q", name, s)
		}
		out = append(out, x)
	}
	return out, nil
}

// scenarioOf builds the scenario of a queueing run, the one every engine
// of the case runs; its faults' times are time units (faultUnit 0) or
// durations converted to units of faultUnit (cluster cases).
func scenarioOf(r *Run, faultUnit time.Duration) (scenario.Scenario, error) {
	svc, err := workloads.ParseSize(r.Str("service", "exp"))
	if err != nil {
		return scenario.Scenario{}, err
	}
	arr, err := workloads.ParseArrival(r.Str("arrival", "poisson"))
	if err != nil {
		return scenario.Scenario{}, err
	}
	speeds, err := floatList("speeds", r.Str("speeds", ""))
	if err != nil {
		return scenario.Scenario{}, err
	}
	weights, err := floatList("weights", r.Str("weights", ""))
	if err != nil {
		return scenario.Scenario{}, err
	}
	faults, err := scenario.ParseFaults(r.List("faults"), faultUnit)
	if err != nil {
		return scenario.Scenario{}, err
	}
	policy := r.Str("policy", "p2c")
	return scenario.Scenario{
		Policy:      policy,
		PolicyOpts:  policyOptions(r, policy),
		D:           int(r.Int("d", 2)),
		Dispatchers: int(r.Int("dispatchers", 1)),
		Servers:     int(r.Int("servers", 10)),
		Speeds:      speeds,
		Weights:     weights,
		Load:        r.Float("load", 0.7),
		Service:     svc,
		Arrival:     arr,
		Seed:        r.Seed,
		Faults:      faults,
	}, nil
}

// simConfig builds the simulator's configuration of a queueing run.
func simConfig(r *Run) (sim.Config, error) {
	sc, err := scenarioOf(r, 0)
	if err != nil {
		return sim.Config{}, err
	}
	jobs := uint64(r.Int("jobs", 100_000))
	return sim.Config{
		Scenario:     sc,
		Jobs:         jobs,
		Warmup:       uint64(r.Int("warmup", 0)), // 0: detected
		Precision:    r.Float("precision", 0),
		Discipline:   sim.Discipline(r.Str("discipline", "fifo")),
		Replications: int(r.Int("replications", 1)),
	}, nil
}

func checkSim(r *Run) error {
	cfg, err := simConfig(r)
	if err != nil {
		return err
	}
	return sim.Validate(cfg)
}

func runSim(ctx context.Context, r *Run, _ *Env) ([]metrics.Result, error) {
	cfg, err := simConfig(r)
	if err != nil {
		return nil, err
	}
	res, err := sim.Run(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return []metrics.Result{*res}, nil
}
