package harness

import "github.com/stratbench/stratbench/internal/ptimer"

// epoch is the origin of the harness's monotonic readings: internal/ptimer's,
// so that a deadline in nanoseconds since epoch is one on ptimer's clock.
var epoch = ptimer.Epoch()

// nowNs reads the monotonic clock in nanoseconds since epoch.
func nowNs() int64 { return ptimer.Now() }
