package workloads

import (
	"math"
	"strings"
	"testing"
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
		{"spin", MaxRunBytes/defaultTaskBytes + 1, "workload spin with 134217729 tasks would take about 4 GB of memory, more than the 4 GB a run may take: lower tasks (--tasks)"},
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
