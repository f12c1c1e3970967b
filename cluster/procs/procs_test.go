package procs

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"reflect"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as a child process: with STRATBENCH_PROCS_HELPER
// set, TestHelperProcess does what it says (announce: print Announce and
// an address, then wait for a signal; exit: fail at once) and exits.
const helperEnv = "STRATBENCH_PROCS_HELPER"

func TestHelperProcess(t *testing.T) {
	switch os.Getenv(helperEnv) {
	case "":
		t.Skip("only a child process of other tests runs this")
	case "announce":
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		fmt.Printf("starting\n%s127.0.0.1:1234\n", Announce)
		<-c
		os.Exit(0)
	case "exit":
		fmt.Fprintln(os.Stderr, "helper: broken on purpose")
		os.Exit(3)
	}
}

func helper(mode string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	return cmd
}

func TestGroupStartAndStop(t *testing.T) {
	g := &Group{Dir: t.TempDir()}
	defer g.StopAll(time.Second)
	p, err := g.Start("child", helper("announce"), true, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if p.Addr != "127.0.0.1:1234" {
		t.Errorf("announced address %q", p.Addr)
	}
	if !Alive(p.PID()) || p.Exited() {
		t.Fatal("the child is not running")
	}
	g.StopAll(5 * time.Second)
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("StopAll did not stop the child")
	}
	if err := p.Err(); err != nil {
		t.Errorf("a child stopped on purpose reports %v", err)
	}
	if log, _ := os.ReadFile(p.Log); !strings.Contains(string(log), "starting") {
		t.Errorf("log %q lacks the child's output", log)
	}
}

func TestGroupStartFailure(t *testing.T) {
	g := &Group{Dir: t.TempDir()}
	defer g.StopAll(time.Second)
	_, err := g.Start("broken", helper("exit"), true, 20*time.Second)
	if err == nil || !strings.Contains(err.Error(), "exited before it listened") || !strings.Contains(err.Error(), "broken on purpose") {
		t.Errorf("error %v, want the exit and the log's end named", err)
	}
	if _, err := (&Group{}).Start("x", helper("exit"), false, time.Second); err == nil {
		t.Error("a group without a log directory started a process")
	}
}

func TestReadProc(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	info, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if info.PID != os.Getpid() || info.PPID != os.Getppid() {
		t.Errorf("ReadProc(self) = %+v", info)
	}
	if d, err := CPUTime(os.Getpid()); err != nil || d < 0 {
		t.Errorf("CPUTime(self) = %v, %v", d, err)
	}
	if Alive(1 << 30) {
		t.Error("a process id that cannot exist is alive")
	}
}

// TestChildConfig checks the child protocol: the configuration a child is
// started with decodes into the same value, and a field the child's type
// does not have, or text after the object, is refused.
func TestChildConfig(t *testing.T) {
	type cfg struct {
		Listen   string
		Backends []string
		Unit     time.Duration
		Opts     map[string]float64
	}
	want := cfg{Listen: "127.0.0.1:0", Backends: []string{"a:1", "b:2"}, Unit: 1500 * time.Microsecond, Opts: map[string]float64{"pool": 4}}
	cmd, err := Launcher{Path: "/bin/stratbench"}.Child("balance", want)
	if err != nil {
		t.Fatal(err)
	}
	if len(cmd.Args) != 4 || cmd.Args[1] != "balance" || cmd.Args[2] != "--"+ConfigFlag {
		t.Fatalf("args %q", cmd.Args)
	}
	var got cfg
	if err := DecodeConfig(cmd.Args[3], &got); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("decoded %+v, %v; want %+v", got, err, want)
	}
	for _, js := range []string{`{"Listen":"x","Colour":"red"}`, `{"Listen":"x"} {}`, `[1]`} {
		if err := DecodeConfig(js, &got); err == nil {
			t.Errorf("%s: decoded without error", js)
		}
	}
}

// TestLoadAndCPU checks the machine's load average and this process's own
// CPU time: a load is a number >= 0, and CPU time spent shows.
func TestLoadAndCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/loadavg is Linux's")
	}
	if l, err := LoadAvg(); err != nil || l < 0 {
		t.Errorf("load average %g, %v", l, err)
	}
	t0 := OwnCPUTime()
	x := 0
	for i := range 50_000_000 {
		x ^= i * i
	}
	if d := OwnCPUTime() - t0; d <= 0 {
		t.Errorf("50M multiplications took %v of CPU (%d)", d, x)
	}
}
