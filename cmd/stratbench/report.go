package main

import (
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/internal/field"
	"github.com/stratbench/stratbench/reports"
	"github.com/stratbench/stratbench/suite"
)

func reportCommand() *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "turn result files into charts, one self-contained HTML page, Markdown, CSV, JSON and benchmark text",
		UsageText: "stratbench report RESULTS... --out DIR [--format html,png,md,csv,bench,json]",
		Description: `Reads result files in any mix: JSON Lines of result records (sim, run, xml run,
suite), Go benchmark text (go test -bench output, benchstat's input) and CPU
profiles. Lines that cannot be read are reported as file:line: message and the
rest is still used. Shard results of one sweep merge into one report: the
shards of a suite (DIR/results.jsonl beside DIR/suite.json) must all be there
and complete, of one suite and seed (--partial reports them anyway, --wait
waits for them).

Writes into DIR (atomically, file by file): index.html (one page that works
offline: charts inline, summary table, comparisons, profiles, environment),
one PNG per chart, report.md, results.csv, results.jsonl, summary.json and
results.txt (benchmark format: benchstat -col /policy DIR/results.txt).

Examples:
  stratbench sim --policy random,jsq,p2c --servers 10 --load 0.5,0.7,0.9 --format json > sim.jsonl
  stratbench report sim.jsonl --out report
  go test -run '^$' -bench . -count 10 > new.txt && stratbench report new.txt --out report
  stratbench report shard-*.jsonl --out report --format html,md`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "report", Usage: "directory to write the report into"},
			&cli.StringFlag{Name: "format", Usage: "comma-separated formats (default all): " + strings.Join(reports.FormatNames(), ",")},
			&cli.BoolFlag{Name: "partial", Usage: "report shards of a sweep even if some are missing or incomplete (warning about them)"},
			&cli.DurationFlag{Name: "wait", Usage: "wait up to this long for missing or incomplete shards (a merge Job started beside its shards)"},
		},
		Action: func(c *cli.Context) error {
			cfg := reports.Config{
				Inputs:  c.Args().Slice(),
				Out:     c.String("out"),
				Formats: field.Split(c.String("format")),
				Stdin:   c.App.Reader,
			}
			if err := suite.CheckMerge(c.Context, cfg.Inputs, suite.MergeOptions{Partial: c.Bool("partial"), Wait: c.Duration("wait"), Stderr: c.App.ErrWriter}); err != nil {
				return err
			}
			return reports.Run(c.Context, cfg, c.App.Writer, c.App.ErrWriter)
		},
	}
}
