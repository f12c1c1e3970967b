package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/harness"
	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/reports"
	"github.com/stratbench/stratbench/sim"
	"github.com/stratbench/stratbench/suite"
)

func runServiceCommand() *cli.Command {
	return &cli.Command{
		Name:      "service",
		Usage:     "send open-loop requests to N server goroutines through a dispatch policy; measure response times",
		UsageText: "stratbench run service --policy NAME[,NAME...] --servers N --load RHO[,RHO...] --service DIST --unit D --kind sleep|spin [--jobs J | --duration D] [options]",
		Description: `Generates arrivals open-loop at rate λ = ρ·Σspeeds/E[S] per unit from the seed, and
places each request with the policy on one of N server goroutines, each with its
own FIFO queue. Response times count from each request's intended arrival, however
late the generator ran (no coordinated omission). Times are in units of --unit and
metrics carry the simulator's names, so that a record compares directly with
'stratbench sim' given the same flags: --compare-sim runs both and shows them side
by side. Arrivals and sizes come from the same seeded streams as the simulator's.

--kind sleep makes each server wait the service time: a unit of capacity whatever
the cores, so N may exceed them. --kind spin burns the CPU instead.

--timing says how the servers keep time (the record's params.timing says which ran):
  loop        (default for sleep) one goroutine generates the arrivals, runs the
              policy and holds each server's deadline; it handles every event in
              the order of their times, so the policy decides as in the simulator,
              and ends each job when it reads the clock at the deadline. It sleeps
              in the OS between events, aiming early by what it learnt the OS is
              late, so jobs end on their deadlines on average (loop_late_mean_sec).
  spin-loop   the same loop spinning on the clock for the last tens of microseconds
              before each event: exact on an idle core, but it takes a core while
              events are dense (loop_spin_frac) and suffers most on a busy machine.
  goroutines  (the only one for spin) a dispatching goroutine and one goroutine
              per server, woken by the process timer and the Go scheduler: what a
              server built that way costs (about 10us of CPU a job).

Examples:
  stratbench run service --policy p2c --servers 8 --load 0.5 --compare-sim
  stratbench run service --policy random,rr,jsq,p2c,central --servers 16 --load 0.9 --jobs 20000
  stratbench run service --policy jsq --servers 2 --load 0.7 --kind spin --unit 100us --duration 5s`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "policy", Value: "p2c", Usage: "dispatch policy, or a comma-separated list (stratbench list policies)"},
			&cli.IntFlag{Name: "servers", Value: 8, Usage: "number of server goroutines"},
			&cli.StringFlag{Name: "load", Value: "0.7", Usage: "offered load ρ per unit of capacity, or a comma-separated list; >= 1 needs --jobs"},
			&cli.StringFlag{Name: "service", Value: "exp", Usage: "service-time distribution in units, as sim's (mean 1)"},
			&cli.StringFlag{Name: "arrival", Value: "poisson", Usage: "arrival process: poisson, det, onoff[:on=T,off=T], trace:FILE"},
			&cli.DurationFlag{Name: "unit", Value: 1_000_000, Usage: "real duration of one time unit"},
			&cli.StringFlag{Name: "kind", Value: harness.ServiceSleep, Usage: "what a server does for a job: sleep (wait the service time) or spin (burn the CPU)"},
			&cli.StringFlag{Name: "timing", Usage: "how servers keep time: loop or spin-loop (sleep only), or goroutines", DefaultText: "loop for sleep, goroutines for spin"},
			&cli.Uint64Flag{Name: "jobs", Usage: "measured jobs", DefaultText: "10000 unless --duration is given"},
			&cli.DurationFlag{Name: "duration", Usage: "send arrivals for this long instead of a number of jobs"},
			&cli.Uint64Flag{Name: "warmup", Usage: "jobs run first and not measured", DefaultText: "10% of the jobs"},
			&cli.StringFlag{Name: "speeds", Usage: "relative server speeds, comma-separated, one per server (default all 1)"},
			&cli.StringFlag{Name: "weights", Usage: "wrr weights, one per server (default the speeds)"},
			&cli.IntFlag{Name: "d", Value: 2, Usage: "choices of pod"},
			&cli.IntFlag{Name: "dispatchers", Value: 1, Usage: "dispatchers of jiq"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of every random stream (the simulator's, for --compare-sim)"},
			faultFlag, retryFlag, policyOptFlag,
			&cli.BoolFlag{Name: "compare-sim", Usage: "also simulate the same case and show both, with the relative error of mean and p99"},
			runFormatFlag, runOutFlag, cpuProfFlag, memProfFlag, quietFlag,
		},
		OnUsageError: onUsageError,
		Action:       runServiceAction,
	}
}

func runServiceAction(c *cli.Context) error {
	format, err := begin(c)
	if err != nil {
		return err
	}
	base, err := serviceConfig(c)
	if err != nil {
		return err
	}
	scs, err := sweep(c, base.Scenario, false)
	if err != nil {
		return err
	}
	var cfgs []harness.ServiceConfig
	for _, sc := range scs {
		if sc.Load >= 1 && !c.IsSet("jobs") {
			return bad.Inputf("--load %g >= 1 is unstable: queues grow without end, so give --jobs to bound the run", sc.Load)
		}
		cfg := base
		cfg.Scenario = sc
		if !c.IsSet("warmup") {
			cfg.Warmup = cfg.Jobs / 10
			if cfg.Jobs == 0 {
				cfg.Warmup = uint64(harness.Lambda(cfg) * cfg.Duration.Seconds() / cfg.Unit.Seconds() / 10)
			}
		}
		if err := cfg.Validate(); err != nil {
			return err
		}
		cfgs = append(cfgs, cfg)
	}
	stop, err := profiles(c)
	if err != nil {
		return err
	}
	var results []metrics.Result
	var pairs []reports.Paired
	var runErr error
	for _, cfg := range cfgs {
		var simRes *metrics.Result
		if c.Bool("compare-sim") {
			simRes, runErr = sim.Run(c.Context, suite.SimConfigFor(cfg))
			if runErr != nil {
				break
			}
		}
		var clear func()
		cfg.Progress, clear = progress(c, "run service "+cfg.Policy)
		res, err := harness.RunService(c.Context, cfg)
		clear()
		runErr = err
		pairs = appendPair(pairs, simRes, res)
		if runErr != nil {
			break
		}
	}
	for _, p := range pairs {
		if p.Sim != nil {
			results = append(results, *p.Sim)
		}
		results = append(results, *p.Real)
	}
	return finishRun(c, results, runErr, stop, func(w io.Writer) error {
		if format != "text" {
			return writeResults(w, results, format)
		}
		for i, p := range pairs {
			if i > 0 {
				fmt.Fprintln(w)
			}
			if err := reports.WriteSummary(w, p.Real); err != nil {
				return err
			}
			if p.Sim != nil {
				fmt.Fprintln(w)
				if err := reports.WritePaired(w, fmt.Sprintf("Harness against the simulator (same scenario and seed; kind %v, timing %v, times in units of %v):", p.Real.Params["kind"], p.Real.Params["timing"], p.Real.Params["unit"]), pairs[i:i+1]); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// appendPair adds the pair when the harness produced a record, pairing
// it with the simulator's record.
func appendPair(pairs []reports.Paired, simRes, res *metrics.Result) []reports.Paired {
	if res == nil {
		return pairs
	}
	metrics.Pair(res, simRes)
	return append(pairs, reports.Paired{Real: res, Sim: simRes})
}

// serviceConfig builds the common configuration from run service's flags.
func serviceConfig(c *cli.Context) (harness.ServiceConfig, error) {
	var cfg harness.ServiceConfig
	sc, err := scenarioFlags(c)
	if err != nil {
		return cfg, err
	}
	switch {
	case c.Duration("unit") <= 0:
		return cfg, bad.Inputf("--unit must be > 0, got %v", c.Duration("unit"))
	case c.Duration("duration") < 0:
		return cfg, bad.Inputf("--duration must be >= 0, got %v", c.Duration("duration"))
	case c.IsSet("jobs") && c.IsSet("duration"):
		return cfg, bad.Inputf("give --jobs or --duration, not both")
	case c.IsSet("jobs") && c.Uint64("jobs") == 0:
		return cfg, bad.Inputf("--jobs must be > 0")
	}
	if err := faultFlags(c, &sc, c.Duration("unit")); err != nil {
		return cfg, err
	}
	jobs := c.Uint64("jobs")
	if !c.IsSet("jobs") && !c.IsSet("duration") {
		jobs = 10000
	}
	if c.IsSet("duration") && c.Duration("duration") == 0 {
		return cfg, bad.Inputf("--duration must be > 0")
	}
	return harness.ServiceConfig{
		Scenario: sc,
		Unit:     c.Duration("unit"),
		Kind:     c.String("kind"),
		Timing:   c.String("timing"),
		Jobs:     jobs,
		Duration: c.Duration("duration"),
		Warmup:   c.Uint64("warmup"),
	}, nil
}
