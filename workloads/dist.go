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
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// NewSource returns an independent seeded random source for stream number
// stream of the run seeded with seed: the same (seed, stream) always gives
// the same sequence, and different streams do not overlap in practice.
func NewSource(seed, stream uint64) *rand.PCG {
	return rand.NewPCG(mix(seed^0x243f6a8885a308d3), mix(stream*0x9e3779b97f4a7c15^seed))
}

func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Sampler draws values from a distribution.
type Sampler interface {
	Sample() float64
}

// SizeDist is a parsed size (service-time) distribution.
type SizeDist struct {
	kind   string
	mean   float64
	sigma  float64   // lognormal
	alpha  float64   // pareto
	p      float64   // bimodal
	ratio  float64   // bimodal
	scv    float64   // hyperexp
	path   string    // empirical
	values []float64 // empirical, scaled to mean
	spec   string
}

// Bounds of a distribution's mean: far outside them times would reach the
// subnormal range of float64 or lose all precision.
const (
	MinMean = 1e-9
	MaxMean = 1e12
)

// SizeKinds lists the distribution kinds with their parameters, for help
// texts and error messages.
var SizeKinds = []struct{ Name, Params, Help string }{
	{"exp", "", "exponential"},
	{"det", "", "deterministic: every size equals the mean"},
	{"lognormal", "sigma=S", "lognormal with shape S > 0"},
	{"pareto", "alpha=A", "Pareto with tail index A > 1"},
	{"bimodal", "p=P,ratio=R", "size 1 w.p. 1-P or R w.p. P, rescaled to the mean"},
	{"hyperexp", "scv=C", "two-phase hyperexponential, balanced means, squared CV C >= 1"},
	{"empirical", "FILE", "resampled from FILE, one value a line"},
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
	kind, rest, _ := strings.Cut(strings.TrimSpace(spec), ":")
	d := &SizeDist{kind: kind, mean: 1}
	var allowed []string
	switch kind {
	case "exp", "det":
	case "lognormal":
		allowed = []string{"sigma"}
		d.sigma = math.NaN()
	case "pareto":
		allowed = []string{"alpha"}
		d.alpha = math.NaN()
	case "bimodal":
		allowed = []string{"p", "ratio"}
		d.p, d.ratio = math.NaN(), math.NaN()
	case "hyperexp":
		allowed = []string{"scv"}
		d.scv = math.NaN()
	case "empirical":
		// empirical:PATH[,mean=M]: the path may contain commas, so only a
		// trailing ",mean=..." is a parameter.
		path := rest
		if i := strings.LastIndex(rest, ",mean="); i >= 0 {
			path = rest[:i]
			if err := d.setParam("mean", rest[i+len(",mean="):]); err != nil {
				return nil, fmt.Errorf("distribution %q: %w", spec, err)
			}
		}
		if path == "" {
			return nil, fmt.Errorf("distribution %q: empirical needs a file: empirical:FILE", spec)
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
	default:
		return nil, fmt.Errorf("unknown distribution %q in %q (known: %s)", kind, spec, sizeKindNames())
	}
	if rest != "" {
		for kv := range strings.SplitSeq(rest, ",") {
			k, v, ok := strings.Cut(kv, "=")
			k = strings.TrimSpace(k)
			if !ok {
				return nil, fmt.Errorf("distribution %q: parameter %q is not key=value", spec, kv)
			}
			if k != "mean" && !slices.Contains(allowed, k) {
				return nil, fmt.Errorf("distribution %q: unknown parameter %q (allowed: %s)", spec, k, strings.Join(append(allowed, "mean"), ", "))
			}
			if err := d.setParam(k, v); err != nil {
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
	switch k {
	case "mean":
		d.mean = x
	case "sigma":
		d.sigma = x
	case "alpha":
		d.alpha = x
	case "p":
		d.p = x
	case "ratio":
		d.ratio = x
	case "scv":
		d.scv = x
	}
	return nil
}

func (d *SizeDist) check() error {
	if !(d.mean >= MinMean && d.mean <= MaxMean) {
		return fmt.Errorf("mean must be in [%g, %g], got %g", MinMean, MaxMean, d.mean)
	}
	switch d.kind {
	case "lognormal":
		if math.IsNaN(d.sigma) {
			return errors.New("lognormal needs sigma: lognormal:sigma=S")
		}
		if !(d.sigma > 0) || d.sigma > 10 {
			return fmt.Errorf("sigma must be in (0, 10], got %g", d.sigma)
		}
	case "pareto":
		if math.IsNaN(d.alpha) {
			return errors.New("pareto needs alpha: pareto:alpha=A")
		}
		if !(d.alpha > 1) {
			return fmt.Errorf("alpha must be > 1 (the mean is infinite otherwise), got %g", d.alpha)
		}
	case "bimodal":
		if math.IsNaN(d.p) || math.IsNaN(d.ratio) {
			return errors.New("bimodal needs p and ratio: bimodal:p=P,ratio=R")
		}
		if !(d.p > 0 && d.p < 1) {
			return fmt.Errorf("p must be in (0, 1), got %g", d.p)
		}
		if !(d.ratio > 0) {
			return fmt.Errorf("ratio must be > 0, got %g", d.ratio)
		}
	case "hyperexp":
		if math.IsNaN(d.scv) {
			return errors.New("hyperexp needs scv: hyperexp:scv=C")
		}
		if !(d.scv >= 1) || d.scv > 1e6 {
			return fmt.Errorf("scv must be in [1, 1e6], got %g", d.scv)
		}
	}
	return nil
}

func (d *SizeDist) loadEmpirical() error {
	f, err := os.Open(d.path)
	if err != nil {
		return fmt.Errorf("empirical distribution: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	var vals []float64
	sum := 0.0
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
		vals = append(vals, x)
		sum += x
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: %w", d.path, line+1, err)
	}
	if len(vals) == 0 || !(sum > 0) {
		return fmt.Errorf("%s: no positive values (want one number a line)", d.path)
	}
	scale := d.mean / (sum / float64(len(vals)))
	for i := range vals {
		vals[i] *= scale
	}
	d.values = vals
	return nil
}

// String returns the spec the distribution was parsed from.
func (d *SizeDist) String() string { return d.spec }

// Kind is the distribution's kind (exp, det, ...).
func (d *SizeDist) Kind() string { return d.kind }

// Mean is the distribution's mean.
func (d *SizeDist) Mean() float64 { return d.mean }

// SecondMoment is E[S²], +Inf when the variance is infinite (pareto with
// alpha <= 2). Pollaczek–Khinchine needs it.
func (d *SizeDist) SecondMoment() float64 {
	m := d.mean
	switch d.kind {
	case "exp":
		return 2 * m * m
	case "det":
		return m * m
	case "lognormal":
		return m * m * math.Exp(d.sigma*d.sigma)
	case "pareto":
		if d.alpha <= 2 {
			return math.Inf(1)
		}
		xm := m * (d.alpha - 1) / d.alpha
		return xm * xm * d.alpha / (d.alpha - 2)
	case "bimodal":
		s := m / ((1 - d.p) + d.p*d.ratio)
		return s * s * ((1 - d.p) + d.p*d.ratio*d.ratio)
	case "hyperexp":
		return (1 + d.scv) * m * m
	case "empirical":
		sum := 0.0
		for _, v := range d.values {
			sum += v * v
		}
		return sum / float64(len(d.values))
	}
	return math.NaN()
}

// FiniteMoments is the order below which the distribution's moments are
// finite: alpha for Pareto (E[S^k] is finite for k < alpha), +Inf for the
// others.
func (d *SizeDist) FiniteMoments() float64 {
	if d.kind == "pareto" {
		return d.alpha
	}
	return math.Inf(1)
}

// SCV is the squared coefficient of variation Var[S]/E[S]².
func (d *SizeDist) SCV() float64 {
	return d.SecondMoment()/(d.mean*d.mean) - 1
}

// Sampler returns a sampler drawing from src. Samplers are not safe for
// concurrent use; make one per goroutine.
func (d *SizeDist) Sampler(src rand.Source) Sampler {
	m := d.mean
	switch d.kind {
	case "exp":
		return expSampler{distuv.Exponential{Rate: 1 / m, Src: src}}
	case "det":
		return detSampler(m)
	case "lognormal":
		return lognormalSampler{distuv.LogNormal{Mu: math.Log(m) - d.sigma*d.sigma/2, Sigma: d.sigma, Src: src}}
	case "pareto":
		return paretoSampler{distuv.Pareto{Xm: m * (d.alpha - 1) / d.alpha, Alpha: d.alpha, Src: src}}
	case "bimodal":
		s := m / ((1 - d.p) + d.p*d.ratio)
		return &bimodalSampler{u: distuv.Uniform{Min: 0, Max: 1, Src: src}, p: d.p, small: s, large: s * d.ratio}
	case "hyperexp":
		p1 := (1 + math.Sqrt((d.scv-1)/(d.scv+1))) / 2
		return &hyperexpSampler{
			u:  distuv.Uniform{Min: 0, Max: 1, Src: src},
			p1: p1,
			e1: distuv.Exponential{Rate: 2 * p1 / m, Src: src},
			e2: distuv.Exponential{Rate: 2 * (1 - p1) / m, Src: src},
		}
	case "empirical":
		return &empiricalSampler{r: rand.New(src), values: d.values}
	}
	panic("workloads: sampler for unvalidated distribution " + d.kind)
}

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
