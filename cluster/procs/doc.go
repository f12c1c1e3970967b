// Package procs is the cluster's process group: every process a cluster
// run starts (workers, our balancer, nginx, HAProxy) is a Process of a
// Group, in a process group of its own with a parent-death signal, its
// output in a log file, and is stopped (SIGTERM, then SIGKILL) when the run
// ends, fails, or is interrupted. A child that listens prints Announce and
// its address on stdout, which Start waits for. nginx forks worker
// processes that would outlive a killed master, so external balancers run
// under Guard (stratbench guard), which relays its own death to its whole
// group and reaps orphans as a child subreaper. ReadProc, Descendants,
// Alive and CPUTime read /proc for the tests and the benchmarks.
package procs
