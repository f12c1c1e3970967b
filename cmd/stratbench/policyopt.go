package main

import (
	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/strategies"
)

// policyOptFlag sets the policies' declared parameters (sim, run service,
// run cluster, balance).
var policyOptFlag = &cli.StringSliceFlag{Name: "policy-opt", Usage: "a policy's parameter, repeatable or comma-separated: " +
	strategies.PolicyOptSyntax + "; applies to that policy wherever --policy runs it"}

// policyOpts reads --policy-opt for the policies the command runs.
func policyOpts(c *cli.Context, policies []string) (strategies.PolicyOptions, error) {
	po, err := strategies.ParsePolicyOpts(c.StringSlice("policy-opt"))
	if err == nil {
		err = po.Only(policies)
	}
	if err != nil {
		return nil, bad.Inputf("--policy-opt %v", err)
	}
	return po, nil
}
