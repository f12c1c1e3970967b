package cluster

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Go's timers wake up to about a millisecond late on Linux (the runtime
// waits in epoll with millisecond resolution), which would add half a unit
// to every sleep task of 1ms and make the load generator late. Sleeps here
// use a timer only for the bulk of a long wait and nanosleep(2), which
// blocks one OS thread but wakes within tens of microseconds, for the rest,
// shortened by its typical overshoot measured once per process.

// coarseMargin is what is left to nanosleep after a timer wait.
const coarseMargin = 3 * time.Millisecond

var overshoot = sync.OnceValue(func() time.Duration {
	const rounds = 15
	xs := make([]time.Duration, rounds)
	for i := range xs {
		t0 := time.Now()
		nanosleep(100 * time.Microsecond)
		xs[i] = time.Since(t0) - 100*time.Microsecond
	}
	slices.Sort(xs)
	return max(xs[rounds/2], 0)
})

// sleepUntil waits until deadline, precisely (see above), or until ctx is
// done, and returns ctx's error in that case.
func sleepUntil(ctx context.Context, deadline time.Time, timer **time.Timer) error {
	if d := time.Until(deadline) - coarseMargin; d > 0 {
		if *timer == nil {
			*timer = time.NewTimer(d)
		} else {
			(*timer).Reset(d)
		}
		select {
		case <-(*timer).C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	ov := overshoot()
	for {
		rem := time.Until(deadline)
		switch {
		case rem <= 0:
			return ctx.Err()
		case rem > ov+10*time.Microsecond:
			nanosleep(rem - ov)
		default:
			// The last few microseconds: cheaper to wait on the CPU than
			// to oversleep.
			for time.Now().Before(deadline) {
			}
			return ctx.Err()
		}
	}
}
