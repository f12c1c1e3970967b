// Package balancer is our reverse proxy (stratbench balance): it places
// each request on a backend with a dispatch policy of package strategies,
// the same code the simulator runs, and has one request path.
//
// Clients are served by github.com/valyala/fasthttp's server, which
// reads and frames requests; the balancer refuses on top of that what
// nginx and Go's server refuse (unknown HTTP versions, Content-Length
// with Transfer-Encoding, folded lines, bare LF, a missing Host, too
// many headers, a long target), drops header names with underscores
// (as nginx does), and closes the connection after every refusal. A
// request body is read whole, under an idle and a total timeout, before
// the policy picks a backend, so a slow upload never holds one; the
// bodies held at once are bounded in memory, all together. The
// request goes out on a pooled keep-alive connection, reused only when
// it holds no unread byte (bytes after a complete response close it,
// counted as unsolicited), and the response is read with fasthttp's
// parser, bounded in head and body size and in time. A response body over
// 4 KiB is held for its client in a buffer of its own, reserved against
// one budget for all responses (Limits.MaxBufferedResponseBytes, 256 MiB
// by default; before it is read when its length is declared) and given
// back when fasthttp has written it or dropped it (it is the response's
// body stream, which fasthttp closes in both cases), so clients that ask
// for large answers and read none hold at most the budget, not
// connections times the largest body; past it a response is answered
// 503, its backend connection closed, and counted
// (Stats.ResponseMemoryFull), never against the backend. On Linux both
// sides' sockets are read and written with raw system calls through Go's
// poller (sysConn), which the scheduler does not treat as blocking, and a
// request to a backend is sent and its answer awaited in one step; a
// deadline is set on a socket only when it moves earlier (fasthttp moves
// them later at every request: a later one is recorded, and a read or
// write the earlier one stops goes on), and a client connection's first
// read after a response lets the ready goroutines run first, so that it
// finds the next request more often than nothing. Header names are
// relayed as they came, as nginx relays them. Every limit and
// timeout is a field of Limits (flags of stratbench balance) with a
// documented default (DefaultLimits). A request whose first response
// byte does not come within the first-byte timeout, or whose response
// has not ended within the backend timeout (60s by default, as nginx's
// proxy_read_timeout), is answered 504 and not retried. Only
// backend-side failures count against a backend; client faults are
// counted apart, by kind (Stats.ClientErrors), and each
// backend's last failure is named (BackendStats.LastError). The
// policy sees the backends through a strategies.View backed by in-flight
// counters (Load), the sizes of the tasks in flight (Work; from the ns
// parameter, or an EWMA of reported service times), and the time since
// start in the policy's unit (Now); the ewma policy gets every latency.
// Health checks, dead-backend removal and the one retry rule are
// described on Balancer.
//
// A policy that probes (prequal) gets real probes: its View also sends
// them (strategies.AsyncProber), each a GET of a worker's load endpoint
// (worker.LoadPath: requests in flight and the worker's latency
// estimate) on a goroutine of its own, at the rate the policy asks (its
// probe_rate a query), at most one in flight per backend; the answer
// reaches the policy's probe pool under the same lock as its picks. A
// probe is bounded in time and size (Limits.ProbeTimeout,
// Limits.MaxProbeBytes), never delays a request, never counts against
// its backend (a failed probe is only counted, in Stats.Probes), and is
// not a request (Dispatched counts requests only).
//
// The Balancer is also an http.RoundTripper over the same path: via
// "direct" the load generator itself balances with it, as a gRPC client
// does, with no proxy hop.
//
// Measured against nginx and HAProxy by the cluster package's benchmarks
// (BenchmarkThroughputRatio, BenchmarkOverhead); the security tests here
// (security_test.go) talk raw bytes to it on 127.0.0.1 with backends that
// misbehave on purpose.
package balancer
