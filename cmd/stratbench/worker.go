package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/cluster/procs"
	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/internal/bad"
)

func workerCommand() *cli.Command {
	return &cli.Command{
		Name:      "worker",
		Usage:     "serve tasks over HTTP, one request one task (a worker process of run cluster)",
		UsageText: "stratbench worker [--listen ADDR] [--kind sleep|spin|xml] [--capacity C]",
		Description: `Serves GET /work?ns=N: one task of N nanoseconds of the chosen kind. At most
--capacity tasks are in service at once; the others wait in arrival order. Each
response carries the time the task waited and the time it was in service
(X-Stratbench-Wait-Ns, X-Stratbench-Service-Ns). GET /healthz answers 200 while the
process serves; GET /_stratbench/info answers its counters in JSON.

Once it listens it prints "` + strings.TrimSpace(procs.Announce) + ` ADDR" on stdout. SIGINT
or SIGTERM stops it gracefully.

run cluster starts its workers itself. To spread workers over machines, start one
per machine and give their addresses to run cluster --backends:

  host1$ stratbench worker --listen 0.0.0.0:9000 --kind spin --capacity 2
  host2$ stratbench worker --listen 0.0.0.0:9000 --kind spin --capacity 2
  here$  stratbench run cluster --backends host1:9000,host2:9000 --policy p2c --load 0.7

Kinds:
` + kindsHelp(),
		Flags: append(flags(worker.Fields()), configFlag()),
		Action: func(c *cli.Context) error {
			var cfg worker.Config
			if err := childConfig(c, worker.Fields(), &cfg); err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return bad.Input(err)
			}
			return worker.Serve(c.Context, cfg, announce(c))
		},
	}
}

func kindsHelp() string {
	var b strings.Builder
	for _, k := range worker.Kinds {
		fmt.Fprintf(&b, "  %-6s %s\n", k.Name, k.Help)
	}
	return b.String()
}
