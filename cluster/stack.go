package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stratbench/stratbench/cluster/balancer"
	"github.com/stratbench/stratbench/cluster/procs"
	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/strategies"
)

// StackConfig describes worker processes and a balancer in front of them.
type StackConfig struct {
	// Via is the balancer (Vias); Policy, D, Dispatchers and PolicyOpts
	// its policy (PolicyOpts: ours and direct only).
	Via            string
	Policy         string
	D, Dispatchers int
	PolicyOpts     strategies.Options
	// Workers is the number of worker processes to start on loopback,
	// unless Backends names workers already running.
	Workers  int
	Backends []string
	// Kind and Capacity configure the workers started.
	Kind     string
	Capacity int
	// AcceptFaults starts the workers with AcceptFaults (run cluster's
	// --fault).
	AcceptFaults bool
	// Seed seeds the policy; Unit is its time unit (default 1ms).
	Seed uint64
	Unit time.Duration
	// procs.Launcher starts stratbench's own child processes.
	Launcher procs.Launcher
	// StartTimeout bounds how long each process may take to be ready
	// (default 10s).
	StartTimeout time.Duration
}

// Stack is a running balancer in front of workers. Stop stops every
// process it started.
type Stack struct {
	// Target is the URL to send requests to.
	Target string
	// Transport sends them: nil (any client) except for via direct, whose
	// balancing happens in this transport.
	Transport http.RoundTripper
	// Backends are the workers' addresses; Workers the processes started
	// (none with StackConfig.Backends).
	Backends []string
	Workers  []*procs.Process
	// Balancer is the balancer's process (nil for via direct); nginx and
	// HAProxy run under a guard, which this is.
	Balancer *procs.Process

	group *procs.Group
	dir   string
	bal   *balancerHandle
	infos []worker.Info
}

// StartStack starts the workers (unless cfg.Backends are given) and the
// balancer, and waits until requests go through. On failure everything
// started is stopped again.
func StartStack(ctx context.Context, cfg StackConfig) (_ *Stack, err error) {
	c := cfg
	if c.Via == "" {
		c.Via = "ours"
	}
	if c.Unit == 0 {
		c.Unit = time.Millisecond
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = 10 * time.Second
	}
	if len(c.Backends) > 0 {
		c.Workers = len(c.Backends)
	}
	switch {
	case !slices.Contains(ViaNames(), c.Via):
		return nil, fmt.Errorf("unknown balancer %q (known: %s)", c.Via, strings.Join(ViaNames(), ", "))
	case !slices.Contains(strategies.PolicyNames(), c.Policy):
		return nil, fmt.Errorf("unknown policy %q (known: %s)", c.Policy, strings.Join(strategies.PolicyNames(), ", "))
	case c.Workers < 1:
		return nil, fmt.Errorf("workers must be >= 1, got %d", c.Workers)
	}
	dir, err := os.MkdirTemp("", "stratbench-cluster-")
	if err != nil {
		return nil, err
	}
	os.Chmod(dir, 0o755) // nginx's workers run as nobody when we are root
	s := &Stack{group: &procs.Group{Dir: dir}, dir: dir}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	addrs := c.Backends
	if len(addrs) == 0 {
		s.Workers, err = startWorkers(ctx, s.group, &c)
		if err != nil {
			return nil, err
		}
		for _, w := range s.Workers {
			addrs = append(addrs, w.Addr)
		}
	}
	s.Backends = addrs
	if s.infos, err = workerInfos(ctx, addrs); err != nil {
		return nil, err
	}
	// An external balancer listens on a port that was free a moment before
	// it started (it cannot announce one it chose): another process may
	// take it meanwhile, and then the balancer exits, or worse, the other
	// process answers in its place. So the stack checks that requests reach
	// its own workers, and starts the balancer again on another port if
	// they do not.
	for attempt := 1; ; attempt++ {
		if s.bal, err = startBalancer(s.group, &c, addrs, dir); err != nil {
			return nil, err
		}
		s.Balancer = nil
		watch := slices.Clone(s.Workers)
		if c.Via != "direct" {
			ps := s.group.Processes()
			s.Balancer = ps[len(ps)-1]
			watch = append(watch, s.Balancer)
		}
		s.Target, s.Transport = s.bal.target, s.bal.transport
		err = waitHealthy(ctx, s.Target, s.Transport, watch, c.StartTimeout)
		if err == nil && IsExternal(c.Via) {
			err = reachesWorkers(ctx, s.Target, s.infos, s.Balancer)
		}
		if err == nil {
			return s, nil
		}
		if !IsExternal(c.Via) || attempt == 3 || ctx.Err() != nil {
			return nil, err
		}
		s.bal.close()
		s.Balancer.Kill()
	}
}

// reachesWorkers checks that requests to target reach the stack's own
// workers: the workers' info, asked through the balancer, must name one of
// their processes, and the balancer must still run.
func reachesWorkers(ctx context.Context, target string, infos []worker.Info, bal *procs.Process) error {
	pids := map[int]bool{}
	for _, in := range infos {
		pids[in.PID] = true
	}
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for range len(infos) + 1 {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target+worker.InfoPath, nil)
		if err != nil {
			return err
		}
		var in worker.Info
		resp, err := c.Do(req)
		if err == nil {
			err = json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&in)
			resp.Body.Close()
		}
		if err != nil || !pids[in.PID] {
			return fmt.Errorf("requests to the balancer at %s do not reach its workers (another process took its port?): %v", target, err)
		}
	}
	if bal != nil && bal.Exited() {
		return fmt.Errorf("%s exited after it started (%v)%s", bal.Name, bal.ExitErr(), procs.LogTail(bal.Log))
	}
	return nil
}

// cpuTime is the CPU time used so far by this process (the load
// generator, and the balancer of via direct) and by the processes the
// stack started that still run, with theirs (workers, balancer, nginx's
// workers).
func (s *Stack) cpuTime() time.Duration {
	t := procs.OwnCPUTime()
	for _, p := range s.group.Processes() {
		if !p.Exited() {
			c, _ := procs.CPUTime(p.PID())
			t += c
		}
	}
	return t
}

// Stop stops every process the stack started and removes its files.
func (s *Stack) Stop() {
	if s.bal != nil {
		s.bal.close()
	}
	s.group.StopAll(2 * time.Second)
	os.RemoveAll(s.dir)
}

func startWorkers(ctx context.Context, g *procs.Group, c *StackConfig) ([]*procs.Process, error) {
	workers := make([]*procs.Process, c.Workers)
	errs := make([]error, c.Workers)
	var wg sync.WaitGroup
	for i := range workers {
		wc := worker.Config{Listen: "127.0.0.1:0", Kind: c.Kind, Capacity: c.Capacity, AcceptFaults: c.AcceptFaults}
		cmd, err := c.Launcher.Child("worker", wc)
		if err != nil {
			return nil, err
		}
		wg.Go(func() {
			workers[i], errs[i] = g.Start(fmt.Sprintf("worker%d", i), cmd, true, c.StartTimeout)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return workers, ctx.Err()
}

func workerInfo(ctx context.Context, addr string) (worker.Info, error) {
	var in worker.Info
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+worker.InfoPath, nil)
	if err != nil {
		return in, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return in, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return in, fmt.Errorf("%s: status %s (is it a stratbench worker?)", addr, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&in); err != nil {
		return in, fmt.Errorf("%s: %w (is it a stratbench worker?)", addr, err)
	}
	return in, nil
}

func workerInfos(ctx context.Context, addrs []string) ([]worker.Info, error) {
	infos := make([]worker.Info, len(addrs))
	for i, a := range addrs {
		in, err := workerInfo(ctx, a)
		if err != nil {
			return nil, fmt.Errorf("worker %s: %w", a, err)
		}
		infos[i] = in
	}
	return infos, nil
}

// balancerHandle is a started balancer.
type balancerHandle struct {
	// target is the URL to send requests to; transport sends them (nil: a
	// pooled one).
	target    string
	transport http.RoundTripper
	// stats adds the balancer's own counters to the result.
	stats func(*metrics.Result)
	// native is an external balancer's policy.
	native *Native
	close  func()
}

// startBalancer starts the balancer of c.Via in front of addrs.
func startBalancer(g *procs.Group, c *StackConfig, addrs []string, dir string) (*balancerHandle, error) {
	bc := balancer.Config{
		Listen: "127.0.0.1:0", Backends: addrs, Policy: c.Policy, D: c.D, Dispatchers: c.Dispatchers,
		Options: c.PolicyOpts, Seed: c.Seed, Unit: c.Unit,
	}
	h := &balancerHandle{close: func() {}}
	switch c.Via {
	case "direct":
		b, err := balancer.New(bc)
		if err != nil {
			return nil, err
		}
		h.target, h.transport, h.close = "http://direct", b, b.Close
		h.stats = func(res *metrics.Result) { addBalancerStats(res, b.Stats()) }
		return h, nil
	case "ours":
		cmd, err := c.Launcher.Child("balance", bc)
		if err != nil {
			return nil, err
		}
		p, err := g.Start("balancer", cmd, true, c.StartTimeout)
		if err != nil {
			return nil, err
		}
		h.target = "http://" + p.Addr
		h.stats = func(res *metrics.Result) {
			var s balancer.Stats
			if err := getJSON(h.target+balancer.StatsPath, &s); err != nil {
				res.Warnings = append(res.Warnings, "reading the balancer's counters: "+err.Error())
				return
			}
			addBalancerStats(res, s)
		}
		return h, nil
	}
	// An external balancer, under a guard that takes its worker processes
	// down with it.
	e, ok := lookupExternal(c.Via)
	if !ok {
		return nil, fmt.Errorf("no balancer %q", c.Via)
	}
	listen, err := freePort()
	if err != nil {
		return nil, err
	}
	ec := ExternalConfig{Listen: listen, Backends: addrs, Policy: c.Policy, D: c.D, Dir: dir}
	argv, err := externalCommand(e, ec)
	if err != nil {
		return nil, err
	}
	cmd, err := c.Launcher.Command("guard", append([]string{"--"}, argv...)...)
	if err != nil {
		return nil, err
	}
	if e.env != nil {
		if cmd.Env == nil {
			cmd.Env = os.Environ()
		}
		cmd.Env = append(cmd.Env, e.env(dir)...)
	}
	cmd.SysProcAttr = procs.GuardAttr()
	if _, err := g.Start(c.Via, cmd, false, c.StartTimeout); err != nil {
		return nil, err
	}
	h.target = "http://" + listen
	n := e.policy(c.Policy, c.D)
	h.native = &n
	if e.stats != nil {
		h.stats = e.stats(dir, addrs)
	}
	return h, nil
}

func addBalancerStats(res *metrics.Result, s balancer.Stats) {
	disp := make([]float64, len(s.Backends))
	failed := make([]float64, len(s.Backends))
	for i, b := range s.Backends {
		disp[i] = float64(b.Dispatched)
		failed[i] = float64(b.Failed)
	}
	res.PerServer["dispatched"] = disp
	res.PerServer["failed"] = failed
	res.Metrics["retries"] = float64(s.Retries)
	res.Metrics["retries_ok"] = float64(s.RetriedOK)
	res.Metrics["all_down"] = float64(s.AllDown)
	if p := s.Probes; p != nil {
		// Probes of the workers' load (prequal): not requests, so not in
		// dispatched.
		m := res.Metrics
		m["sent_probes"], m["answered_probes"] = float64(p.Sent), float64(p.Answered)
		m["timeout_probes"], m["failed_probes"], m["bad_probes"] = float64(p.Timeouts), float64(p.Failed), float64(p.Bad)
		m["coalesced_probes"], m["dead_probes"] = float64(p.Coalesced), float64(p.Dead)
		probes := make([]float64, len(s.Backends))
		for i, b := range s.Backends {
			probes[i] = float64(b.Probes)
		}
		res.PerServer["probes"] = probes
	}
}

func getJSON(url string, v any) error {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// waitHealthy polls target/healthz until it answers 200, a process of watch
// exits, or timeout passes.
func waitHealthy(ctx context.Context, target string, tr http.RoundTripper, watch []*procs.Process, timeout time.Duration) error {
	if tr == nil {
		t := &http.Transport{DisableKeepAlives: true}
		defer t.CloseIdleConnections()
		tr = t
	}
	client := &http.Client{Transport: tr, Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target+worker.HealthPath, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		last = err
		for _, p := range watch {
			if p.Exited() {
				return fmt.Errorf("%s exited while starting (%v)%s", p.Name, p.ExitErr(), procs.LogTail(p.Log))
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the balancer at %s was not ready within %v: %v", target, timeout, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
