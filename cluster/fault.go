package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/stratbench/stratbench/cluster/procs"
	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/scenario"
)

// sendFault posts one fault to the worker at addr.
func sendFault(ctx context.Context, addr, query string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+worker.FaultPath+"?"+query, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("worker %s: fault %s: status %s", addr, query, resp.Status)
	}
	return nil
}

// faultRunner applies a run's faults to its workers at their times and
// records what the load saw.
type faultRunner struct {
	mu      sync.Mutex
	rec     *metrics.FaultRecorder
	index   map[string]int
	killed  []string // what was killed and when, for the record's warnings
	errs    []error
	timers  []*time.Timer
	pending sync.WaitGroup
	// late is the most any fault took effect after its time (the timer's
	// lateness plus the worker's acknowledgment); applied says any did.
	late    time.Duration
	applied bool
}

// newFaultRunner returns the runner of c's faults on the workers at
// addrs, or nil without faults.
func newFaultRunner(c *Config, addrs []string) *faultRunner {
	if len(c.Faults) == 0 {
		return nil
	}
	fs, fe, _ := scenario.FaultWindow(c.Faults)
	horizon := float64(c.Duration) / float64(c.Unit)
	if c.Jobs > 0 {
		horizon = float64(c.Jobs) / (c.ArrivalRate())
	}
	fr := &faultRunner{rec: metrics.NewFaultRecorder(len(addrs), fs, fe, horizon), index: map[string]int{}}
	for i, a := range addrs {
		fr.index[a] = i
	}
	return fr
}

// schedule applies the faults of c (times in units of c.Unit from start,
// the load's origin) to the workers: a slow fault sets the worker's speed
// and puts it back at the end; a down fault with an end makes the worker
// fail for its length; a down fault to the end kills the worker process
// (SIGKILL: run cluster's --kill-worker-at is this fault, KillWorker).
func (fr *faultRunner) schedule(ctx context.Context, c *Config, workers []*procs.Process, addrs []string, start time.Time) {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	unit := float64(c.Unit)
	due := func(t float64) time.Time { return start.Add(time.Duration(t * unit)) }
	do := func(when time.Time, f func()) {
		fr.pending.Add(1)
		fr.timers = append(fr.timers, time.AfterFunc(max(time.Until(when), 0), func() {
			defer fr.pending.Done()
			f()
			late := time.Since(when)
			fr.mu.Lock()
			fr.late, fr.applied = max(fr.late, late), true
			fr.mu.Unlock()
		}))
	}
	report := func(err error) {
		if err != nil && ctx.Err() == nil {
			fr.mu.Lock()
			fr.errs = append(fr.errs, err)
			fr.mu.Unlock()
		}
	}
	for _, f := range c.Faults {
		s := f.Server
		switch {
		case f.Kind == scenario.FaultSlow:
			do(due(f.At), func() { report(sendFault(ctx, addrs[s], "speed="+strconv.FormatFloat(f.Speed, 'g', -1, 64))) })
			if f.For > 0 {
				do(due(f.End()), func() { report(sendFault(ctx, addrs[s], "speed=1")) })
			}
		case f.For > 0:
			d := time.Duration(f.For * unit)
			do(due(f.At), func() { report(sendFault(ctx, addrs[s], "down="+d.String())) })
		default:
			do(due(f.At), func() {
				workers[s].Kill()
				msg := fmt.Sprintf("worker %d (%s) was killed %.2fs into the load", s, addrs[s], time.Since(start).Seconds())
				fr.mu.Lock()
				fr.killed = append(fr.killed, msg)
				fr.mu.Unlock()
			})
		}
	}
}

// stop cancels the faults not yet applied and waits for those under way.
func (fr *faultRunner) stop() {
	fr.mu.Lock()
	timers := fr.timers
	fr.mu.Unlock()
	for _, t := range timers {
		if t.Stop() {
			fr.pending.Done()
		}
	}
	fr.pending.Wait()
}

// done records one measured request of the load (loadgen.Config.OnDone).
func (fr *faultRunner) done(at float64, worker string, resp float64, ok bool) {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	s, known := fr.index[worker]
	if !known {
		s = -1
	}
	if ok {
		fr.rec.Done(at, s, resp)
	} else {
		fr.rec.Lost(at, s)
	}
}

// finish writes the fault metrics and timeline into res.
func (fr *faultRunner) finish(res *metrics.Result) {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	fr.rec.Finish(res) // jobs_lost: the measured requests that failed
	if fr.applied {
		res.Metrics["fault_late_max_sec"] = fr.late.Seconds()
	}
	if len(fr.killed) > 0 {
		res.Metrics["killed_workers"] = float64(len(fr.killed))
		res.Warnings = append(res.Warnings, fr.killed...)
	}
	if err := errors.Join(fr.errs...); err != nil {
		res.Warnings = append(res.Warnings, "applying faults: "+err.Error())
	}
}
