package main

import (
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/scenario"
)

// begin checks what every run command checks first: no arguments, and a
// known --format; it returns the format.
func begin(c *cli.Context) (format string, err error) {
	if c.NArg() > 0 {
		return "", bad.Inputf("%s takes no arguments, got %q", strings.Join(commandPath(c), " "), c.Args().First())
	}
	return checkFormat(c)
}

// sweep returns base once for every load and policy of the command's
// --load and --policy lists (loads outer, as the cases are run and
// ranked), each policy with its --policy-opt settings. With traceOwnLoad, a trace-driven base without --load is
// replayed at its own load (Load 0).
func sweep(c *cli.Context, base scenario.Scenario, traceOwnLoad bool) ([]scenario.Scenario, error) {
	policies := splitList(c.String("policy"))
	if len(policies) == 0 {
		return nil, bad.Inputf("--policy: give at least one policy")
	}
	opts, err := policyOpts(c, policies)
	if err != nil {
		return nil, err
	}
	loads, err := parseFloats("load", c.String("load"))
	if err != nil {
		return nil, err
	}
	if len(loads) == 0 {
		return nil, bad.Inputf("--load: give at least one load")
	}
	if traceOwnLoad && base.Arrival != nil && base.Arrival.Trace() != nil && !c.IsSet("load") {
		loads = []float64{0}
	}
	var out []scenario.Scenario
	for _, l := range loads {
		for _, p := range policies {
			sc := base
			sc.Policy, sc.Load, sc.PolicyOpts = p, l, opts[p]
			out = append(out, sc)
		}
	}
	return out, nil
}
