// Package stratbench is the root of the stratbench module: which
// optimization or balancing strategy is best for a workload, and why.
//
// # Layout
//
// Packages depend downward only; an arrow is "imports":
//
//	cmd/stratbench ─────────── thin glue: a library's field table → flags;
//	   │                        parse → config → one library call → exit status
//	   ├──────────┬──────────────────┬───────────────┐
//	   ▼          ▼                  ▼               ▼
//	 suite      runs ──────────── interleave, pgo   reports
//	 (a YAML     (each run command: the config,    (compare's and
//	 sweep of    its field table, the cases, the    pgo's rounds)
//	 cases, a    simulated twins, the one loop
//	 results     that runs and writes them)
//	 log)        │
//	   └─────┬───┘
//	   ┌─────┼──────────────┬──────────────┐
//	   ▼     ▼              ▼              ▼
//	  sim  harness        cluster        reports ── text (one writer table for
//	   │  (service, batch) (balancer,       │        every command), benchmark
//	   │     │            worker, loadgen,  │        format, charts, HTML, verdicts,
//	   │     │            procs)            │        the split of a cluster's error
//	   │     │              │               ▼
//	   │     │              │          sim/theory ── closed forms of queueing theory
//	   └─────┴──────┬───────┘
//	                ▼
//	            scenario ─── the one scenario every engine runs, and its fields
//	                │
//	   ┌────────────┼───────────────┐
//	   ▼            ▼               ▼
//	strategies  workloads        metrics ─── the result record, latency
//	(policies,  (sizes, arrivals, histograms, the pairing of a real
//	 executors,  kernels, XML)    record with the simulated one
//	 schedules)
//
//	internal/field ── a configuration's settings as a table (name, kind, help,
//	                  default, set from text): declared once by each library,
//	                  made into flags by cmd; internal/bad ── bad input, with
//	                  the field it names; internal/host ── the machine and
//	                  commit the command gathers for the records
//
// sim, harness and cluster never import each other; strategies, workloads
// and metrics import nothing above them; reports imports no engine but
// sim/theory. internal/bad is the module's one bad-input sentinel
// (errors.Is(err, bad.ErrInput)); libraries name their fields in errors
// (bad.Field, which may name other fields as {name}), and cmd maps each
// field to its flag. The run commands' child processes (stratbench
// worker, stratbench balance) get their whole configuration as JSON from
// procs.Launcher.Child, decoded into the same Config type.
//
// # How a scenario flows
//
// A scenario.Scenario is a value: the policy and its parameters, the
// servers and their speeds, the offered load, the service and arrival
// distributions, the seed (and faults and a network delay). A command or a
// suite case builds it once, then embeds it in the configuration of each
// engine it runs, which adds only what is its own:
//
//	scenario.Scenario{Policy: "p2c", Servers: 8, Load: 0.7, Seed: 1}
//	   ├─ sim.Config{Scenario, Jobs, Replications, Discipline}       → sim.Run
//	   ├─ harness.ServiceConfig{Scenario, Unit, Kind, Jobs}          → harness.RunService
//	   └─ cluster.Config{Scenario, Via, Unit, Capacity, Duration}    → cluster.Run
//
// A command sets the scenario's fields from its flags through
// scenario.Fields (the same table for sim, run service and run cluster),
// and runs.Sim, runs.Service or runs.Cluster expands it over the policies
// and loads asked for, each case beside its simulated twin when asked
// (runs.ServiceTwin, runs.ModelCluster; the suite uses the same).
//
// Every engine draws its arrivals, sizes, keys and the policy's choices
// from the scenario's named streams (scenario.StreamArrivals, ...), so the
// same seed gives the same jobs at the same intended times in all three,
// and builds the policy from the same catalogue row
// (strategies.Policies). Each engine returns a metrics.Result named by
// the scenario (Scenario.Name); metrics.Pair puts a real record beside the
// simulated one of the same scenario, and reports reads, ranks and draws
// them. A policy or a size distribution is one file and one catalogue row:
// the row says what the theory, the external balancers and the records
// need to know of it.
//
// The module root holds the benchmarks: `go test -bench .` runs every
// strategy as a benchmark.
package stratbench
