package workloads

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Memory-bound work: a chain of dependent random reads over a buffer larger
// than the last-level cache, so that almost every read misses every cache
// and waits for DRAM. The next address depends on the value just read, so
// the reads cannot overlap: a task's time is its number of reads times the
// memory latency, and adding cores adds contention, not speed, once the
// memory system is busy.

// LLCBytes is the size of CPU 0's last-level cache as the operating system
// reports it (Linux: /sys/devices/system/cpu/cpu0/cache), or 0 if unknown.
func LLCBytes() int64 { return llc() }

var llc = sync.OnceValue(func() int64 {
	dirs, _ := filepath.Glob("/sys/devices/system/cpu/cpu0/cache/index*")
	best, level := int64(0), -1
	for _, d := range dirs {
		typ, _ := os.ReadFile(filepath.Join(d, "type"))
		if strings.TrimSpace(string(typ)) == "Instruction" {
			continue
		}
		lv, err1 := os.ReadFile(filepath.Join(d, "level"))
		sz, err2 := os.ReadFile(filepath.Join(d, "size"))
		if err1 != nil || err2 != nil {
			continue
		}
		l, err := strconv.Atoi(strings.TrimSpace(string(lv)))
		if err != nil {
			continue
		}
		n, err := ParseBytes(strings.TrimSpace(string(sz)))
		if err != nil {
			continue
		}
		if l > level || l == level && n > best {
			best, level = n, l
		}
	}
	return best
})

// DefaultMemBuffer is the buffer of the memory-bound workloads when none is
// given: twice the last-level cache rounded up to a power of two, or
// 256 MiB when the cache size is unknown.
func DefaultMemBuffer() int64 {
	if c := LLCBytes(); c > 0 {
		return int64(1) << bits.Len64(uint64(2*c-1))
	}
	return 256 << 20
}

// ParseBytes parses a size in bytes with an optional K, M or G suffix
// (powers of 1024; "KB", "KiB" and lower case are accepted).
func ParseBytes(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "IB"), "B")
	mult := int64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'K':
			mult, t = 1<<10, t[:len(t)-1]
		case 'M':
			mult, t = 1<<20, t[:len(t)-1]
		case 'G':
			mult, t = 1<<30, t[:len(t)-1]
		}
	}
	x, err := strconv.ParseFloat(t, 64)
	if err != nil || !(x >= 0) || x*float64(mult) > 1<<40 {
		return 0, fmt.Errorf("want a size in bytes such as 64M or 1G, got %q", s)
	}
	return int64(x * float64(mult)), nil
}

// MemCalibration is the measured cost of one dependent random read.
type MemCalibration struct {
	// NsPerRead is the median time of one read over the rounds.
	NsPerRead float64
	// Spread is (max-min)/median over the rounds: how exact a memory task
	// of a given length is likely to be right now.
	Spread float64
	// Rounds is the number of timed rounds.
	Rounds int
	// Buffer is the buffer's size in bytes.
	Buffer int64
}

func (c MemCalibration) String() string {
	return fmt.Sprintf("mem: %.1f ns per dependent read over %d MiB (spread %.1f%% over %d rounds)",
		c.NsPerRead, c.Buffer>>20, 100*c.Spread, c.Rounds)
}

// memBuffer is a buffer of random words with its calibration, shared by
// every workload that asks for the same size.
type memBuffer struct {
	words []uint64
	cal   MemCalibration
}

var (
	memMu   sync.Mutex
	memBufs = map[int64]*memBuffer{}
)

// memSink keeps the chase's result alive.
var memSink uint64

// chase does n dependent random reads of words (a power-of-two length).
//
//go:noinline
func chase(words []uint64, n int64, x uint64) uint64 {
	mask := uint64(len(words) - 1)
	for ; n > 0; n-- {
		x = words[x&mask] ^ (x >> 1)
	}
	return x
}

// getMemBuffer returns the shared buffer of size bytes (rounded up to a
// power of two, at least 4 KiB), filling and calibrating it on first use.
func getMemBuffer(size int64) *memBuffer {
	size = max(size, 4<<10)
	size = int64(1) << bits.Len64(uint64(size-1))
	memMu.Lock()
	defer memMu.Unlock()
	if b, ok := memBufs[size]; ok {
		return b
	}
	b := &memBuffer{words: make([]uint64, size/8)}
	r := rand.New(NewSource(0x6d656d, uint64(size)))
	for i := range b.words {
		b.words[i] = r.Uint64()
	}
	b.cal = calibrateMem(b.words)
	b.cal.Buffer = size
	memBufs[size] = b
	return b
}

func calibrateMem(words []uint64) MemCalibration {
	const rounds = 5
	n := int64(min(1<<18, 4*len(words)))
	memSink += chase(words, n, 1) // warm up the TLB and the page tables
	rates := make([]float64, rounds)
	for i := range rates {
		t0 := time.Now()
		memSink += chase(words, n, uint64(i)+2)
		rates[i] = float64(time.Since(t0).Nanoseconds()) / float64(n)
	}
	slices.Sort(rates)
	med := rates[rounds/2]
	return MemCalibration{NsPerRead: med, Spread: (rates[rounds-1] - rates[0]) / med, Rounds: rounds}
}

// CalibrateMem measures (once per buffer size) the time of one dependent
// read over a buffer of size bytes (0: DefaultMemBuffer).
func CalibrateMem(size int64) MemCalibration {
	if size <= 0 {
		size = DefaultMemBuffer()
	}
	return getMemBuffer(size).cal
}

func init() {
	RegisterBatch(BatchInfo{
		Name: "mem",
		Help: "memory-bound tasks: task i does dependent random reads over a buffer larger than the last-level cache for about size_i × --unit (--args buffer=SIZE)",
		New:  newMemBatch,
		// size, ran, sink, reads and the harness's bookkeeping.
		TaskBytes: 48,
	})
	RegisterBatch(BatchInfo{
		Name:      "mix",
		Help:      "a mix of spin and mem tasks, sizes from --size: each task is memory-bound with probability --args mem=P (default 0.5)",
		New:       newMixBatch,
		TaskBytes: 48,
	})
}

// memArgs reads the settings the memory-bound workloads share.
func memArgs(name string, args map[string]string, allowed ...string) (int64, error) {
	size := DefaultMemBuffer()
	for k, v := range args {
		switch {
		case k == "buffer":
			n, err := ParseBytes(v)
			if err != nil || n < 4<<10 {
				return 0, fmt.Errorf("workload %s: buffer: want at least 4K, got %q", name, v)
			}
			size = n
		case slices.Contains(allowed, k):
		default:
			return 0, fmt.Errorf("workload %s: unknown argument %q (allowed: %s)", name, k, strings.Join(append([]string{"buffer"}, allowed...), ", "))
		}
	}
	return size, nil
}

// memBatch is a batch of memory-bound tasks.
type memBatch struct {
	buf   *memBuffer
	sizes []float64
	reads []int64
	sink  []uint64 // each task's last value, so the reads cannot be dropped
	ran   []uint8
	total int64
	stop  *atomic.Bool
}

func newMemBatch(cfg BatchConfig) (Batch, error) {
	if cfg.Unit <= 0 {
		return nil, fmt.Errorf("workload mem: unit must be > 0, got %v", cfg.Unit)
	}
	size, err := memArgs("mem", cfg.Args)
	if err != nil {
		return nil, err
	}
	b := &memBatch{buf: getMemBuffer(size), sizes: SizesFor(cfg.Size, cfg.Tasks, cfg.Seed),
		ran: make([]uint8, cfg.Tasks), sink: make([]uint64, cfg.Tasks)}
	b.reads = make([]int64, len(b.sizes))
	for i, s := range b.sizes {
		b.reads[i] = readsFor(b.buf, s*float64(cfg.Unit.Nanoseconds()))
		b.total += b.reads[i]
	}
	return b, nil
}

// readsFor is the number of reads that take about ns nanoseconds.
func readsFor(buf *memBuffer, ns float64) int64 {
	return max(1, int64(math.Round(ns/buf.cal.NsPerRead)))
}

func (b *memBatch) Len() int                  { return len(b.sizes) }
func (b *memBatch) Size(i int) float64        { return b.sizes[i] }
func (b *memBatch) SetStop(stop *atomic.Bool) { b.stop = stop }
func (b *memBatch) Run(i int) {
	b.sink[i] = chaseStop(b.buf.words, b.reads[i], uint64(i)*0x9e3779b97f4a7c15+1, b.stop)
	b.ran[i]++
}
func (b *memBatch) Work() (float64, string) { return float64(b.total), "reads" }
func (b *memBatch) Reset()                  { clear(b.ran) }
func (b *memBatch) Check() error            { return CheckRanOnce(b.ran) }

// mixBatch is a batch of CPU-bound and memory-bound tasks.
type mixBatch struct {
	buf    *memBuffer
	sizes  []float64
	unitNs float64
	reads  []int64 // > 0: a memory task of that many reads; 0: a spin task
	sink   []uint64
	ran    []uint8
	stop   *atomic.Bool
}

func newMixBatch(cfg BatchConfig) (Batch, error) {
	if cfg.Unit <= 0 {
		return nil, fmt.Errorf("workload mix: unit must be > 0, got %v", cfg.Unit)
	}
	size, err := memArgs("mix", cfg.Args, "mem")
	if err != nil {
		return nil, err
	}
	p := 0.5
	if v, ok := cfg.Args["mem"]; ok {
		if p, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil || !(p >= 0 && p <= 1) {
			return nil, fmt.Errorf("workload mix: mem: want a probability in [0, 1], got %q", v)
		}
	}
	Calibrate()
	b := &mixBatch{buf: getMemBuffer(size), sizes: SizesFor(cfg.Size, cfg.Tasks, cfg.Seed),
		unitNs: float64(cfg.Unit.Nanoseconds()), ran: make([]uint8, cfg.Tasks), sink: make([]uint64, cfg.Tasks)}
	b.reads = make([]int64, len(b.sizes))
	r := rand.New(NewSource(cfg.Seed, 0x6d6978))
	for i, s := range b.sizes {
		if r.Float64() < p {
			b.reads[i] = readsFor(b.buf, s*b.unitNs)
		}
	}
	return b, nil
}

func (b *mixBatch) Len() int                  { return len(b.sizes) }
func (b *mixBatch) Size(i int) float64        { return b.sizes[i] }
func (b *mixBatch) SetStop(stop *atomic.Bool) { b.stop = stop }
func (b *mixBatch) Run(i int) {
	if b.reads[i] > 0 {
		b.sink[i] = chaseStop(b.buf.words, b.reads[i], uint64(i)*0x9e3779b97f4a7c15+1, b.stop)
	} else {
		SpinStop(b.sizes[i]*b.unitNs, b.stop)
	}
	b.ran[i]++
}
func (b *mixBatch) Work() (float64, string) { return float64(len(b.sizes)), "tasks" }
func (b *mixBatch) Reset()                  { clear(b.ran) }
func (b *mixBatch) Check() error            { return CheckRanOnce(b.ran) }
