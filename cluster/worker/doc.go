// Package worker is the cluster's worker process (stratbench worker): an
// HTTP server that runs one task per GET /work?ns=N, of a kind of work
// (Kinds: sleep, spin, xml), at most Capacity at once and the rest waiting
// in FIFO order (a sleep worker keeps the FIFO schedule of the model's
// server: see Worker). Every task's response says when it arrived, how long
// it waited for a slot and was in service, how late the worker answered it
// (HeaderArrive, HeaderWait, HeaderService, HeaderLate) and which worker
// served it (HeaderWorker), so that a load generator can split a response
// time into its transport, queueing, service and the worker's lateness.
// GET /healthz answers 200 while it serves; GET /_stratbench/info its kind
// and capacity (Info); GET /_stratbench/load answers a probe (Load:
// requests in flight and a latency estimate, as a Prequal server answers),
// for the prequal policy of our balancer.
//
// The paths and headers here are the cluster's protocol: the balancer and
// the load generator use them too.
package worker
