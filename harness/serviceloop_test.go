package harness

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stratbench/stratbench/scenario"
	"github.com/stratbench/stratbench/strategies"
)

// TestDueHeap checks the loop's heap against a sorted slice on random
// pushes and pops: it pops by due time, then server.
func TestDueHeap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h dueHeap
	var naive []dueEntry
	for range 20000 {
		if len(naive) == 0 || r.IntN(3) > 0 {
			e := dueEntry{due: r.Int64N(50), server: int32(r.IntN(20)), seq: r.Uint32()}
			h.push(e)
			naive = append(naive, e)
			continue
		}
		slices.SortStableFunc(naive, func(a, b dueEntry) int {
			if a.due != b.due {
				return int(a.due - b.due)
			}
			return int(a.server - b.server)
		})
		got := h.pop()
		if want := naive[0]; got.due != want.due || got.server != want.server {
			t.Fatalf("popped (due %d, server %d), want (%d, %d)", got.due, got.server, want.due, want.server)
		}
		// Equal keys may come out in any order: drop the one popped.
		i := slices.Index(naive, got)
		naive = slices.Delete(naive, i, i+1)
		if len(h) != len(naive) {
			t.Fatalf("heap holds %d, want %d", len(h), len(naive))
		}
	}
}

// twinJob is a job of twinFIFO.
type twinJob struct {
	id   uint64
	at   int64
	size float64
}

type twinServer struct {
	q       []twinJob
	busy    bool
	job     twinJob
	due     int64
	prevDue int64
}

// twinView is twinFIFO's cluster as the policy sees it.
type twinView []twinServer

func (v twinView) Servers() int { return len(v) }
func (v twinView) Load(i int) int {
	n := len(v[i].q)
	if v[i].busy {
		n++
	}
	return n
}
func (twinView) Speed(int) float64 { return 1 }
func (twinView) Work(int) float64  { panic("twinFIFO serves only policies that do not read work") }
func (twinView) Now() float64      { panic("twinFIFO serves only policies that do not read the time") }

// twinFIFO is the loop's naive twin: sleeping FIFO servers of speed 1
// under c's policy, simulated on the loop's integer-ns times (an arrival at
// int64(t·unit), a job due int64(size·unit) after it starts) with a linear
// scan for the next departure, departures first at equal times, then
// lower servers first. It returns each measured job's response in units
// and server.
func twinFIFO(t *testing.T, c ServiceConfig) (resp map[uint64]float64, server map[uint64]int) {
	t.Helper()
	c, err := c.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	lambda := c.ArrivalRate()
	unit := float64(c.Unit.Nanoseconds())
	pol, err := c.NewPolicy(0)
	if err != nil {
		t.Fatal(err)
	}
	arrivals := c.Arrival.Process(lambda, c.ResolveTrace(), c.Source(0, scenario.StreamArrivals))
	sizes := c.Service.Sampler(c.Source(0, scenario.StreamSizes))
	salt := c.KeySalt(0)
	obs, _ := pol.(strategies.Observer)
	jobOf := func(j twinJob) strategies.Job {
		return strategies.Job{ID: j.id, Key: strategies.Mix64(j.id ^ salt), Size: j.size}
	}
	srv := make(twinView, c.Servers)
	var central []twinJob
	resp, server = map[uint64]float64{}, map[uint64]int{}
	total := c.Warmup + c.Jobs
	start := func(s int, j twinJob) {
		sv := &srv[s]
		sv.busy, sv.job = true, j
		sv.due = max(j.at, sv.prevDue) + int64(j.size*unit)
	}
	gap, size := arrivals.Next()
	tu, id := gap, uint64(0)
	nextAt := int64(tu * unit)
	if size < 0 {
		size = sizes.Sample()
	}
	for {
		dep := -1
		for i := range srv {
			if srv[i].busy && (dep < 0 || srv[i].due < srv[dep].due) {
				dep = i
			}
		}
		if id >= total && dep < 0 {
			return resp, server
		}
		if dep >= 0 && (id >= total || srv[dep].due <= nextAt) {
			sv := &srv[dep]
			if sv.job.id >= c.Warmup {
				resp[sv.job.id] = float64(sv.due-sv.job.at) / unit
				server[sv.job.id] = dep
			}
			sv.busy, sv.prevDue = false, sv.due
			if obs != nil {
				obs.Completed(srv, dep, jobOf(sv.job), float64(sv.due-sv.job.at)/unit)
			}
			switch {
			case len(sv.q) > 0:
				j := sv.q[0]
				sv.q = sv.q[1:]
				start(dep, j)
			case len(central) > 0:
				j := central[0]
				central = central[1:]
				start(dep, j)
				if obs != nil {
					obs.Dispatched(srv, dep, jobOf(j))
				}
			}
			continue
		}
		j := twinJob{id: id, at: nextAt, size: size}
		switch s := pol.Pick(srv, jobOf(j)); {
		case s == strategies.Hold:
			central = append(central, j)
		default:
			if !srv[s].busy {
				start(s, j)
			} else {
				srv[s].q = append(srv[s].q, j)
			}
			if obs != nil {
				obs.Dispatched(srv, s, jobOf(j))
			}
		}
		id++
		gap, size = arrivals.Next()
		tu += gap
		nextAt = int64(tu * unit)
		if size < 0 {
			size = sizes.Sample()
		}
	}
}

// TestLoopVirtualClockIsTwin runs the loop on a virtual clock, on which
// waits end on their deadlines and handling takes no time: every measured
// job must end at the time, with the response, and on the server that the
// naive twin gives, with no lag, overrun or start delay. This checks the
// loop's order of events, its FIFO recursion and its central queue.
func TestLoopVirtualClockIsTwin(t *testing.T) {
	for _, policy := range []string{"p2c", "jsq", "random", "rr", "central", "jiq"} {
		for _, load := range []float64{0.5, 0.95} {
			cfg := ServiceConfig{
				Scenario: scenario.Scenario{Policy: policy, Servers: 7, Load: load, Seed: 11},
				Unit:     100 * time.Microsecond, Jobs: 20000, Warmup: 500, Timing: TimingLoop,
			}
			wantResp, wantServer := twinFIFO(t, cfg)
			gotResp := map[uint64]float64{}
			gotServer := map[uint64]int{}
			var clock int64
			_, res, err := runService(context.Background(), cfg, func(r *svcRun) {
				r.virtual = &clock
				r.onEnd = func(id uint64, s int, resp float64) { gotResp[id], gotServer[id] = resp, s }
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(gotResp) != len(wantResp) || len(gotResp) != 20000 {
				t.Fatalf("%s at %g: %d jobs measured, the twin %d, want 20000", policy, load, len(gotResp), len(wantResp))
			}
			for id, w := range wantResp {
				if gotResp[id] != w || gotServer[id] != wantServer[id] {
					t.Fatalf("%s at %g: job %d took %g units at server %d, the twin %g at %d", policy, load, id, gotResp[id], gotServer[id], w, wantServer[id])
				}
			}
			m := res.Metrics
			if m["lag_mean_sec"] != 0 || m["overrun_mean"] != 0 || m["start_delay_mean"] != 0 {
				t.Errorf("%s at %g: lag %g, overrun %g, start delay %g on a virtual clock, want 0", policy, load, m["lag_mean_sec"], m["overrun_mean"], m["start_delay_mean"])
			}
			if math.IsNaN(m["response_mean"]) || m["response_mean"] < 1 {
				t.Errorf("%s at %g: response_mean %g", policy, load, m["response_mean"])
			}
		}
	}
}

// BenchmarkLoopVirtual measures the loop's own cost per job, off the
// clock: on a virtual clock its waits take no time, so ns/op is the
// handling of one job (its arrival, the policy's pick, its end).
func BenchmarkLoopVirtual(b *testing.B) {
	for _, policy := range []string{"p2c", "jsq", "lwl"} {
		for _, servers := range []int{16, 1024} {
			b.Run(fmt.Sprintf("policy=%s/servers=%d", policy, servers), func(b *testing.B) {
				var clock int64
				cfg := ServiceConfig{
					Scenario: scenario.Scenario{Policy: policy, Servers: servers, Load: 0.7, Seed: 1},
					Unit:     100 * time.Microsecond, Jobs: uint64(b.N), Timing: TimingLoop,
				}
				b.ReportAllocs()
				b.ResetTimer()
				if _, _, err := runService(context.Background(), cfg, func(r *svcRun) { r.virtual = &clock }); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}
