package runs

import (
	"context"
	"io"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/field"
	"github.com/stratbench/stratbench/internal/fsutil"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
	"github.com/stratbench/stratbench/strategies"
)

// Sim is the sim command: the simulation Base at every load (outer) and
// policy, in turn, with the same seed (common random numbers).
type Sim struct {
	Base     sim.Config
	Policies []string
	Opts     strategies.PolicyOptions
	// Loads are the loads run (nil: 0.7, or the trace's own load when the
	// arrivals are a trace).
	Loads []float64
	// Trace, when set, is a file that receives a CSV row a job (a single
	// case only).
	Trace string
	Output
}

// SimFields are the settings of Sim (the flags of `stratbench sim`).
func SimFields() []field.Field[Sim] {
	sc := field.WithDefault(scenario.Fields(func(s *Sim) *scenario.Scenario { return &s.Base.Scenario }, nil), "servers", "100")
	jobs := field.Big("jobs", "measured jobs", "", func(s *Sim) *uint64 { return &s.Base.Jobs })
	jobs.DefaultText = "50 per server, at least 1000000"
	warmup := field.Big("warmup", "jobs simulated first and discarded", "", func(s *Sim) *uint64 { return &s.Base.Warmup })
	warmup.DefaultText = "0: detected by the MSER rule on a pilot run"
	fs := []field.Field[Sim]{
		policiesField("p2c", "dispatch policy, or a comma-separated list (stratbench list policies)", func(s *Sim) *[]string { return &s.Policies }),
		field.Pick(sc, "servers")[0],
		loadsField("offered load ρ per unit of capacity, or a comma-separated list; >= 1 is unstable", func(s *Sim) *[]float64 { return &s.Loads }),
		jobs, warmup,
		field.Number("precision", "run until the 95% interval of response_mean is within ±P of it (a fraction, e.g. 0.01), doubling --jobs (or --replications) up to 64 times; 0 runs --jobs once", "",
			func(s *Sim) *float64 { return &s.Base.Precision }),
	}
	fs = append(fs, field.Pick(sc, "service", "arrival", "speeds", "weights", "d", "dispatchers")...)
	fs = append(fs, field.Field[Sim]{Name: "discipline", Kind: field.String, Default: "fifo", Usage: "server discipline: fifo or ps (processor sharing)",
		Set: func(s *Sim, v string) error { s.Base.Discipline = sim.Discipline(v); return nil }})
	fs = append(fs, field.Pick(sc, "seed", "fault", "retry")...)
	fs = append(fs, scenario.OptsField(func(s *Sim) []string { return s.Policies }, func(s *Sim, po strategies.PolicyOptions) { s.Opts = po }))
	fs = append(fs, field.Pick(sc, "network_delay", "view_delay")...)
	fs = append(fs,
		field.Count("replications", "independent replications, run in parallel on all cores; > 1 takes the CI across them instead of batch means", "1", 1,
			func(s *Sim) *int { return &s.Base.Replications }),
		field.Text("trace", "write a CSV row per job (id,arrival,server,start,departure) to this file", "", func(s *Sim) *string { return &s.Trace }))
	return append(fs, outputFields(func(s *Sim) *Output { return &s.Output })...)
}

// Run simulates every case and writes the records; the trace is kept only
// when the case ran to its end.
func (s *Sim) Run(ctx context.Context, env Env) error {
	loads := s.Loads
	if loads == nil {
		loads = []float64{0.7}
		if s.Base.Arrival != nil && s.Base.Arrival.Trace() != nil {
			loads = []float64{0} // the trace's own load
		}
	}
	var trace io.Writer
	var cases []kase
	for _, l := range loads {
		for _, p := range s.Policies {
			cfg := s.Base
			cfg.Policy, cfg.Load, cfg.PolicyOpts = p, l, s.Opts[p]
			if err := sim.Validate(cfg); err != nil {
				return err
			}
			cases = append(cases, kase{"sim " + sim.CaseName(&cfg), func(ctx context.Context, progress func(done, total uint64)) ([]metrics.Result, error) {
				cfg.Progress, cfg.Trace = progress, trace
				res, err := sim.Run(ctx, cfg)
				return one(res), err
			}})
		}
	}
	if s.Trace == "" {
		return execute(ctx, cases, s.Output, env)
	}
	if len(cases) > 1 {
		return bad.Field("trace", "needs a single policy and load, got %d combinations", len(cases))
	}
	f, err := fsutil.Create(s.Trace)
	if err != nil {
		return err
	}
	defer f.Abort()
	trace = f
	if err := execute(ctx, cases, s.Output, env); err != nil {
		return err
	}
	return f.Commit()
}
