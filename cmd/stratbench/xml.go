package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/runs"
	"github.com/stratbench/stratbench/workloads/xmark"
)

func xmlCommand() *cli.Command {
	return &cli.Command{
		Name:      "xml",
		Usage:     "generate XMark-like XML and answer XMark queries with kernels from naive to optimized",
		UsageText: "stratbench xml gen [options]\nstratbench xml run --kernel K [options] FILE...",
		Description: `  xml gen   writes a deterministic XMark-like auction document (or many small ones)
  xml run   answers XMark Q1, Q5, Q6, Q17 and Q20 with one kernel, on one core, on one
            document cut into chunks, or on many documents in parallel`,
		Subcommands: []*cli.Command{xmlGenCommand(), xmlRunCommand()},
	}
}

func xmlUsageError(c *cli.Context, err error, _ bool) error {
	return bad.Inputf("%v (see stratbench xml %s --help)", err, c.Command.Name)
}

func xmlGenCommand() *cli.Command {
	return &cli.Command{
		Name:      "gen",
		Usage:     "write a deterministic XMark-like document",
		UsageText: "stratbench xml gen [--scale F] [--seed S] [-o FILE]\nstratbench xml gen --shape docs --count N -o DIR",
		Description: `Writes an auction site (regions with items by continent, categories, catgraph,
people, open and closed auctions) with XMark's proportions: at scale 1, 21,750
items, 25,500 people, 12,000 open and 9,750 closed auctions and 1,000
categories, about 100 MB. The same seed and scale give the same bytes; memory
stays constant at any scale.

--shape docs writes --count small documents of 1 to 20 KB into the directory
given with -o, as doc-000000.xml, doc-000001.xml, ...

Examples:
  stratbench xml gen --scale 1 -o xmark.xml
  stratbench xml gen --scale 0.01 | stratbench xml run --kernel fast -
  stratbench xml gen --shape docs --count 1000 -o docs/`,
		Flags: []cli.Flag{
			&cli.Float64Flag{Name: "scale", Value: 1, Usage: "scale factor: record counts are XMark's times this"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed: the same seed and scale give the same bytes"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output file (default stdout); with --shape docs, a directory"},
			&cli.StringFlag{Name: "shape", Value: "doc", Usage: "doc (one document) or docs (many small documents)"},
			&cli.IntFlag{Name: "count", Value: 100, Usage: "number of documents of --shape docs"},
			&cli.BoolFlag{Name: "traps", Usage: "plant record start tags inside comments and CDATA sections (they change no answer; they test the splitter)"},
			quietFlag(),
		},
		OnUsageError: xmlUsageError,
		Action:       xmlGenAction,
	}
}

func xmlGenAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return bad.Inputf("xml gen takes no arguments, got %q", c.Args().First())
	}
	cfg := xmark.GenConfig{Scale: c.Float64("scale"), Seed: c.Uint64("seed"), Traps: c.Bool("traps")}
	if !(cfg.Scale >= 0 && cfg.Scale <= 1000) {
		return bad.Inputf("--scale must be in [0, 1000], got %g", cfg.Scale)
	}
	out := c.String("out")
	t0 := time.Now()
	var n int64
	switch c.String("shape") {
	case "doc":
		w, commit, abort, err := output(c, out)
		if err != nil {
			return err
		}
		defer abort()
		if n, err = xmark.GenerateContext(c.Context, w, cfg); err != nil {
			return err
		}
		if err := commit(); err != nil {
			return err
		}
	case "docs":
		if out == "" || out == "-" {
			return bad.Inputf("--shape docs writes files: give a directory with -o DIR")
		}
		if c.Int("count") < 0 {
			return bad.Inputf("--count must be >= 0, got %d", c.Int("count"))
		}
		var err error
		if n, err = xmark.WriteDocs(c.Context, out, cfg, c.Int("count")); err != nil {
			return err
		}
	default:
		return bad.Inputf("--shape: want doc or docs, got %q", c.String("shape"))
	}
	if out != "" && out != "-" && !c.Bool("quiet") {
		d := time.Since(t0)
		fmt.Fprintf(c.App.ErrWriter, "xml gen: wrote %.1f MB to %s in %.2f s (%.0f MB/s)\n", float64(n)/1e6, out, d.Seconds(), float64(n)/1e6/d.Seconds())
	}
	return nil
}

func xmlRunCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "answer XMark queries on XML documents with one kernel",
		UsageText: "stratbench xml run --kernel K [--workers N] [--format text|json|bench] FILE...|-",
		Description: `Runs an XML kernel (stratbench list kernels, the xml.* rows) over documents and
prints the answers of XMark Q1 (name of person0), Q5 (closed auctions with a price
of at least 40), Q6 (items), Q17 (people without a homepage) and Q20 (people by
income bracket), with the throughput. Every kernel gives the same answers.

  one FILE, --workers 1   the document streams through the kernel (constant memory)
  one FILE, --workers N   read into memory, cut into --chunks record-aligned spans
                          run by --executor; answers identical to one core
  several FILEs           read into memory, then one task per document on
                          --executor (goroutine, pool, batch, ...), --workers at a time

In the chunks and docs modes wall_sec and mb_per_sec cover the processing, not the
reading of the files.

A malformed document stops the run with an error naming the file, the line and
the byte offset, and exit status 2; no answers are printed for it.

Examples:
  stratbench xml run --kernel fast xmark.xml
  stratbench xml run --kernel token --workers 2 xmark.xml
  stratbench xml run --kernel fast --workers 2 --executor goroutine docs/*.xml
  stratbench xml run --kernel rawtoken --format json - < xmark.xml`,
		Flags:        flags(runs.XMLFields()),
		OnUsageError: xmlUsageError,
		Action: func(c *cli.Context) error {
			var x runs.XML
			if err := apply(c, runs.XMLFields(), &x); err != nil {
				return err
			}
			if x.Files = c.Args().Slice(); len(x.Files) == 0 {
				return bad.Inputf("xml run needs a file to read (or - for stdin)")
			}
			return x.Run(c.Context, runs.Env{Stdin: c.App.Reader, Stdout: c.App.Writer})
		},
	}
}
