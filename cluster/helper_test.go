package cluster

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/stratbench/stratbench/cluster/balancer"
	"github.com/stratbench/stratbench/cluster/procs"
	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/workloads"
)

// The test binary doubles as stratbench's child processes: run with
// STRATBENCH_CLUSTER_HELPER=1 and -test.run=^TestHelperProcess$ -- SUB ARGS,
// TestHelperProcess runs SUB (worker, balance, guard, run, spawn) and exits.
const helperEnv = "STRATBENCH_CLUSTER_HELPER"

// testLauncher starts the test binary as a child stratbench.
func testLauncher() procs.Launcher {
	return procs.Launcher{
		Path: os.Args[0],
		Args: []string{"-test.run=^TestHelperProcess$", "--"},
		Env:  []string{helperEnv + "=1", "GORACE=atexit_sleep_ms=0"},
	}
}

func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("only a child process of other tests runs this")
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := helperMain(ctx, args)
	if err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
	if ctx.Err() != nil {
		os.Exit(130)
	}
	os.Exit(0)
}

// helperMain is a minimal stand-in for the stratbench command line, with
// the flags that procs.Launcher-built command lines use.
func helperMain(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("no subcommand")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	announce := func(addr string) { fmt.Printf("%s%s\n", procs.Announce, addr) }
	switch args[0] {
	case "worker":
		var c worker.Config
		if err := configArg(args, &c); err != nil {
			return err
		}
		return worker.Serve(ctx, c, announce)
	case "balance":
		var c balancer.Config
		if err := configArg(args, &c); err != nil {
			return err
		}
		return balancer.Serve(ctx, c, announce)
	case "guard":
		argv := args[1:]
		if len(argv) > 0 && argv[0] == "--" {
			argv = argv[1:]
		}
		return procs.Guard(ctx, argv, os.Stdout, os.Stderr, 2*time.Second)
	case "run":
		// run VIA WORKERS DURATION: a whole cluster run, for the orphan tests.
		var c Config
		fs.StringVar(&c.Via, "via", "ours", "")
		fs.IntVar(&c.Servers, "workers", 2, "")
		fs.DurationVar(&c.Duration, "duration", 30*time.Second, "")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		c.Policy, c.Load, c.Launcher = "rr", 0.3, testLauncher()
		_, err := Run(ctx, c)
		return err
	case "spawn":
		// spawn: a child that forks a grandchild and both sleep, like
		// nginx's master and worker.
		if os.Getenv("STRATBENCH_SPAWNED") == "" {
			cmd, err := testLauncher().Command("spawn")
			if err != nil {
				return err
			}
			cmd.Env = append(cmd.Env, "STRATBENCH_SPAWNED=1")
			if err := cmd.Start(); err != nil {
				return err
			}
			fmt.Printf("grandchild %d\n", cmd.Process.Pid)
		}
		<-ctx.Done()
		return nil
	}
	return fmt.Errorf("unknown subcommand %q", args[0])
}

// configArg decodes the configuration of a child started by
// procs.Launcher.Child: args are SUB --config-json JSON.
func configArg(args []string, cfg any) error {
	if len(args) != 3 || args[1] != "--"+procs.ConfigFlag {
		return fmt.Errorf("%s: want --%s JSON, got %q", args[0], procs.ConfigFlag, args[1:])
	}
	return procs.DecodeConfig(args[2], cfg)
}

// get fetches url and returns the status code and the response headers.
func get(t *testing.T, client *http.Client, url string) (int, http.Header) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var buf [512]byte
	for {
		if _, err := resp.Body.Read(buf[:]); err != nil {
			break
		}
	}
	return resp.StatusCode, resp.Header
}

func mustSize(t *testing.T, spec string) *workloads.SizeDist {
	t.Helper()
	d, err := workloads.ParseSize(spec)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
