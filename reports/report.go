package reports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/fsutil"
	"github.com/stratbench/stratbench/metrics"
)

// Report is everything the output formats are written from: the results,
// the rankings of strategies per scenario, the charts and the profile
// summaries.
type Report struct {
	Set      *Set
	Rankings []Ranking
	Charts   []*Chart
	Profiles []*ProfileSummary
	// Notes are things a reader should know: charts left out, profiles
	// that could not be read.
	Notes []string
	// Mismatches say where strategies that compute the same thing gave
	// different answers (a kernel twin that is wrong).
	Mismatches []string
	// Files are the files written beside index.html (relative to the
	// output directory), for the page's links.
	Files []string
	// col has what the report keeps of every result; Set.Results are the
	// results it holds: all of them when held is nil, else those whose
	// indexes (among all) held lists.
	col  *collector
	held []int
	// stream writes the formats that were written while reading.
	stream *streamOut
}

// Build ranks the results, reads the profiles they name and, when charts
// is true, draws the charts.
func Build(ctx context.Context, s *Set, charts bool) (*Report, error) {
	return build(ctx, s, charts, charts)
}

// build is Build; with render false the charts are laid out but not
// drawn (their PNG is nil), which tests use to check which charts exist.
func build(ctx context.Context, s *Set, charts, render bool) (*Report, error) {
	col := newCollector()
	for i := range s.Results {
		col.add(&s.Results[i], deriveOf(&s.Results[i]))
	}
	return buildFrom(ctx, s, col, nil, charts, render)
}

// buildFrom builds the report of the results col collected, of which s
// holds those at the indexes held (all of them when held is nil).
func buildFrom(ctx context.Context, s *Set, col *collector, held []int, charts, render bool) (*Report, error) {
	r := &Report{Set: s, col: col, held: held}
	r.Rankings = col.rank.rank("", s.Units, nil)
	r.Mismatches = col.answers.notes()
	for _, p := range s.Profiles {
		ps, err := ReadProfile(p)
		if err != nil {
			r.Notes = append(r.Notes, fmt.Sprintf("profile %s could not be read: %v", p, err))
			continue
		}
		r.Profiles = append(r.Profiles, ps)
	}
	if charts {
		m := newModel(s.Results, s.Units, r.Profiles)
		cs, err := buildCharts(ctx, m, render)
		if err != nil {
			return nil, err
		}
		r.Charts = cs
		r.Notes = append(r.Notes, m.notes...)
		if held != nil {
			r.Notes = append(r.Notes, fmt.Sprintf("the charts are drawn from %d of the %d results, and the notes of charts left out count only those: the results of the first %d of the %d sweep groups (a scenario across loads), the page's rows and the runs with faults or a simulated twin; every result is in results.jsonl and results.csv", len(held), col.n, chartGroups, len(col.groupsSeen)))
		}
	}
	return r, nil
}

// collected is what the report keeps of its results, gathered from
// Set.Results for a report that was not built (a literal).
func (r *Report) collected() *collector {
	if r.col == nil {
		r.col = newCollector()
		for i := range r.Set.Results {
			r.col.add(&r.Set.Results[i], deriveOf(&r.Set.Results[i]))
		}
	}
	return r.col
}

// count is the number of results of the report.
func (r *Report) count() int { return r.collected().n }

// pageRows returns the results the page lists, at most n (markPageRows:
// those with warnings first, then the others, in input order), and how
// many results there are in all.
func (r *Report) pageRows(n int) []heldResult {
	c := r.collected()
	pick := make([]bool, c.n)
	markPageRows(pick, n, func(i int) bool { return c.flags[i]&flagWarned != 0 })
	var out []heldResult
	for i, p := range pick {
		if p {
			out = append(out, heldResult{i, r.result(i)})
		}
	}
	return out
}

// holds reports whether the i-th result of the report is in memory.
func (r *Report) holds(i int) bool {
	if r.held == nil {
		return i < len(r.Set.Results)
	}
	_, ok := slices.BinarySearch(r.held, i)
	return ok
}

// result is the i-th result of the report, which must be held.
func (r *Report) result(i int) *metrics.Result {
	if r.held == nil {
		return &r.Set.Results[i]
	}
	j, ok := slices.BinarySearch(r.held, i)
	if !ok {
		panic(fmt.Sprintf("reports: result %d is not held", i))
	}
	return &r.Set.Results[j]
}

// resultWarnings returns the first warnings of the results (up to
// maxKeptWarnings) with their results' indexes, and how many there are.
func (r *Report) resultWarnings() ([]resultWarning, int) {
	c := r.collected()
	return c.warnings, c.nWarnings
}

// Format is one row of the table of output formats.
type Format struct {
	// Name is what --format takes.
	Name string
	// Help says what it writes, in one line.
	Help string
	// write writes the format's files into dir and returns their names
	// relative to dir.
	write func(r *Report, dir string) ([]string, error)
}

// Formats are the outputs of a report, in the order they are written
// (html last, so that it can link to the others).
var Formats = []Format{
	{"json", "results.jsonl (every result record, merged) and summary.json (rankings, profiles, problems)", writeJSONFiles},
	{"bench", "results.txt in Go benchmark format with Unit lines: benchstat -col /policy results.txt", writeBenchFile},
	{"csv", "results.csv: one row per result, with its parameters and each metric's value, 95% interval and sample count", writeCSVFile},
	{"md", "report.md: the summary and comparisons in Markdown, fit for a pull-request comment", writeMarkdownFile},
	{"png", "one PNG per chart", writePNGFiles},
	{"html", "index.html: one self-contained page (charts inline, works offline) linking the files beside it", writeHTMLFile},
}

// FormatNames lists the names of Formats.
func FormatNames() []string {
	var out []string
	for _, f := range Formats {
		out = append(out, f.Name)
	}
	return out
}

// Config configures Run.
type Config struct {
	// Inputs are result files: JSON Lines, Go benchmark text, profiles;
	// "-" is standard input.
	Inputs []string
	// Out is the directory written into (created if missing).
	Out string
	// Formats are the names of the formats to write; empty means all.
	Formats []string
	// Stdin is read for the input "-".
	Stdin io.Reader
}

// ErrNoResults is returned when the inputs hold no result and no profile.
var ErrNoResults = errors.New("no results in the inputs")

// ErrInput marks errors caused by the inputs or the configuration (a
// missing file, an unknown format), as opposed to failures to write: it is
// the module's one bad-input sentinel, bad.ErrInput.
var ErrInput = bad.ErrInput

type inputError struct{ err error }

func (e inputError) Error() string         { return e.err.Error() }
func (e inputError) Unwrap() []error       { return []error{e.err, ErrInput} }
func inputErrorf(f string, a ...any) error { return inputError{fmt.Errorf(f, a...)} }

// Run reads cfg.Inputs, writes the report's formats into cfg.Out, prints
// the input problems (file:line: message) to stderr and a short summary
// to stdout: the comparisons of each scenario and the files written.
// Problems with some lines do not fail the run; inputs without any result
// do. The inputs are read once, on every core, and the files that list
// every result are written as they are read: memory grows with the
// scenarios, not with the results (see holdAll).
func Run(ctx context.Context, cfg Config, stdout, stderr io.Writer) error {
	if len(cfg.Inputs) == 0 {
		return inputErrorf("no result files given")
	}
	if cfg.Out == "" {
		return bad.Field("out", ": give a directory to write the report into")
	}
	formats, err := selectFormats(cfg.Formats)
	if err != nil {
		return err
	}
	for _, p := range cfg.Inputs {
		if p != "-" {
			f, err := os.Open(p) // a missing input fails before anything is written
			if err != nil {
				return inputError{err}
			}
			f.Close()
		}
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return err
	}
	// Decoding leaves garbage at a high rate beside a heap of compact
	// records: without a limit the heap would grow to twice what is live.
	// A limit the user set (GOMEMLIMIT) stands.
	if prev := debug.SetMemoryLimit(-1); prev == math.MaxInt64 {
		debug.SetMemoryLimit(reportMemoryLimit)
		defer debug.SetMemoryLimit(prev)
	}
	set := &Set{Units: Units{Better: map[string]metrics.Better{}}}
	isIn := func(path string) bool { return isInputPath(cfg.Inputs, path) }
	sr := &streamReader{ctx: ctx, set: set, col: newCollector()}
	defer sr.close() // after the writers stop (so.abort), which copy from the inputs
	so, err := newStreamOut(cfg.Out, formats, isIn, set.Units)
	if err != nil {
		return err
	}
	defer so.abort()
	sr.out = so
	if err := sr.readAll(cfg.Inputs, cfg.Stdin, cfg.Out); err != nil {
		if errors.Is(err, ErrInput) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || isReadErr(err) {
			return inputError{err}
		}
		return err
	}
	for _, p := range set.Problems {
		fmt.Fprintln(stderr, p)
	}
	col := sr.col
	if col.n == 0 && len(set.Profiles) == 0 {
		return inputError{ErrNoResults}
	}
	var held []int
	if col.n > holdAll {
		h, twins := col.selectHeld()
		held, err = sr.withTwins(h, twins)
		if err != nil {
			return err
		}
	} else {
		held = make([]int, col.n)
		for i := range held {
			held[i] = i
		}
	}
	got, err := sr.readBack(held)
	if err != nil {
		return err
	}
	set.Results = make([]metrics.Result, len(held))
	for j, i := range held {
		set.Results[j] = *got[i]
	}
	if col.n <= holdAll {
		held = nil
	}
	charts := slices.ContainsFunc(formats, func(f Format) bool { return f.Name == "html" || f.Name == "png" })
	r, err := buildFrom(ctx, set, col, held, charts, charts)
	if err != nil {
		return err
	}
	r.stream = so
	if err := r.Write(ctx, cfg.Out, formats); err != nil {
		return err
	}
	return r.writeSummary(stdout, cfg.Out)
}

// reportMemoryLimit is the soft limit of the Go heap while Run runs, when
// the user set none: the garbage collector works harder near it, so that
// a report of a million records stays within 2 GB (issue 13).
const reportMemoryLimit = 1536 << 20

// isReadErr reports whether err came from reading an input (not from
// writing the report).
func isReadErr(err error) bool {
	var pe *os.PathError
	return errors.As(err, &pe) && pe.Op == "open" || strings.HasPrefix(err.Error(), "reading ")
}

// withTwins adds to held (ascending) the first simulator result named as
// each held harness result, for the model checks.
func (sr *streamReader) withTwins(held []int, twins map[int][]int) ([]int, error) {
	if len(twins) == 0 {
		return held, nil
	}
	add := map[int]bool{}
	for _, h := range held {
		cands := twins[h]
		if len(cands) == 0 {
			continue
		}
		real, err := sr.readBack([]int{h})
		if err != nil {
			return nil, err
		}
		for _, c := range cands {
			got, err := sr.readBack([]int{c})
			if err != nil {
				return nil, err
			}
			if got[c].Name == real[h].Name {
				add[c] = true
				break
			}
		}
	}
	for _, h := range held {
		delete(add, h)
	}
	out := append(slices.Clone(held), slices.Collect(maps.Keys(add))...)
	slices.Sort(out)
	return out, nil
}

// Write writes the given formats of the report into dir (created if
// missing), each file atomically; profiles are copied beside the page.
// Formats written while the inputs were read (Run) are finished here.
func (r *Report) Write(ctx context.Context, dir string, formats []Format) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r.Files = nil
	if slices.ContainsFunc(formats, func(f Format) bool { return f.Name == "html" }) {
		files, err := r.copyProfiles(dir)
		if err != nil {
			return err
		}
		r.Files = append(r.Files, files...)
	}
	for _, f := range formats {
		if err := ctx.Err(); err != nil {
			return err
		}
		files, err := f.write(r, dir)
		if err != nil {
			return fmt.Errorf("writing %s: %w", f.Name, err)
		}
		r.Files = append(r.Files, files...)
	}
	return nil
}

func selectFormats(names []string) ([]Format, error) {
	if len(names) == 0 {
		return Formats, nil
	}
	var out []Format
	for _, f := range Formats {
		if slices.Contains(names, f.Name) {
			out = append(out, f)
		}
	}
	for _, n := range names {
		if !slices.ContainsFunc(Formats, func(f Format) bool { return f.Name == n }) {
			return nil, bad.Field("format", ": unknown format %q (known: %s)", n, strings.Join(FormatNames(), ", "))
		}
	}
	return out, nil
}

// maxTermScenarios is how many scenarios' comparisons Run prints.
const maxTermScenarios = 300

// writeSummary prints what a terminal user wants to see: the comparisons
// and where the report is.
func (r *Report) writeSummary(w io.Writer, dir string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s from %s", count(r.count(), "result"), count(len(r.Set.Inputs), "input"))
	if n := len(r.Set.Problems); n > 0 {
		fmt.Fprintf(&b, " (%s could not be read; see above)", count(n, "line"))
	}
	b.WriteString("\n")
	for i, rk := range r.Rankings {
		if i == maxTermScenarios {
			fmt.Fprintf(&b, "\nand %d more scenarios, left out here: summary.json has them all\n", len(r.Rankings)-i)
			break
		}
		fmt.Fprintf(&b, "\n%s\n%s", rk.Headline(), rk.lines("  "))
	}
	if len(r.Files) > 0 {
		fmt.Fprintf(&b, "\nwrote %s into %s", count(len(r.Files), "file"), dir)
		if slices.Contains(r.Files, "index.html") {
			fmt.Fprintf(&b, "; open %s", filepath.Join(dir, "index.html"))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// copyProfiles copies the profiles into dir/profiles so that the page's
// links keep working when the directory is moved; profiles already inside
// dir stay where they are.
func (r *Report) copyProfiles(dir string) ([]string, error) {
	var files []string
	absDir, _ := filepath.Abs(dir)
	used := map[string]bool{}
	for _, p := range r.Profiles {
		abs, _ := filepath.Abs(p.Path)
		if rel, err := filepath.Rel(absDir, abs); err == nil && !strings.HasPrefix(rel, "..") {
			p.Link = filepath.ToSlash(rel)
			continue
		}
		name := filepath.Base(p.Path)
		for i := 2; used[name]; i++ {
			ext := filepath.Ext(p.Path)
			name = fmt.Sprintf("%s-%d%s", strings.TrimSuffix(filepath.Base(p.Path), ext), i, ext)
		}
		used[name] = true
		if err := os.MkdirAll(filepath.Join(dir, "profiles"), 0o755); err != nil {
			return nil, err
		}
		data, err := os.ReadFile(p.Path)
		if err != nil {
			return nil, err
		}
		rel := "profiles/" + name
		if err := fsutil.WriteFile(filepath.Join(dir, rel), func(w io.Writer) error {
			_, err := w.Write(data)
			return err
		}); err != nil {
			return nil, err
		}
		p.Link = rel
		files = append(files, rel)
	}
	return files, nil
}

// writeFile writes dir/name atomically.
// writeFile writes dir/name atomically, unless that file is one of the
// report's inputs (a suite's results.jsonl read from the folder the
// report goes into): an input is never overwritten, since a rewrite would
// drop the lines that could not be read.
func (r *Report) writeFile(dir, name string, write func(w io.Writer) error) ([]string, error) {
	path := filepath.Join(dir, name)
	if r.isInput(path) {
		return []string{name}, nil
	}
	if err := fsutil.WriteFile(path, write); err != nil {
		return nil, err
	}
	return []string{name}, nil
}

// isInput reports whether path is one of the files the report read.
func (r *Report) isInput(path string) bool {
	var paths []string
	for _, in := range r.Set.Inputs {
		paths = append(paths, in.Path)
	}
	return isInputPath(paths, path)
}

// isInputPath reports whether path is one of inputs.
func isInputPath(inputs []string, path string) bool {
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	for _, in := range inputs {
		if in == "-" {
			continue
		}
		if a, err := filepath.Abs(in); err == nil && a == abs {
			return true
		}
	}
	return false
}

func writeBenchFile(r *Report, dir string) ([]string, error) {
	if r.stream != nil {
		return r.streamed(dir, "results.txt")
	}
	return r.writeFile(dir, "results.txt", func(w io.Writer) error { return WriteBenchUnits(w, r.Set.Results, r.Set.Units) })
}

func writeJSONFiles(r *Report, dir string) ([]string, error) {
	if r.stream != nil {
		a, err := r.streamed(dir, "results.jsonl")
		if err != nil {
			return nil, err
		}
		b, err := r.writeFile(dir, "summary.json", r.WriteSummaryJSON)
		return append(a, b...), err
	}
	a, err := r.writeFile(dir, "results.jsonl", func(w io.Writer) error {
		for i := range r.Set.Results {
			res := r.Set.Results[i] // WriteJSON cleans: work on a copy
			if err := metrics.WriteJSON(w, &res); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	b, err := r.writeFile(dir, "summary.json", r.WriteSummaryJSON)
	return append(a, b...), err
}

func writePNGFiles(r *Report, dir string) ([]string, error) {
	var files []string
	for _, c := range r.Charts {
		f, err := r.writeFile(dir, c.ID+".png", func(w io.Writer) error {
			_, err := w.Write(c.PNG)
			return err
		})
		if err != nil {
			return nil, err
		}
		files = append(files, f...)
	}
	return files, nil
}

func writeCSVFile(r *Report, dir string) ([]string, error) {
	if r.stream != nil {
		return r.streamed(dir, "results.csv")
	}
	return r.writeFile(dir, "results.csv", func(w io.Writer) error { return WriteCSV(w, r.Set.Results, r.Set.Units) })
}

func writeMarkdownFile(r *Report, dir string) ([]string, error) {
	return r.writeFile(dir, "report.md", r.WriteMarkdown)
}

func writeHTMLFile(r *Report, dir string) ([]string, error) {
	return r.writeFile(dir, "index.html", r.WriteHTML)
}

// streamed finishes a file written while the inputs were read (the first
// call finishes them all).
func (r *Report) streamed(dir, name string) ([]string, error) {
	if err := r.stream.finish(r.Set.Units); err != nil {
		return nil, err
	}
	return []string{name}, nil
}

// envs returns the distinct environments of the results (ignoring the
// time), with how many results came from each, most first.
func (r *Report) envs() []envCount {
	return r.collected().sortedEnvs()
}

type envCount struct {
	metrics.Env
	Engine      string
	Results     int
	First, Last string
}

// count writes n with its noun, singular or plural: 1 file, 2 files.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
