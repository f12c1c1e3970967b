// Package workloads describes what runs: task streams (sizes from a
// distribution and arrivals in time), CPU and memory payloads, naive and
// optimized kernel twins, and XML documents with the kernels that process
// them. It knows nothing of the engines (sim, harness) that consume it.
//
// Size distributions are written as specs, the same syntax everywhere
// (--service of sim, --size of run batch):
//
//	exp                     exponential
//	det                     deterministic (every size equals the mean)
//	lognormal:sigma=S       lognormal with shape S > 0
//	pareto:alpha=A          Pareto with tail index A > 1 (infinite variance when A <= 2)
//	bimodal:p=P,ratio=R     small with probability 1-P, R times larger with probability P
//	hyperexp:scv=C          two-phase hyperexponential with balanced means, squared CV C >= 1
//	empirical:FILE          resampled from FILE, one value a line
//
// Every distribution is scaled to mean 1 unless mean=M is added
// (exp:mean=2, lognormal:sigma=1,mean=0.5, empirical:sizes.txt,mean=3).
package workloads

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/stratbench/stratbench/strategies"
)

// NewSource returns an independent seeded random source for stream number
// stream of the run seeded with seed: the same (seed, stream) always gives
// the same sequence, and different streams do not overlap in practice.
func NewSource(seed, stream uint64) *rand.PCG {
	return rand.NewPCG(mix(seed^0x243f6a8885a308d3), mix(stream*0x9e3779b97f4a7c15^seed))
}

// mix is the splitmix64 finalizer (strategies.Mix64, the hash rings' too).
func mix(x uint64) uint64 { return strategies.Mix64(x) }

// Sampler draws values from a distribution.
type Sampler interface {
	Sample() float64
}

// SizeDist is a parsed size (service-time) distribution.
type SizeDist struct {
	kind   *SizeKind
	mean   float64
	par    map[string]float64 // the kind's parameters by name
	path   string             // empirical
	values []float64          // empirical, scaled to mean
	spec   string
}

// Bounds of a distribution's mean: far outside them times would reach the
// subnormal range of float64 or lose all precision.
const (
	MinMean = 1e-9
	MaxMean = 1e12
)

// SizeKind is one row of the catalogue of size distributions: everything
// the module knows of a kind is here (its parameters and their bounds, its
// second moment, its sampler), so a new distribution is one row.
type SizeKind struct {
	// Name is the kind as specs write it.
	Name string
	// Params shows the parameters (besides mean) as help writes them:
	// "sigma=S", or FILE for a kind read from a file.
	Params string
	// Help is one line saying what the distribution is.
	Help string

	names  []string                         // the parameters' names, in Params' order
	file   bool                             // the spec is kind:FILE[,mean=M]
	check  func(p map[string]float64) error // bounds of the parameters, all given
	second func(d *SizeDist) float64        // E[S²]
	// finite is the order below which the moments are finite (nil: +Inf).
	finite  func(d *SizeDist) float64
	sampler func(d *SizeDist, src rand.Source) Sampler
}

// SizeKinds is the catalogue of size distributions, in the order help
// lists them.
var SizeKinds = []SizeKind{
	{Name: "exp", Help: "exponential",
		second: func(d *SizeDist) float64 { return 2 * d.mean * d.mean },
		sampler: func(d *SizeDist, src rand.Source) Sampler {
			return expSampler{distuv.Exponential{Rate: 1 / d.mean, Src: src}}
		}},
	{Name: "det", Help: "deterministic: every size equals the mean",
		second:  func(d *SizeDist) float64 { return d.mean * d.mean },
		sampler: func(d *SizeDist, _ rand.Source) Sampler { return detSampler(d.mean) }},
	{Name: "lognormal", Params: "sigma=S", Help: "lognormal with shape S > 0", names: []string{"sigma"},
		check: func(p map[string]float64) error {
			if s := p["sigma"]; !(s > 0) || s > 10 {
				return fmt.Errorf("sigma must be in (0, 10], got %g", s)
			}
			return nil
		},
		second: func(d *SizeDist) float64 { s := d.par["sigma"]; return d.mean * d.mean * math.Exp(s*s) },
		sampler: func(d *SizeDist, src rand.Source) Sampler {
			s := d.par["sigma"]
			return lognormalSampler{distuv.LogNormal{Mu: math.Log(d.mean) - s*s/2, Sigma: s, Src: src}}
		}},
	{Name: "pareto", Params: "alpha=A", Help: "Pareto with tail index A > 1", names: []string{"alpha"},
		check: func(p map[string]float64) error {
			if a := p["alpha"]; !(a > 1) {
				return fmt.Errorf("alpha must be > 1 (the mean is infinite otherwise), got %g", a)
			}
			return nil
		},
		second: func(d *SizeDist) float64 {
			a := d.par["alpha"]
			if a <= 2 {
				return math.Inf(1)
			}
			xm := d.mean * (a - 1) / a
			return xm * xm * a / (a - 2)
		},
		finite: func(d *SizeDist) float64 { return d.par["alpha"] },
		sampler: func(d *SizeDist, src rand.Source) Sampler {
			a := d.par["alpha"]
			return paretoSampler{distuv.Pareto{Xm: d.mean * (a - 1) / a, Alpha: a, Src: src}}
		}},
	{Name: "bimodal", Params: "p=P,ratio=R", Help: "size 1 w.p. 1-P or R w.p. P, rescaled to the mean", names: []string{"p", "ratio"},
		check: func(p map[string]float64) error {
			if x := p["p"]; !(x > 0 && x < 1) {
				return fmt.Errorf("p must be in (0, 1), got %g", x)
			}
			if r := p["ratio"]; !(r > 0) {
				return fmt.Errorf("ratio must be > 0, got %g", r)
			}
			return nil
		},
		second: func(d *SizeDist) float64 {
			p, r := d.par["p"], d.par["ratio"]
			s := d.mean / ((1 - p) + p*r)
			return s * s * ((1 - p) + p*r*r)
		},
		sampler: func(d *SizeDist, src rand.Source) Sampler {
			p, r := d.par["p"], d.par["ratio"]
			s := d.mean / ((1 - p) + p*r)
			return &bimodalSampler{u: distuv.Uniform{Min: 0, Max: 1, Src: src}, p: p, small: s, large: s * r}
		}},
	{Name: "hyperexp", Params: "scv=C", Help: "two-phase hyperexponential, balanced means, squared CV C >= 1", names: []string{"scv"},
		check: func(p map[string]float64) error {
			if c := p["scv"]; !(c >= 1) || c > 1e6 {
				return fmt.Errorf("scv must be in [1, 1e6], got %g", c)
			}
			return nil
		},
		second: func(d *SizeDist) float64 { return (1 + d.par["scv"]) * d.mean * d.mean },
		sampler: func(d *SizeDist, src rand.Source) Sampler {
			scv, m := d.par["scv"], d.mean
			p1 := (1 + math.Sqrt((scv-1)/(scv+1))) / 2
			return &hyperexpSampler{
				u:  distuv.Uniform{Min: 0, Max: 1, Src: src},
				p1: p1,
				e1: distuv.Exponential{Rate: 2 * p1 / m, Src: src},
				e2: distuv.Exponential{Rate: 2 * (1 - p1) / m, Src: src},
			}
		}},
	{Name: "empirical", Params: "FILE", Help: "resampled from FILE, one value a line", file: true,
		second: func(d *SizeDist) float64 {
			sum := 0.0
			for _, v := range d.values {
				sum += v * v
			}
			return sum / float64(len(d.values))
		},
		sampler: func(d *SizeDist, src rand.Source) Sampler {
			return &empiricalSampler{r: rand.New(src), values: d.values}
		}},
}

func sizeKindNames() string {
	names := make([]string, len(SizeKinds))
	for i, k := range SizeKinds {
		names[i] = k.Name
	}
	return strings.Join(names, ", ")
}

// ParseSize parses a size distribution spec (see the package doc).
// Empirical specs read their file now; errors name the file and line.
func ParseSize(spec string) (*SizeDist, error) {
	name, rest, _ := strings.Cut(strings.TrimSpace(spec), ":")
	i := slices.IndexFunc(SizeKinds, func(k SizeKind) bool { return k.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("unknown distribution %q in %q (known: %s)", name, spec, sizeKindNames())
	}
	k := &SizeKinds[i]
	d := &SizeDist{kind: k, mean: 1, par: map[string]float64{}}
	if k.file {
		// kind:PATH[,mean=M]: the path may contain commas, so only a
		// trailing ",mean=..." is a parameter.
		path := rest
		if i := strings.LastIndex(rest, ",mean="); i >= 0 {
			path = rest[:i]
			if err := d.setParam("mean", rest[i+len(",mean="):]); err != nil {
				return nil, fmt.Errorf("distribution %q: %w", spec, err)
			}
		}
		if path == "" {
			return nil, fmt.Errorf("distribution %q: %s needs a file: %s:FILE", spec, k.Name, k.Name)
		}
		d.path = path
		if err := d.check(); err != nil {
			return nil, fmt.Errorf("distribution %q: %w", spec, err)
		}
		if err := d.loadEmpirical(); err != nil {
			return nil, err
		}
		d.spec = spec
		return d, nil
	}
	if rest != "" {
		for kv := range strings.SplitSeq(rest, ",") {
			key, v, ok := strings.Cut(kv, "=")
			key = strings.TrimSpace(key)
			if !ok {
				return nil, fmt.Errorf("distribution %q: parameter %q is not key=value", spec, kv)
			}
			if key != "mean" && !slices.Contains(k.names, key) {
				return nil, fmt.Errorf("distribution %q: unknown parameter %q (allowed: %s)", spec, key, strings.Join(append(slices.Clone(k.names), "mean"), ", "))
			}
			if err := d.setParam(key, v); err != nil {
				return nil, fmt.Errorf("distribution %q: %w", spec, err)
			}
		}
	}
	if err := d.check(); err != nil {
		return nil, fmt.Errorf("distribution %q: %w", spec, err)
	}
	d.spec = spec
	return d, nil
}

func (d *SizeDist) setParam(k, v string) error {
	x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return fmt.Errorf("%s must be a finite number, got %q", k, v)
	}
	if k == "mean" {
		d.mean = x
	} else {
		d.par[k] = x
	}
	return nil
}

func (d *SizeDist) check() error {
	if !(d.mean >= MinMean && d.mean <= MaxMean) {
		return fmt.Errorf("mean must be in [%g, %g], got %g", MinMean, MaxMean, d.mean)
	}
	for _, n := range d.kind.names {
		if _, ok := d.par[n]; !ok {
			return fmt.Errorf("%s needs %s: %s:%s", d.kind.Name, strings.Join(d.kind.names, " and "), d.kind.Name, d.kind.Params)
		}
	}
	if d.kind.check != nil {
		return d.kind.check(d.par)
	}
	return nil
}

// maxEmpirical bounds the values of an empirical file (512 MB of them).
const maxEmpirical = 1 << 26

func (d *SizeDist) loadEmpirical() error {
	f, err := os.Open(d.path)
	if err != nil {
		return fmt.Errorf("empirical distribution: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	var vals []float64
	mean := 0.0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
			return fmt.Errorf("%s:%d: want a finite number >= 0, got %q", d.path, line, s)
		}
		if len(vals) == maxEmpirical {
			return fmt.Errorf("%s:%d: more than %d values, the most an empirical distribution may hold (%s): resample the file", d.path, line, maxEmpirical, FormatBytes(maxEmpirical*8))
		}
		vals = append(vals, x)
		// A running mean: a sum of values near 1e308 overflows to +Inf
		// and scaled every value to 0.
		mean += (x - mean) / float64(len(vals))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: %w", d.path, line+1, err)
	}
	if len(vals) == 0 || !(mean > 0) {
		return fmt.Errorf("%s: no positive values (want one number a line)", d.path)
	}
	for i := range vals {
		vals[i] = vals[i] / mean * d.mean // divided first: 1/mean overflows for subnormal values
	}
	d.values = vals
	return nil
}

// String returns the spec the distribution was parsed from.
func (d *SizeDist) String() string { return d.spec }

// Kind is the distribution's kind (exp, det, ...).
func (d *SizeDist) Kind() string { return d.kind.Name }

// Mean is the distribution's mean.
func (d *SizeDist) Mean() float64 { return d.mean }

// SecondMoment is E[S²], +Inf when the variance is infinite (pareto with
// alpha <= 2). Pollaczek–Khinchine needs it.
func (d *SizeDist) SecondMoment() float64 { return d.kind.second(d) }

// FiniteMoments is the order below which the distribution's moments are
// finite: alpha for Pareto (E[S^k] is finite for k < alpha), +Inf for the
// others.
func (d *SizeDist) FiniteMoments() float64 {
	if d.kind.finite != nil {
		return d.kind.finite(d)
	}
	return math.Inf(1)
}

// SCV is the squared coefficient of variation Var[S]/E[S]².
func (d *SizeDist) SCV() float64 {
	return d.SecondMoment()/(d.mean*d.mean) - 1
}

// Sampler returns a sampler drawing from src. Samplers are not safe for
// concurrent use; make one per goroutine.
func (d *SizeDist) Sampler(src rand.Source) Sampler { return d.kind.sampler(d, src) }

type expSampler struct{ d distuv.Exponential }

func (s expSampler) Sample() float64 { return s.d.Rand() }

type detSampler float64

func (s detSampler) Sample() float64 { return float64(s) }

type lognormalSampler struct{ d distuv.LogNormal }

func (s lognormalSampler) Sample() float64 { return s.d.Rand() }

type paretoSampler struct{ d distuv.Pareto }

func (s paretoSampler) Sample() float64 { return s.d.Rand() }

type bimodalSampler struct {
	u            distuv.Uniform
	p            float64
	small, large float64
}

func (s *bimodalSampler) Sample() float64 {
	if s.u.Rand() < s.p {
		return s.large
	}
	return s.small
}

type hyperexpSampler struct {
	u      distuv.Uniform
	p1     float64
	e1, e2 distuv.Exponential
}

func (s *hyperexpSampler) Sample() float64 {
	if s.u.Rand() < s.p1 {
		return s.e1.Rand()
	}
	return s.e2.Rand()
}

type empiricalSampler struct {
	r      *rand.Rand
	values []float64
}

func (s *empiricalSampler) Sample() float64 { return s.values[s.r.IntN(len(s.values))] }
