package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/fsutil"
)

// quietFlag silences progress output; every long-running command has it.
var quietFlag = &cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output on stderr"}

// showProgress reports whether progress lines should go to stderr: only
// when it is a terminal and --quiet was not given.
func showProgress(c *cli.Context) bool {
	if c.Bool("quiet") {
		return false
	}
	f, ok := c.App.ErrWriter.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress is progressLine on stderr when showProgress, else no progress
// (a nil update) and a clear that does nothing.
func progress(c *cli.Context, what string) (update func(done, total uint64), clear func()) {
	if !showProgress(c) {
		return nil, func() {}
	}
	return progressLine(c.App.ErrWriter, what)
}

// progressLine returns a function that rewrites one status line on w at
// most every 200ms, and a function that clears it.
func progressLine(w io.Writer, what string) (update func(done, total uint64), clear func()) {
	var last time.Time
	start := time.Now()
	shown := false
	update = func(done, total uint64) {
		if time.Since(last) < 200*time.Millisecond {
			return
		}
		last = time.Now()
		pct := 100 * float64(done) / float64(max(total, 1))
		el := time.Since(start)
		eta := "?"
		if done > 0 {
			eta = (time.Duration(float64(el) * float64(total-min(done, total)) / float64(done))).Round(time.Second).String()
		}
		fmt.Fprintf(w, "\r%s: %5.1f%% (%d of %d), elapsed %s, ETA %s   ", what, pct, done, total, el.Round(time.Second), eta)
		shown = true
	}
	clear = func() {
		if shown {
			fmt.Fprint(w, "\r\033[K")
		}
	}
	return update, clear
}

// parseFloats parses a comma-separated list of numbers for the named flag.
func parseFloats(flag, s string) ([]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []float64
	for part := range strings.SplitSeq(s, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, bad.Inputf("--%s: want comma-separated numbers, got %q", flag, part)
		}
		out = append(out, x)
	}
	return out, nil
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// output returns the writer for --out (atomically written file) or stdout,
// and a commit function to call when everything was written.
func output(c *cli.Context, path string) (w io.Writer, commit func() error, abort func(), err error) {
	if path == "" || path == "-" {
		return c.App.Writer, func() error { return nil }, func() {}, nil
	}
	f, err := fsutil.Create(path)
	if err != nil {
		return nil, nil, nil, err
	}
	return f, f.Commit, f.Abort, nil
}
