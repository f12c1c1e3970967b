package reports

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// WriteMarkdown writes the report for a pull-request comment: the summary
// table, the comparisons, where the CPU time went, the input problems and
// the environment. Charts are not inlined (comments cannot hold them);
// the page index.html has them.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# stratbench report\n\n")
	b.WriteString(r.inputsLine() + "\n")
	rows := r.summaryRows(maxMDScenarios)
	more := len(r.Rankings) - len(rows)
	if len(rows) > 0 {
		b.WriteString("\n## Which strategy wins\n\n")
		b.WriteString("For each scenario, among deployable strategies: the single winner, or the strategies tied for best (" + RankMethod + " The leader's value has its 95% confidence interval; its margin over the runner-up is a ratio ± its 95% interval. A reference bound (central, lwl: not deployable) is the best any dispatcher could do; the gap is how many times better it is than the leader.\n\n")
		b.WriteString("| Scenario | Metric | Use | Value [95% CI] | vs runner-up | Bound (gap) |\n")
		b.WriteString("|---|---|---|---|---|---|\n")
		for _, row := range rows {
			ratio := ""
			if row.RunnerUp != "" {
				ratio = row.Ratio + " better than " + row.RunnerUp
				if row.Significance != "" {
					ratio += " " + mdSig(row.Significance)
				}
			}
			verdict := "**" + mdCell(row.Verdict()) + "**"
			bound := ""
			if row.Bound != "" {
				bound = mdCell(row.Bound + ": " + row.BoundValue + " (" + row.BoundGap + " better)")
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", mdCell(describeScenario(row.Scenario)), mdCell(row.MetricText),
				verdict, row.Value, mdCell(ratio), bound)
		}
		if more > 0 {
			fmt.Fprintf(&b, "\n%d more scenarios are left out here to keep the report readable; summary.json lists them all.\n", more)
		}
		b.WriteString("\n## Comparisons\n")
		for _, row := range rows {
			fmt.Fprintf(&b, "\n**%s**\n\n", mdCell(describeScenario(row.Scenario)))
			for _, l := range row.Lines {
				fmt.Fprintf(&b, "- %s\n", mdCell(l))
			}
		}
	}
	if rows := r.ModelRows(); len(rows) > 0 {
		b.WriteString("\n## Model against reality\n\n")
		b.WriteString("The harness's measured response times beside the simulator's prediction for the same cases. The difference is the measured value relative to the simulated one, (measured − simulated) ÷ simulated, as `run service --compare-sim` gives it: +10% means the harness measured 10% more than the simulator predicted.\n\n")
		b.WriteString("| Case | Measured mean [95% CI] | Simulated mean [95% CI] | Measured vs simulated | Measured p99 | Simulated p99 | Measured vs simulated |\n")
		b.WriteString("|---|---|---|---|---|---|---|\n")
		for _, m := range rows {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", mdCell(m.Case), m.Measured, m.Sim, m.MeanErr, m.RealP99, m.SimP99, m.P99Err)
		}
	}
	if groups := profileGroupsOf(r.Profiles); len(groups) > 0 {
		b.WriteString("\n## Where the CPU time went\n\n")
		b.WriteString("Share of each strategy's CPU samples (pprof label `strategy`) by kind of work.\n\n")
		b.WriteString("| Strategy | CPU | Samples |")
		for _, c := range Categories {
			b.WriteString(" " + c + " |")
		}
		b.WriteString("\n|---|---|---|" + strings.Repeat("---|", len(Categories)) + "\n")
		for _, g := range groups {
			fmt.Fprintf(&b, "| %s | %ss | %d |", mdCell(g.Label()), FormatNumber(g.Total), g.Samples)
			for _, c := range Categories {
				fmt.Fprintf(&b, " %s |", pct(g.ByCategory[c], g.Total))
			}
			b.WriteString("\n")
		}
		for _, ps := range r.Profiles {
			for _, g := range ps.Groups {
				fmt.Fprintf(&b, "\n<details><summary>Top functions: %s (%s)</summary>\n\n", mdCell(g.Label()), mdCell(ps.Path))
				b.WriteString("| Function | flat | flat% | cum | cum% |\n|---|---|---|---|---|\n")
				for _, f := range g.Top {
					fmt.Fprintf(&b, "| `%s` | %ss | %s | %ss | %s |\n", strings.ReplaceAll(f.Name, "|", `\|`), FormatNumber(f.Flat), pct(f.Flat, g.Total), FormatNumber(f.Cum), pct(f.Cum, g.Total))
				}
				b.WriteString("\n</details>\n")
			}
		}
	}
	if len(r.Set.Problems) > 0 {
		b.WriteString("\n## Input problems\n\n")
		b.WriteString("These lines could not be read; everything else was.\n\n")
		for _, p := range r.Set.Problems {
			fmt.Fprintf(&b, "- `%s`\n", strings.ReplaceAll(p.Error(), "`", "'"))
		}
	}
	if warn := append(slices.Clone(r.Mismatches), r.warnings()...); len(warn) > 0 {
		b.WriteString("\n## Warnings\n\n")
		for _, w := range warn {
			fmt.Fprintf(&b, "- %s\n", mdCell(w))
		}
	}
	if envs := r.envs(); len(envs) > 0 {
		b.WriteString("\n## Environment\n\n")
		b.WriteString("| Engine | Results | Go | OS/arch | CPU | CPUs | GOMAXPROCS | Seed | Commit |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
		for _, e := range envs {
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %d | %s |\n", mdCell(e.Engine), e.Results, mdCell(e.GoVersion),
				mdCell(osArch(e.GOOS, e.GOARCH)), mdCell(e.CPU), intOr(e.NumCPU), intOr(e.GOMAXPROCS), e.Seed, mdCell(shortCommit(e.Commit)))
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\nNote: %s\n", mdCell(n))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// inputsLine says in one sentence what the report was made from: "131
// results of 78 suite runs, from out/results.jsonl." or "40 results from
// 2 files: a.jsonl (30), b.txt (10); and 1 profile: cpu.pprof."
func (r *Report) inputsLine() string {
	var files, profiles []string
	for _, in := range r.Set.Inputs {
		if in.Kind == KindProfile {
			profiles = append(profiles, in.Path)
		} else {
			files = append(files, in.Path)
		}
	}
	var b strings.Builder
	b.WriteString(plural(r.count(), "result", "results"))
	// Results written by a suite name their run in params.suite_run.
	runs, inRuns := r.collected().runs, r.collected().inRuns
	switch {
	case len(runs) > 0 && inRuns == r.count():
		fmt.Fprintf(&b, " of %s", plural(len(runs), "suite run", "suite runs"))
		if len(files) > 0 {
			b.WriteString(",")
		}
	case len(runs) > 0:
		fmt.Fprintf(&b, " (%d of them from %s)", inRuns, plural(len(runs), "suite run", "suite runs"))
	}
	switch len(files) {
	case 0:
	case 1:
		fmt.Fprintf(&b, " from %s", files[0])
	default:
		fmt.Fprintf(&b, " from %d files: ", len(files))
		n := 0
		for _, in := range r.Set.Inputs {
			if in.Kind == KindProfile {
				continue
			}
			if n > 0 {
				b.WriteString(", ")
			}
			n++
			fmt.Fprintf(&b, "%s (%d)", in.Path, in.Results)
		}
	}
	if len(profiles) > 0 {
		if len(files) > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " and %s: %s", plural(len(profiles), "profile", "profiles"), strings.Join(profiles, ", "))
	}
	b.WriteString(".")
	return b.String()
}

// plural is "1 result" or "3 results".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// warnings lists the warnings the results carry, with their names (the
// first maxKeptWarnings, then how many more).
func (r *Report) warnings() []string {
	ws, n := r.resultWarnings()
	var out []string
	for _, w := range ws {
		out = append(out, w.name+": "+w.text)
	}
	if n > len(ws) {
		out = append(out, fmt.Sprintf("and %d more warnings: results.jsonl has every run's", n-len(ws)))
	}
	return out
}

// maxMDScenarios is how many scenarios report.md shows.
const maxMDScenarios = 300

func profileGroupsOf(ps []*ProfileSummary) []ProfileGroup {
	return (&model{profiles: ps}).profileGroups()
}

func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

func mdSig(s string) string { return "(" + s + ")" }

func pct(part, total float64) string {
	if total == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*part/total)
}

func osArch(goos, goarch string) string {
	if goos == "" && goarch == "" {
		return ""
	}
	return goos + "/" + goarch
}

func intOr(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
