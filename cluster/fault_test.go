package cluster

import (
	"context"
	"github.com/stratbench/stratbench/cluster/internal/workertest"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/scenario"
)

// TestWorkerFaults checks the worker's fault endpoint: speed 0.25 stretches
// a 20ms task to about 80ms; down cuts off the task in service and refuses
// requests (no response) for its length, then the worker serves again; bad
// values are refused; a worker without AcceptFaults has no such endpoint.
func TestWorkerFaults(t *testing.T) {
	_, ss := workertest.Start(t, 1, worker.Config{Kind: "sleep", AcceptFaults: true})
	base := ss[0].URL
	addr := strings.TrimPrefix(base, "http://")
	ctx := context.Background()
	if err := sendFault(ctx, addr, "speed=0.25"); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if code, _ := get(t, http.DefaultClient, base+worker.WorkPath+"?ns=20000000"); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if el := time.Since(t0); el < 75*time.Millisecond || el > 3*time.Second {
		t.Errorf("a 20ms task at speed 0.25 took %v, want about 80ms", el)
	}
	if err := sendFault(ctx, addr, "speed=1"); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	var inServiceErr error
	wg.Go(func() {
		resp, err := http.Get(base + worker.WorkPath + "?ns=500000000") // 500ms, cut off by the down
		if err == nil {
			resp.Body.Close()
		}
		inServiceErr = err
	})
	time.Sleep(50 * time.Millisecond)
	if err := sendFault(ctx, addr, "down=300ms"); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get(base + worker.HealthPath); err == nil {
		resp.Body.Close()
		t.Error("a down worker answered its health check")
	}
	wg.Wait()
	if inServiceErr == nil {
		t.Error("the task in service when the worker went down got a response")
	}
	time.Sleep(350 * time.Millisecond)
	if code, _ := get(t, http.DefaultClient, base+worker.HealthPath); code != http.StatusOK {
		t.Errorf("after the down: health status %d", code)
	}
	for _, q := range []string{"speed=0", "speed=x", "down=-1s", "down=48h", "color=red"} {
		if err := sendFault(ctx, addr, q); err == nil || !strings.Contains(err.Error(), "status 400") {
			t.Errorf("fault %s: %v, want status 400", q, err)
		}
	}

	_, plain := workertest.Start(t, 1, worker.Config{Kind: "sleep"})
	if err := sendFault(ctx, strings.TrimPrefix(plain[0].URL, "http://"), "speed=0.5"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("a worker without AcceptFaults took a fault: %v", err)
	}
}

// TestRunFaults runs our balancer with a worker slowed down mid-run and
// one failing for a while: the record has the phases and a timeline in
// which the slowed worker's share drops during its fault and the failing
// worker gets nothing while it is down; every request is accounted for.
func TestRunFaults(t *testing.T) {
	unit := time.Millisecond
	fs, err := scenarioFaults("slow:server=0,speed=0.1,at=600ms,for=900ms", "down:server=1,at=1000ms,for=300ms")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Config{
		Scenario: scenarioWith("jsq", 3, 0.3, fs),
		Via:      "ours",
		Unit:     unit,
		Duration: 2 * time.Second,
		Launcher: testLauncher(),
	})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Metrics
	if m["sent"] != m["succeeded"]+m["failed"] {
		t.Fatalf("sent %v succeeded %v failed %v", m["sent"], m["succeeded"], m["failed"])
	}
	for _, k := range []string{"response_p99_before", "response_p99_during", "response_p99_after", "jobs_lost"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %s", k)
		}
	}
	tl := res.Timeline
	if tl == nil {
		t.Fatal("no timeline")
	}
	if raceEnabled {
		return // the timing below is the race detector's, not the balancer's
	}
	// The timeline counts requests by their intended arrival. A request is
	// sent on time or up to the generator's largest lateness later, and a
	// fault takes effect at its time or up to the runner's largest
	// lateness later: the windows checked are those in which every request
	// was sent while the fault held, however busy the machine was.
	lag, late := 1e3*m["send_lag_max_sec"], 1e3*m["fault_late_max_sec"] // ms = units
	if _, ok := m["fault_late_max_sec"]; !ok {
		t.Fatal("no fault_late_max_sec: were the faults applied?")
	}
	slowLo, slowHi := 700+late, 1000-lag  // worker 0 slow, past the balancer's reaction
	downLo, downHi := 1100+late, 1300-lag // worker 1 down too
	var slow, down [3]int64
	for b, d := range tl.Dispatched {
		t0 := float64(b) * tl.Width
		for s := range d {
			switch {
			case t0 >= slowLo && t0+tl.Width <= slowHi:
				slow[s] += d[s]
			case t0 >= downLo && t0+tl.Width <= downHi:
				down[s] += d[s]
			}
		}
	}
	t.Logf("load generator up to %.1fms late, faults up to %.1fms late: slow window [%.0f, %.0f]ms %v, down window [%.0f, %.0f]ms %v",
		lag, late, slowLo, slowHi, slow, downLo, downHi, down)
	// The slowed worker (a tenth of the speed) gets well under half of
	// what a healthy one gets: checked over at least 100ms of requests,
	// and only when the machine kept time (a p99 send lag within 10ms). On
	// a busier one every task is stretched by timer lateness, so the slow
	// worker is far less than ten times slower than the others (measured
	// at load ~20: 18 against 27, 20 against 34).
	switch p99 := m["send_lag_p99_sec"]; {
	case slowHi-slowLo < 100:
		t.Logf("no 100ms in which worker 0 was surely slow: its share is not checked")
	case p99 > 0.01:
		t.Logf("the load generator ran %.0fms late (p99): the machine is too busy to check the slow worker's share", p99*1e3)
	case 2*slow[0] >= slow[2]:
		t.Errorf("while worker 0 was slow it got %d requests and the healthy worker 2 %d: jsq did not move traffic away", slow[0], slow[2])
	}
	if down[1] > 2 {
		t.Errorf("the down worker served %d requests while down", down[1])
	}
}

func scenarioFaults(specs ...string) ([]scenario.Fault, error) {
	return scenario.ParseFaults(specs, time.Millisecond)
}

func scenarioWith(policy string, n int, load float64, fs []scenario.Fault) scenario.Scenario {
	return scenario.Scenario{Policy: policy, Servers: n, Load: load, Seed: 4, Faults: fs}
}
