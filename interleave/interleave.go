// Package interleave measures two builds of the same benchmarks in
// interleaved rounds and compares them round by round.
//
// On a shared or busy machine, two runs of identical code taken minutes
// apart can differ by more than the change a CI gate must catch: the
// machine drifts (other jobs, frequency, caches). Within one round the two
// builds run back to back, seconds apart, so whatever the machine does
// between rounds hits both alike and cancels in the round's ratio new/old;
// alternating which build runs first cancels what running first or
// second does. Run is the loop (stratbench pgo measures its two builds
// with it too); Compare is `stratbench compare --old-cmd --new-cmd`: it
// runs the rounds, reads each run's results and judges the builds with
// reports.ComparePaired and its gate.
package interleave

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/stratbench/stratbench/internal/bad"
)

// Command is one build's measurement: a program, its arguments and the
// directory it runs in ("" for the current one). Its standard output is
// the measurement.
type Command struct {
	Path string
	Args []string
	Dir  string
}

// Shell is the Command that runs line with sh -c, as a CI script would.
func Shell(line string) Command {
	return Command{Path: "sh", Args: []string{"-c", line}}
}

// String is the command as it would be typed.
func (c Command) String() string {
	if c.Path == "sh" && len(c.Args) == 2 && c.Args[0] == "-c" {
		return c.Args[1]
	}
	parts := append([]string{c.Path}, c.Args...)
	for i, p := range parts {
		if p == "" || strings.ContainsAny(p, " \t\n'\"\\$^|*?") {
			parts[i] = strconv.Quote(p)
		}
	}
	return strings.Join(parts, " ")
}

// Build names one of the two builds.
type Build int

// The two builds of a comparison.
const (
	Old Build = iota
	New
)

// String is "old" or "new".
func (b Build) String() string {
	if b == Old {
		return "old"
	}
	return "new"
}

// Environment variables that every run of a command sees.
const (
	// EnvRound is the round, from 1.
	EnvRound = "STRATBENCH_ROUND"
	// EnvBuild is "old" or "new".
	EnvBuild = "STRATBENCH_BUILD"
)

// Config configures Run.
type Config struct {
	// Old and New measure the two builds.
	Old, New Command
	// Rounds is the number of rounds (>= 2); each runs both builds once.
	Rounds int
	// Output returns the writer that takes the standard output of build
	// b in round (from 0). It is called once per run, before the run.
	Output func(round int, b Build) (io.Writer, error)
	// Done, when set, is called after each run with its duration; an
	// error stops the rounds (for example, output that holds no result).
	Done func(round int, b Build, took time.Duration) error
}

// Timing is how long each build's run of one round took.
type Timing struct {
	Old, New time.Duration
	// NewFirst says the new build ran first in this round.
	NewFirst bool
}

// First is the build that runs first in round (from 0): old in even
// rounds, new in odd ones, so that each build runs first equally often
// and what running first does (a cold cache, a quieter moment) cancels
// over pairs of rounds.
func First(round int) Build {
	if round%2 == 0 {
		return Old
	}
	return New
}

// stderrTail is how much of a failing command's standard error its error
// quotes.
const stderrTail = 2 << 10

// Run runs cfg.Rounds rounds of both builds, one after the other within a
// round, in the order First gives, and returns each round's timings. A
// run that fails stops the rounds with an error naming the build, the
// round and the command, with the end of its standard error; a command
// that cannot be started or is not found (exit status 126 or 127 of sh)
// is bad input.
func Run(ctx context.Context, cfg Config) ([]Timing, error) {
	if cfg.Rounds < 2 {
		return nil, bad.Field("rounds", "must be >= 2 to pair the builds, got %d", cfg.Rounds)
	}
	for _, c := range []struct {
		b   Build
		cmd Command
	}{{Old, cfg.Old}, {New, cfg.New}} {
		if strings.TrimSpace(c.cmd.Path) == "" || (c.cmd.Path == "sh" && len(c.cmd.Args) == 2 && strings.TrimSpace(c.cmd.Args[1]) == "") {
			return nil, bad.Field(c.b.String()+"_cmd", ": the %s build's command is empty; both builds need one", c.b)
		}
	}
	if cfg.Output == nil {
		return nil, errors.New("interleave: Config.Output is nil")
	}
	timings := make([]Timing, 0, cfg.Rounds)
	for round := range cfg.Rounds {
		t := Timing{NewFirst: First(round) == New}
		order := []Build{Old, New}
		if t.NewFirst {
			order = []Build{New, Old}
		}
		for _, b := range order {
			cmd := cfg.Old
			if b == New {
				cmd = cfg.New
			}
			w, err := cfg.Output(round, b)
			if err != nil {
				return timings, err
			}
			took, err := run(ctx, cmd, w, round, b)
			if err != nil {
				return timings, err
			}
			if b == Old {
				t.Old = took
			} else {
				t.New = took
			}
			if cfg.Done != nil {
				if err := cfg.Done(round, b, took); err != nil {
					return timings, err
				}
			}
		}
		timings = append(timings, t)
	}
	return timings, nil
}

// run runs cmd once with its standard output to w.
func run(ctx context.Context, cmd Command, w io.Writer, round int, b Build) (time.Duration, error) {
	c := exec.CommandContext(ctx, cmd.Path, cmd.Args...)
	c.Dir = cmd.Dir
	c.Env = append(os.Environ(), EnvRound+"="+strconv.Itoa(round+1), EnvBuild+"="+b.String())
	c.Stdout = w
	// The command and whatever it starts (sh -c runs the build's binary as
	// its child) form a process group, killed whole when ctx ends.
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	c.WaitDelay = 2 * time.Second
	var tail tailWriter
	c.Stderr = &tail
	start := time.Now()
	err := c.Run()
	took := time.Since(start)
	if err == nil {
		return took, nil
	}
	if ctx.Err() != nil {
		return took, ctx.Err()
	}
	msg := strings.Join(strings.Fields(string(tail.b)), " ")
	if msg != "" {
		msg = ": " + msg
	}
	// The command's exit status is quoted, not wrapped: it is not
	// compare's own (1 means a regression).
	var exit *exec.ExitError
	notFound := errors.As(err, &exit) && cmd.Path == "sh" && (exit.ExitCode() == 126 || exit.ExitCode() == 127) ||
		errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission)
	err = fmt.Errorf("%s build, round %d: %s: %v%s", b, round+1, cmd, err, msg)
	if notFound {
		return took, bad.Input(err)
	}
	return took, err
}

// tailWriter keeps the last stderrTail bytes written to it.
type tailWriter struct{ b []byte }

func (t *tailWriter) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > stderrTail {
		t.b = append(t.b[:0], t.b[len(t.b)-stderrTail:]...)
	}
	return len(p), nil
}
