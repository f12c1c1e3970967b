package balancer

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// get fetches url and returns the status code and the response headers.
func get(t *testing.T, client *http.Client, url string) (int, http.Header) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header
}

// The test binary doubles as a balancer process (for the tests that
// measure its memory): with STRATBENCH_BALANCER_HELPER set to a
// comma-separated list of backends, TestHelperBalancer serves a balancer
// over them, prints its address and runs until SIGTERM.
const helperEnv = "STRATBENCH_BALANCER_HELPER"

func TestHelperBalancer(t *testing.T) {
	backends := os.Getenv(helperEnv)
	if backends == "" {
		t.Skip("only a child process of other tests runs this")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := Config{Backends: strings.Split(backends, ","), Policy: os.Getenv(helperEnv + "_POLICY")}
	// The limits as JSON (limitsEnv).
	if v := os.Getenv(helperEnv + "_LIMITS"); v != "" {
		if err := json.Unmarshal([]byte(v), &cfg.Limits); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if v := os.Getenv(helperEnv + "_HEALTH"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		cfg.HealthInterval = d
	}
	if v := os.Getenv(helperEnv + "_NOFILE"); v != "" {
		// The process's limit of open files (the tests that exhaust it).
		n, err := strconv.ParseUint(v, 10, 64)
		if err == nil {
			var lim syscall.Rlimit
			if err = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
				lim.Cur = n
				err = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	err := Serve(ctx, cfg, func(addr string) { fmt.Printf("listening %s\n", addr) })
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// startBalancerProcess runs a balancer in a child process over backends
// with policy and returns its address and process id; it is stopped at
// the end of the test.
func startBalancerProcess(t *testing.T, policy string, backends ...string) (string, int) {
	t.Helper()
	return startBalancerProcessEnv(t, nil, policy, backends...)
}

// startBalancerProcessEnv is startBalancerProcess with more settings of
// the child, by their helperEnv suffix: _LIMITS (the Limits as
// JSON: limitsEnv), _HEALTH (the health interval), _NOFILE (its
// limit of open files).
func startBalancerProcessEnv(t *testing.T, env map[string]string, policy string, backends ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBalancer$")
	cmd.Env = append(os.Environ(), helperEnv+"="+strings.Join(backends, ","), helperEnv+"_POLICY="+policy)
	for k, v := range env {
		cmd.Env = append(cmd.Env, helperEnv+k+"="+v)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				line <- a
			}
		}
	}()
	select {
	case a := <-line:
		return a, cmd.Process.Pid
	case <-time.After(20 * time.Second):
		t.Fatal("the balancer process did not start")
	}
	return "", 0
}

// limitsEnv is l as the _LIMITS of startBalancerProcessEnv (its zero
// fields: the defaults).
func limitsEnv(l Limits) string {
	b, err := json.Marshal(l)
	if err != nil {
		panic(err)
	}
	return string(b)
}
