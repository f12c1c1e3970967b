// Package loadgen is the cluster's load generator: open-loop HTTP requests
// (GET /work?ns=N) at a target rate from an arrival process, with the
// simulator's random streams for the same seed (arrivals, sizes, keys), so
// that a cluster run and a simulation of the same scenario draw the same
// jobs. Every response is measured from its request's intended arrival
// time (no coordinated omission) into HDR histograms, split into the time
// the task waited at the worker, its service and the overhead (network,
// HTTP, balancer) from the worker's headers, and every request is
// accounted for: sent = succeeded + failed, checked by Result.Check, with
// failures counted by reason. Each request's times, the generator's and
// the worker's, go to Config.OnRequest (Request): the evidence behind the
// figures. Requests go out on fasthttp's client (Client sends single tasks
// the same way), or through a caller's http.RoundTripper.
package loadgen
