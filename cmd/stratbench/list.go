package main

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/cluster"
	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/reports"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
	"github.com/stratbench/stratbench/workloads/kernels"
	"github.com/stratbench/stratbench/workloads/xmark"
)

// catalog is one table of `stratbench list`: a name and one-line help a
// row, from a library's registry.
type catalog struct {
	name, help string
	rows       [][2]string
}

// rows makes a catalog's rows of a registry's entries.
func rows[T any](items []T, row func(T) (name, help string)) [][2]string {
	out := make([][2]string, len(items))
	for i, it := range items {
		out[i][0], out[i][1] = row(it)
	}
	return out
}

// catalogs are the tables `stratbench list` shows, sorted by name.
func catalogs() []catalog {
	var policies [][2]string
	for _, p := range strategies.Policies {
		policies = append(policies, [2]string{p.Name, p.Help})
		for _, prm := range p.Params {
			policies = append(policies, [2]string{"  " + p.Name + "." + prm.Name + "=" + strategies.FormatOpt(prm.Default),
				prm.Help + "; " + prm.Range() + " (" + prm.Source + ")"})
		}
	}
	var kernelRows [][2]string
	for _, f := range kernels.Families() {
		kernelRows = append(kernelRows, rows(f.Variants, func(v *kernels.Variant) (string, string) { return v.FullName(), v.Help })...)
	}
	kernelRows = append(kernelRows, rows(xmark.Kernels(), func(k *xmark.Kernel) (string, string) { return "xml." + k.Name, k.Help })...)
	withParams := func(name, params string) string {
		if params != "" {
			return name + ":" + params
		}
		return name
	}
	return []catalog{
		{"arrivals", "arrival processes (sim --arrival)",
			rows(workloads.ArrivalKinds, func(a struct{ Name, Params, Help string }) (string, string) {
				return withParams(a.Name, a.Params), a.Help
			})},
		{"balancers", "how requests reach the workers (run cluster --via)", rows(cluster.Vias, func(v cluster.ViaInfo) (string, string) { return v.Name, v.Help })},
		{"charts", "the charts of stratbench report, drawn when their data is present",
			rows(reports.ChartKinds, func(k reports.ChartKind) (string, string) { return k.Name, k.Help })},
		{"distributions", "task size / service time distributions (--service, --size); mean 1 unless mean=M",
			rows(workloads.SizeKinds, func(d workloads.SizeKind) (string, string) { return withParams(d.Name, d.Params), d.Help })},
		{"executors", "how does work reach the cores? (run batch --executor)",
			rows(strategies.Executors, func(e strategies.ExecutorInfo) (string, string) { return e.Name, e.Help })},
		{"kernels", "naive and optimized twins of one computation (run batch --workload kernel:NAME; xml run --kernel for xml.*)", kernelRows},
		{"policies", "where does the next job go? (--policy; a parameter is set with --policy-opt POLICY.PARAM=VALUE, in a suite POLICY.PARAM: VALUE)", policies},
		{"report-formats", "what stratbench report writes (--format)", rows(reports.Formats, func(f reports.Format) (string, string) { return f.Name, f.Help })},
		{"schedules", "how is a parallel loop split across workers? (run batch --schedule)",
			rows(strategies.Schedules, func(s strategies.ScheduleInfo) (string, string) { return s.Name, s.Help })},
		{"worker-kinds", "what a worker does for one request (worker --kind, run cluster --kind)",
			rows(worker.Kinds, func(k worker.KindInfo) (string, string) { return k.Name, k.Help })},
		{"workloads", "batch workloads: what the tasks do (run batch --workload)",
			rows(workloads.Batches(), func(b workloads.BatchInfo) (string, string) { return b.Name, b.Help })},
	}
}

func listCommand() *cli.Command {
	return &cli.Command{
		Name:      "list",
		Usage:     "list the strategies and workloads stratbench knows, with one line each",
		UsageText: "stratbench list [WHAT...]",
		Description: "With no argument lists every catalog; with names, only those.\n\nExamples:\n" +
			"  stratbench list\n  stratbench list policies\n",
		Action: func(c *cli.Context) error {
			cats := catalogs()
			want := c.Args().Slice()
			var names []string
			for _, cat := range cats {
				names = append(names, cat.name)
			}
			for _, w := range want {
				if !slices.Contains(names, w) {
					return bad.Inputf("unknown catalog %q (known: %s)", w, strings.Join(names, ", "))
				}
			}
			tw := tabwriter.NewWriter(c.App.Writer, 2, 8, 2, ' ', 0)
			first := true
			for _, cat := range cats {
				if len(want) > 0 && !slices.Contains(want, cat.name) {
					continue
				}
				if !first {
					fmt.Fprintln(tw)
				}
				first = false
				fmt.Fprintf(tw, "%s: %s\n", cat.name, cat.help)
				for _, r := range cat.rows {
					fmt.Fprintf(tw, "  %s\t%s\n", r[0], r[1])
				}
			}
			return tw.Flush()
		},
	}
}
