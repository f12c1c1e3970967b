// Package harness runs strategies for real, on goroutines across every
// core, and writes the same result records as the simulator (engine
// "harness"). It has two modes.
//
// # Batch mode
//
// RunBatch runs a fixed set of tasks (a workloads.Batch) with executors
// (one call per task: sequential, goroutine, pool, batch, queues, steal)
// and loop schedules (one call per chunk: static, cyclic, dynamic, guided,
// steal) from package strategies, at each worker count asked for. Every
// case runs Count times after Warmup unmeasured rounds; each round runs all
// cases in a freshly shuffled order, so that drift of the machine (another
// process, a frequency change) hits every case alike. The sequential
// executor always runs too: it is the baseline of the speedups, paired
// round by round.
//
// Each run measures its makespan (wall), the process's CPU time
// (getrusage), heap allocations, GC cycles and GC pause time
// (runtime/metrics), and per worker its task count and busy time: from the
// moment the worker starts until it finds no more work, stamped by the
// executors' and schedules' worker hooks, so that a worker that ran out of
// work early shows as less busy and nothing is timed per task. The
// harness's cost per task is a load of its stop flag and an increment of
// the worker's own counter: about 5ns for executors and 2ns for schedules
// (BenchmarkHarness in the module's benchmarks). The goroutine executor
// has no workers, so its records carry no busy times and no imbalance.
// The record keeps every sample and reports medians with distribution-free
// 95% intervals:
//
//	wall_sec, cpu_sec, throughput_per_sec, wall_ns_per_task
//	speedup           baseline wall / wall, paired by round
//	efficiency        speedup / workers
//	imbalance         max / mean busy time over the workers
//	overhead_ns_per_task  (workers·wall − baseline wall) / tasks
//	allocs_per_task, gc_count, gc_pause_sec
//	per_server.busy_sec, per_server.tasks   (indexed by worker)
//
// # Service mode
//
// RunService sends jobs open-loop to Servers servers, each with its own
// FIFO queue; a dispatch policy from package strategies places each job
// through a View backed by atomic load counters, exactly as in the
// simulator. Arrival times and job sizes come from the same seeded streams
// as the simulator's first replication, so a run and a `stratbench sim`
// with the same flags see the same jobs. Times are in units of
// ServiceConfig.Unit and metrics carry the simulator's names
// (response_mean, response_p99, wait_mean, utilization, queue_mean by
// Little's law, ...), so that the records compare directly; params.unit_sec
// says what one unit was.
//
// Response times run from each job's intended arrival, however late the
// generator sent it (no coordinated omission); lag_*_sec says how late it
// ran, arrival_rate_per_sec what rate it achieved, start_delay_mean how long
// servers took to start a job they could have started (the scheduler's
// delay), and overrun_mean by how much they overshot their service times:
// when these are not small next to the mean service time, the machine, not
// the policy, shaped the response times, and the record says so. Latencies
// go into an HDR histogram: nothing is allocated per request.
//
// How the servers keep time is the run's timing path (params.timing):
//
//   - loop (the default for sleep): one goroutine generates the arrivals,
//     owns the policy and holds every server's deadline. A sleeping server
//     does no work, so it is its FIFO queue and the time its job in
//     service is due, not a goroutine; the loop waits for the earliest
//     event on the clock and ends each job when it reads the clock past
//     its deadline. It sleeps in the OS until a learnt lead before the
//     next event and handles what is due within the lead, so that events
//     are handled on their times on average (loop_late_mean_sec,
//     loop_lead_sec): early as often as late, by about the OS's wake-up
//     jitter (tens of microseconds on a virtual machine:
//     loop_late_abs_mean_sec). It handles the events in the order of their
//     times, however late, and shows the policy each event's time as its
//     now, so its decisions are the simulator's (but for policies that
//     learn from measured response times): its error is only how late or
//     early it ended jobs.
//   - spin-loop: the same loop, which sleeps only until a margin before
//     each event (the OS's 99th-percentile wake-up lateness, learnt) and
//     spins on the clock to it: events are handled within a clock read of
//     their times, never early, on an idle core; it costs a core while
//     events are dense (loop_spin_frac) and suffers most on a loaded
//     machine, whose scheduler deschedules a spinning thread for whole
//     time slices.
//   - goroutines (the only path for spin): a dispatching goroutine and a
//     goroutine per server with its own queue; a sleeping server waits on
//     an absolute deadline with internal/ptimer's process timer, woken
//     through the Go scheduler, which costs about 10µs of CPU a job.
//
// On every path one goroutine generates the arrivals and owns the policy
// (no lock around it), and a sleeping server keeps its schedule (a job is
// due its service time after its intended arrival or the previous job's
// due time, whichever is later: the FIFO recursion), so a late dispatch or
// wake-up delays at most the job it touches, never the queue behind it.
// harness_ns_per_job is the harness's own cost per job: the loop's
// handling time between its waits, or on goroutines the process's CPU
// time less the spin servers' service; cpu_ns_per_job is the process's
// CPU time per job, spinning waits included; dispatcher_busy_frac is the
// share of the run the dispatcher spent handling (near 1, it limits the
// rate); gc_count and gc_pause_sec are the GC's cycles and pauses during
// the run.
//
// # Profiles
//
// Runs execute under runtime/pprof.Do with the labels strategy (the
// executor, schedule or policy) and workload; the goroutines they start
// inherit them, so a CPU profile from StartProfiles can be cut by strategy:
//
//	go tool pprof -tagfocus strategy=pool cpu.pprof
//
// The harness never imports the simulator: putting both side by side is
// the job of the command line and the suite.
package harness
