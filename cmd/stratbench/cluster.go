package main

import (
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/cluster"
	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/runs"
)

// clusterCommand is `stratbench run cluster`.
func clusterCommand(e *env) *cli.Command {
	return runsCommand(e, &cli.Command{
		Name:  "cluster",
		Usage: "real worker processes over HTTP behind our balancer, nginx, HAProxy or Caddy, with open-loop load and faults",
		UsageText: "stratbench run cluster --workers N --via ours|nginx|haproxy|caddy|direct --policy NAME --load RHO\n" +
			"    [--duration D | --jobs J] [--backends HOST:PORT,...] [--kill-worker-at D] [options]",
		Description: `Starts N worker processes on loopback (stratbench worker), the chosen balancer in
front of them, and sends open-loop requests at rate λ = ρ·N·capacity / (mean size ×
--unit): one request is one task whose size travels in the request. Response times
run from each request's intended arrival time (no coordinated omission) and are
given in units of --unit, with the simulator's metric names, so that --compare-sim
can put the simulator's prediction for the same flags and seed beside them.

--via ours is stratbench balance (the policy itself); nginx, haproxy and caddy get a
generated configuration with their nearest built-in policy (params.native_policy;
a warning says when it is only the nearest family); direct has no proxy: the load
generator places requests itself (client-side balancing).

Every process the run starts is stopped at the end, also on SIGINT or failure.
--fault slow:... stretches a worker's tasks, down:...,for=D makes it cut off
every request for D, and down without for kills it (SIGKILL); --kill-worker-at D
is down:server=0,at=D. The balancer must notice and keep serving.
Every request is accounted for: sent = succeeded + failed, checked.

--via and --policy take lists and run every combination with the same seed.

--compare-sim gives the simulator the median round trip of an empty task,
measured before the load, as its network delay, and the median round trip
straight to the workers (the balancer's own hop; via direct the same round
trip) as its view delay: the model's policy counts a job at its server until
the answer is back, as a balancer counts a request in flight. It prints
where each run's error of the mean comes from, in units per request: the
load generator's lateness (lag), the transport beyond that round trip, the
wait (split, by the run's own jobs replayed through the model, into chance,
the generator's bunching and the balancer's placement) and service against
the model's, and the sleep workers' lateness in answering, beside the
machine's load average and the CPU time the run's processes spent a request
(a busy machine shows in lag, transport and lateness). The first tenth of a
run is left out of the figures unless --warmup says otherwise.

--requests-out FILE writes one CSV line a request: case, id, size (units),
intended, sent, arrive (at the worker), wait, service, late, done (µs from the
start of the load), worker, ok, measured.

Examples:
  stratbench run cluster --workers 4 --via ours --policy p2c --load 0.7 --duration 10s
  stratbench run cluster --workers 4 --via ours,nginx,haproxy --policy jsq --load 0.8 --jobs 20000 --compare-sim
  stratbench run cluster --workers 3 --via haproxy --policy rr --load 0.5 --duration 10s --kill-worker-at 3s
  stratbench run cluster --workers 2 --kind spin --unit 2ms --policy jsq --load 0.6 --duration 5s
  stratbench run cluster --backends host1:9000,host2:9000 --policy p2c --load 0.7 --duration 30s

Balancers: ` + strings.Join(cluster.ViaNames(), ", ") + `; worker kinds: ` + strings.Join(worker.KindNames(), ", ") + `.`,
	}, runs.ClusterFields())
}
