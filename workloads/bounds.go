package workloads

import (
	"fmt"

	"github.com/stratbench/stratbench/internal/bad"
)

// MaxRunBytes is the most memory the inputs and bookkeeping of one run may
// be estimated to take before it is refused (checked from the parameters,
// before anything is allocated). 4 GB: a laptop's share, and far above
// every case the default suite runs.
const MaxRunBytes = 4 << 30

// defaultTaskBytes is the memory of one task of a batch whose workload does
// not say: its size (8 bytes), ran flag (1), and the harness's per-task
// owner and order of the queues executor (8), rounded up.
const defaultTaskBytes = 32

// CheckBytes refuses a run estimated to take more than MaxRunBytes, with a
// one-line error naming what, the estimate, the limit and what to lower:
// lower is text that names the fields to lower as {name} (bad.Field).
func CheckBytes(what string, bytes float64, lower string) error {
	if bytes <= MaxRunBytes {
		return nil
	}
	return bad.Field("", "%s would take about %s of memory, more than the %s a run may take: lower "+lower, what, FormatBytes(bytes), FormatBytes(MaxRunBytes))
}

// FormatBytes writes a byte count with a binary unit: 4 GB, 1.5 TB.
func FormatBytes(b float64) string {
	units := []string{"bytes", "KB", "MB", "GB", "TB", "PB", "EB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	return fmt.Sprintf("%.3g %s", b, units[i])
}
