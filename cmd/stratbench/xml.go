package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/runs"
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
		Flags: append(flags(runs.XMLGenFields()), quietFlag()),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return bad.Inputf("xml gen takes no arguments, got %q", c.Args().First())
			}
			var g runs.XMLGen
			if err := apply(c, runs.XMLGenFields(), &g); err != nil {
				return err
			}
			t0 := time.Now()
			n, err := g.Run(c.Context, runs.Env{Stdout: c.App.Writer})
			if err == nil && g.Out != "" && g.Out != "-" && !c.Bool("quiet") {
				d := time.Since(t0)
				fmt.Fprintf(c.App.ErrWriter, "xml gen: wrote %.1f MB to %s in %.2f s (%.0f MB/s)\n", float64(n)/1e6, g.Out, d.Seconds(), float64(n)/1e6/d.Seconds())
			}
			return err
		},
	}
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
		Flags: flags(runs.XMLFields()),
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
