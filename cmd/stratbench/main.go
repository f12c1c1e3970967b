// Command stratbench answers, with evidence, which optimization or balancing
// strategy is best for a workload: it runs interchangeable strategies in a
// discrete-event simulator and in a real-execution harness and reports which
// wins, by how much, and why.
//
// Each subcommand lives in its own file and registers itself with register;
// its action parses flags and calls a plain function of a library package.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/internal/bad"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1   // the work failed
	exitUsage       = 2   // bad input: flags, names, files
	exitInterrupted = 130 // stopped by SIGINT; finished results were kept
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// commands are the subcommands, registered by each command's file.
var commands []*cli.Command

func register(c *cli.Command) { commands = append(commands, c) }

// newApp builds the command-line application writing to stdout and stderr.
func newApp(stdout, stderr io.Writer) *cli.App {
	cmds := slices.Clone(commands)
	slices.SortFunc(cmds, func(a, b *cli.Command) int { return strings.Compare(a.Name, b.Name) })
	for _, c := range cmds {
		c.OnUsageError = onUsageError
	}
	return &cli.App{
		Name:  "stratbench",
		Usage: "which optimization or balancing strategy is best for this workload, and why",
		Description: "stratbench runs interchangeable strategies (dispatch policies, executors, loop schedules,\n" +
			"naive and optimized kernels) in a discrete-event simulator and on real goroutines, and\n" +
			"reports which wins, by how much, with confidence intervals.\n\n" +
			"Start with: stratbench list, stratbench sim --help",
		Commands:        cmds,
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: true,
		Suggest:         true,
		OnUsageError:    onUsageError,
		ExitErrHandler:  func(*cli.Context, error) {}, // run maps errors to statuses
	}
}

func onUsageError(c *cli.Context, err error, _ bool) error {
	name := c.App.Name
	if c.Command != nil && c.Command.Name != "" {
		name += " " + c.Command.Name
	}
	return bad.Inputf("%v (see %s --help)", err, name)
}

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	err := app.RunContext(ctx, flagsFirst(app.Commands, args))
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "stratbench: interrupted; results finished so far were kept")
		return exitInterrupted
	case bad.Is(err):
		fmt.Fprintf(stderr, "stratbench: %v\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "stratbench: %v\n", err)
		var ec cli.ExitCoder
		if errors.As(err, &ec) && ec.ExitCode() != 0 {
			return ec.ExitCode()
		}
		return exitFailure
	}
}
