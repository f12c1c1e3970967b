package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/cluster/procs"
	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/internal/bad"
)

func init() {
	register(&cli.Command{
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
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:0", Usage: "address to listen on (port 0: any free port)"},
			&cli.StringFlag{Name: "kind", Value: "sleep", Usage: "what a task does: " + strings.Join(worker.KindNames(), ", ")},
			&cli.IntFlag{Name: "capacity", Value: 1, Usage: "tasks in service at once; the rest wait in FIFO order"},
			&cli.BoolFlag{Name: "accept-faults", Usage: "let POST " + worker.FaultPath + "?speed=S or ?down=D slow this worker or make it fail (run cluster --fault)"},
		},
		Action: workerAction,
	})
}

func kindsHelp() string {
	var b strings.Builder
	for _, k := range worker.Kinds {
		fmt.Fprintf(&b, "  %-6s %s\n", k.Name, k.Help)
	}
	return b.String()
}

func workerAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return bad.Inputf("worker takes no arguments, got %q", c.Args().First())
	}
	cfg := worker.Config{Listen: c.String("listen"), Kind: c.String("kind"), Capacity: c.Int("capacity"), AcceptFaults: c.Bool("accept-faults")}
	if cfg.Capacity < 1 {
		return bad.Inputf("--capacity must be >= 1, got %d", cfg.Capacity)
	}
	if err := cfg.Validate(); err != nil {
		return bad.Input(err)
	}
	return worker.Serve(c.Context, cfg, func(addr string) {
		fmt.Fprintf(c.App.Writer, "%s%s\n", procs.Announce, addr)
	})
}
