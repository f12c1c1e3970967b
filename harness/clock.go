package harness

import "time"

// epoch is the origin of the harness's monotonic readings.
var epoch = time.Now()

// nowNs reads the monotonic clock in nanoseconds since epoch.
func nowNs() int64 { return int64(time.Since(epoch)) }
