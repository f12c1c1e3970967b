package main

import (
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/scenario"
)

// faultFlag and retryFlag are the timed-event flags of sim, run service
// and run cluster.
var (
	faultFlag = &cli.StringSliceFlag{Name: "fault", Usage: "a timed event, repeatable: " + scenario.FaultSyntax +
		" (T and D: time units in sim, durations such as 2s in run service and run cluster; no for: to the end)"}
	retryFlag = &cli.BoolFlag{Name: "retry", Usage: "the balancer sends again the jobs a server held when it went down (default: they are lost and counted)"}
)

// faultFlags reads --fault and --retry into sc, with times in units of
// unit (0: time units, the simulator).
func faultFlags(c *cli.Context, sc *scenario.Scenario, unit time.Duration) error {
	specs := joinFaultPieces(c.StringSlice("fault"))
	fs, err := scenario.ParseFaults(specs, unit)
	if err != nil {
		return bad.Input(err)
	}
	sc.Faults, sc.Retry = fs, c.Bool("retry")
	return nil
}

// joinFaultPieces undoes the slice flag's split at commas: a piece that
// starts with a fault kind and ':' begins a fault, the others continue
// the previous one.
func joinFaultPieces(pieces []string) []string {
	var out []string
	for _, p := range pieces {
		kind, _, ok := strings.Cut(p, ":")
		if len(out) == 0 || (ok && (kind == string(scenario.FaultSlow) || kind == string(scenario.FaultDown))) {
			out = append(out, p)
			continue
		}
		out[len(out)-1] += "," + p
	}
	return out
}
