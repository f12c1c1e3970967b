package ptimer

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestSpinnerUntilNeverEarly: Until returns at or after its deadline, from
// waits that spin all the way and from waits that sleep first, and counts
// what it did.
func TestSpinnerUntilNeverEarly(t *testing.T) {
	var s Spinner
	var stop atomic.Bool
	for _, d := range []time.Duration{-time.Millisecond, 0, time.Microsecond, 30 * time.Microsecond, 300 * time.Microsecond, 3 * time.Millisecond} {
		for range 5 {
			at := Now() + int64(d)
			if got := s.Until(at, &stop); got < at || Now() < at {
				t.Fatalf("Until(%v from now) returned %v early", d, time.Duration(at-got))
			}
		}
	}
	if s.Spun <= 0 || s.Sleeps == 0 || s.Slept <= 0 {
		t.Errorf("spun %dns, slept %dns in %d sleeps: want some of each", s.Spun, s.Slept, s.Sleeps)
	}
}

// TestSpinnerSleep: Sleep returns at or after its deadline (nanosleep
// never returns early but for a signal, after which it sleeps again).
func TestSpinnerSleep(t *testing.T) {
	var s Spinner
	var stop atomic.Bool
	for _, d := range []time.Duration{0, 5 * time.Microsecond, 200 * time.Microsecond, 2 * time.Millisecond} {
		at := Now() + int64(d)
		if got := s.Sleep(at, &stop); got < at {
			t.Fatalf("Sleep(%v from now) returned %v early", d, time.Duration(at-got))
		}
	}
}

// TestSpinnerStop: a set stop ends a long wait at once, spinning or
// sleeping.
func TestSpinnerStop(t *testing.T) {
	var s Spinner
	var stop atomic.Bool
	stop.Store(true)
	t0 := time.Now()
	s.Until(Now()+int64(time.Hour), &stop)
	s.Sleep(Now()+int64(time.Hour), &stop)
	s.margin = int64(time.Hour) // every wait spins
	s.Until(Now()+int64(time.Minute), &stop)
	if el := time.Since(t0); el > 10*time.Second {
		t.Errorf("stopped waits took %v", el)
	}
}

// TestSpinnerMargin: the margin settles near the 99th percentile of the
// OS's lateness, and stays within its bounds.
func TestSpinnerMargin(t *testing.T) {
	var s Spinner
	s.margin = spinMargin0
	// Lateness uniform over 0..100µs: the 99th percentile is 99µs.
	for i := range 200_000 {
		s.learn(int64(i*7919%100) * int64(time.Microsecond))
	}
	if m := time.Duration(s.Margin()); m < 90*time.Microsecond || m > 106*time.Microsecond {
		t.Errorf("margin %v for lateness uniform on [0, 100µs), want about 99µs", m)
	}
	for range 10_000 {
		s.learn(0)
	}
	if s.Margin() != spinMarginMin {
		t.Errorf("margin %v after punctual wake-ups, want the floor %v", time.Duration(s.Margin()), time.Duration(spinMarginMin))
	}
	for range 10_000 {
		s.learn(int64(time.Second))
	}
	if s.Margin() != spinMarginMax {
		t.Errorf("margin %v after late wake-ups, want the ceiling %v", time.Duration(s.Margin()), time.Duration(spinMarginMax))
	}
}
