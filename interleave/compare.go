package interleave

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/fsutil"
	"github.com/stratbench/stratbench/reports"
)

// CompareConfig configures Compare.
type CompareConfig struct {
	// Old and New measure the two builds; each run prints results (Go
	// benchmark text or JSON Lines of result records) on standard output.
	Old, New Command
	// Rounds is the number of interleaved rounds (>= 2).
	Rounds int
	// Alpha is the significance level (0: reports.Alpha).
	Alpha float64
	// FailOnRegression, when >= 0, makes Compare fail when a benchmark
	// got significantly worse than this many percent (reports.Gate);
	// negative turns the gate off.
	FailOnRegression float64
	// Metric is the metric the gate judges; empty means each benchmark's
	// headline metric.
	Metric string
	// RoundStat is the value taken of each round's samples of a build
	// (reports.RoundMedian when empty).
	RoundStat reports.RoundStat
	// Out, when set, is a directory that keeps each run's output
	// (old-01.txt, new-01.txt, ...; each written under a temporary name
	// and renamed when the run ends well); otherwise they go to a
	// temporary directory removed at the end.
	Out string
}

// Compare runs both builds in cfg.Rounds interleaved rounds (see Run),
// reads each run's results as soon as it ends, and writes to stdout the
// comparison of reports.ComparePaired: per benchmark and metric, the
// change estimated from the rounds' ratios new/old with its interval and
// a signed-rank test; with FailOnRegression, the gate's verdict too, and
// an error wrapping reports.ErrRegression when a benchmark regressed.
// Progress, timings and problems of the runs' output go to stderr. A run
// that prints no result, builds that share no benchmark, and too few
// rounds for the gate to be able to fail (known after the first round)
// are bad input.
func Compare(ctx context.Context, cfg CompareConfig, stdout, stderr io.Writer) error {
	if cfg.Rounds < 2 {
		return bad.Field("rounds", "must be >= 2 to pair the builds, got %d", cfg.Rounds)
	}
	if cfg.Alpha == 0 {
		cfg.Alpha = reports.Alpha
	}
	if !(cfg.Alpha > 0 && cfg.Alpha < 1) {
		return bad.Field("alpha", "must be in (0, 1), got %g", cfg.Alpha)
	}
	if cfg.RoundStat == "" {
		cfg.RoundStat = reports.RoundMedian
	}
	if !slices.Contains(reports.RoundStats, cfg.RoundStat) {
		return bad.Field("round_stat", ": unknown statistic %q (allowed: %v)", cfg.RoundStat, reports.RoundStats)
	}
	dir := cfg.Out
	if dir == "" {
		tmp, err := os.MkdirTemp("", "stratbench-compare-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	sets := [2][]*reports.Set{make([]*reports.Set, cfg.Rounds), make([]*reports.Set, cfg.Rounds)}
	durs := [2][]time.Duration{make([]time.Duration, cfg.Rounds), make([]time.Duration, cfg.Rounds)}
	var open *fsutil.File // the run's output, committed when the run ends well
	path := func(round int, b Build) string {
		return filepath.Join(dir, fmt.Sprintf("%s-%02d.txt", b, round+1))
	}
	start := time.Now()
	_, err := Run(ctx, Config{
		Old: cfg.Old, New: cfg.New, Rounds: cfg.Rounds,
		Output: func(round int, b Build) (io.Writer, error) {
			f, err := fsutil.Create(path(round, b))
			open = f
			return f, err
		},
		Done: func(round int, b Build, took time.Duration) error {
			if err := open.Commit(); err != nil {
				return err
			}
			s, err := reports.LoadContext(ctx, []string{path(round, b)}, nil)
			if err != nil {
				return err
			}
			for _, p := range s.Problems {
				fmt.Fprintln(stderr, p)
			}
			if len(s.Results) == 0 {
				cmd := cfg.Old
				if b == New {
					cmd = cfg.New
				}
				return bad.Inputf("%s build, round %d: %s printed no results (want Go benchmark text or JSON Lines of results on standard output)", b, round+1, cmd)
			}
			sets[b][round], durs[b][round] = s, took
			if b == First(round) {
				return nil
			}
			fmt.Fprintf(stderr, "compare: round %d of %d (%s first): old %s, new %s\n", round+1, cfg.Rounds, First(round),
				durs[Old][round].Round(10*time.Millisecond), durs[New][round].Round(10*time.Millisecond))
			if round == 0 {
				return check(cfg, sets[Old][0], sets[New][0])
			}
			return nil
		},
	})
	if open != nil {
		open.Abort() // a run that failed: nothing half-written is left
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "compare: %d rounds took %s (a run: old %s, new %s, medians)\n", cfg.Rounds,
		time.Since(start).Round(100*time.Millisecond), medianDuration(durs[Old]), medianDuration(durs[New]))
	c := reports.ComparePaired(sets[Old], sets[New], cfg.Alpha, cfg.RoundStat)
	if _, err := fmt.Fprintf(stdout, "old: %s\nnew: %s\n\n", cfg.Old, cfg.New); err != nil {
		return err
	}
	if err := c.Judge(stdout, cfg.FailOnRegression, nil, cfg.Metric); err != nil {
		return err
	}
	return ctx.Err()
}

// check judges the first round before the others run: the builds must
// share a benchmark, and the rounds asked for must be able to fail the
// gate over the benchmarks found.
func check(cfg CompareConfig, old, new *reports.Set) error {
	c := reports.Compare(old, new, cfg.Alpha)
	if len(c.Rows) == 0 {
		return bad.Inputf("the old and new builds share no benchmark and metric (round 1): old %s, new %s", names(old), names(new))
	}
	if cfg.FailOnRegression < 0 {
		return nil
	}
	p := reports.ComparePaired(slices.Repeat([]*reports.Set{old}, cfg.Rounds), slices.Repeat([]*reports.Set{new}, cfg.Rounds), cfg.Alpha, cfg.RoundStat)
	g := p.Gate(cfg.FailOnRegression, nil, cfg.Metric)
	if cfg.Metric != "" && len(g.Rows) == 0 {
		var ms []string
		for _, r := range c.Rows {
			if !slices.Contains(ms, r.Metric) {
				ms = append(ms, r.Metric)
			}
		}
		return bad.Field("metric", "%s: no benchmark of both builds has it with a better direction (round 1); their metrics: %s", cfg.Metric, strings.Join(ms, ", "))
	}
	if why := g.CannotFail(); why != "" {
		return bad.Inputf("%s (found after round 1)", why)
	}
	return nil
}

// names lists up to three benchmark names of s.
func names(s *reports.Set) string {
	var out []string
	for i := range s.Results {
		n := reports.FullName(&s.Results[i])
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(out) > 3 {
		return fmt.Sprintf("%v and %d more", out[:3], len(out)-3)
	}
	return fmt.Sprint(out)
}

func medianDuration(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2].Round(10 * time.Millisecond)
}
