package procs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Announce is the line a worker or balancer process prints on standard
// output once it listens, followed by its address: the supervisor reads it
// to learn the port chosen for ":0".
const Announce = "stratbench listening on "

// Launcher says how to start stratbench itself as a child process (workers,
// our balancer, the guard of an external balancer).
type Launcher struct {
	// Path is the stratbench executable; empty means os.Executable().
	Path string
	// Args go before the subcommand's name (a test binary needs
	// "-test.run=^TestHelper$", "--" there).
	Args []string
	// Env is added to the child's environment.
	Env []string
}

// Command returns the command running `stratbench SUBCOMMAND args...`.
func (l Launcher) Command(sub string, args ...string) (*exec.Cmd, error) {
	path := l.Path
	if path == "" {
		p, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("finding the stratbench executable: %w", err)
		}
		path = p
	}
	argv := append(append(append([]string(nil), l.Args...), sub), args...)
	cmd := exec.Command(path, argv...)
	if len(l.Env) > 0 {
		cmd.Env = append(os.Environ(), l.Env...)
	}
	return cmd, nil
}

// ConfigFlag is the flag through which a child gets its whole
// configuration as JSON (Child): the configuration's own type is the one
// description of it, in both processes.
const ConfigFlag = "config-json"

// Child returns the command running `stratbench SUB --config-json JSON`,
// JSON being cfg encoded; the child decodes it with DecodeConfig.
func (l Launcher) Child(sub string, cfg any) (*exec.Cmd, error) {
	js, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: encoding its configuration: %w", sub, err)
	}
	return l.Command(sub, "--"+ConfigFlag, string(js))
}

// DecodeConfig decodes a configuration given by Child into cfg; a field
// cfg does not have is an error.
func DecodeConfig(js string, cfg any) error {
	d := json.NewDecoder(strings.NewReader(js))
	d.DisallowUnknownFields()
	if err := d.Decode(cfg); err != nil {
		return fmt.Errorf("decoding the configuration: %w", err)
	}
	if d.More() {
		return errors.New("decoding the configuration: text after it")
	}
	return nil
}

// Group starts child processes and stops every one of them. Each child
// gets its own process group (so that stopping it reaches anything it
// forked) and the parent-death signal SIGKILL (so that it dies with the
// supervisor even if the supervisor is killed outright). External
// balancers, which fork workers of their own, run under `stratbench guard`,
// which relays its own death to them.
type Group struct {
	// Dir receives one log file per child: NAME.log with its stderr and
	// whatever it printed after announcing its address.
	Dir string

	mu    sync.Mutex
	procs []*Process
}

// Process is a child process of a Group.
type Process struct {
	// Name names the process in errors and its log file.
	Name string
	// Addr is the address the process announced, if it was asked to.
	Addr string
	// Log is the path of the process's log file.
	Log string

	cmd    *exec.Cmd
	done   chan struct{}
	err    error // exit status, valid after done is closed
	killed bool  // stopped on purpose: its exit status is not an error
	mu     sync.Mutex
}

// Start starts cmd as a child named name, in a process group of its own,
// with the parent-death signal SIGKILL unless cmd.SysProcAttr already says
// otherwise (GuardAttr). With announce set it waits (up
// to timeout) for the child to print Announce and its address on stdout,
// and fails if it exits first, quoting the end of its log.
func (g *Group) Start(name string, cmd *exec.Cmd, announce bool, timeout time.Duration) (*Process, error) {
	if g.Dir == "" {
		return nil, errors.New("process group has no log directory")
	}
	logPath := filepath.Join(g.Dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = childAttr(true, syscall.SIGKILL)
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.Stderr = logf
	addrc := make(chan string, 1)
	cmd.Stdout = &announceWriter{w: logf, addr: addrc}
	cmd.WaitDelay = 2 * time.Second // grandchildren holding our pipes must not block Wait
	p := &Process{Name: name, Log: logPath, cmd: cmd, done: make(chan struct{})}
	g.mu.Lock()
	if err := cmd.Start(); err != nil {
		g.mu.Unlock()
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	g.procs = append(g.procs, p)
	g.mu.Unlock()
	go func() {
		err := cmd.Wait()
		logf.Close()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(p.done)
	}()
	if !announce {
		return p, nil
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case a := <-addrc:
		p.Addr = a
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("%s exited before it listened (%v)%s", name, p.ExitErr(), LogTail(logPath))
	case <-t.C:
		return nil, fmt.Errorf("%s did not listen within %v%s", name, timeout, LogTail(logPath))
	}
}

// PID is the child's process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Exited reports whether the child has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Done is closed when the child has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// ExitErr is the process's exit status once it has exited (nil before).
func (p *Process) ExitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Kill kills the child's whole process group at once with SIGKILL (fault
// injection: no chance to finish anything) and waits for it.
func (p *Process) Kill() {
	p.mu.Lock()
	p.killed = true
	p.mu.Unlock()
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM to the child's process group, waits up to grace, then
// sends SIGKILL to the group, and waits for the child.
func (p *Process) stop(grace time.Duration) {
	p.mu.Lock()
	p.killed = true
	p.mu.Unlock()
	pg := -p.cmd.Process.Pid
	if !p.Exited() {
		syscall.Kill(pg, syscall.SIGTERM)
		t := time.NewTimer(grace)
		select {
		case <-p.done:
		case <-t.C:
		}
		t.Stop()
	}
	syscall.Kill(pg, syscall.SIGKILL) // anything left in the group
	<-p.done
}

// Err returns why the child exited, if it exited on its own with a failure.
func (p *Process) Err() error {
	if !p.Exited() {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.killed || p.err == nil {
		return nil
	}
	return fmt.Errorf("%s exited: %v%s", p.Name, p.err, LogTail(p.Log))
}

// StopAll stops every child at once, each with grace to exit by itself
// after SIGTERM before SIGKILL, and returns when all have exited.
func (g *Group) StopAll(grace time.Duration) {
	g.mu.Lock()
	procs := append([]*Process(nil), g.procs...)
	g.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Go(func() { p.stop(grace) })
	}
	wg.Wait()
}

// Processes returns the children started so far.
func (g *Group) Processes() []*Process {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]*Process(nil), g.procs...)
}

// announceWriter passes a child's stdout to w and sends the address of the
// first line that starts with Announce.
type announceWriter struct {
	w    io.Writer
	addr chan string
	buf  []byte
	sent bool
}

func (a *announceWriter) Write(p []byte) (int, error) {
	if !a.sent {
		a.buf = append(a.buf, p...)
		for {
			i := bytes.IndexByte(a.buf, '\n')
			if i < 0 {
				break
			}
			line := strings.TrimSpace(string(a.buf[:i]))
			a.buf = a.buf[i+1:]
			if rest, ok := strings.CutPrefix(line, Announce); ok {
				a.addr <- strings.TrimPrefix(rest, "http://")
				a.sent = true
				a.buf = nil
				break
			}
		}
	}
	return a.w.Write(p)
}

// LogTail returns the last lines of a log file, for error messages.
func LogTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	return fmt.Sprintf("; the end of %s:\n  %s", path, strings.Join(lines, "\n  "))
}

// GuardAttr returns the process attributes to start `stratbench guard`
// with: its own process group, and SIGTERM (which it handles by stopping
// its group) rather than SIGKILL when its parent dies.
func GuardAttr() *syscall.SysProcAttr { return childAttr(true, syscall.SIGTERM) }

// Guard runs argv as a child and stands between it and the supervisor: it
// makes itself a child subreaper (so that the child's own children stay
// under it if the child dies) and, when it is told to stop (SIGTERM or
// SIGINT, or the parent-death signal its supervisor set), stops its whole
// process group: SIGTERM, then SIGKILL after grace. It returns the child's
// exit error. nginx needs this: its worker processes outlive a killed
// master.
func Guard(ctx context.Context, argv []string, stdout, stderr io.Writer, grace time.Duration) error {
	if len(argv) == 0 {
		return errors.New("guard: no command")
	}
	if err := setChildSubreaper(); err != nil {
		return fmt.Errorf("guard: %w", err)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// Same process group as the guard, so that one kill reaches all; die
	// with the guard even if it is killed outright.
	cmd.SysProcAttr = childAttr(false, syscall.SIGKILL)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("guard: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopGroup := func() error {
		signal.Ignore(syscall.SIGTERM)
		syscall.Kill(0, syscall.SIGTERM) // our group: the child and its children
		t := time.NewTimer(grace)
		defer t.Stop()
		var err error
		select {
		case err = <-done:
		case <-t.C:
			cmd.Process.Kill()
			err = <-done
		}
		reapOrphans(grace)
		return err
	}
	select {
	case err := <-done:
		reapOrphans(grace) // grandchildren left behind by the child
		return err
	case <-sigs:
		stopGroup()
		return nil
	case <-ctx.Done():
		stopGroup()
		return ctx.Err()
	}
}

// reapOrphans kills and reaps the children the guard inherited as a
// subreaper, waiting up to grace for them.
func reapOrphans(grace time.Duration) {
	deadline := time.Now().Add(grace)
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.ECHILD) {
			return
		}
		if pid > 0 {
			continue
		}
		if time.Now().After(deadline) {
			// Still children: kill every process in our group but us.
			killGroupButSelf()
			deadline = time.Now().Add(grace)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// killGroupButSelf sends SIGKILL to the processes of our process group
// other than this one, found in /proc.
func killGroupButSelf() {
	self := os.Getpid()
	pgid, err := syscall.Getpgid(self)
	if err != nil {
		return
	}
	for _, pid := range procPIDs() {
		if pid == self {
			continue
		}
		if g, err := syscall.Getpgid(pid); err == nil && g == pgid {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// procPIDs lists the process ids in /proc.
func procPIDs() []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err == nil && pid > 0 {
			out = append(out, pid)
		}
	}
	return out
}

// ProcInfo is one line of /proc/PID/stat: what the no-orphans checks need.
type ProcInfo struct {
	PID, PPID, PGID int
	State           byte // R, S, D, Z (zombie), ...
	Comm            string
}

// ReadProc reads /proc/PID/stat.
func ReadProc(pid int) (ProcInfo, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcInfo{}, err
	}
	// pid (comm) state ppid pgrp ...; comm may contain spaces and parens.
	s := string(b)
	l, r := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if l < 0 || r < l {
		return ProcInfo{}, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	pi := ProcInfo{PID: pid, Comm: s[l+1 : r]}
	var state string
	if _, err := fmt.Sscanf(s[r+1:], " %s %d %d", &state, &pi.PPID, &pi.PGID); err != nil {
		return ProcInfo{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	pi.State = state[0]
	return pi, nil
}

// Descendants returns the live (non-zombie) processes descending from pid.
func Descendants(pid int) []ProcInfo {
	children := map[int][]ProcInfo{}
	for _, p := range procPIDs() {
		if pi, err := ReadProc(p); err == nil && pi.State != 'Z' {
			children[pi.PPID] = append(children[pi.PPID], pi)
		}
	}
	var out []ProcInfo
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c.PID)
		}
	}
	return out
}

// Alive reports whether pid is a live (non-zombie) process.
func Alive(pid int) bool {
	pi, err := ReadProc(pid)
	return err == nil && pi.State != 'Z'
}

// CPUTime returns the CPU time (user + system) used so far by pid and its
// live descendants, from /proc, at the kernel's clock-tick resolution.
func CPUTime(pid int) (time.Duration, error) {
	pids := []int{pid}
	for _, d := range Descendants(pid) {
		pids = append(pids, d.PID)
	}
	var ticks int64
	for i, p := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			if i == 0 {
				return 0, err
			}
			continue // a descendant that just exited
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		// After the command: state(0) ppid pgrp session tty tpgid flags
		// minflt cminflt majflt cmajflt utime(11) stime(12).
		if len(f) < 13 {
			return 0, fmt.Errorf("/proc/%d/stat: malformed", p)
		}
		var u, st int64
		fmt.Sscan(f[11], &u)
		fmt.Sscan(f[12], &st)
		ticks += u + st
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// clockTicks is USER_HZ, the unit of /proc's CPU times: 100 on every Linux
// architecture Go supports.
const clockTicks = 100

// LoadAvg returns the machine's load average over the last minute, from
// /proc/loadavg (an error where there is none).
func LoadAvg() (float64, error) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, fmt.Errorf("/proc/loadavg: empty")
	}
	x, err := strconv.ParseFloat(f[0], 64)
	if err != nil || x < 0 {
		return 0, fmt.Errorf("/proc/loadavg: %q is not a load", f[0])
	}
	return x, nil
}

// OwnCPUTime returns the CPU time (user + system) this process has used,
// its children's not included (0 where it cannot be read).
func OwnCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
