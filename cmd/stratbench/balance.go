package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/cluster/balancer"
	"github.com/stratbench/stratbench/cluster/procs"
	"github.com/stratbench/stratbench/internal/bad"
)

func init() {
	register(&cli.Command{
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
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:0", Usage: "address to listen on (port 0: any free port)"},
			&cli.StringSliceFlag{Name: "backends", Usage: "backend host:port addresses, comma-separated or repeated"},
			&cli.StringFlag{Name: "policy", Value: "jsq", Usage: "dispatch policy (stratbench list policies)"},
			&cli.IntFlag{Name: "d", Value: 2, Usage: "choices of pod"},
			&cli.IntFlag{Name: "dispatchers", Value: 1, Usage: "dispatchers of jiq"},
			policyOptFlag,
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the policy's random choices"},
			&cli.DurationFlag{Name: "unit", Value: time.Millisecond, Usage: "the policy's time unit (the ewma policy's clock and latencies)"},
			&cli.DurationFlag{Name: "health-interval", Value: 200 * time.Millisecond, Usage: "period of the health checks of each backend; 0 disables them"},
			&cli.DurationFlag{Name: "backend-timeout", Value: 60 * time.Second, Usage: "longest wait for a backend's response to end, after which the request gets a 504; 0 disables it"},
			&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile of the balancer to this file when it stops"},
		}, limitFlags()...),
		Action: balanceAction,
	})
	register(&cli.Command{
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
	})
}

func balanceAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return bad.Inputf("balance takes no arguments, got %q", c.Args().First())
	}
	var backends []string
	for _, b := range c.StringSlice("backends") {
		backends = append(backends, splitList(b)...)
	}
	if len(backends) == 0 {
		return bad.Inputf("--backends: give at least one host:port")
	}
	hi := c.Duration("health-interval")
	if hi < 0 {
		return bad.Inputf("--health-interval must be >= 0, got %v", hi)
	}
	if hi == 0 {
		hi = -1 // disabled
	}
	bt := c.Duration("backend-timeout")
	if bt < 0 {
		return bad.Inputf("--backend-timeout must be >= 0, got %v", bt)
	}
	if bt == 0 {
		bt = -1 // disabled
	}
	if c.Duration("unit") <= 0 {
		return bad.Inputf("--unit must be > 0, got %v", c.Duration("unit"))
	}
	opts, err := policyOpts(c, []string{c.String("policy")})
	if err != nil {
		return err
	}
	cfg := balancer.Config{
		Listen:         c.String("listen"),
		Backends:       backends,
		Policy:         c.String("policy"),
		Options:        opts[c.String("policy")],
		D:              c.Int("d"),
		Dispatchers:    c.Int("dispatchers"),
		Seed:           c.Uint64("seed"),
		Unit:           c.Duration("unit"),
		HealthInterval: hi,
		BackendTimeout: bt,
	}
	for _, f := range balancer.LimitFlags {
		if c.IsSet(f.Name) {
			if err := f.Set(&cfg, c.String(f.Name)); err != nil {
				return bad.Input(err)
			}
		}
	}
	if err := cfg.Validate(); err != nil {
		return bad.Input(err)
	}
	if p := c.String("cpuprofile"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			return bad.Input(fmt.Errorf("--cpuprofile: %w", err))
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	return balancer.Serve(c.Context, cfg, func(addr string) {
		fmt.Fprintf(c.App.Writer, "%s%s\n", procs.Announce, addr)
	})
}

// limitFlags are the flags of the balancer's limits and timeouts, from the
// library's table (parsed in balanceAction with LimitFlag.Set).
func limitFlags() []cli.Flag {
	var fs []cli.Flag
	for _, f := range balancer.LimitFlags {
		fs = append(fs, &cli.StringFlag{Name: f.Name, Value: f.Default(), Usage: f.Usage})
	}
	return fs
}
