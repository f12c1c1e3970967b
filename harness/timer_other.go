//go:build !linux

package harness

import "time"

// monoNow reads the monotonic clock in nanoseconds since the process's
// epoch: the clock of the service mode's deadlines.
func monoNow() int64 { return nowNs() }

// deadlineTimer wakes goroutines at absolute deadlines with Go's timers,
// which may wake up to a millisecond late on some systems.
type deadlineTimer struct{}

func newDeadlineTimer() (*deadlineTimer, error) { return &deadlineTimer{}, nil }

// wait blocks until monoNow reaches at (ns), then returns true; it returns
// false at once when halt is closed.
func (t *deadlineTimer) wait(at int64, _ chan struct{}, halt <-chan struct{}) bool {
	for {
		d := time.Duration(at - monoNow())
		if d <= 0 {
			return true
		}
		select {
		case <-halt:
			return false
		default:
		}
		time.Sleep(min(d, 20*time.Millisecond))
	}
}

func (t *deadlineTimer) close() {}
