package main

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/internal/bad"
)

// Catalog is one table of `stratbench list`: a name and one-line help a row.
type catalog struct {
	Name string
	Help string
	Rows func() [][2]string
}

// catalogs are the tables `stratbench list` shows, registered by the files
// that own them.
var catalogs []catalog

func registerCatalog(c catalog) { catalogs = append(catalogs, c) }

func init() {
	register(&cli.Command{
		Name:      "list",
		Usage:     "list the strategies and workloads stratbench knows, with one line each",
		UsageText: "stratbench list [WHAT...]",
		Description: "With no argument lists every catalog; with names, only those.\n\nExamples:\n" +
			"  stratbench list\n  stratbench list policies\n",
		Action: func(c *cli.Context) error {
			cats := slices.Clone(catalogs)
			slices.SortFunc(cats, func(a, b catalog) int { return strings.Compare(a.Name, b.Name) })
			want := c.Args().Slice()
			var names []string
			for _, cat := range cats {
				names = append(names, cat.Name)
			}
			for _, w := range want {
				if !slices.Contains(names, w) {
					return bad.Inputf("unknown catalog %q (known: %s)", w, strings.Join(names, ", "))
				}
			}
			tw := tabwriter.NewWriter(c.App.Writer, 2, 8, 2, ' ', 0)
			first := true
			for _, cat := range cats {
				if len(want) > 0 && !slices.Contains(want, cat.Name) {
					continue
				}
				if !first {
					fmt.Fprintln(tw)
				}
				first = false
				fmt.Fprintf(tw, "%s: %s\n", cat.Name, cat.Help)
				for _, r := range cat.Rows() {
					fmt.Fprintf(tw, "  %s\t%s\n", r[0], r[1])
				}
			}
			return tw.Flush()
		},
	})
}
