package reports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchmath"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/metrics"
)

// CompareRow is one benchmark and metric measured in two runs.
type CompareRow struct {
	// Bench is the benchmark's full name (Family/key=value/...).
	Bench, Metric string
	Unit          string
	Better        metrics.Better
	// Old and New summarize each side: the median and its 95% interval.
	Old, New benchmath.Summary
	// OldN and NewN are the numbers of samples.
	OldN, NewN int
	// Change is new/old - 1 (NaN when old is 0).
	Change float64
	// Cmp is the Mann–Whitney U test of the two samples.
	Cmp benchmath.Comparison
	// Significant is Cmp.P < alpha.
	Significant bool
	// Worse is true when the change goes against the metric's better
	// direction and is significant.
	Worse bool
	// Notes are the footnotes of this row (too few samples).
	Notes []string
	// Paired, when the builds ran in interleaved rounds (ComparePaired),
	// is the change measured round by round; Change, Cmp, Significant and
	// Worse then come from it.
	Paired *PairedChange
	// headline marks the benchmark's headline metric, the one the gate
	// judges.
	headline               bool
	oldSamples, newSamples []float64
}

// Delta is the change as benchstat writes it: "+3.20%", "~" when it is
// not significant, "?" when old is zero.
func (r CompareRow) Delta() string { return r.Cmp.FormatDelta(r.Old.Center, r.New.Center) }

// Comparison of two sets of results, as Compare makes it.
type CompareResult struct {
	Rows []CompareRow
	// OnlyOld and OnlyNew are benchmarks found on one side only.
	OnlyOld, OnlyNew []string
	Alpha            float64
	// Rounds is the number of interleaved rounds of a paired comparison
	// (ComparePaired), 0 for two separate runs (Compare).
	Rounds int
	// RoundStat is the value a paired comparison takes of each round's
	// samples.
	RoundStat RoundStat
}

// Compare matches the results of old and new by benchmark name and
// compares every metric they share the way benchstat does: the median of
// each side's samples with its 95% interval, and a Mann–Whitney U test
// (benchmath.AssumeNothing) at level alpha. Results that kept no samples
// count as one sample of their value. A benchmark that appears several
// times on one side has its samples pooled.
func Compare(old, new *Set, alpha float64) *CompareResult {
	if !(alpha > 0 && alpha < 1) {
		alpha = Alpha
	}
	units := mergeUnits(old, new)
	os, oorder := collectSamples(old)
	ns, norder := collectSamples(new)
	res := &CompareResult{Alpha: alpha}
	th := &benchmath.Thresholds{CompareAlpha: alpha}
	for _, name := range oorder {
		n, ok := ns[name]
		if !ok {
			res.OnlyOld = append(res.OnlyOld, name)
			continue
		}
		o := os[name]
		for _, m := range o.metrics {
			nxs, ok := n.samples[m]
			if !ok {
				continue
			}
			s1 := benchmath.NewSample(slices.Clone(o.samples[m]), th)
			s2 := benchmath.NewSample(slices.Clone(nxs), th)
			row := CompareRow{Bench: name, Metric: m, OldN: len(s1.Values), NewN: len(s2.Values),
				headline: m == o.headline, oldSamples: o.samples[m], newSamples: nxs}
			row.Unit, row.Better = units.Describe(m)
			row.Old = benchmath.AssumeNothing.Summary(s1, 0.95)
			row.New = benchmath.AssumeNothing.Summary(s2, 0.95)
			row.Cmp = benchmath.AssumeNothing.Compare(s1, s2)
			row.Change = math.NaN()
			if row.Old.Center != 0 {
				row.Change = row.New.Center/row.Old.Center - 1
			}
			row.Significant = row.Cmp.P < alpha
			row.Worse = row.Significant && float64(row.Better)*row.Change < 0
			for _, w := range slices.Concat(row.Old.Warnings, row.New.Warnings, row.Cmp.Warnings) {
				if !slices.Contains(row.Notes, w.Error()) {
					row.Notes = append(row.Notes, w.Error())
				}
			}
			res.Rows = append(res.Rows, row)
		}
	}
	for _, name := range norder {
		if _, ok := os[name]; !ok {
			res.OnlyNew = append(res.OnlyNew, name)
		}
	}
	return res
}

// benchSamples are one benchmark's samples of every metric in one set.
type benchSamples struct {
	samples  map[string][]float64
	metrics  []string
	headline string
}

// collectSamples pools the samples of every benchmark of s by full name,
// in first-seen order. Results that kept no samples count as one sample
// of their value.
func collectSamples(s *Set) (map[string]*benchSamples, []string) {
	out := map[string]*benchSamples{}
	var order []string
	for i := range s.Results {
		r := &s.Results[i]
		name := FullName(r)
		sd := out[name]
		if sd == nil {
			sd = &benchSamples{samples: map[string][]float64{}, headline: Headline([]*metrics.Result{r})}
			out[name] = sd
			order = append(order, name)
		}
		names := r.MetricNames()
		for k := range r.Samples {
			if _, ok := r.Metrics[k]; !ok {
				names = append(names, k)
			}
		}
		for _, m := range names {
			xs := r.Samples[m]
			if len(xs) == 0 {
				v, ok := r.Metrics[m]
				if !ok || math.IsNaN(v) {
					continue
				}
				xs = []float64{v}
			}
			if _, ok := sd.samples[m]; !ok {
				sd.metrics = append(sd.metrics, m)
			}
			sd.samples[m] = append(sd.samples[m], xs...)
		}
	}
	return out, order
}

// mergeUnits is the unit metadata of all sets, later ones winning.
func mergeUnits(sets ...*Set) Units {
	units := Units{Better: map[string]metrics.Better{}}
	for _, s := range sets {
		for k, v := range s.Units.Better {
			units.Better[k] = v
		}
	}
	return units
}

// Regressions returns the benchmarks whose headline metric the gate
// (see Gate, without a noise floor) finds significantly worse than pct
// percent.
func (c *CompareResult) Regressions(pct float64) []CompareRow {
	var out []CompareRow
	for _, r := range c.Gate(pct, nil, "").Failures() {
		out = append(out, r.CompareRow)
	}
	return out
}

// metricsInOrder returns the metrics of the rows in first-seen order.
func (c *CompareResult) metricsInOrder() []string {
	var out []string
	for _, r := range c.Rows {
		if !slices.Contains(out, r.Metric) {
			out = append(out, r.Metric)
		}
	}
	return out
}

var superscripts = []string{"¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"}

func footnoteMark(i int) string {
	if i < len(superscripts) {
		return superscripts[i]
	}
	return fmt.Sprintf("(%d)", i+1)
}

// WriteText writes the comparison as benchstat does: one table per
// metric, each row the old and new medians with their intervals (± as a
// percentage of the median), the change, and the p-value with the sample
// sizes; `~` marks a change that is not significant; footnotes say where
// there were too few samples. Each table ends with the geometric mean.
func (c *CompareResult) WriteText(w io.Writer) error {
	var b strings.Builder
	var notes []string
	mark := func(ns []string) string {
		s := ""
		for _, n := range ns {
			i := slices.Index(notes, n)
			if i < 0 {
				i = len(notes)
				notes = append(notes, n)
			}
			s += footnoteMark(i)
		}
		return s
	}
	if c.Rounds > 0 {
		fmt.Fprintf(&b, "paired over %d interleaved rounds; a round's value of a build is %s; old and new: the median of the rounds' values with its 95%% interval; change: the Hodges–Lehmann estimate of new/old from the rounds' ratios, with its 95%% interval; p: two-sided Wilcoxon signed-rank test of the rounds' log ratios; n: rounds\n\n", c.Rounds, c.RoundStat.describe())
	}
	for ti, m := range c.metricsInOrder() {
		if ti > 0 {
			b.WriteString("\n")
		}
		var rows []CompareRow
		for _, r := range c.Rows {
			if r.Metric == m {
				rows = append(rows, r)
			}
		}
		unit, better := rows[0].Unit, rows[0].Better
		if better == metrics.Neutral {
			fmt.Fprintf(&b, "%s (%s, describes the run: neither direction is better)\n", m, unit)
		} else {
			fmt.Fprintf(&b, "%s (%s, %s is better)\n", m, unit, better)
		}
		names, common := shortNames(rows)
		if common != "" {
			fmt.Fprintf(&b, "%s\n", common)
		}
		width := len("geomean")
		for _, n := range names {
			width = max(width, len([]rune(n)))
		}
		tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', tabwriter.AlignRight)
		if c.Rounds > 0 {
			fmt.Fprintf(tw, "%-*s\told\t\tnew\t\tchange\t95%% interval\t\t\n", width, "")
		} else {
			fmt.Fprintf(tw, "%-*s\told\t\tnew\t\tchange\t\t\n", width, "")
		}
		for i, r := range rows {
			if r.Paired != nil {
				change, interval := pairedDelta(r)
				fmt.Fprintf(tw, "%-*s\t%s\t± %s\t%s\t± %s\t%s\t%s\tp=%.3f n=%d%s\t\n", width, names[i], FormatNumber(r.Old.Center), r.Old.PctRangeString(),
					FormatNumber(r.New.Center), r.New.PctRangeString(), change, interval, r.Paired.P, r.Paired.Rounds, mark(r.Notes))
				continue
			}
			fmt.Fprintf(tw, "%-*s\t%s\t± %s\t%s\t± %s\t%s\t%s%s\t\n", width, names[i], FormatNumber(r.Old.Center), r.Old.PctRangeString(),
				FormatNumber(r.New.Center), r.New.PctRangeString(), r.Delta(), r.Cmp.String(), mark(r.Notes))
		}
		if len(rows) > 1 {
			og, ng := geomean(rows, true), geomean(rows, false)
			if !math.IsNaN(og) && !math.IsNaN(ng) {
				if c.Rounds > 0 {
					fmt.Fprintf(tw, "%-*s\t%s\t\t%s\t\t%+.2f%%\t\t\t\n", width, "geomean", FormatNumber(og), FormatNumber(ng), (ng/og-1)*100)
				} else {
					fmt.Fprintf(tw, "%-*s\t%s\t\t%s\t\t%+.2f%%\t\t\n", width, "geomean", FormatNumber(og), FormatNumber(ng), (ng/og-1)*100)
				}
			}
		}
		tw.Flush()
	}
	for i, n := range notes {
		if i == 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s %s\n", footnoteMark(i), n)
	}
	fmt.Fprintf(&b, "\n%s\n", c.tally())
	if len(c.OnlyOld) > 0 {
		fmt.Fprintf(&b, "\nonly in OLD: %s\n", strings.Join(c.OnlyOld, ", "))
	}
	if len(c.OnlyNew) > 0 {
		fmt.Fprintf(&b, "\nonly in NEW: %s\n", strings.Join(c.OnlyNew, ", "))
	}
	// Tables pad their last column: drop trailing blanks.
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

// tally counts the significant changes: "2 worse, 1 better, 40 ~ (not
// significant) at alpha 0.05".
func (c *CompareResult) tally() string {
	worse, better, same := 0, 0, 0
	for _, r := range c.Rows {
		switch {
		case r.Worse:
			worse++
		case r.Significant && r.Change != 0:
			better++
		default:
			same++
		}
	}
	return fmt.Sprintf("%d worse, %d better, %d ~ (no significant change) at alpha %g", worse, better, same, c.Alpha)
}

// shortNames drops the name parts that all rows share and returns them as
// a heading, so that each row shows what sets it apart.
func shortNames(rows []CompareRow) (names []string, common string) {
	split := make([][]string, len(rows))
	count := map[string]int{}
	for i, r := range rows {
		split[i] = strings.Split(r.Bench, "/")
		seen := map[string]bool{}
		for _, p := range split[i] {
			if !seen[p] {
				seen[p] = true
				count[p]++
			}
		}
	}
	var shared []string
	for _, p := range split[0] {
		if count[p] == len(rows) && len(rows) > 1 {
			shared = append(shared, p)
		}
	}
	for _, parts := range split {
		var keep []string
		for _, p := range parts {
			if !slices.Contains(shared, p) {
				keep = append(keep, p)
			}
		}
		if len(keep) == 0 {
			keep = parts
		}
		names = append(names, strings.Join(keep, "/"))
	}
	return names, strings.Join(shared, "/")
}

// geomean is the geometric mean of the old (or new) centers, NaN unless
// all are positive.
func geomean(rows []CompareRow, old bool) float64 {
	s := 0.0
	for _, r := range rows {
		v := r.New.Center
		if old {
			v = r.Old.Center
		}
		if !(v > 0) {
			return math.NaN()
		}
		s += math.Log(v)
	}
	return math.Exp(s / float64(len(rows)))
}

// CompareConfig configures RunCompare.
type CompareConfig struct {
	// Old and New are result files (JSON Lines or benchmark text).
	Old, New string
	// Alpha is the significance level (default 0.05).
	Alpha float64
	// FailOnRegression, when >= 0, makes RunCompare fail when a
	// benchmark's headline metric got significantly worse than this many
	// percent (see CompareResult.Gate); negative turns the check off.
	FailOnRegression float64
	// Noise, when set, is a second run of the old build: the change from
	// Old to Noise of each benchmark is its A/A noise floor, added to the
	// threshold.
	Noise string
	// Metric is the metric the gate judges; empty means each benchmark's
	// headline metric.
	Metric string
	// Stdin is read for the file "-".
	Stdin io.Reader
}

// ErrRegression is wrapped by the error RunCompare returns when metrics
// regressed beyond the threshold.
var ErrRegression = errors.New("regression")

// RunCompare reads two result files, prints their comparison to stdout
// and the input problems to stderr, and with FailOnRegression returns an
// error naming every metric that got significantly worse by more than
// the threshold.
func RunCompare(ctx context.Context, cfg CompareConfig, stdout, stderr io.Writer) error {
	if cfg.Old == "" || cfg.New == "" {
		return inputErrorf("compare needs two result files: OLD NEW")
	}
	old, err := LoadContext(ctx, []string{cfg.Old}, cfg.Stdin)
	if err != nil {
		return inputError{err}
	}
	new, err := LoadContext(ctx, []string{cfg.New}, cfg.Stdin)
	if err != nil {
		return inputError{err}
	}
	for _, p := range slices.Concat(old.Problems, new.Problems) {
		fmt.Fprintln(stderr, p)
	}
	if len(old.Results) == 0 {
		return inputErrorf("%s: %w", cfg.Old, ErrNoResults)
	}
	if len(new.Results) == 0 {
		return inputErrorf("%s: %w", cfg.New, ErrNoResults)
	}
	c := Compare(old, new, cfg.Alpha)
	if len(c.Rows) == 0 {
		return inputErrorf("%s and %s have no benchmark and metric in common", cfg.Old, cfg.New)
	}
	var noise *CompareResult
	if cfg.FailOnRegression >= 0 && cfg.Noise != "" {
		ns, err := LoadContext(ctx, []string{cfg.Noise}, cfg.Stdin)
		if err != nil {
			return inputError{err}
		}
		if len(ns.Results) == 0 {
			return inputErrorf("%s: %w", cfg.Noise, ErrNoResults)
		}
		noise = Compare(old, ns, cfg.Alpha)
	}
	if err := c.Judge(stdout, cfg.FailOnRegression, noise, cfg.Metric); err != nil {
		return err
	}
	return ctx.Err()
}

// Judge writes the comparison to w and, when pct >= 0, the verdict of the
// gate at pct percent (see Gate; noise and metric as there). It returns
// an error wrapping ErrRegression that names every benchmark that
// regressed, or bad input when metric matches no benchmark or when too
// few paired rounds make the gate unable to fail.
func (c *CompareResult) Judge(w io.Writer, pct float64, noise *CompareResult, metric string) error {
	if err := c.WriteText(w); err != nil {
		return err
	}
	if pct < 0 {
		return nil
	}
	g := c.Gate(pct, noise, metric)
	if metric != "" && len(g.Rows) == 0 {
		return bad.Field("metric", "%s: no benchmark of both builds has it with a better direction; their metrics: %s", metric, strings.Join(c.metricsInOrder(), ", "))
	}
	if _, err := io.WriteString(w, "\n"+g.Summary()); err != nil {
		return err
	}
	if why := g.CannotFail(); why != "" {
		return inputErrorf("%s", why)
	}
	if regs := g.Failures(); len(regs) > 0 {
		var parts []string
		for _, r := range regs {
			parts = append(parts, fmt.Sprintf("%s %s %+.1f%% (%s is better, margin %.1f%%, p=%.3g)", r.Bench, r.Metric, r.Change*100, r.Better, r.Margin, r.PAdj))
		}
		return fmt.Errorf("%w: %d benchmarks got worse by more than %g%%: %s", ErrRegression, len(regs), pct, strings.Join(parts, "; "))
	}
	return nil
}
