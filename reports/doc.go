// Package reports turns result records into what people read and what
// tools read: one self-contained HTML page, PNG charts, Markdown for a
// pull-request comment, CSV, JSON, Go benchmark text for benchstat, CPU
// profile summaries, and comparisons of two runs with significance tests.
// It reads metrics.Result records (and Go benchmark text, and pprof
// profiles) only: it imports no engine, only sim/theory for the overlays
// of queueing theory.
//
// # Reading results
//
// Load reads files in any mix and tells them apart by content: JSON Lines
// of result records (stratbench sim, run, xml run, suite), Go benchmark
// text (go test -bench output, read with golang.org/x/perf/benchfmt) and
// CPU profiles. A line that cannot be read becomes one of the Set's
// Problems, an error "file:line: message", and the rest of the input is still used, as
// benchstat does. Benchmark lines of one benchmark become one result
// whose samples are every line's value, whose metric is their median and
// whose interval is the distribution-free 95% interval of the median.
// Profiles named by results (Result.Profile) are found next to the result
// file.
//
// # Strategies and scenarios
//
// A result's name is key=value parts (policy=p2c/servers=100/load=0.9).
// StrategyOf picks the parts that name a strategy (StrategyKeys: executor,
// schedule, kernel, policy, ...); the rest, with the family, is the
// scenario in which strategies compete (ScenarioOf). Rank compares the
// strategies of each scenario on its Headline metric (mean response time,
// MB/s, throughput, wall time, time per op: the first the results share)
// and says it as hyperfine does: "pool ran 3.41 ± 0.12 times faster than
// goroutine". The ± is the 95% interval of the ratio, propagated to first
// order from the two intervals; a difference that a Mann–Whitney U test
// (when the results kept samples) or the intervals (when not) cannot tell
// from noise is marked "~ not significant".
//
// # Charts
//
// ChartKinds is the table of charts; each kind draws what the results
// allow and nothing when its data is absent: the headline metric per
// strategy (bars with 95% whiskers, the XML MB/s ladder), speedup and
// efficiency against workers with the ideal lines, mean response time
// against load with the closed forms of sim/theory (M/M/1, the
// power-of-d mean field, Erlang C as the lower bound), p50/p95/p99 per
// policy, the response-time distribution on a log axis of 1 − q, the
// measured response time beside the simulator's prediction, the work per
// server, where the CPU time went by pprof `strategy` label, and the
// crossover map: the deployable winner (or tie) at each load with its
// margin, one chart per server count. Line charts draw at most 8
// deployable strategies in color, best first; the rest go to a second
// chart folded on the page, and reference bounds and theory are thin
// gray lines. Legends
// sit beside the data (or under several panels), never on it; no two
// series of a chart look alike (color, then marker and dash, or hatch for
// bars); a series with exactly the values of another is drawn as a band
// beneath it and its legend says "(same as X)"; axes say their unit, hold
// every point with a margin and never crowd their tick labels; wide
// ranges are logarithmic (bars too, beyond a factor of 30, saying so);
// series longer than 400 points are downsampled
// (largest-triangle-three-buckets). Every chart carries two lines of text:
// what it shows and how to read it. The measured-against-simulated chart
// draws bars per policy at a single load and lines against the load
// otherwise; its differences are (measured − simulated) / simulated, the
// convention of run service --compare-sim and the records' _rel_err.
//
// # Layout
//
// One file per job: input.go reads and merges result files (Load, Set);
// stream.go is how Run reads them instead, once and on every core, writing
// the files of every result as it goes, and collect.go what it keeps of
// each result (see Scale); jsonfast.go decodes and encodes records as
// encoding/json does, faster; group.go names strategies and scenarios; estimate.go, ranking.go and
// compare.go are the statistics (estimates with intervals, rankings,
// comparisons of two runs); charts.go is the table of chart kinds and
// what they share, and each kind is one file, chart_<kind>.go, and one
// row of ChartKinds; the drawing itself (figures with functional
// options, palette, ticks, bars, whiskers, downsampling, a PNG and an SVG
// of each figure) is the internal package reports/internal/chart, which
// knows nothing of results, and flame graphs are reports/internal/flame
// (flames.go chooses which).
//
// # Output formats
//
// Formats is the table of outputs Run writes (stratbench report --format):
// index.html (html/template and go:embed; charts inline as SVG, each
// series a group its legend entry hides and shows and each value a hover
// target, by one embedded script, the page still whole without it; no
// script, font or stylesheet from the network), one PNG per chart,
// report.md, results.csv (one row per result: its parameters, then each
// metric's value, 95% interval and sample count; see WriteCSV),
// results.jsonl and summary.json (with the unit and direction of every
// metric), and results.txt in the benchmark format with `Unit NAME
// better=higher|lower` lines, so that `benchstat -col /policy
// results.txt` works on it. Every file is written atomically.
//
// # Scale
//
// A report's memory grows with its scenarios, not with its results: Run
// streams the inputs (results.jsonl written as read; results.txt and
// results.csv behind headers that need every result), keeps of each
// result only what the summary needs (its strategy, the values, intervals
// and samples of its metrics, a few flags) and reads back by their offset
// the few results the page and charts show: all of them up to 10,000,
// else the page's rows, the first sweep groups of each chart kind, the
// runs with faults and the harness runs with their simulator twins. The
// page lists at most 2,000 results and 300 scenarios, report.md and the
// terminal 300 scenarios; summary.json, results.jsonl and results.csv
// have everything. The scenarios are ranked, and summary.json's rows
// encoded, on every core, in order. A sweep of a million simulator
// records is reported in under 2 GB (BenchmarkReportScale); what it
// writes is nearly all the files that list every result: per record of
// the sweep fixture, results.jsonl 3.9 kB (the record), results.txt 2.6
// kB (a line per batch-means sample, which benchstat's intervals need),
// results.csv 0.6 kB and summary.json 0.4 kB (a row per scenario of six
// records), the page 6 bytes at a million records.
//
// # Profiles
//
// SummarizeProfile reads a CPU profile with github.com/google/pprof/profile
// and gives, for each `strategy` (and `workload`) label, the flat time of
// each function (as the leaf of a stack) and its cumulative time (once per
// stack), and the split of the time into Categories (task code, the
// task's own work; scheduling, GC, allocation, syscalls, other) by the
// rules written down beside the function category. It also keeps each
// label's stacks as a flame graph: the page draws one per strategy, and
// for each profiled scenario the runner-up's graph colored by how the
// share of each function differs from the winner's (red: a larger share,
// slower there; blue: a smaller one).
//
// # Comparing two runs
//
// Compare matches two sets of results by benchmark name and compares every
// shared metric as benchstat does (golang.org/x/perf/benchmath): medians
// with 95% intervals, a Mann–Whitney U test, `~` when the change is not
// significant, footnotes when there are too few samples. ComparePaired
// compares two builds measured in interleaved rounds (package interleave
// runs them) round by round: the Hodges–Lehmann estimate of new/old from
// the rounds' ratios with its interval, and a Wilcoxon signed-rank test
// (signedrank.go). Gate is the CI gate of stratbench compare
// --fail-on-regression: the benchmarks significantly worse than a
// threshold, in their own better direction, Holm-corrected; paired rounds
// are judged by their ratios, two separate runs by a shifted U test.
package reports
