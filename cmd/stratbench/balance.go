package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/cluster/balancer"
	"github.com/stratbench/stratbench/cluster/procs"
	"github.com/stratbench/stratbench/harness"
	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/field"
)

func balanceCommand(e *env) *cli.Command {
	fs := balancer.Fields()
	return &cli.Command{
		Name:      "balance",
		Usage:     "a reverse proxy that places each request with a dispatch policy of the simulator",
		UsageText: "stratbench balance --backends HOST:PORT,... [--policy NAME] [--listen ADDR] [options]",
		Description: `Proxies every request to one of the backends, chosen by the same policy code as
the simulator, through a view of the backends backed by in-flight counters:
load = requests in flight at a backend. Clients are served by fasthttp's server;
the balancer also refuses what nginx and Go's server refuse (unknown HTTP
versions, Content-Length with Transfer-Encoding, folded lines, bare LF, a
missing Host) and drops header names with underscores, as nginx does. Every
refused request is answered (400, 408, 413, 414, 431, 505) and its connection
closed. A request body is read whole, under its idle and total timeouts, before
a backend is chosen, so a slow upload never holds a backend. Backend connections
are kept alive and reused only when they hold no unread byte; bytes after a
complete response close the connection (counted as unsolicited).

Backends are checked with GET /healthz; a backend that refuses a connection or
fails two checks is left out until two checks pass again. Only backend-side
failures count against a backend (client faults are counted apart, by kind). A
request that failed before any response byte came back is sent once more, to
another backend, when it has no body and is idempotent (GET, HEAD, ... or an
Idempotency-Key header). With --policy central, requests wait in a bounded
queue (--queue-max, --queue-timeout; 503 beyond). GET /_stratbench/stats
answers its counters in JSON.

Every limit and timeout below has a default (0 keeps it).

The key of hash and maglev is the key query parameter (else the request URI).

Once it listens it prints "` + strings.TrimSpace(procs.Announce) + ` ADDR" on stdout.

Examples:
  stratbench balance --listen 127.0.0.1:8080 --backends 127.0.0.1:9001,127.0.0.1:9002 --policy p2c
  stratbench balance --backends host1:9000,host2:9000 --policy ewma --unit 10ms`,
		Flags: append(append(flags(fs), configFlag()), &cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile of the balancer to this file when it stops"}),
		Action: func(c *cli.Context) error {
			var cfg balancer.Config
			if err := childConfig(c, fs, &cfg); err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return bad.Input(err)
			}
			stop, err := harness.StartProfiles(c.String("cpuprofile"), "")
			if err != nil {
				return err
			}
			defer stop()
			return balancer.Serve(c.Context, cfg, announce(c))
		},
	}
}

// guardCommand is the hidden `stratbench guard` that run cluster puts
// around nginx and HAProxy.
func guardCommand() *cli.Command {
	return &cli.Command{
		Name:      "guard",
		Hidden:    true,
		Usage:     "run a command and take its whole process group down with this process (used by run cluster for nginx and HAProxy)",
		UsageText: "stratbench guard -- COMMAND [ARGS...]",
		Action: func(c *cli.Context) error {
			args := c.Args().Slice()
			if len(args) > 0 && args[0] == "--" {
				args = args[1:]
			}
			if len(args) == 0 {
				return bad.Inputf("guard: give the command to run after --")
			}
			return procs.Guard(c.Context, args, c.App.Writer, c.App.ErrWriter, 2*time.Second)
		},
	}
}

// configFlag is the hidden flag through which run cluster gives a child
// process its whole configuration (procs.Launcher.Child).
func configFlag() cli.Flag {
	return &cli.StringFlag{Name: procs.ConfigFlag, Hidden: true, Usage: "the whole configuration as JSON (run cluster's children)"}
}

// childConfig sets cfg from --config-json when given (alone), else from
// the flags of fs; a command of a child process takes no arguments.
func childConfig[C any](c *cli.Context, fs []field.Field[C], cfg *C) error {
	if c.NArg() > 0 {
		return bad.Inputf("%s takes no arguments, got %q", c.Command.Name, c.Args().First())
	}
	if !c.IsSet(procs.ConfigFlag) {
		return apply(c, fs, cfg)
	}
	if len(c.LocalFlagNames()) > 1 {
		return bad.Inputf("--%s gives the whole configuration: no other flag goes with it", procs.ConfigFlag)
	}
	return bad.Input(procs.DecodeConfig(c.String(procs.ConfigFlag), cfg))
}

// announce prints the address a child process listens on, for its
// supervisor (procs.Announce).
func announce(c *cli.Context) func(addr string) {
	return func(addr string) { fmt.Fprintf(c.App.Writer, "%s%s\n", procs.Announce, addr) }
}
