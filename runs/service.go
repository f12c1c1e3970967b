package runs

import (
	"context"
	"time"

	"github.com/stratbench/stratbench/harness"
	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/field"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
	"github.com/stratbench/stratbench/strategies"
)

// Service is the run service command: the service-mode run Base
// (harness.RunService) at every load (outer) and policy, each after its
// simulated twin when CompareSim.
type Service struct {
	Base     harness.ServiceConfig
	Policies []string
	Opts     strategies.PolicyOptions
	// Loads are the loads run (nil: 0.7).
	Loads []float64
	// CompareSim runs the simulator on each case first (ServiceTwin) and
	// pairs the two records.
	CompareSim bool
	// jobsGiven and warmupGiven say that Base.Jobs and Base.Warmup were
	// set: else the run takes 10000 jobs (unless a duration), and a warm-up
	// of a tenth of them.
	jobsGiven, warmupGiven bool
	Output
}

// ServiceFields are the settings of Service (the flags of `stratbench run
// service`).
func ServiceFields() []field.Field[Service] {
	sc := scenario.Fields(func(s *Service) *scenario.Scenario { return &s.Base.Scenario }, func(s *Service) time.Duration { return s.Base.Unit })
	sc = field.WithHelp(field.WithDefault(sc, "servers", "8"), "servers", "number of server goroutines", "service", "service-time distribution in units, as sim's (mean 1)",
		"arrival", "arrival process: poisson, det, onoff[:on=T,off=T], trace:FILE", "seed", "seed of every random stream (the simulator's, for --compare-sim)")
	fs := []field.Field[Service]{
		policiesField("p2c", "dispatch policy, or a comma-separated list (stratbench list policies)", func(s *Service) *[]string { return &s.Policies }),
		field.Pick(sc, "servers")[0],
		loadsField("offered load ρ per unit of capacity, or a comma-separated list; >= 1 needs --jobs", func(s *Service) *[]float64 { return &s.Loads }),
	}
	fs = append(fs, field.Pick(sc, "service", "arrival")...)
	fs = append(fs,
		field.Time("unit", "real duration of one time unit", "1ms", time.Nanosecond, func(s *Service) *time.Duration { return &s.Base.Unit }),
		field.Text("kind", "what a server does for a job: sleep (wait the service time) or spin (burn the CPU)", harness.ServiceSleep, func(s *Service) *string { return &s.Base.Kind }),
		field.Field[Service]{Name: "timing", Kind: field.String, Usage: "how servers keep time: loop or spin-loop (sleep only), or goroutines", DefaultText: "loop for sleep, goroutines for spin",
			Set: func(s *Service, v string) error { s.Base.Timing = v; return nil }},
		field.Field[Service]{Name: "jobs", Kind: field.Uint, Usage: "measured jobs", DefaultText: "10000 unless --duration is given",
			Set: func(s *Service, v string) (err error) {
				if s.jobsGiven = true; v == "0" {
					return bad.Field("jobs", "must be > 0")
				}
				return field.Big("jobs", "", "", func(s *Service) *uint64 { return &s.Base.Jobs }).Set(s, v)
			}},
		field.Field[Service]{Name: "duration", Kind: field.Duration, Usage: "send arrivals for this long instead of a number of jobs",
			Set: func(s *Service, v string) (err error) {
				if s.Base.Duration, err = field.ParseDuration("duration", v, 0); err == nil && s.Base.Duration == 0 {
					err = bad.Field("duration", "must be > 0")
				}
				return err
			}},
		field.Field[Service]{Name: "warmup", Kind: field.Uint, Usage: "jobs run first and not measured", DefaultText: "10% of the jobs",
			Set: func(s *Service, v string) error {
				s.warmupGiven = true
				return field.Big("warmup", "", "", func(s *Service) *uint64 { return &s.Base.Warmup }).Set(s, v)
			}},
	)
	fs = append(fs, field.Pick(sc, "speeds", "weights", "d", "dispatchers", "seed", "fault", "retry")...)
	fs = append(fs, scenario.OptsField(func(s *Service) []string { return s.Policies }, func(s *Service, po strategies.PolicyOptions) { s.Opts = po }),
		field.Flag("compare_sim", "also simulate the same case and show both, with the relative error of mean and p99", func(s *Service) *bool { return &s.CompareSim }))
	fs = append(fs, outputFields(func(s *Service) *Output { return &s.Output })...)
	return append(fs, profileFields(func(s *Service) *Output { return &s.Output })...)
}

// Run runs every case (after its twin in the simulator when CompareSim)
// and writes the records.
func (s *Service) Run(ctx context.Context, env Env) error {
	if s.jobsGiven && s.Base.Duration > 0 {
		return bad.Field("", "give {jobs} or {duration}, not both")
	}
	if !s.jobsGiven && s.Base.Duration == 0 {
		s.Base.Jobs = 10000
	}
	loads := s.Loads
	if loads == nil {
		loads = []float64{0.7}
	}
	var cases []kase
	for _, l := range loads {
		for _, p := range s.Policies {
			if l >= 1 && !s.jobsGiven {
				return bad.Field("load", "%g >= 1 is unstable: queues grow without end, so give {jobs} to bound the run", l)
			}
			cfg := s.Base
			cfg.Policy, cfg.Load, cfg.PolicyOpts = p, l, s.Opts[p]
			if !s.warmupGiven {
				cfg.Warmup = cfg.Jobs / 10
				if cfg.Jobs == 0 {
					cfg.Warmup = uint64(harness.Lambda(cfg) * cfg.Duration.Seconds() / cfg.Unit.Seconds() / 10)
				}
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			cases = append(cases, kase{"run service " + p, func(ctx context.Context, progress func(done, total uint64)) ([]metrics.Result, error) {
				var twin *metrics.Result
				if s.CompareSim {
					var err error
					if twin, err = sim.Run(ctx, ServiceTwin(cfg)); err != nil {
						return nil, err
					}
				}
				cfg.Progress = progress
				res, err := harness.RunService(ctx, cfg)
				if res == nil || twin == nil {
					return one(res), err
				}
				metrics.Pair(res, twin)
				return []metrics.Result{*twin, *res}, err
			}})
		}
	}
	return execute(ctx, cases, s.Output, env)
}

// ServiceTwin is the simulation of a service-mode run: the same scenario
// (policy, servers, load, distributions, seed), the same jobs (for a
// duration, the jobs expected in it) and warm-up, so that both see the
// same jobs at the same intended times.
func ServiceTwin(cfg harness.ServiceConfig) sim.Config {
	jobs := cfg.Jobs
	if jobs == 0 {
		unit := cfg.Unit
		if unit == 0 {
			unit = time.Millisecond
		}
		expected := harness.Lambda(cfg) * cfg.Duration.Seconds() / unit.Seconds()
		jobs = uint64(max(expected-float64(cfg.Warmup), 30))
	}
	return sim.Config{Scenario: cfg.Scenario, Jobs: jobs, Warmup: cfg.Warmup}
}
