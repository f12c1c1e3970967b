// Package kernels holds naive and optimized twins: the same function
// computed several ways (a loop against multiple accumulators, a tuned
// library, SIMD; a quadratic algorithm against its linear replacement; a
// call per item against one call per slice). Tests prove that every variant
// agrees with the family's naive one on random seeded inputs: exactly for
// integers, within a stated bound for floats.
//
// A kernel is named FAMILY.VARIANT (sum.acc8, dups.hash). Each one is also a
// batch workload of the harness, kernel:FAMILY.VARIANT: task i runs the
// variant once on an input of round(size_i × n) units, size_i drawn from
// --size (mean 1) and n from --args n=N (the family's default otherwise);
// every task reads the same shared input, a prefix of it, so tasks do not
// allocate inputs. The workload's work unit is the family's (elements,
// bytes, flops), so the harness reports elements_per_sec and the like.
package kernels

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/stratbench/stratbench/workloads"
)

// Result is a variant's output, small enough to keep one per task: an
// integer, a float, or a digest of a larger output.
type Result struct {
	Int   int64
	Float float64
	Hash  uint64
}

// Family is one function computed several ways.
type Family struct {
	// Name is the family's name (sum, dups, ...).
	Name string
	// Help says in one line what the function is.
	Help string
	// Unit is what Work counts: "elements", "bytes" or "flops".
	Unit string
	// N is the default input size of one call, in input units (elements
	// of the input slice, bytes of text, the bound of primes, the order of
	// matrices).
	N int
	// Agreement says how variants are compared with the naive one.
	Agreement string

	// Variants are the ways, naive first.
	Variants []*Variant

	input  func(n int, r *rand.Rand) any // an input of size n
	prefix func(in any, n int) any       // the first n units of an input, without copying
	work   func(in any) float64          // the work of one call on in, in Unit
	agree  func(in any, want, got Result) error
	ref    int // index of the variant that checks batch results (exact or cheap)
}

// Variant is one way of computing a family's function.
type Variant struct {
	// Family is the family's name.
	Family string
	// Name is the variant's name.
	Name string
	// Help says in one line how it computes.
	Help string

	run func(in any) Result
}

// FullName is the kernel's full name, FAMILY.VARIANT.
func (v *Variant) FullName() string { return v.Family + "." + v.Name }

// Input is an input of a family, made once and shared by the calls.
type Input struct {
	f  *Family
	in any
}

// NewInput makes an input of n units from seed (the same seed gives the
// same input).
func (f *Family) NewInput(n int, seed uint64) Input {
	r := rand.New(workloads.NewSource(seed, 0x6b65726e))
	return Input{f, f.input(max(n, 1), r)}
}

// Prefix is the first n units of in (n at most in's size), sharing memory.
func (in Input) Prefix(n int) Input { return Input{in.f, in.f.prefix(in.in, max(n, 1))} }

// Work is the amount of work of one call on in, in the family's Unit.
func (in Input) Work() float64 { return in.f.work(in.in) }

// Run computes the variant's function on in.
func (v *Variant) Run(in Input) Result { return v.run(in.in) }

// Agree reports whether got agrees with want (the naive variant's result)
// on in, by the family's rule; the error says by how much it does not.
func (in Input) Agree(want, got Result) error { return in.f.agree(in.in, want, got) }

var families []*Family

// register adds a family; variants registered later (build-tagged files)
// are added with addVariant.
func register(f *Family) {
	for _, v := range f.Variants {
		v.Family = f.Name
		registerBatch(f, v)
	}
	families = append(families, f)
}

func addVariant(family string, v *Variant) {
	for _, f := range families {
		if f.Name == family {
			v.Family = family
			f.Variants = append(f.Variants, v)
			registerBatch(f, v)
			return
		}
	}
	panic("kernels: no family " + family)
}

// catalogOrder is the order families are listed in.
var catalogOrder = []string{"sum", "dups", "substr", "concat", "primes", "matmul", "apply"}

// Families returns the kernel families in catalog order.
func Families() []*Family {
	out := slices.Clone(families)
	slices.SortStableFunc(out, func(a, b *Family) int {
		return slices.Index(catalogOrder, a.Name) - slices.Index(catalogOrder, b.Name)
	})
	return out
}

// All returns every variant of every family, in catalog order.
func All() []*Variant {
	var out []*Variant
	for _, f := range Families() {
		out = append(out, f.Variants...)
	}
	return out
}

// Lookup returns the family and variant named FAMILY.VARIANT; an unknown
// name is an error that lists the known ones.
func Lookup(name string) (*Family, *Variant, error) {
	fam, vname, _ := strings.Cut(name, ".")
	for _, f := range Families() {
		if f.Name != fam {
			continue
		}
		for _, v := range f.Variants {
			if v.Name == vname {
				return f, v, nil
			}
		}
	}
	var names []string
	for _, v := range All() {
		names = append(names, v.FullName())
	}
	return nil, nil, fmt.Errorf("unknown kernel %q (known: %s)", name, strings.Join(names, ", "))
}

// Naive returns the family's naive variant, the one the others must agree
// with.
func (f *Family) Naive() *Variant { return f.Variants[0] }

// Variant returns the named variant, or nil.
func (f *Family) Variant(name string) *Variant {
	i := slices.IndexFunc(f.Variants, func(v *Variant) bool { return v.Name == name })
	if i < 0 {
		return nil
	}
	return f.Variants[i]
}

// exact is the agreement rule of integer families: results must be equal.
func exact(_ any, want, got Result) error {
	if want != got {
		return fmt.Errorf("got %+v, want %+v", got, want)
	}
	return nil
}
