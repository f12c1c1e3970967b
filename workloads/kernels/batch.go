package kernels

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/stratbench/stratbench/workloads"
)

// MaxScale caps a batch task's input at MaxScale times the family's n, so
// that a heavy-tailed size distribution cannot ask for unbounded memory
// (the cap is noted in the task sizes the harness reports).
const MaxScale = 64

func registerBatch(f *Family, v *Variant) {
	workloads.RegisterBatch(workloads.BatchInfo{
		Name: "kernel:" + v.FullName(),
		Help: fmt.Sprintf("kernel %s: %s; task i: %s on round(size_i × n) %s (n=%d unless --args n=N)", v.FullName(), v.Help, f.Help, inputUnit(f), f.N),
		New:  func(cfg workloads.BatchConfig) (workloads.Batch, error) { return newKernelBatch(f, v, cfg) },
	})
}

func inputUnit(f *Family) string {
	switch f.Name {
	case "matmul":
		return "rows and columns"
	case "primes":
		return "as the bound"
	}
	return f.Unit
}

// kernelBatch runs one variant once per task, on prefixes of one shared
// input, and checks every result against the family's reference variant.
type kernelBatch struct {
	f      *Family
	v      *Variant
	inputs []Input
	sizes  []float64
	out    []Result
	want   []Result
	ran    []uint8
	work   float64
}

func newKernelBatch(f *Family, v *Variant, cfg workloads.BatchConfig) (workloads.Batch, error) {
	n := f.N
	for k, val := range cfg.Args {
		if k != "n" {
			return nil, fmt.Errorf("workload kernel:%s: unknown argument %q (allowed: n)", v.FullName(), k)
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || !(x >= 1) || x > 1<<34 {
			return nil, fmt.Errorf("workload kernel:%s: n must be a number in [1, 2^34], got %q", v.FullName(), val)
		}
		n = int(x)
	}
	sizes := workloads.SizesFor(cfg.Size, cfg.Tasks, cfg.Seed)
	lens := make([]int, len(sizes))
	longest := 1
	for i, s := range sizes {
		lens[i] = max(1, min(int(math.Round(s*float64(n))), MaxScale*n))
		sizes[i] = float64(lens[i]) / float64(n)
		longest = max(longest, lens[i])
	}
	in := f.NewInput(longest, cfg.Seed)
	b := &kernelBatch{f: f, v: v, sizes: sizes, inputs: make([]Input, len(sizes)),
		out: make([]Result, len(sizes)), ran: make([]uint8, len(sizes))}
	for i, l := range lens {
		b.inputs[i] = in.Prefix(l)
		b.work += b.inputs[i].Work()
	}
	return b, nil
}

func (b *kernelBatch) Len() int           { return len(b.inputs) }
func (b *kernelBatch) Size(i int) float64 { return b.sizes[i] }
func (b *kernelBatch) Run(i int) {
	b.out[i] = b.v.Run(b.inputs[i])
	b.ran[i]++
}
func (b *kernelBatch) Work() (float64, string) { return b.work, b.f.Unit }
func (b *kernelBatch) Reset()                  { clear(b.ran) }

// Check verifies that every task ran once and agrees with the family's
// reference variant (computed once, on first use).
func (b *kernelBatch) Check() error {
	if err := workloads.CheckRanOnce(b.ran); err != nil {
		return err
	}
	if b.want == nil {
		ref := b.f.Variants[b.f.ref]
		b.want = make([]Result, len(b.inputs))
		for i, in := range b.inputs {
			b.want[i] = ref.Run(in)
		}
	}
	for i, in := range b.inputs {
		if err := in.Agree(b.want[i], b.out[i]); err != nil {
			return fmt.Errorf("task %d (kernel %s): %w", i, b.v.FullName(), err)
		}
	}
	return nil
}

// Names lists every kernel's full name.
func Names() []string {
	var out []string
	for _, v := range All() {
		out = append(out, v.FullName())
	}
	return slices.Clip(out)
}
