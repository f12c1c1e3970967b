//go:build !unix

package harness

import "time"

// cpuTime is unknown on this system: -1.
func cpuTime() time.Duration { return -1 }
