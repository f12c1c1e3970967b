package reports

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	index map[*metrics.Result]int
}

// Build ranks the results, reads the profiles they name and, when charts
// is true, draws the charts.
func Build(ctx context.Context, s *Set, charts bool) (*Report, error) {
	return build(ctx, s, charts, charts)
}

// build is Build; with render false the charts are laid out but not
// drawn (their PNG is nil), which tests use to check which charts exist.
func build(ctx context.Context, s *Set, charts, render bool) (*Report, error) {
	r := &Report{Set: s}
	r.Rankings = Rank(s.Results, "", s.Units)
	r.Mismatches = answerChecks(s.Results)
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
	}
	return r, nil
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
	{"csv", "results.csv: one row per result and metric, with its interval and parameters", writeCSVFile},
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
// do.
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
	s, err := LoadContext(ctx, cfg.Inputs, cfg.Stdin)
	if err != nil {
		return inputError{err}
	}
	for _, p := range s.Problems {
		fmt.Fprintln(stderr, p)
	}
	if len(s.Results) == 0 && len(s.Profiles) == 0 {
		return inputError{ErrNoResults}
	}
	charts := slices.ContainsFunc(formats, func(f Format) bool { return f.Name == "html" || f.Name == "png" })
	r, err := Build(ctx, s, charts)
	if err != nil {
		return err
	}
	if err := r.Write(ctx, cfg.Out, formats); err != nil {
		return err
	}
	return r.writeSummary(stdout, cfg.Out)
}

// Write writes the given formats of the report into dir (created if
// missing), each file atomically; profiles are copied beside the page.
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

// writeSummary prints what a terminal user wants to see: the comparisons
// and where the report is.
func (r *Report) writeSummary(w io.Writer, dir string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s from %s", count(len(r.Set.Results), "result"), count(len(r.Set.Inputs), "input"))
	if n := len(r.Set.Problems); n > 0 {
		fmt.Fprintf(&b, " (%s could not be read; see above)", count(n, "line"))
	}
	b.WriteString("\n")
	for _, rk := range r.Rankings {
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
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	for _, in := range r.Set.Inputs {
		if in.Path == "-" {
			continue
		}
		if a, err := filepath.Abs(in.Path); err == nil && a == abs {
			return true
		}
	}
	return false
}

func writeBenchFile(r *Report, dir string) ([]string, error) {
	return r.writeFile(dir, "results.txt", func(w io.Writer) error { return WriteBenchUnits(w, r.Set.Results, r.Set.Units) })
}

func writeJSONFiles(r *Report, dir string) ([]string, error) {
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
	return r.writeFile(dir, "results.csv", func(w io.Writer) error { return WriteCSV(w, r.Set.Results, r.Set.Units) })
}

func writeMarkdownFile(r *Report, dir string) ([]string, error) {
	return r.writeFile(dir, "report.md", r.WriteMarkdown)
}

func writeHTMLFile(r *Report, dir string) ([]string, error) {
	return r.writeFile(dir, "index.html", r.WriteHTML)
}

// envs returns the distinct environments of the results (ignoring the
// time), with how many results came from each, most first.
func (r *Report) envs() []envCount {
	var out []envCount
	for _, res := range r.Set.Results {
		e := res.Env
		e.Time = ""
		i := slices.IndexFunc(out, func(x envCount) bool { return x.Env == e && x.Engine == res.Engine })
		if i < 0 {
			out = append(out, envCount{Env: e, Engine: res.Engine})
			i = len(out) - 1
		}
		out[i].Results++
		if t := res.Env.Time; t != "" {
			if out[i].First == "" || t < out[i].First {
				out[i].First = t
			}
			if t > out[i].Last {
				out[i].Last = t
			}
		}
	}
	slices.SortStableFunc(out, func(a, b envCount) int { return cmp.Compare(b.Results, a.Results) })
	return out
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
