package sim

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/stratbench/stratbench/metrics"
)

// Steady state, detected rather than assumed.
//
// A run that starts empty reports its transient unless the warm-up is long
// enough, and how long is long enough grows with the load and the number
// of servers. When Config.Warmup is 0 the engine finds it out: it runs a
// pilot phase whose jobs are not measured, recording the mean response of
// consecutive batches of jobs (in arrival order), and applies the MSER
// rule to them (the Marginal Standard Error Rule of White 1997, "An
// effective truncation heuristic for bias reduction in simulation output",
// Simulation 69(6); on batch means of 5 as MSER-5, White, Cobb and Spratt
// 2000, "A comparison of five steady-state truncation heuristics for
// simulation", Proc. Winter Simulation Conference; Franklin and White 2008
// on its behaviour). MSER picks the truncation point d* that minimizes
// the squared standard error of the mean of what remains,
//
//	MSER(d) = Σ_{i>d} (Y_i − Ȳ_d)² / (k−d)²,
//
// and trusts it only when d* falls in the first half of the series: a
// series still rising at its end puts d* late, which says the run is too
// short. The pilot is checked at doubling lengths; as soon as d* is in the
// first half of the pilot, measurement starts with the next arrival
// (everything before it, at least twice the transient MSER found, is
// discarded). The batches are of 5 jobs (MSER-5) up to 40 servers and of
// N/8 jobs beyond (the output of N servers runs N times as fast: the
// batches cover the same span of time per server), merged in pairs when
// the pilot outgrows 4096 of them.
//
// When the pilot reaches its cap (pilotJobsPerServer, or as long as the
// measured run if that is longer) without
// passing the rule, measurement starts anyway and the record says the
// run did not reach steady state. After the run the measured batches are
// put to the same rule: a truncation point in their second half means the
// measured jobs still trend, and the record says so too.

// batchSeries accumulates response times into consecutive batches of size
// jobs by job id from base, merging pairs of batches when there would be
// more than maxLen of them.
type batchSeries struct {
	base   uint64
	size   uint64
	shift  int // log2(size) when size is a power of two, else -1
	maxLen int
	sum    []float64
	n      []int64
}

func newBatchSeries(base, size uint64, maxLen int) *batchSeries {
	b := &batchSeries{base: base, size: max(size, 1), maxLen: maxLen}
	b.setShift()
	return b
}

func (b *batchSeries) setShift() {
	b.shift = -1
	if b.size&(b.size-1) == 0 {
		b.shift = bits.TrailingZeros64(b.size)
	}
}

// index is the batch of job id: a shift, not a division, for a size that
// is a power of two (the measured series, recorded at every departure).
func (b *batchSeries) index(id uint64) int {
	if b.shift >= 0 {
		return int((id - b.base) >> b.shift)
	}
	return int((id - b.base) / b.size)
}

func (b *batchSeries) add(id uint64, x float64) {
	i := b.index(id)
	for i >= b.maxLen {
		b.merge()
		i = b.index(id)
	}
	for i >= len(b.sum) {
		b.sum = append(b.sum, 0)
		b.n = append(b.n, 0)
	}
	b.sum[i] += x
	b.n[i]++
}

// merge halves the series: batch i becomes batches 2i and 2i+1.
func (b *batchSeries) merge() {
	k := 0
	for i := 0; i < len(b.sum); i += 2 {
		s, n := b.sum[i], b.n[i]
		if i+1 < len(b.sum) {
			s += b.sum[i+1]
			n += b.n[i+1]
		}
		b.sum[k], b.n[k] = s, n
		k++
	}
	b.sum, b.n = b.sum[:k], b.n[:k]
	b.size *= 2
	b.setShift()
}

// complete returns the means of the leading batches all of whose jobs
// have been recorded, up to (not including) the batch that holds id end.
func (b *batchSeries) complete(end uint64) []float64 {
	var ys []float64
	for i := range b.sum {
		hi := b.base + uint64(i+1)*b.size
		if hi > end || b.n[i] != int64(b.size) {
			break
		}
		ys = append(ys, b.sum[i]/float64(b.n[i]))
	}
	return ys
}

// means returns the mean of every batch that holds a job.
func (b *batchSeries) means() (ys []float64, ns []int64) {
	for i := range b.sum {
		if b.n[i] > 0 {
			ys = append(ys, b.sum[i]/float64(b.n[i]))
			ns = append(ns, b.n[i])
		}
	}
	return ys, ns
}

// mser returns the MSER truncation point of ys: the number d of leading
// values whose removal minimizes the squared standard error of the mean of
// the rest, searched over the d that leave at least min(5, max(2, k/20)) values
// (a handful of values at the very end can have a spuriously small
// variance, a known artefact of the rule). It returns -1 for fewer than 4
// values.
func mser(ys []float64) int {
	k := len(ys)
	if k < 4 {
		return -1
	}
	// Welford's running mean and sum of squares from the end backwards.
	best, bestD := math.Inf(1), 0
	var mean, ss float64
	for d := k - 1; d >= 0; d-- {
		n := float64(k - d)
		delta := ys[d] - mean
		mean += delta / n
		ss += delta * (ys[d] - mean)
		if k-d >= min(5, max(2, k/20)) {
			if v := ss / (n * n); v <= best {
				best, bestD = v, d
			}
		}
	}
	return bestD
}

// pilotJobsPerServer bounds the pilot: at most this many jobs per server
// (or Config.Jobs if more). From an empty start, p2c at ρ = 0.9 needs
// about 60 mean service times to settle at 10^5 servers (measured: the
// pilot's batch means still rise by 1% between 40 and 55), so the cap
// leaves room for loads closer to 1.
var pilotJobsPerServer uint64 = 400 // a variable for tests

// pilotBatch is the batch size of the pilot's MSER for n servers.
func pilotBatch(n int) uint64 { return uint64(max(5, n/8)) }

// pilotStart is the length of the pilot at its first check.
func pilotStart(n int) uint64 { return uint64(max(20_000, 4*n)) }

// defaultJobs is the number of measured jobs of a run that does not say:
// 50 per server (about 55 mean service times per server at ρ = 0.9), at
// least a million.
func defaultJobs(servers int) uint64 { return uint64(max(1_000_000, 50*servers)) }

// pilotCheck is called at the arrival of job id during the pilot, at the
// checkpoints. It decides whether measurement starts with this job.
func (c *cluster) pilotCheck(id uint64) {
	ys := c.pilot.complete(id)
	d := mser(ys)
	steady := d >= 0 && len(ys) >= 8 && 2*d <= len(ys)
	if !steady && id < c.pilotCap {
		c.pilotNext = min(2*id, c.pilotCap)
		return
	}
	c.steady = steady
	if d >= 0 {
		c.mserJobs = uint64(d) * c.pilot.size
	}
	c.mserBatches = len(ys)
	c.startMeasuring(id)
}

// startMeasuring makes job id the first measured one.
func (c *cluster) startMeasuring(id uint64) {
	c.inPilot = false
	c.warmup = id
	c.total = id + c.jobs
	c.fine.base = id
}

// checkPrecision is called at the arrival of the last measured job of a run
// with a precision target: it doubles the measured jobs while the interval
// of the mean response, from the batches complete so far, is wider than
// the target and the cap allows.
func (c *cluster) checkPrecision() {
	if c.jobs*2 > c.jobsCap {
		c.precisionCapped = true
		return
	}
	ys := c.fine.complete(c.nextID)
	est := metrics.BatchMeans(ys, nil)
	if est.OK && est.Half <= c.precision*math.Abs(est.Mean) {
		return
	}
	c.jobs *= 2
	c.total = c.warmup + c.jobs
	c.winEnd = math.Inf(1)
}

// fineBatches is the number of batches the measured jobs are split into
// (merged down to about 30 for the interval).
const fineBatches = 960

// steadyParams describes the warm-up and steady-state detection of a run
// in the record, and returns the warnings it calls for.
func (cl *cluster) steadyParams(p map[string]any) (warnings []string) {
	if !cl.auto {
		return nil
	}
	p["warmup"] = cl.warmup
	p["warmup_method"] = fmt.Sprintf("MSER on the pilot's batch means of %d jobs (MSER-5 up to 40 servers)", cl.pilot.size)
	p["mser_truncation"] = cl.mserJobs
	p["steady_state"] = cl.steady
	if !cl.steady {
		warnings = append(warnings, fmt.Sprintf("steady state not reached: after a pilot of %d jobs the MSER rule did not find the response settled (its truncation point was beyond the first half of the pilot's complete batches, or too few were complete); the figures may still carry the empty start: give more --jobs (the pilot may run as long as the measured run) or a --warmup", cl.warmup))
	}
	return warnings
}

// trendCheck applies MSER to the measured batches: a truncation point in
// their second half means the measured jobs are not in steady state.
func (cl *cluster) trendCheck(p map[string]any) string {
	ys := cl.fine.complete(cl.total) // whole batches only
	d := mser(ys)
	if d < 0 {
		return ""
	}
	p["mser_measured"] = float64(d) / float64(len(ys))
	if 2*d > len(ys) {
		p["steady_state"] = false
		return fmt.Sprintf("steady state not reached: the measured response still trends (the MSER truncation point of the measured batches is at %.0f%% of the run); give more --jobs", 100*float64(d)/float64(len(ys)))
	}
	return ""
}

// setupMeasurement prepares the warm-up (given, or detected by a pilot)
// and the batches of cl for configuration c (defaults filled in).
func (cl *cluster) setupMeasurement(c *Config) {
	// With FIFO servers and no faults a job's response depends only on the
	// jobs that arrived before it, and the time averages end at the last
	// measured arrival: arrivals after it change nothing measured, so they
	// stop there rather than run on until the slowest measured job leaves
	// (at 10^6 servers that tail was most of a short run's events).
	// Processor sharing (later jobs slow earlier ones) and faults (retried
	// jobs queue behind later ones) keep them.
	cl.stopArrivalsAtTotal = cl.stopArrivalsAtTotal || (c.Discipline != PS && len(c.Faults) == 0)
	if c.Replications == 1 {
		cl.precision = c.Precision // else Run adds replications
	}
	cl.jobsCap = c.Jobs * precisionCapFactor
	// Batches of a power-of-two size, so that a departure finds its batch
	// with a shift: between fineBatches/2 and fineBatches of them.
	cl.fine = newBatchSeries(c.Warmup, nextPow2((c.Jobs+fineBatches-1)/fineBatches), 2*fineBatches)
	if autoWarmup(c) {
		cl.auto, cl.inPilot = true, true
		cl.pilot = newBatchSeries(0, pilotBatch(c.Servers), 4096)
		cl.pilotCap = max(c.Jobs, pilotStart(c.Servers), pilotJobsPerServer*uint64(c.Servers))
		cl.pilotNext = min(pilotStart(c.Servers), cl.pilotCap)
		cl.warmup = math.MaxUint64 / 2 // nothing is measured during the pilot
		cl.total = cl.warmup + c.Jobs
		cl.batches, cl.batchN = nil, nil
		return
	}
	cl.warmup = effectiveWarmup(c)
	cl.total = cl.warmup + c.Jobs
	cl.fine.base = cl.warmup
	cl.legacyBatches = c.Precision == 0
}

// precisionCapFactor bounds the measured jobs of a run with a precision
// target: at most this many times Config.Jobs.
const precisionCapFactor = 64

// autoWarmup reports whether c's warm-up is detected (MSER on a pilot):
// Warmup not given, a stable load, no trace (a trace is finite; a pilot
// would eat it) and no faults (they happen at set times, which a pilot of
// unknown length could swallow).
func autoWarmup(c *Config) bool {
	return c.Warmup == 0 && c.Load < 1 && c.Arrival.Trace() == nil && len(c.Faults) == 0
}

// effectiveWarmup is the warm-up in jobs of a configuration that does not
// detect it: the one given, else a tenth of the jobs.
func effectiveWarmup(c *Config) uint64 {
	if c.Warmup == 0 {
		return c.Jobs / 10
	}
	return c.Warmup
}

// nextPow2 is the smallest power of two >= x (1 for 0).
func nextPow2(x uint64) uint64 {
	if x <= 1 {
		return 1
	}
	return 1 << bits.Len64(x-1)
}
