package reports

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"

	"github.com/stratbench/stratbench/internal/lines"
	"github.com/stratbench/stratbench/metrics"
)

// engineBench is the engine of results read from Go benchmark text that
// does not name its engine (go test -bench output).
const engineBench = "bench"

// Input kinds, as Load recognizes them.
const (
	KindResults = "results" // JSON Lines of result records
	KindBench   = "bench"   // Go benchmark format
	KindProfile = "profile" // a pprof profile
)

// Input is one file that Load read.
type Input struct {
	// Path is the file's name as given ("-" for standard input).
	Path string
	// Kind is KindResults, KindBench or KindProfile.
	Kind string
	// Results is the number of results read from it.
	Results int
}

// Set is everything read from the inputs of a report or a comparison.
type Set struct {
	Inputs  []Input
	Results []metrics.Result
	// Units holds the unit metadata of benchmark files.
	Units Units
	// Profiles are the CPU profiles to summarize: those named by results
	// (resolved against the result file's directory) and those given as
	// inputs, without duplicates.
	Profiles []string
	// Problems are malformed lines ("file:line: message") and profiles
	// that could not be found. They never stop a report: the rest of the
	// input is still used, as benchstat does.
	Problems []error
}

// MaxProfile is the largest profile input read (profiles are parsed
// whole; a CPU profile of a long run is a few MB).
const MaxProfile = 512 << 20

// Load reads result files: JSON Lines of result records, Go benchmark
// text, and pprof profiles, in any mix, telling them apart by content.
// "-" reads standard input (stdin). Malformed lines become Problems and
// reading goes on; only a file that cannot be read at all is an error.
func Load(paths []string, stdin io.Reader) (*Set, error) {
	return LoadContext(context.Background(), paths, stdin)
}

// LoadContext is Load stopping with ctx's error within one read of ctx
// being cancelled. Inputs are streamed: results and benchmark text take
// the memory of one line (lines.Max at most), not of the file.
func LoadContext(ctx context.Context, paths []string, stdin io.Reader) (*Set, error) {
	s := &Set{Units: Units{Better: map[string]metrics.Better{}}}
	for _, p := range paths {
		if p == "-" {
			if stdin == nil {
				return nil, fmt.Errorf("reading -: no standard input")
			}
			if err := s.read(ctx, p, stdin); err != nil {
				return nil, err
			}
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		err = s.read(ctx, p, f)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	s.dropDuplicates()
	return s, nil
}

// Add reads one more input from memory, named path in messages.
func (s *Set) Add(path string, data []byte) {
	s.read(context.Background(), path, bytes.NewReader(data))
	s.dropDuplicates()
}

// read reads one input, telling its kind from its first bytes.
func (s *Set) read(ctx context.Context, path string, r io.Reader) error {
	if s.Units.Better == nil {
		s.Units.Better = map[string]metrics.Better{}
	}
	br, kind, err := openInput(ctx, path, r)
	if err != nil {
		return err
	}
	in := Input{Path: path}
	switch kind {
	case KindProfile:
		in.Kind = KindProfile
		if err := s.readProfile(path, br); err != nil {
			return err
		}
	case KindResults:
		in.Kind = KindResults
		rs, errs := metrics.ReadJSONL(path, br)
		if err := ctx.Err(); err != nil {
			return err
		}
		s.Problems = append(s.Problems, errs...)
		for i := range rs {
			if p := rs[i].Profile; p != "" {
				s.addProfile(resolveProfile(path, p))
			}
		}
		in.Results = len(rs)
		s.Results = append(s.Results, rs...)
	default:
		in.Kind = KindBench
		rs, errs := readBench(path, br, s.Units)
		if err := ctx.Err(); err != nil {
			return err
		}
		s.Problems = append(s.Problems, errs...)
		in.Results = len(rs)
		s.Results = append(s.Results, rs...)
	}
	s.Inputs = append(s.Inputs, in)
	return nil
}

// dropDuplicates keeps the first of records that a suite wrote twice (the
// same params.suite_run, engine, family and name: two suites that wrote
// one directory at once, or results.jsonl given twice), naming each one
// dropped in Problems.
func (s *Set) dropDuplicates() {
	seen := map[string]bool{}
	kept := s.Results[:0]
	dups := map[string]int{}
	var order []string
	for i := range s.Results {
		r := &s.Results[i]
		id, ok := r.Params["suite_run"].(string)
		if !ok {
			kept = append(kept, *r)
			continue
		}
		k := id + "\x00" + r.Engine + "\x00" + r.Family + "\x00" + r.Name
		if seen[k] {
			if dups[id] == 0 {
				order = append(order, id)
			}
			dups[id]++
			continue
		}
		seen[k] = true
		kept = append(kept, *r)
	}
	s.Results = kept
	if len(order) > 0 {
		n := 0
		for _, c := range dups {
			n += c
		}
		ex := order[:min(3, len(order))]
		s.Problems = append(s.Problems, fmt.Errorf("%d duplicate records of %d suite runs left out (the first of each is kept): %s%s",
			n, len(order), strings.Join(ex, ", "), map[bool]string{true: ", ...", false: ""}[len(order) > 3]))
	}
}

func (s *Set) addProfile(p string) {
	if !slices.Contains(s.Profiles, p) {
		s.Profiles = append(s.Profiles, p)
	}
}

// resolveProfile finds a profile named by a result in file: as given if
// it exists (absolute, or relative to the working directory), else
// relative to the result file's directory.
func resolveProfile(file, p string) string {
	if filepath.IsAbs(p) || file == "-" {
		return p
	}
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return filepath.Join(filepath.Dir(file), p)
}

// sniff tells the kind of an input from its first bytes: a gzip stream or
// protocol buffer is a profile, a '{' starts JSON Lines, anything else is
// read as benchmark text (which skips lines it does not know).
func sniff(data []byte) string {
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		return KindProfile
	}
	t := bytes.TrimLeft(data, " \t\r\n")
	if len(t) > 0 && t[0] == '{' {
		return KindResults
	}
	if len(t) > 0 && t[0] < 0x09 {
		// Binary data: an uncompressed profile protocol buffer.
		return KindProfile
	}
	return KindBench
}

// readBench reads Go benchmark text and turns each benchmark (by package
// and full name, GOMAXPROCS included) into one result: its samples are
// every line's value, its metrics the median (benchstat's center), its
// intervals the distribution-free 95% interval of the median. Units keep
// their spelling in the file (ns/op stays ns/op). Unit metadata lines
// (better=higher|lower) are recorded in units.
func readBench(file string, rd io.Reader, units Units) ([]metrics.Result, []error) {
	type acc struct {
		res   *metrics.Result
		order []string
		procs string
	}
	var (
		errs  []error
		order []string
		accs  = map[string]*acc{}
	)
	br := benchfmt.NewReader(rd, file)
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			errs = append(errs, rec)
		case *benchfmt.UnitMetadata:
			if rec.Key == "better" {
				switch rec.Value {
				case "higher":
					units.Better[rec.OrigUnit] = metrics.Higher
				case "lower":
					units.Better[rec.OrigUnit] = metrics.Lower
				default:
					f, l := rec.Pos()
					errs = append(errs, fmt.Errorf("%s:%d: better must be higher or lower, got %q", f, l, rec.Value))
				}
			}
		case *benchfmt.Result:
			key := rec.GetConfig("pkg") + "\x00" + string(rec.Name)
			a, ok := accs[key]
			if !ok {
				a = &acc{res: benchResult(rec)}
				_, parts := rec.Name.Parts()
				if n := len(parts); n > 0 && strings.HasPrefix(string(parts[n-1]), "-") {
					a.procs = strings.TrimPrefix(string(parts[n-1]), "-")
				}
				accs[key] = a
				order = append(order, key)
			}
			for _, v := range rec.Values {
				unit, val := v.Unit, v.Value
				if v.OrigUnit != "" {
					unit, val = v.OrigUnit, v.OrigValue
				}
				if math.IsNaN(val) || math.IsInf(val, 0) {
					// benchmath's interval of a sample with NaN never
					// ends (5.6 GB and a crash): leave the value out.
					f, l := rec.Pos()
					errs = append(errs, fmt.Errorf("%s:%d: %v %s is not a measurement: left out", f, l, val, unit))
					continue
				}
				if _, ok := a.res.Samples[unit]; !ok {
					a.order = append(a.order, unit)
				}
				a.res.Samples[unit] = append(a.res.Samples[unit], val)
			}
		}
	}
	if err := br.Err(); err != nil {
		errs = append(errs, err)
	}
	var out []metrics.Result
	seen := map[string]int{}
	for _, k := range order {
		seen[FullName(accs[k].res)+"\x00"+accs[k].res.Params["pkg"].(string)]++
	}
	for _, k := range order {
		a := accs[k]
		r := a.res
		if a.procs != "" {
			if n, err := strconv.Atoi(a.procs); err == nil {
				r.Env.GOMAXPROCS = n
			}
			// Two runs that differ only in GOMAXPROCS (go test -cpu 1,2)
			// stay apart.
			if seen[FullName(r)+"\x00"+r.Params["pkg"].(string)] > 1 {
				r.Name += "/gomaxprocs=" + a.procs
				r.Params["gomaxprocs"] = a.procs
			}
		}
		for unit, xs := range r.Samples {
			s := benchmath.NewSample(slices.Clone(xs), &benchmath.DefaultThresholds)
			sum := benchmath.AssumeNothing.Summary(s, 0.95)
			r.Metrics[unit] = sum.Center
			if len(xs) > 1 && !isInf(sum.Lo) && !isInf(sum.Hi) {
				r.CI95[unit] = [2]float64{sum.Lo, sum.Hi}
			}
			if len(xs) == 1 {
				delete(r.Samples, unit)
			}
		}
		if len(r.CI95) == 0 {
			r.CI95 = nil
		}
		if len(r.Samples) == 0 {
			r.Samples = nil
		}
		out = append(out, *r)
	}
	return out, errs
}

func isInf(x float64) bool { return x > 1e308 || x < -1e308 }

// benchResult starts the result of one benchmark line: its family is the
// base name without "Benchmark", its name the sub-benchmark parts (or the
// base name for a top-level benchmark), its parameters the key=value parts
// and the file's configuration (pkg, goos, ...).
func benchResult(rec *benchfmt.Result) *metrics.Result {
	base, parts := rec.Name.Parts()
	r := &metrics.Result{
		Engine:  engineBench,
		Params:  map[string]any{},
		Metrics: map[string]float64{},
		CI95:    map[string][2]float64{},
		Samples: map[string][]float64{},
	}
	var sub []string
	for _, p := range parts {
		s := string(p)
		if strings.HasPrefix(s, "-") {
			continue // GOMAXPROCS
		}
		s = strings.TrimPrefix(s, "/")
		sub = append(sub, s)
		if k, v, ok := strings.Cut(s, "="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				r.Params[k] = f
			} else {
				r.Params[k] = v
			}
		}
	}
	fam := strings.TrimPrefix(string(base), "Benchmark")
	if len(sub) == 0 {
		r.Name = fam
	} else {
		r.Family = fam
		r.Name = strings.Join(sub, "/")
	}
	for _, c := range rec.Config {
		v := string(c.Value)
		switch c.Key {
		case "goos":
			r.Env.GOOS = v
		case "goarch":
			r.Env.GOARCH = v
		case "cpu":
			r.Env.CPU = v
		case "commit":
			r.Env.Commit = v
		case "go":
			r.Env.GoVersion = v
		case "engine":
			r.Engine = v
		default:
			r.Params[c.Key] = v
		}
	}
	if _, ok := r.Params["pkg"]; !ok {
		r.Params["pkg"] = ""
	}
	return r
}

// readProfile reads a pprof profile input from r: a profile too large or
// that does not parse is a problem of the set, not an error.
func (s *Set) readProfile(path string, r io.Reader) error {
	data, err := io.ReadAll(io.LimitReader(r, MaxProfile+1))
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > MaxProfile {
		s.Problems = append(s.Problems, fmt.Errorf("%s: a profile larger than %d MB, the limit of a profile input: left out", path, MaxProfile>>20))
	} else if _, err := profile.ParseData(data); err != nil {
		s.Problems = append(s.Problems, fmt.Errorf("%s: %v", path, err))
	} else {
		s.addProfile(path)
	}
	return nil
}

// openInput buffers input r (stopping when ctx is done) and tells its kind
// from its first bytes.
func openInput(ctx context.Context, path string, r io.Reader) (*bufio.Reader, string, error) {
	br := bufio.NewReaderSize(lines.ContextReader(ctx, r), 64<<10)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, "", fmt.Errorf("reading %s: %w", path, err)
	}
	return br, sniff(head), nil
}
