// Package stratbench is the root of the stratbench module: which
// optimization or balancing strategy is best for a workload, and why.
//
// The packages, from the bottom up:
//
//   - strategies: dispatch policies, loop schedules and executors, pure Go;
//   - workloads: size distributions, arrival processes, tasks and kernels;
//   - metrics: the result record every engine writes and every report reads;
//   - sim (and sim/theory): the discrete-event simulator and the closed forms
//     of queueing theory it is checked against;
//   - harness: the same strategies run for real on goroutines;
//   - reports: text, benchmark format, charts and the HTML report;
//   - cmd/stratbench: the command line, thin glue over the packages.
//
// The module root holds bench_test.go: `go test -bench .` runs every
// strategy as a benchmark.
package stratbench
