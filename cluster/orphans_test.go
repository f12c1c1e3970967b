package cluster

import (
	"bufio"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stratbench/stratbench/cluster/procs"
	"github.com/stratbench/stratbench/cluster/worker"
)

// waitGone waits until none of pids is a live process.
func waitGone(t *testing.T, pids []int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var alive []string
		for _, p := range pids {
			if procs.Alive(p) {
				pi, _ := procs.ReadProc(p)
				alive = append(alive, fmt.Sprintf("%d (%s, parent %d)", p, pi.Comm, pi.PPID))
			}
		}
		if len(alive) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, p := range pids {
				syscall.Kill(p, syscall.SIGKILL) // leave nothing behind
			}
			t.Fatalf("orphans left after %v: %s", within, strings.Join(alive, ", "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestGroupStopsEverything starts a worker and a guarded process that
// forks a grandchild (as nginx does) and checks StopAll leaves nothing.
func TestGroupStopsEverything(t *testing.T) {
	g := &procs.Group{Dir: t.TempDir()}
	l := testLauncher()
	cmd, _ := l.Child("worker", worker.Config{})
	w, err := g.Start("worker", cmd, true, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	gcmd, _ := l.Command("guard", append([]string{"--"}, append([]string{l.Path}, append(l.Args, "spawn")...)...)...)
	gcmd.Env = append(gcmd.Env, l.Env...)
	gcmd.SysProcAttr = procs.GuardAttr()
	guard, err := g.Start("guard", gcmd, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	pids := waitDescendants(t, guard.PID(), 2) // the spawned child and its grandchild
	pids = append(pids, w.PID(), guard.PID())
	t.Logf("processes: %v", pids)
	g.StopAll(2 * time.Second)
	waitGone(t, pids, 5*time.Second)
}

// waitDescendants waits until pid has at least n descendants and returns
// their pids.
func waitDescendants(t *testing.T, pid, n int) []int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ds := procs.Descendants(pid)
		if len(ds) >= n {
			var pids []int
			for _, d := range ds {
				pids = append(pids, d.PID)
			}
			return pids
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d has %d descendants after 20s, want %d", pid, len(ds), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNoOrphans runs a whole cluster in a child process and stops that
// process with SIGINT (a clean stop) or SIGKILL (no chance to clean up):
// every worker, balancer and guard process it started, and nginx's or
// HAProxy's own processes, must be gone soon after.
func TestNoOrphans(t *testing.T) {
	cases := []struct {
		via  string
		sig  syscall.Signal
		want int // descendants to wait for before the signal
	}{
		{"ours", syscall.SIGINT, 3},   // 2 workers + balancer
		{"ours", syscall.SIGKILL, 3},  // parent-death signal
		{"nginx", syscall.SIGKILL, 5}, // 2 workers + guard + nginx master + a worker at least
		{"nginx", syscall.SIGINT, 5},
		{"haproxy", syscall.SIGKILL, 4}, // 2 workers + guard + haproxy
		{"caddy", syscall.SIGKILL, 4},   // 2 workers + guard + caddy
		{"caddy", syscall.SIGINT, 4},
	}
	for _, tc := range cases {
		t.Run(tc.via+"/"+tc.sig.String(), func(t *testing.T) {
			skipWithout(t, tc.via)
			l := testLauncher()
			cmd, _ := l.Command("run", "-via", tc.via, "-workers", "2", "-duration", "60s")
			cmd.Env = append(cmd.Env, l.Env...)
			stderr, _ := cmd.StderrPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			errs := make(chan string, 1)
			go func() {
				var b strings.Builder
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					b.WriteString(sc.Text() + "\n")
				}
				errs <- b.String()
			}()
			pids := waitDescendants(t, cmd.Process.Pid, tc.want)
			time.Sleep(300 * time.Millisecond)                     // the load is running
			for _, d := range procs.Descendants(cmd.Process.Pid) { // any started since
				pids = append(pids, d.PID)
			}
			cmd.Process.Signal(tc.sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				var ee *exec.ExitError
				if tc.sig == syscall.SIGINT && (!errors.As(err, &ee) || ee.ExitCode() != 130) {
					t.Errorf("after SIGINT: %v, want exit status 130; stderr:\n%s", err, <-errs)
				}
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("the run did not stop within 10s of %v", tc.sig)
			}
			waitGone(t, pids, 5*time.Second)
		})
	}
}
