// Command stratbench answers, with evidence, which optimization or balancing
// strategy is best for a workload: it runs interchangeable strategies in a
// discrete-event simulator and in a real-execution harness and reports which
// wins, by how much, and why.
//
// Each subcommand lives in its own file as a function that builds it; its
// action parses flags into a library's configuration and calls a plain
// function of that library. The application is built anew for every run
// (newApp), so that runs share no state.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/cluster/procs"
	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/host"
	"github.com/stratbench/stratbench/metrics"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1   // the work failed
	exitUsage       = 2   // bad input: flags, names, files
	exitInterrupted = 130 // stopped by SIGINT; finished results were kept
)

func main() {
	metrics.SetHost(host.Gather)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func init() {
	// urfave/cli's help and version flags are package variables whose
	// Apply writes to themselves: applications run at once (the tests)
	// would race on them. Theirs are read only.
	cli.HelpFlag = sharedBool{cli.HelpFlag.(*cli.BoolFlag)}
	cli.VersionFlag = sharedBool{cli.VersionFlag.(*cli.BoolFlag)}
}

// sharedBool is a boolean flag shared by applications: Apply only defines
// it in the flag set.
type sharedBool struct{ *cli.BoolFlag }

func (f sharedBool) Apply(set *flag.FlagSet) error {
	for _, name := range f.Names() {
		set.Bool(name, false, f.Usage)
	}
	return nil
}

// env is what the commands of one run use besides their flags.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// launcher starts stratbench's own child processes (workers, our
	// balancer, the guard of nginx and HAProxy); tests replace it.
	launcher procs.Launcher
}

// newApp builds the command-line application of one run.
func newApp(e *env, nf *notFound) *cli.App {
	cmds := []*cli.Command{balanceCommand(e), compareCommand(), guardCommand(), listCommand(), pgoCommand(), reportCommand(),
		runCommand(e), simCommand(e), suiteCommand(e), workerCommand(), xmlCommand()}
	prepare(cmds, map[string]map[string]string{"cluster": {"servers": "workers"}, "suite": {"dir": "out"}, "gen": {"out": "o"}})
	return &cli.App{
		Name:  "stratbench",
		Usage: "which optimization or balancing strategy is best for this workload, and why",
		Description: "stratbench runs interchangeable strategies (dispatch policies, executors, loop schedules,\n" +
			"naive and optimized kernels) in a discrete-event simulator and on real goroutines, and\n" +
			"reports which wins, by how much, with confidence intervals.\n\n" +
			"Start with: stratbench suite --out report (then open report/index.html),\n" +
			"stratbench list, or stratbench COMMAND --help.",
		Commands:        cmds,
		Reader:          e.stdin,
		Writer:          e.stdout,
		ErrWriter:       e.stderr,
		HideHelpCommand: true,
		Suggest:         true,
		OnUsageError:    onUsageError,
		ExitErrHandler:  func(*cli.Context, error) {}, // run maps errors to statuses
		Version:         version(),
		CommandNotFound: func(c *cli.Context, name string) {
			// c is the context of the command whose subcommand was not
			// found: list its subcommands, not the top level's.
			nf.name, nf.in = name, nil
			if c.Command != nil && len(c.Command.Subcommands) > 0 && c.Command.Name != c.App.Name {
				nf.name = c.Command.Name + " " + name
				for _, sc := range c.Command.VisibleCommands() {
					nf.in = append(nf.in, c.Command.Name+" "+sc.Name)
				}
			}
		},
	}
}

// prepare gives every command and subcommand of cmds the usage errors of
// bad input, no help subcommand, and errors that name its flags, not the
// fields of the libraries it calls (renamed: see flagError).
func prepare(cmds []*cli.Command, renamed map[string]map[string]string) {
	for _, c := range cmds {
		if c.OnUsageError == nil {
			c.OnUsageError = onUsageError
		}
		c.HideHelpCommand = true
		if act := c.Action; act != nil {
			c.Action = func(ctx *cli.Context) error { return flagError(c, renamed[c.Name], act(ctx)) }
		}
		prepare(c.Subcommands, renamed)
	}
}

func onUsageError(c *cli.Context, err error, _ bool) error {
	name := strings.Join(append([]string{c.App.Name}, commandPath(c)...), " ")
	hint := ""
	if strings.Contains(err.Error(), "parse error") || strings.Contains(err.Error(), "invalid value") {
		hint = "; counts are whole numbers >= 0 written 1000000 (not 1e6 or 1,000,000), other numbers like 0.9, durations like 10us, 1ms or 2s"
	}
	return bad.Inputf("%v%s (see %s --help)", err, hint, name)
}

// notFound is the unknown command of a run, if any: urfave/cli only
// calls back, so run turns it into an error.
type notFound struct {
	name string
	in   []string // the commands that would have been found there
}

// version is the module's version and commit as the build recorded them.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " (" + s.Value[:12] + ")"
		}
	}
	return v + ", " + bi.GoVersion
}

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runEnv(ctx, &env{stdin: os.Stdin, stdout: stdout, stderr: stderr}, args)
}

// runEnv is run in the environment e.
func runEnv(ctx context.Context, e *env, args []string) int {
	var nf notFound
	app := newApp(e, &nf)
	stderr := e.stderr
	err := app.RunContext(ctx, flagsFirst(app.Commands, args))
	if err == nil && nf.name != "" {
		names := nf.in
		if len(names) == 0 {
			for _, c := range app.VisibleCommands() {
				names = append(names, c.Name)
			}
		}
		err = bad.Inputf("unknown command %q (known: %s)", nf.name, strings.Join(names, ", "))
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled):
		msg := "stratbench: interrupted; results finished so far were kept"
		if ih := (interrupted{}); errors.As(err, &ih) {
			msg += "; " + ih.hint
		}
		fmt.Fprintln(stderr, msg)
		return exitInterrupted
	case errors.Is(err, bad.ErrInput):
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

// interrupted is an interruption with a hint on what to do next.
type interrupted struct {
	error
	hint string
}

func (e interrupted) Unwrap() error { return e.error }

// commandPath is the names of c's command from the app down, as typed
// ("run", "service").
func commandPath(c *cli.Context) []string {
	var path []string
	for _, l := range c.Lineage() {
		if l.Command != nil && l.Command.Name != "" && l.Command.Name != c.App.Name {
			path = append([]string{l.Command.Name}, path...)
		}
	}
	return path
}
