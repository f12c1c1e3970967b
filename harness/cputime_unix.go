//go:build unix

package harness

import (
	"syscall"
	"time"
)

// cpuTime returns the user plus system CPU time this process has used,
// over all threads (getrusage RUSAGE_SELF).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
