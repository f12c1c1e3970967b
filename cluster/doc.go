// Package cluster runs the harness's service mode with real processes and
// a real network path: worker processes serving tasks over HTTP, a
// balancer in front of them (our own reverse proxy placing requests with
// the simulator's policies, nginx, HAProxy or Caddy), open-loop load from a
// generator that measures every response from its intended arrival time,
// and faults (a worker killed mid-run). It writes the same result record as
// the simulator and the harness (engine "harness", family "Cluster"), with
// the simulator's metric names in units of the task-size unit, so that a
// cluster run and `stratbench sim` with the same flags compare directly.
//
// # The pieces
//
//   - Package worker (stratbench worker): GET /work?ns=N runs one task of
//     N nanoseconds of a kind (worker.Kinds: sleep, spin, xml); at most
//     Capacity run at once, the rest wait in FIFO order. A sleep worker is
//     the model's FIFO server: it schedules each task as it arrives (due
//     its size after it arrived or after the task before it was due) and
//     answers it then, so that the machine's late wake-ups delay only the
//     answers they touch (counted apart) and never slow the server down.
//     Responses carry when the task arrived and how long it waited and was
//     in service, so the load generator can split a response time into
//     its own lateness, the way there, queueing, service, the worker's
//     lateness and the way back.
//   - Package balancer (stratbench balance): our reverse proxy, placing
//     each request with a policy of package strategies, on
//     github.com/valyala/fasthttp, with limits and timeouts on every phase
//     (see its doc). It is also an http.RoundTripper over the same path:
//     via "direct" the load generator itself balances with it, as a gRPC
//     client does, with no proxy hop.
//   - nginx, HAProxy and Caddy (one row each of a table: its package,
//     configuration, check and run command lines, counters):
//     NginxConfig, HAProxyConfig and CaddyConfig generate a configuration
//     with the nearest built-in policy (NginxPolicy, HAProxyPolicy,
//     CaddyPolicy, from the policy catalogue's columns), keep-alive
//     connections to the workers, health checks, one retry and no access
//     log; the result's params.native_policy records it, and a warning
//     says when it is only the nearest family. nginx keeps its upstream
//     state in a shared zone, so that its worker processes balance as one.
//   - Package loadgen: open-loop HTTP requests at a target rate from an
//     arrival process, the simulator's random streams for the same seed,
//     response times in an HDR histogram, and the accounting sent =
//     succeeded + failed, checked at the end (loadgen.Result.Check).
//   - Package procs: every process a run starts is in a process group of
//     its own with a parent-death signal, and is stopped (SIGTERM, then
//     SIGKILL) when the run ends, fails, or is interrupted; nginx and
//     HAProxy run under `stratbench guard` (procs.Guard), which relays its
//     own death to its whole group (Caddy too).
//   - This package: nginx's and HAProxy's configurations (above), StartStack
//     (the workers and a balancer, for other load generators such as wrk)
//     and Run (all of it for one case, from a Config, to a
//     metrics.Result).
//
// # Workers on other machines
//
// The processes that Run starts are all on loopback. To put the workers on
// other machines, start one worker on each (the same stratbench binary) and
// pass their addresses with --backends; the balancer and the load
// generator then run here:
//
//	host1$ stratbench worker --listen 0.0.0.0:9000 --kind spin --capacity 4
//	host2$ stratbench worker --listen 0.0.0.0:9000 --kind spin --capacity 4
//	here$  stratbench run cluster --backends host1:9000,host2:9000 \
//	           --via ours,nginx,haproxy --policy jsq --load 0.7 --duration 60s
//
// The run asks each worker for its kind and capacity (GET /_stratbench/info)
// to compute the arrival rate, ρ × Σ capacity / (mean size × unit). Workers
// serve plain HTTP without authentication: run them on a private network
// only. --fault (and --kill-worker-at, which is the fault
// down:server=0,at=D: KillWorker) needs workers the run started itself:
// a slow fault sets a worker's speed through its fault path (a task of N ns
// then takes N/speed), a down fault with an end makes it cut off every
// request for that long, one to the end kills the process (SIGKILL)
// (worker.FaultPath; workers take faults only when started with
// --accept-faults). Clocks need
// not be synchronized: every time is measured on one machine (the worker's
// queueing and service on the worker, the rest by the load generator).
//
// # The run against the model
//
// Before the load, a run measures the round trip of an empty task through
// the balancer (RoundTrip), which --compare-sim gives the simulator as the
// scenario's network delay, and the round trip straight to the workers
// (MeasureWorkerRoundTrip), which it gives as the view delay: how long
// after a worker is done the balancer has the answer and counts the
// request out; the first tenth of the run is left out as the
// simulator leaves out the first tenth of its jobs (SetDefaultWarmup).
// reports.ModelGap then splits the error of the mean, request by request, into the
// load generator's lateness, the transport beyond that round trip, the
// wait and service against the model's, and the workers' lateness (a
// table under run cluster --compare-sim, gap_* metrics in the record), and
// run cluster --requests-out writes every request's times (RequestLog).
// BenchmarkClusterGap in the module's root runs the comparison,
// ours, nginx, HAProxy, Caddy and direct in shuffled rounds, and prints
// the table of errors.
//
// # Measuring the balancers
//
// BenchmarkOverhead measures what each balancer adds at 1,000 requests/s
// (the p50 through the balancer minus the p50 straight to a worker, the
// two interleaved), BenchmarkThroughput the request rate each sustains
// under wrk with 64 connections in front of two workers answering empty
// tasks, with the CPU time per request of the balancer and of the workers,
// and BenchmarkThroughputRatio the same rates measured in shuffled
// interleaved rounds, with ours as a percentage of nginx (the comparison to
// trust on a shared machine, whose speed drifts by tens of percent):
//
//	go test -run '^$' -bench Overhead -benchtime 4000x -count 3 ./cluster/
//	go test -run '^$' -bench 'Throughput$' -count 3 ./cluster/
//	go test -run '^$' -bench ThroughputRatio -count 3 ./cluster/
//
// The second needs wrk (Debian package wrk) and skips without it; nginx,
// HAProxy and Caddy cases skip when those are not installed.
package cluster
