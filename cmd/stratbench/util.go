package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/field"
	"github.com/stratbench/stratbench/runs"
)

// runsCommand completes cmd as a command of package runs: the flags of
// its field table fs and --quiet, and an action that sets C from them and
// runs it.
func runsCommand[C any, P interface {
	*C
	Run(context.Context, runs.Env) error
}](e *env, cmd *cli.Command, fs []field.Field[C]) *cli.Command {
	cmd.Flags = append(flags(fs), quietFlag())
	cmd.Action = func(c *cli.Context) error {
		if c.NArg() > 0 {
			return bad.Inputf("%s takes no arguments, got %q", strings.Join(commandPath(c), " "), c.Args().First())
		}
		var cfg C
		if err := apply(c, fs, &cfg); err != nil {
			return err
		}
		return P(&cfg).Run(c.Context, e.runs(c))
	}
	return cmd
}

// runs is the environment of a command of package runs.
func (e *env) runs(c *cli.Context) runs.Env {
	re := runs.Env{Stdin: c.App.Reader, Stdout: c.App.Writer, Launcher: e.launcher}
	if showProgress(c) {
		re.Progress = func(what string) (func(done, total uint64), func()) { return progressLine(c.App.ErrWriter, what) }
	}
	return re
}

// quietFlag silences progress output; every long-running command has it.
func quietFlag() cli.Flag {
	return &cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output on stderr"}
}

// showProgress reports whether progress lines should go to stderr: only
// when it is a terminal and --quiet was not given.
func showProgress(c *cli.Context) bool {
	if c.Bool("quiet") {
		return false
	}
	f, ok := c.App.ErrWriter.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
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
