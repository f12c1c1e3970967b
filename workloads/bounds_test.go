package workloads

import (
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestBatchBounds: a task count whose memory would exceed MaxRunBytes is
// refused before anything is allocated, naming the estimate and the flag
// (run batch --tasks 1e11 ran out of memory, MaxInt64 panicked in
// makeslice).
func TestBatchBounds(t *testing.T) {
	for _, tt := range []struct {
		workload string
		tasks    int
		want     string // "" = accepted
	}{
		{"spin", 1000, ""},
		{"spin", MaxRunBytes/defaultTaskBytes + 1, "workload spin with 134217729 tasks would take about 4 GB of memory, more than the 4 GB a run may take: lower tasks"},
		{"spin", 100_000_000_000, "about 2.91 TB"},
		{"spin", math.MaxInt, "about 256 EB"},
		{"mem", 100_000_000, "about 4.47 GB"},
	} {
		_, err := NewBatch(tt.workload, BatchConfig{Tasks: tt.tasks, Unit: 1})
		if tt.want == "" {
			if err != nil && strings.Contains(err.Error(), "memory") {
				t.Errorf("%s %d tasks refused: %v", tt.workload, tt.tasks, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %d tasks: err = %v, want %q", tt.workload, tt.tasks, err, tt.want)
		}
	}
}

// TestChaseStopSameReads: cut into pieces, the chain of reads is the
// same as in one piece (the naive twin).
func TestChaseStopSameReads(t *testing.T) {
	words := make([]uint64, 1<<12)
	for i := range words {
		words[i] = uint64(i)*0x9e3779b97f4a7c15 + 7
	}
	var never atomic.Bool
	for _, n := range []int64{0, 1, stopEveryReads - 1, stopEveryReads, stopEveryReads + 1, 3*stopEveryReads + 17} {
		if a, b := chase(words, n, 12345), chaseStop(words, n, 12345, &never); a != b {
			t.Errorf("n=%d: %x in one piece, %x in pieces", n, a, b)
		}
	}
	var stop atomic.Bool
	stop.Store(true)
	t0 := time.Now()
	chaseStop(words, 1<<40, 1, &stop)
	SpinStop(3600e9, &stop)
	if d := time.Since(t0); d > time.Second {
		t.Errorf("an hour of work with the stop flag set took %v", d)
	}
}
