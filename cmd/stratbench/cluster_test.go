package main

import (
	"context"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stratbench/stratbench/cluster"
	"github.com/stratbench/stratbench/cluster/procs"
	"github.com/stratbench/stratbench/metrics"
)

// The test binary doubles as the stratbench binary for the processes that
// run cluster starts: with STRATBENCH_CMD_HELPER=1 and
// -test.run=^TestClusterHelperProcess$ -- ARGS it runs `stratbench ARGS`.
const cmdHelperEnv = "STRATBENCH_CMD_HELPER"

func cmdTestLauncher() procs.Launcher {
	return procs.Launcher{
		Path: os.Args[0],
		Args: []string{"-test.run=^TestClusterHelperProcess$", "--"},
		Env:  []string{cmdHelperEnv + "=1", "GORACE=atexit_sleep_ms=0"},
	}
}

func TestClusterHelperProcess(t *testing.T) {
	if os.Getenv(cmdHelperEnv) != "1" {
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
	code := runEnv(ctx, &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, launcher: cmdTestLauncher()}, append([]string{"stratbench"}, args...))
	stop()
	os.Exit(code)
}

// TestClusterBadInput checks that bad input is refused with exit status 2
// and a one-line message, before any process starts.
func TestClusterBadInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string // in the message
	}{
		{[]string{"run", "cluster", "--via", "traefik"}, "unknown balancer"},
		{[]string{"run", "cluster", "--policy", "fastest"}, "unknown policy"},
		{[]string{"run", "cluster", "--workers", "0"}, "--workers"},
		{[]string{"run", "cluster", "--load", "0"}, "--load"},
		{[]string{"run", "cluster", "--load", "1.2"}, ""}, // fine with the default --duration: no error expected below
		{[]string{"run", "cluster", "--duration", "-1s"}, "--duration"},
		{[]string{"run", "cluster", "--duration", "1s", "--jobs", "5"}, "not both"},
		{[]string{"run", "cluster", "--jobs", "0"}, "--jobs"},
		{[]string{"run", "cluster", "--backends", "a:1,b:2", "--kill-worker-at", "1s"}, "--backends"},
		{[]string{"run", "cluster", "--workers", "1", "--kill-worker-at", "1s"}, "at least 2 workers"},
		{[]string{"run", "cluster", "--duration", "2s", "--kill-worker-at", "5s"}, "not before the end of the load"},
		{[]string{"run", "cluster", "--kill-worker-at", "0s"}, "--kill-worker-at must be > 0"},
		{[]string{"run", "cluster", "--duration", "2s", "--fault", "slow:server=1,speed=0.5,at=3s"}, "--fault slow:server=1,speed=0.5,at=3000 (times in units of 1ms): at 3s, not before the end of the load"},
		{[]string{"run", "cluster", "--capacity", "0"}, "--capacity must be >= 1"},
		{[]string{"run", "cluster", "--kind", "gpu"}, "unknown worker kind"},
		{[]string{"run", "cluster", "--service", "weird"}, "--service"},
		{[]string{"run", "cluster", "--format", "yaml"}, "--format"},
		{[]string{"run", "cluster", "--unit", "0s"}, "--unit"},
		{[]string{"run", "cluster", "extra"}, "no arguments"},
		{[]string{"run", "cluster", "--nonsense"}, "flag provided but not defined"},
		{[]string{"worker", "--kind", "gpu"}, "unknown worker kind"},
		{[]string{"worker", "--capacity", "0"}, "--capacity"},
		{[]string{"balance"}, "--backends"},
		{[]string{"balance", "--backends", "a:1", "--policy", "fastest"}, "unknown policy"},
		{[]string{"balance", "--backends", "nocolon"}, "host:port"},
		{[]string{"balance", "--backends", "a:1", "--max-headers", "-1"}, "--max-headers must be >= 1, got -1"},
		{[]string{"balance", "--backends", "a:1", "--header-timeout", "-1s"}, "--header-timeout must be > 0, got -1s"},
		{[]string{"balance", "--backends", "a:1", "--max-body-bytes", "100", "--max-buffered-body-bytes", "50"}, "--max-buffered-body-bytes must be more than --max-body-bytes (100), got 50"},
		{[]string{"guard"}, "command"},
	}
	for _, tc := range cases {
		if tc.want == "" {
			continue
		}
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errs := runCLI(t, tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr %q", code, exitUsage, errs)
			}
			if !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
				t.Errorf("stderr %q: want one line mentioning %q", errs, tc.want)
			}
		})
	}
}

// TestClusterMissingBalancer checks that a missing external balancer is
// named with its Debian package.
func TestClusterMissingBalancer(t *testing.T) {
	t.Parallel()
	_, err := cluster.FindBinary("stratbench-no-such-balancer")
	if err == nil || !strings.Contains(err.Error(), "apt-get install stratbench-no-such-balancer") {
		t.Errorf("error %v: want the package to install", err)
	}
	for _, via := range []string{"nginx", "haproxy", "caddy"} {
		if _, err := cluster.FindBinary(via); err != nil && !strings.Contains(err.Error(), "apt-get install "+via) {
			t.Errorf("%s missing: %v", via, err)
		}
	}
}

// TestClusterJSON runs `run cluster` end to end with real processes through
// every balancer installed, with --compare-sim, and checks the records.
func TestClusterJSON(t *testing.T) {
	vias := []string{"ours", "direct"}
	for _, v := range []string{"nginx", "haproxy", "caddy"} {
		if _, err := cluster.FindBinary(v); err == nil {
			vias = append(vias, v)
		}
	}
	reqs := filepath.Join(t.TempDir(), "requests.csv")
	code, out, errs := runCluster(t, "run", "cluster", "--workers", "2", "--via", strings.Join(vias, ","), "--policy", "p2c",
		"--load", "0.5", "--jobs", "300", "--compare-sim", "--sim-jobs", "5000", "--format", "json", "--quiet", "--requests-out", reqs)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	results, bad := metrics.ReadJSONL("stdout", strings.NewReader(out))
	if len(bad) > 0 || len(results) != 2*len(vias) {
		t.Fatalf("%d results (want %d cluster + as many sim), errors %v", len(results), len(vias), bad)
	}
	for i, r := range results {
		want := "harness"
		if i%2 == 1 {
			want = "sim"
		}
		if r.Engine != want {
			t.Errorf("result %d: engine %s, want %s", i, r.Engine, want)
		}
		if want == "harness" {
			for _, m := range []string{"response_mean", "response_p99", "throughput_per_sec", "errors", "sim_response_mean", "response_mean_rel_err"} {
				if _, ok := r.Metrics[m]; !ok {
					t.Errorf("%s: metric %s missing", r.Name, m)
				}
			}
			if r.Metrics["sent"] != 300 || r.Metrics["errors"] != 0 {
				t.Errorf("%s: sent %v errors %v", r.Name, r.Metrics["sent"], r.Metrics["errors"])
			}
			// The error of the mean split into its parts, the wait into
			// chance, bunching and placement by the run's jobs replayed.
			m := r.Metrics
			parts := m["gap_send_lag"] + m["gap_transport"] + m["gap_wait"] + m["gap_service"] + m["gap_late"] + m["gap_rest"]
			wait := m["gap_wait_jobs"] + m["gap_wait_bunching"] + m["gap_wait_placement"]
			if _, ok := m["replay_sent_wait_mean"]; !ok || math.Abs(parts-m["gap_mean"]) > 1e-9 || math.Abs(wait-m["gap_wait"]) > 1e-9 ||
				math.Abs(m["gap_mean"]-(m["response_mean"]-m["sim_response_mean"])) > 1e-9 {
				t.Errorf("%s: the split of the error does not add up: %v", r.Name, m)
			}
			if r.Params["warmup_jobs"] != float64(30) {
				t.Errorf("%s: warm-up %v, want a tenth of the 300 jobs", r.Name, r.Params["warmup_jobs"])
			}
		}
	}
	// One line per request sent, after the header.
	b, err := os.ReadFile(reqs)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 1+300*len(vias) || lines[0]+"\n" != cluster.RequestLogHeader {
		t.Errorf("--requests-out: %d lines, want a header and %d; header %q", len(lines), 300*len(vias), lines[0])
	}
	for _, l := range lines[1:] {
		if !strings.HasSuffix(l, ",1,1") && !strings.HasSuffix(l, ",1,0") {
			t.Errorf("--requests-out: a request failed: %s", l)
			break
		}
	}
}

// TestClusterText checks the text output with the simulator beside it.
func TestClusterText(t *testing.T) {
	code, out, errs := runCluster(t, "run", "cluster", "--workers", "2", "--policy", "rr", "--load", "0.3", "--jobs", "100", "--compare-sim", "--sim-jobs", "5000", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"Cluster/via=ours/policy=rr/workers=2/load=0.3", "Cluster against the simulator", "response_mean", "Where the error of the mean comes from"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
