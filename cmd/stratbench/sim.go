package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/fsutil"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/reports"
	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/sim"
	"github.com/stratbench/stratbench/workloads"
)

func simCommand() *cli.Command {
	return &cli.Command{
		Name:      "sim",
		Usage:     "simulate servers, queues and a dispatch policy; compare with queueing theory",
		UsageText: "stratbench sim --policy NAME[,NAME...] --servers N --load RHO[,RHO...] [--jobs J] [options]",
		Description: `Runs the discrete-event simulator: N servers with their own queues, jobs arriving
at rate λ = ρ·Σspeeds / mean service, each placed by the policy. Time is unitless
(mean service time 1). Several policies or loads run one after the other with the
same seed (common random numbers), so their differences are not noise of the seed.

Examples:
  stratbench sim --policy p2c --servers 100 --load 0.9
  stratbench sim --policy random,rr,jsq,p2c,central --servers 10 --load 0.9 --jobs 200000
  stratbench sim --policy jsq --servers 3 --speeds 2,1,1 --load 0.8 --service lognormal:sigma=1.5
  stratbench sim --policy random --servers 1 --load 0.7 --service pareto:alpha=2.5 --replications 8
  stratbench sim --policy p2c --servers 100 --load 0.9 --format bench > sim.txt`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "policy", Value: "p2c", Usage: "dispatch policy, or a comma-separated list (stratbench list policies)"},
			&cli.IntFlag{Name: "servers", Value: 100, Usage: "number of servers"},
			&cli.StringFlag{Name: "load", Value: "0.7", Usage: "offered load ρ per unit of capacity, or a comma-separated list; >= 1 is unstable"},
			&cli.Uint64Flag{Name: "jobs", Usage: "measured jobs", DefaultText: "50 per server, at least 1000000"},
			&cli.Uint64Flag{Name: "warmup", Usage: "jobs simulated first and discarded", DefaultText: "0: detected by the MSER rule on a pilot run"},
			&cli.Float64Flag{Name: "precision", Usage: "run until the 95% interval of response_mean is within ±P of it (a fraction, e.g. 0.01), doubling --jobs (or --replications) up to 64 times; 0 runs --jobs once"},
			&cli.StringFlag{Name: "service", Value: "exp", Usage: "service-time distribution: exp, det, lognormal:sigma=S, pareto:alpha=A, bimodal:p=P,ratio=R, hyperexp:scv=C, empirical:FILE (mean 1 unless mean=M)"},
			&cli.StringFlag{Name: "arrival", Value: "poisson", Usage: "arrival process: poisson, det, onoff[:on=T,off=T], trace:FILE (CSV: time,size)"},
			&cli.StringFlag{Name: "speeds", Usage: "relative server speeds, comma-separated, one per server (default all 1)"},
			&cli.StringFlag{Name: "weights", Usage: "wrr weights, one per server (default the speeds)"},
			&cli.IntFlag{Name: "d", Value: 2, Usage: "choices of pod"},
			&cli.IntFlag{Name: "dispatchers", Value: 1, Usage: "dispatchers of jiq"},
			&cli.StringFlag{Name: "discipline", Value: "fifo", Usage: "server discipline: fifo or ps (processor sharing)"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of every random stream"},
			faultFlag, retryFlag, policyOptFlag,
			&cli.Float64Flag{Name: "network-delay", Usage: "fixed transport time every job spends outside the queues (to its server and back), in time units, added to its response (run cluster measures it)"},
			&cli.IntFlag{Name: "replications", Value: 1, Usage: "independent replications, run in parallel on all cores; > 1 takes the CI across them instead of batch means"},
			&cli.StringFlag{Name: "trace", Usage: "write a CSV row per job (id,arrival,server,start,departure) to this file"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "output format: text, json (JSON Lines of result records) or bench (Go benchmark format)"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write the output to this file instead of stdout"},
			quietFlag,
		},
		Action: simAction,
	}
}

func simAction(c *cli.Context) error {
	format, err := begin(c)
	if err != nil {
		return err
	}
	base, err := simConfig(c)
	if err != nil {
		return err
	}
	scs, err := sweep(c, base.Scenario, true)
	if err != nil {
		return err
	}
	cfgs := make([]sim.Config, len(scs))
	for i, sc := range scs {
		cfgs[i] = base
		cfgs[i].Scenario = sc
	}
	return runSims(c, cfgs, format)
}

// scenarioFlags reads the scenario flags that sim and run service share
// (servers, the service and arrival processes, the servers' speeds and
// weights, the settings of pod and jiq, the seed); the policy and load
// are set per case.
func scenarioFlags(c *cli.Context) (sc scenario.Scenario, err error) {
	if sc.Service, err = workloads.ParseSize(c.String("service")); err != nil {
		return sc, bad.Input(fmt.Errorf("--service: %w", err))
	}
	if sc.Arrival, err = workloads.ParseArrival(c.String("arrival")); err != nil {
		return sc, bad.Input(fmt.Errorf("--arrival: %w", err))
	}
	if sc.Speeds, err = parseFloats("speeds", c.String("speeds")); err != nil {
		return sc, err
	}
	if sc.Weights, err = parseFloats("weights", c.String("weights")); err != nil {
		return sc, err
	}
	sc.D, sc.Dispatchers = c.Int("d"), c.Int("dispatchers")
	switch {
	case sc.D < 1:
		return sc, bad.Inputf("-d must be >= 1, got %d", sc.D)
	case sc.Dispatchers < 1:
		return sc, bad.Inputf("--dispatchers must be >= 1, got %d", sc.Dispatchers)
	}
	sc.Servers, sc.Seed = c.Int("servers"), c.Uint64("seed")
	return sc, nil
}

// simConfig builds the common configuration from sim's flags.
func simConfig(c *cli.Context) (sim.Config, error) {
	sc, err := scenarioFlags(c)
	if err != nil {
		return sim.Config{}, err
	}
	if err := faultFlags(c, &sc, 0); err != nil {
		return sim.Config{}, err
	}
	sc.NetworkDelay = c.Float64("network-delay")
	if n := c.Int("replications"); n < 1 {
		return sim.Config{}, bad.Inputf("--replications must be >= 1, got %d", n)
	}
	jobs, warmup := c.Uint64("jobs"), c.Uint64("warmup") // 0: sim's defaults
	return sim.Config{
		Scenario:     sc,
		Jobs:         jobs,
		Warmup:       warmup,
		Discipline:   sim.Discipline(c.String("discipline")),
		Replications: c.Int("replications"),
		Precision:    c.Float64("precision"),
	}, nil
}

// runSims runs each configuration in turn and writes the results in format.
// On interruption it still writes the results finished so far.
func runSims(c *cli.Context, cfgs []sim.Config, format string) error {
	w, commit, abort, err := output(c, c.String("out"))
	if err != nil {
		return err
	}
	defer abort()
	var trace *fsutil.File
	if p := c.String("trace"); p != "" {
		if len(cfgs) > 1 {
			return bad.Inputf("--trace needs a single policy and load, got %d combinations", len(cfgs))
		}
		if trace, err = fsutil.Create(p); err != nil {
			return err
		}
		defer trace.Abort()
		cfgs[0].Trace = trace
	}
	var results []metrics.Result
	var runErr error
	for i := range cfgs {
		cfg := cfgs[i]
		var clear func()
		cfg.Progress, clear = progress(c, "sim "+sim.CaseName(&cfg))
		res, err := sim.Run(c.Context, cfg)
		clear()
		runErr = err
		if res != nil {
			results = append(results, *res)
		}
		if runErr != nil {
			break
		}
	}
	if len(results) > 0 {
		if err := writeResults(w, results, format); err != nil {
			return err
		}
		if err := commit(); err != nil {
			return err
		}
	}
	if trace != nil && runErr == nil {
		if err := trace.Commit(); err != nil {
			return err
		}
	}
	return runErr
}

// writeResults writes results in the named output format
// (reports.OutputFormats).
func writeResults(w io.Writer, results []metrics.Result, format string) error {
	f, err := reports.LookupOutput(format)
	if err != nil {
		return err
	}
	return f.Write(w, results)
}
