package ptimer

import (
	"sync/atomic"
	"time"
)

// Now reads the package's monotonic clock: nanoseconds since Epoch. A
// Spinner's deadlines are on this clock.
func Now() int64 { return now() }

// Epoch is the origin of Now.
func Epoch() time.Time { return epoch }

// Spinner waits for deadlines on the one goroutine that owns it, to within
// a clock reading: for a loop that must act at a stream of deadlines
// microseconds apart, where a wake-up through the timer (tens of
// microseconds late on a virtual machine, more when it is busy) would be
// the error it measures. It sleeps in the OS until a margin before the
// deadline, then spins on the clock for the rest. The margin is learnt: it
// tracks the 99th percentile of how late the OS woke the spinner from its
// sleeps, so that one sleep in a hundred ends past the deadline (by a
// little, on average). A wait shorter than the margin plus SpinSleepMin
// spins all the way.
//
// Spinning costs a core for as long as it lasts: the counters say how
// long the spinner spun and slept, so that a caller can report it. A
// Spinner is not safe for concurrent use; the zero value is ready.
type Spinner struct {
	margin int64 // learnt; 0 until the first wait
	// Spun and Slept are the time spent spinning and sleeping, in ns;
	// Sleeps counts the sleeps.
	Spun, Slept, Sleeps int64
	// Late counts the sleeps that ended past the deadline (the margin was
	// too short), and LateNs sums by how much.
	Late, LateNs int64
}

const (
	// SpinSleepMin is the shortest sleep a Spinner takes: a shorter one
	// costs about as much CPU in the system call as spinning through it.
	SpinSleepMin = int64(20 * time.Microsecond)
	// spinMargin0 is the margin before any sleep was measured.
	spinMargin0 = int64(100 * time.Microsecond)
	// spinMarginMin and spinMarginMax bound the margin.
	spinMarginMin = int64(2 * time.Microsecond)
	spinMarginMax = int64(2 * time.Millisecond)
	// spinStep is how far a sleep that woke later than the margin raises
	// it; one that did not lowers it by spinStep/99, so that the margin
	// settles where 1 sleep in 100 overshoots (a stochastic quantile).
	spinStep = int64(4 * time.Microsecond)
	// spinSleepMax bounds one sleep, so that stop is seen within it.
	spinSleepMax = int64(5 * time.Millisecond)
)

// Margin is how long before a deadline the spinner stops sleeping, in ns.
func (s *Spinner) Margin() int64 {
	if s.margin == 0 {
		return spinMargin0
	}
	return s.margin
}

// Until waits until Now() >= at, or until stop is set (checked at least
// every 5ms and between sleeps), and returns Now() on return.
func (s *Spinner) Until(at int64, stop *atomic.Bool) int64 {
	if s.margin == 0 {
		s.margin = spinMargin0
	}
	t := now()
	for at-t >= s.margin+SpinSleepMin {
		if stop.Load() {
			return t
		}
		// Sleep to the margin before the deadline, in slices of at most
		// spinSleepMax; only the last one tells how late the OS wakes.
		d := min(at-t-s.margin, spinSleepMax)
		sleepThread(d)
		t1 := now()
		s.Slept += t1 - t
		s.Sleeps++
		if d < spinSleepMax {
			s.learn(t1 - (t + d))
			if t1 > at {
				s.Late++
				s.LateNs += t1 - at
			}
		}
		t = t1
	}
	t0 := t
	for n := 0; t < at; n++ {
		if n&1023 == 1023 && stop.Load() {
			break
		}
		t = now()
	}
	s.Spun += t - t0
	return t
}

// Sleep sleeps in the OS until about at (the OS wakes it late by tens of
// microseconds, more on a busy machine: a caller that must act on at on
// average aims early), unless stop is set, and returns Now(). It does not
// sleep when at has passed.
func (s *Spinner) Sleep(at int64, stop *atomic.Bool) int64 {
	t := now()
	for t < at && !stop.Load() {
		sleepThread(min(at-t, spinSleepMax))
		t1 := now()
		s.Slept += t1 - t
		s.Sleeps++
		t = t1
	}
	return t
}

// learn moves the margin towards the 99th percentile of the OS's lateness.
func (s *Spinner) learn(late int64) {
	if late > s.margin {
		s.margin += spinStep
	} else {
		s.margin -= spinStep / 99
	}
	s.margin = min(max(s.margin, spinMarginMin), spinMarginMax)
}
